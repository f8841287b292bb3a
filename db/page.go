package db

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Page asks for one page of a list in its stable order: at most First rows after
// the row whose key is After ("" for the start).
type Page struct {
	First int
	After string
	// SkipTotal leaves List.Total at 0 instead of counting the whole list,
	// for a caller that will not read it (a query that does not select
	// totalCount). Counting costs as much as the page or more: every match
	// of the filter, against the page's First.
	SkipTotal bool
}

// limit is the LIMIT that also tells whether another page follows.
func (p Page) limit() int { return p.First + 1 }

// cut trims rows fetched with p.limit() to the page and says whether more follow.
func cut[T any](rows []T, p Page) ([]T, bool) {
	if len(rows) > p.First {
		return rows[:p.First], true
	}
	return rows, false
}

// intKey parses the key of a list ordered by an integer; "" is the start.
func intKey(after string) (int64, error) {
	if after == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(after, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("page key %q is not an integer", after)
	}
	return n, nil
}

// DistanceKey is the page key of a row in a list ordered by a distance in metres
// and then by a code or ID: "metres,key", with nothing before the comma when the
// row has no distance. The metres are written exactly, so that the row they came
// from compares equal to them.
func DistanceKey(metres *float64, key string) string {
	if metres == nil {
		return "," + key
	}
	return strconv.FormatFloat(*metres, 'g', -1, 64) + "," + key
}

// ParseDistanceKey splits a DistanceKey into its metres (nil for none) and its
// code or ID.
func ParseDistanceKey(s string) (metres *float64, key string, err error) {
	m, key, ok := strings.Cut(s, ",")
	if !ok || key == "" {
		return nil, "", fmt.Errorf("page key %q is not metres,key", s)
	}
	if m == "" {
		return nil, key, nil
	}
	f, err := strconv.ParseFloat(m, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return nil, "", fmt.Errorf("page key %q does not start with a distance", s)
	}
	return &f, key, nil
}

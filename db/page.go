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

// DistanceKey is the page key of a row of a list ordered by distance, then ID.
// The distance keeps every digit it needs to parse back to the same float64: a
// rounded one would skip or repeat rows at the edge of a page.
func DistanceKey(metres float64, id int64) string {
	return strconv.FormatFloat(metres, 'g', -1, 64) + "/" + strconv.FormatInt(id, 10)
}

// ParseDistanceKey parses a DistanceKey. The start of the list, "", is a
// distance of -1: every row comes after it.
func ParseDistanceKey(key string) (metres float64, id int64, err error) {
	if key == "" {
		return -1, 0, nil
	}
	d, i, ok := strings.Cut(key, "/")
	metres, errD := strconv.ParseFloat(d, 64)
	id, errI := strconv.ParseInt(i, 10, 64)
	if !ok || errD != nil || errI != nil || !(metres >= 0) || math.IsInf(metres, 1) {
		return 0, 0, fmt.Errorf("page key %q is not a distance and an ID", key)
	}
	return metres, id, nil
}

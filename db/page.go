package db

import (
	"fmt"
	"strconv"
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

package db

import (
	"strconv"
	"strings"
)

// predicates grows a filter's SQL predicates and their arguments together, so
// that every value is a $n argument numbered after the ones before it.
type predicates struct {
	preds []string
	args  []any
}

// add appends a predicate whose $? placeholders take vals, in order.
func (p *predicates) add(pred string, vals ...any) {
	for _, v := range vals {
		p.args = append(p.args, v)
		pred = strings.Replace(pred, "$?", "$"+strconv.Itoa(len(p.args)), 1)
	}
	p.preds = append(p.preds, pred)
}

// meets appends "column's geometry meets box b" when b is set.
func (p *predicates) meets(column string, b *BBox) {
	if b != nil {
		p.add("ST_Intersects("+column+", ST_MakeEnvelope($?, $?, $?, $?, 4326))", b.West, b.South, b.East, b.North)
	}
}

// sql returns the predicates joined by AND, "true" when there are none, and
// every argument.
func (p *predicates) sql() (string, []any) {
	if len(p.preds) == 0 {
		return "true", p.args
	}
	return strings.Join(p.preds, " AND "), p.args
}

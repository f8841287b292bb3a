package db

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// collectByName scans every row into a T, each column into the field of T
// (or of a struct embedded in T) whose db tag names it; fields that no column
// names stay zero, as with pgx.RowToStructByNameLax. pgx matches columns to
// fields again for every row, with three allocations and a walk of T's
// fields each: a fifth of the cost of a list of 100 platforms (pprof). Here
// they are matched once per query.
func collectByName[T any](rows pgx.Rows) ([]T, error) {
	defer rows.Close()
	var row T
	targets, err := columnTargets(reflect.ValueOf(&row).Elem(), rows.FieldDescriptions())
	if err != nil {
		return nil, err
	}
	var out []T
	for rows.Next() {
		row = *new(T)
		if err := rows.Scan(targets...); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// columnTargets returns, for each column, a pointer to the field of v that
// the column's name is the db tag of.
func columnTargets(v reflect.Value, columns []pgconn.FieldDescription) ([]any, error) {
	byTag := fieldsByTag(v.Type())
	targets := make([]any, len(columns))
	for i, c := range columns {
		index, ok := byTag[c.Name]
		if !ok {
			return nil, fmt.Errorf("scan %s: no field for column %q", v.Type(), c.Name)
		}
		targets[i] = v.FieldByIndex(index).Addr().Interface()
	}
	return targets, nil
}

// tagged maps each struct type to its fields by db tag (fieldsByTag).
var tagged sync.Map // reflect.Type → map[string][]int

// fieldsByTag returns the index of each field of t, or of a struct embedded
// in t, by its db tag.
func fieldsByTag(t reflect.Type) map[string][]int {
	if m, ok := tagged.Load(t); ok {
		return m.(map[string][]int)
	}
	m := make(map[string][]int)
	for _, f := range reflect.VisibleFields(t) {
		if tag, ok := f.Tag.Lookup("db"); ok && tag != "-" && f.IsExported() {
			m[tag] = f.Index
		}
	}
	tagged.Store(t, m)
	return m
}

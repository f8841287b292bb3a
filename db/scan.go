package db

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// collectByName scans every row into a T, each column into the field of T
// (or of a struct embedded in T) whose db tag names it; fields that no column
// names stay zero, as with pgx.RowToStructByNameLax. pgx matches columns to
// fields again for every row, with three allocations and a walk of T's
// fields each: a fifth of the cost of a list of 100 platforms (pprof). Here
// they are matched once per query, and the plainest columns are read from
// their raw values (columnScanner). want is how many rows the caller
// expects at most, the page it asked for: growing the list row by row was a
// third of scanning a page of 100 platforms. Past maxWant, the list grows.
func collectByName[T any](rows pgx.Rows, want int) ([]T, error) {
	defer rows.Close()
	var row T
	scanners, err := columnScanners(reflect.ValueOf(&row).Elem(), rows)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, min(want, maxWant))
	for rows.Next() {
		row = *new(T)
		for i, raw := range rows.RawValues() {
			if err := scanners[i].scan(raw); err != nil {
				return nil, fmt.Errorf("column %s: %w", rows.FieldDescriptions()[i].Name, err)
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// maxWant bounds the rows collectByName makes room for before it sees them: a
// page of 500 may match a handful.
const maxWant = 128

// columnScanner sets one field of a row from its column's raw value. pgx's
// scan plans, which convert through reflection and interfaces, were half of
// reading a page of platforms (pprof): the strings, integers and floats that
// make up most columns are read directly, as pgx reads them (text as its
// bytes, int4, int8 and float8 in binary, big-endian), and the rest by pgx.
type columnScanner struct {
	field  reflect.Value // the field, within the row being scanned
	target any           // a pointer to it, for pgx
	column pgconn.FieldDescription
	types  *pgtype.Map
	// direct reads a non-NULL value; nil leaves every value to pgx.
	direct func(field reflect.Value, raw []byte) error
}

// columnsOf returns the columns of rows, or the error of a statement that
// failed before its answer began: such rows have no columns, and pgx (v5.12)
// panics when asked for them. In a batch's callback the panic, which gqlgen
// recovers, kept the batch's connection for ever: pgxpool gives it back only
// when the batch's Close returns, and the pool's own Close then waited for it
// (a replica killed while reading the coverage index).
func columnsOf(rows pgx.Rows) ([]pgconn.FieldDescription, error) {
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return rows.FieldDescriptions(), nil
}

// columnScanners returns a scanner for each column of rows into the field of
// v that the column's name is the db tag of.
func columnScanners(v reflect.Value, rows pgx.Rows) ([]columnScanner, error) {
	byTag := fieldsByTag(v.Type())
	columns, err := columnsOf(rows)
	if err != nil {
		return nil, err
	}
	scanners := make([]columnScanner, len(columns))
	for i, c := range columns {
		index, ok := byTag[c.Name]
		if !ok {
			return nil, fmt.Errorf("scan %s: no field for column %q", v.Type(), c.Name)
		}
		field := v.FieldByIndex(index)
		scanners[i] = columnScanner{field: field, target: field.Addr().Interface(), column: c,
			types: rows.Conn().TypeMap(), direct: directScan(field.Type(), c)}
	}
	return scanners, nil
}

// scan sets the field from raw, nil for NULL.
func (s *columnScanner) scan(raw []byte) error {
	switch {
	case s.direct == nil:
	case raw != nil && s.field.Kind() != reflect.Pointer:
		return s.direct(s.field, raw)
	case raw != nil:
		p := reflect.New(s.field.Type().Elem())
		if err := s.direct(p.Elem(), raw); err != nil {
			return err
		}
		s.field.Set(p)
		return nil
	case s.field.Kind() == reflect.Pointer:
		s.field.SetZero()
		return nil
	}
	// pgx's error for a NULL in a field that cannot hold one, too.
	return s.types.Scan(s.column.DataTypeOID, s.column.Format, raw, s.target)
}

// directScan returns how to read a value of column c into a field of type t
// (or, for a pointer, into what it points to), or nil to leave it to pgx.
func directScan(t reflect.Type, c pgconn.FieldDescription) func(reflect.Value, []byte) error {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	isText, isBinary := c.Format == pgx.TextFormatCode, c.Format == pgx.BinaryFormatCode
	switch oid := c.DataTypeOID; {
	case t.Kind() == reflect.String && isText && (oid == pgtype.TextOID || oid == pgtype.VarcharOID):
		return func(f reflect.Value, raw []byte) error { f.SetString(string(raw)); return nil }
	case (t.Kind() == reflect.Int64 || t.Kind() == reflect.Int) && isBinary && oid == pgtype.Int8OID:
		return fixed(8, func(f reflect.Value, raw []byte) { f.SetInt(int64(binary.BigEndian.Uint64(raw))) })
	case (t.Kind() == reflect.Int64 || t.Kind() == reflect.Int || t.Kind() == reflect.Int32) && isBinary && oid == pgtype.Int4OID:
		return fixed(4, func(f reflect.Value, raw []byte) { f.SetInt(int64(int32(binary.BigEndian.Uint32(raw)))) })
	case t.Kind() == reflect.Float64 && isBinary && oid == pgtype.Float8OID:
		return fixed(8, func(f reflect.Value, raw []byte) { f.SetFloat(math.Float64frombits(binary.BigEndian.Uint64(raw))) })
	}
	return nil
}

// fixed is a direct read of a binary value of n bytes.
func fixed(n int, set func(reflect.Value, []byte)) func(reflect.Value, []byte) error {
	return func(f reflect.Value, raw []byte) error {
		if len(raw) != n {
			return fmt.Errorf("a binary value of %d bytes, want %d", len(raw), n)
		}
		set(f, raw)
		return nil
	}
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

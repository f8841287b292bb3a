// Package rowfile reads the project's input files row by row and names the
// file, row and field at fault when one of them is wrong.
//
// Row is the 1-based line for CSV files (the header is row 1) and the 1-based
// feature number for GeoJSON.
package rowfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Error says which file, row and field of an input file is wrong. Row and
// Field are zero when the fault is in the whole file or the whole row.
type Error struct {
	File  string
	Row   int
	Field string
	Err   error
}

// Error returns "file row N field F: cause", leaving out the parts that are zero.
func (e *Error) Error() string {
	var where []string
	if e.File != "" {
		where = append(where, e.File)
	}
	if e.Row != 0 {
		where = append(where, fmt.Sprintf("row %d", e.Row))
	}
	if e.Field != "" {
		where = append(where, "field "+e.Field)
	}
	if len(where) == 0 {
		return fmt.Sprint(e.Err)
	}
	return fmt.Sprintf("%s: %v", strings.Join(where, " "), e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Row is one data row of a CSV file, with its header, so that checks can get
// columns by name and name the field they reject.
type Row struct {
	File   string // the file name given to ReadCSV
	Line   int    // the line the row starts on
	index  map[string]int
	fields []string
}

// Get returns the row's value in column col, which must be one of the columns
// ReadCSV was told to need.
func (r Row) Get(col string) string { return r.fields[r.index[col]] }

// Fail returns an *Error naming this row's file, line and field.
func (r Row) Fail(field string, err error) *Error {
	return &Error{File: r.File, Row: r.Line, Field: field, Err: err}
}

// ReadCSV reads CSV from r, checks that the header has every column in need
// and calls fn with each data row, stopping at the first error. Every row must
// have as many fields as the header. Its own errors are *Error with the file
// name, the line (1 for the header) and, for a missing column, the column;
// fn's errors are returned as they are.
func ReadCSV(name string, r io.Reader, need []string, fn func(Row) error) error {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return &Error{File: name, Row: 1, Err: fmt.Errorf("header: %w", err)}
	}
	cr.FieldsPerRecord = len(header)
	index := make(map[string]int, len(header))
	for i, h := range header {
		index[h] = i
	}
	for _, c := range need {
		if _, ok := index[c]; !ok {
			return &Error{File: name, Row: 1, Field: c, Err: errors.New("missing column")}
		}
	}
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return &Error{File: name, Row: line, Err: err}
		}
		if err := fn(Row{File: name, Line: line, index: index, fields: fields}); err != nil {
			return err
		}
	}
}

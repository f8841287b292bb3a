package rowfile

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
)

var errBad = errors.New("bad value")

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		row   int
		field string
		is    error // when set, errors.Is must hold
		msg   string
	}{
		{name: "missing column", data: "a,c\n1,2\n", row: 1, field: "b",
			msg: "f.csv row 1 field b: missing column"},
		{name: "empty file", data: "", row: 1, is: io.EOF},
		{name: "short row", data: "a,b\n1,2\n3\n", row: 3, is: csv.ErrFieldCount},
		{name: "bad quoting after a quoted newline", data: "a,b\n\"1\n1\",2\n3,4\n5,x\"y\n", row: 5, is: csv.ErrBareQuote},
		{name: "fail names the field", data: "a,b\n1,2\n\"3\n3\",bad\n", row: 3, field: "b", is: errBad,
			msg: "f.csv row 3 field b: bad value"},
		{name: "good", data: "b,a,extra\n2,1,x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lines []int
			err := ReadCSV("f.csv", strings.NewReader(tc.data), []string{"a", "b"}, func(r Row) error {
				lines = append(lines, r.Line)
				if r.Get("b") == "bad" {
					return r.Fail("b", errBad)
				}
				if r.Get("a") == "1" && r.Get("b") != "2" {
					t.Errorf("row %d: columns by name got a=%q b=%q", r.Line, r.Get("a"), r.Get("b"))
				}
				return nil
			})
			if tc.row == 0 {
				if err != nil || len(lines) != 1 {
					t.Fatalf("err = %v, rows %v; want nil, one row", err, lines)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.File != "f.csv" || e.Row != tc.row || e.Field != tc.field {
				t.Errorf("got %s row %d field %q, want f.csv row %d field %q", e.File, e.Row, e.Field, tc.row, tc.field)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.is)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("message %q, want %q", err, tc.msg)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	cause := errors.New("cause")
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "f", Row: 2, Field: "x", Err: cause}, "f row 2 field x: cause"},
		{Error{File: "f", Row: 2, Err: cause}, "f row 2: cause"},
		{Error{File: "f", Err: cause}, "f: cause"},
		{Error{Err: cause}, "cause"},
	}
	for _, tc := range tests {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%#v: %q, want %q", tc.e, got, tc.want)
		}
		if !errors.Is(&tc.e, cause) {
			t.Errorf("%#v does not unwrap to its cause", tc.e)
		}
	}
}

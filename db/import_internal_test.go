package db

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"civicmap/errcode"
)

// TestRowErrorBlamesOnlyRows: an error of the row names the row as its cause;
// a database failure while writing a row says what failed and where the
// import was, and never blames the row. Before, a database that died
// mid-import made the error read "rows[3] (…): FATAL: terminating connection".
func TestRowErrorBlamesOnlyRows(t *testing.T) {
	ext := "WS-0001"
	row := &ImportRow{Where: "line 4", Platform: PlatformInput{ExternalID: &ext}}
	cases := []struct {
		name   string
		err    error
		prefix string
		code   errcode.Code
	}{
		{"a bad row", errcode.Invalid("input.lat", "out of range"), "rows[3] (line 4, WS-0001): input.lat: out of range", errcode.BadUserInput},
		{"the database went away", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"},
			"the database went away while the import was at rows[3] (line 4, WS-0001)", errcode.ServiceUnavailable},
		{"a statement timeout", &pgconn.PgError{Code: "57014"}, "a statement took too long while the import was at rows[3]", errcode.Timeout},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := rowError(3, row, c.err)
			if !strings.HasPrefix(err.Error(), c.prefix) {
				t.Errorf("error %q, want it to start %q", err, c.prefix)
			}
			if got := errcode.Classify(err); got != c.code {
				t.Errorf("code %s, want %s", got, c.code)
			}
		})
	}
}

package db_test

import (
	"reflect"
	"testing"

	"civicmap/db"
	"civicmap/db/dbtest"
)

// TestPlatformsNarrow: a page read with fewer columns, or without its count,
// holds the same platforms with the same values in the columns it read.
func TestPlatformsNarrow(t *testing.T) {
	d := db.New(dbtest.NewDB(t))
	county := "350481"
	full, err := d.Platforms(t.Context(), db.PlatformFilter{CountyCode: &county}, db.Page{First: 20})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		page    db.Page
		columns []string
	}{
		{"every column, no count", db.Page{First: 20, SkipTotal: true}, nil},
		{"a map's columns", db.Page{First: 20}, []string{"id", "kind", "name", "lon", "lat"}},
		{"a map's columns, no count", db.Page{First: 20, SkipTotal: true}, []string{"id", "name", "county_code"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := d.Platforms(t.Context(), db.PlatformFilter{CountyCode: &county}, c.page, c.columns...)
			if err != nil {
				t.Fatal(err)
			}
			wantTotal := full.Total
			if c.page.SkipTotal {
				wantTotal = 0
			}
			if got.Total != wantTotal || got.HasNext != full.HasNext || len(got.Rows) != len(full.Rows) {
				t.Fatalf("total %d, next %v, %d rows; want %d, %v, %d", got.Total, got.HasNext, len(got.Rows), wantTotal, full.HasNext, len(full.Rows))
			}
			for i, p := range got.Rows {
				f := full.Rows[i]
				if p.ID != f.ID || p.Name != f.Name {
					t.Errorf("row %d: %d %q, want %d %q", i, p.ID, p.Name, f.ID, f.Name)
				}
				if c.columns == nil && !reflect.DeepEqual(p, f) {
					t.Errorf("row %d: %+v, want %+v", i, p, f)
				}
			}
		})
	}
}

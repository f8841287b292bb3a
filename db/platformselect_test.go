package db

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestPlatformColumnList: platformColumns, read column by column, names every
// field of Platform by its db tag, in the struct's order.
func TestPlatformColumnList(t *testing.T) {
	var tags, names []string
	typ := reflect.TypeFor[Platform]()
	for i := range typ.NumField() {
		tags = append(tags, typ.Field(i).Tag.Get("db"))
	}
	for _, c := range platformColumnList {
		names = append(names, c.name)
	}
	if !slices.Equal(names, tags) {
		t.Errorf("platformColumns names %v,\nPlatform's db tags are %v", names, tags)
	}
}

func TestPlatformSelect(t *testing.T) {
	cases := []struct {
		name     string
		columns  []string
		county   bool
		wantSel  string
		wantJoin bool
		bad      bool
	}{
		{name: "every column", wantSel: platformColumns, wantJoin: true},
		{name: "a map's page", columns: []string{"id", "lon", "kind", "lat"}, wantSel: "p.id, p.kind, ST_X(p.location) AS lon, ST_Y(p.location) AS lat"},
		{name: "the county's code joins", columns: []string{"id", "county_code"}, wantSel: "p.id, t.county_code", wantJoin: true},
		{name: "a county filter joins", columns: []string{"id"}, county: true, wantSel: "p.id", wantJoin: true},
		{name: "not a column", columns: []string{"id", "colour"}, bad: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sel, from, err := platformSelect(c.columns, c.county)
			if c.bad {
				if err == nil {
					t.Fatalf("platformSelect(%v) = %q, want an error", c.columns, sel)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sel != c.wantSel || strings.Contains(from, "JOIN township") != c.wantJoin {
				t.Errorf("platformSelect(%v, %v) = %q, %q; want %q, join %v", c.columns, c.county, sel, from, c.wantSel, c.wantJoin)
			}
		})
	}
}

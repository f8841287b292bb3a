package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func ptr(s string) *string { return &s }

func TestParseParams(t *testing.T) {
	cases := []struct {
		name, in string
		want     []*string
		bad      bool
	}{
		{name: "numbers", in: "$1 = '117.5', $2 = '26'", want: []*string{ptr("117.5"), ptr("26")}},
		{name: "null and array", in: "$1 = NULL, $2 = '{WORKSTATION,SECTOR_HALL}'", want: []*string{nil, ptr("{WORKSTATION,SECTOR_HALL}")}},
		{name: "quotes and commas", in: "$1 = 'it''s, here'", want: []*string{ptr("it's, here")}},
		{name: "out of order", in: "$2 = '1'", bad: true},
		{name: "unterminated", in: "$1 = 'abc", bad: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseParams(c.in)
			if c.bad {
				if err == nil {
					t.Fatalf("parseParams(%q) = %v, want an error", c.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, c.want, func(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }) {
				t.Errorf("parseParams(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}

// A log as PostgreSQL 15 writes it with log_statement = all: a statement's
// later lines start with a tab it adds.
const sampleLog = `2026-11-30 04:36:40.101 UTC [77] LOG:  statement: -- ping
2026-11-30 04:36:40.102 UTC [77] LOG:  execute stmtcache_1: SELECT p.id
	FROM platform p WHERE ST_DWithin(p.location, ST_Point($1, $2, 4326)::geography, 10)
		AND p.kind = ANY($3)
2026-11-30 04:36:40.102 UTC [77] DETAIL:  parameters: $1 = '117.25', $2 = '26.5', $3 = '{WORKSTATION}'
2026-11-30 04:36:40.103 UTC [77] LOG:  execute <unnamed>: SELECT 1
`

func TestReadStatementsAndScript(t *testing.T) {
	path := filepath.Join(t.TempDir(), "postgres.log")
	if err := os.WriteFile(path, []byte("earlier lines\n"+sampleLog), 0o600); err != nil {
		t.Fatal(err)
	}
	stmts, err := readStatements(path, int64(len("earlier lines\n")))
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 2 || len(stmts[0].params) != 3 || stmts[1].sql != "SELECT 1" {
		t.Fatalf("statements = %+v, want the two executed ones", stmts)
	}
	if want := "\tAND p.kind = ANY($3)"; !strings.HasSuffix(stmts[0].sql, want) {
		t.Errorf("first statement = %q, want it to end with %q", stmts[0].sql, want)
	}

	q := query{name: "near", vars: []draw{{name: "lon", axis: lon}, {name: "lat", axis: lat}}}
	e := extent{west: 117, south: 26, east: 118, north: 27}
	s, err := newScript(q, e, stmts, map[string]any{"lon": 117.25, "lat": 26.5})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\\set lon 117 + 0.79", "ST_Point(:lon, :lat, 4326)", "ANY(:s1p3);", "SELECT 1;"} {
		if !strings.Contains(s.text, want) {
			t.Errorf("script lacks %q:\n%s", want, s.text)
		}
	}
	if !slices.Equal(s.defines, []string{"s1p3={WORKSTATION}"}) {
		t.Errorf("defines = %v", s.defines)
	}
	if _, err := newScript(q, e, stmts[1:], map[string]any{"lon": 117.25, "lat": 26.5}); err == nil {
		t.Error("a variable that reaches no statement: want an error")
	}
}

func TestQuantileAndMedian(t *testing.T) {
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if got := quantile(d, 0.5); got != 5 {
		t.Errorf("p50 = %d, want 5", got)
	}
	if got := quantile(d, 0.99); got != 10 {
		t.Errorf("p99 = %d, want 10", got)
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median = %v, want 2", got)
	}
	if got := median([]float64{4, 1, 2, 3}); got != 2.5 {
		t.Errorf("median = %v, want 2.5", got)
	}
}

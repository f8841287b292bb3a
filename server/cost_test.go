package server_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// polygon is a closed ring of n vertices (the last repeats the first) around
// Sanming's centre, as a GeoJSON Polygon.
func polygon(n int) map[string]any {
	ring := make([][]float64, n)
	for i := range n - 1 {
		a := 2 * math.Pi * float64(i) / float64(n-1)
		// Four decimals (11 m), so that 10,000 vertices fit in a request body.
		ring[i] = []float64{math.Round((117.6+0.5*math.Cos(a))*1e4) / 1e4, math.Round((26.2+0.4*math.Sin(a))*1e4) / 1e4}
	}
	ring[n-1] = ring[0]
	return map[string]any{"type": "Polygon", "coordinates": [][][]float64{ring}}
}

// TestCostPricesWhatCosts: the attacks that passed the limits are refused
// with QUERY_TOO_COMPLEX before any SQL runs, in well under a second, while
// the README's and the map page's queries still pass. Before: 45 aliases of
// coverage at 200 km with coveredBy ran 34 s and took the process to 1.66 GB;
// 249 aliases of one 10,000-vertex polygon passed.
func TestCostPricesWhatCosts(t *testing.T) {
	h := newHandler(t, nil)
	aliases := func(n int, field func(i int) string) string {
		var b strings.Builder
		if strings.Contains(field(0), "$p") {
			b.WriteString("query($p: GeoJSON) ")
		}
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, " a%d: %s", i, field(i))
		}
		return b.String() + " }"
	}
	coveredBy := func(i int) string {
		return fmt.Sprintf("coverage(kinds: [WORKSTATION, LIAISON_GROUP, SECTOR_HALL], radiusMetres: %d) { townships { coveredBy { distanceMetres } } }", 200000-i)
	}
	within := func(int) string { return "platforms(within: $p, first: 1) { totalCount }" }
	worklist := func(int) string { return "uncoveredTownships(kinds: [WORKSTATION], first: 1) { totalCount }" }
	big := polygon(10_000)
	// A what-if with the most hypothetical platforms, and every covering one
	// listed for every township.
	var hs []string
	for i := range 100 {
		hs = append(hs, fmt.Sprintf("{kind: WORKSTATION, lon: %.2f, lat: %.2f}", 116.4+float64(i%10)*0.2, 25.6+float64(i/10)*0.15))
	}
	whatIf := func(i int) string {
		return fmt.Sprintf("coverage(kinds: [WORKSTATION], radiusMetres: %d, hypothetical: [%s]) { townships { coveredByHypothetical { index kind lon lat distanceMetres } } }",
			20000-i, strings.Join(hs, ", "))
	}
	cases := []struct {
		name, query string
		code        string
	}{
		{"45 coverages at 200 km with coveredBy", aliases(45, coveredBy), "QUERY_TOO_COMPLEX"},
		{"3 coverages at 200 km with coveredBy", aliases(3, coveredBy), "QUERY_TOO_COMPLEX"},
		{"1 coverage at 200 km with coveredBy", aliases(1, coveredBy), ""},
		{"249 uses of a 10,000-vertex polygon", aliases(249, within), "QUERY_TOO_COMPLEX"},
		{"one use of a 10,000-vertex polygon", aliases(1, within), ""},
		{"40 worklists", aliases(40, worklist), "QUERY_TOO_COMPLEX"},
		{"a what-if with 100 hypothetical platforms, all listed", aliases(1, whatIf), ""},
		{"2 what-ifs with 100 hypothetical platforms, all listed", aliases(2, whatIf), "QUERY_TOO_COMPLEX"},
		{"the map page's coverage", `{
			coverage(kinds: [WORKSTATION], radiusMetres: 50000) {
				totals { townships covered uncovered unknownPosition ratio }
				townships { township { code } status nearest { distanceMetres platform { id name kind } } } }
			uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 50000, first: 500) {
				totalCount nodes { township { code } nearest { distanceMetres platform { id name kind provenance } } } } }`, ""},
		{"the README's coverage", `{
			coverage(kinds: [WORKSTATION], radiusMetres: 5000) { definition
				totals { townships covered uncovered unknownPosition ratio }
				counties { county { name } totals { covered uncovered } areaRatio coveredAreaKm2 } }
			uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 5000, first: 10) {
				totalCount nodes { township { name county { name } } nearest { distanceMetres platform { name } } } }
			sectorCoverage { counties { county { name } servedCount } } }`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			var vars map[string]any
			if strings.Contains(c.query, "$p") {
				vars = map[string]any{"p": big}
			}
			r := post(t, h, c.query, vars)
			took := time.Since(start)
			if r.code() != c.code {
				t.Fatalf("code %q, want %q: %+v", r.code(), c.code, r.Errors)
			}
			if c.code != "" {
				t.Logf("refused in %s: %s", took, r.Errors[0].Message)
				if took > time.Second {
					t.Errorf("refused after %s: the limits run before any SQL", took)
				}
			}
		})
	}
}

// TestCostKeptByVariables: the cost of an operation that passed is kept by
// its document and variables, so the same document with other variables is
// priced again: three coverages with their covering platforms pass at 1 km,
// are refused at 200 km after that, and pass again at 1 km.
func TestCostKeptByVariables(t *testing.T) {
	h := newHandler(t, nil)
	const coverage = `coverage(kinds: [WORKSTATION, LIAISON_GROUP, SECTOR_HALL], radiusMetres: $r) { townships { coveredBy { distanceMetres } } }`
	query := "query($r: Float) { a: " + coverage + " b: " + coverage + " c: " + coverage + " }"
	for i, c := range []struct {
		r    float64
		code string
	}{
		{1000, ""}, {200000, "QUERY_TOO_COMPLEX"}, {1000, ""}, {200000, "QUERY_TOO_COMPLEX"}, {1000, ""},
	} {
		if r := post(t, h, query, map[string]any{"r": c.r}); r.code() != c.code {
			t.Errorf("request %d at %g m: code %q, want %q: %+v", i, c.r, r.code(), c.code, r.Errors)
		}
	}
}

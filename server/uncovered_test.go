package server_test

import (
	"net/http"
	"slices"
	"testing"

	"civicmap/db/dbtest"
)

type uncoveredPage struct {
	TotalCount int
	PageInfo   pageInfo
	Edges      []struct {
		Cursor string
		Node   townshipCoverage
	}
}

const uncoveredQuery = `query($kinds: [PlatformKind!]!, $r: Float, $county: String, $first: Int, $after: String) {
	uncoveredTownships(kinds: $kinds, radiusMetres: $r, countyCode: $county, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
		edges { cursor node { township { code name county { code } } status covered positionQuality boundaryQuality
			coveredBy { distanceMetres platform { id name kind status } }
			nearest { distanceMetres platform { id name kind status } } } } } }`

// walkUncovered pages through uncoveredTownships, first at a time, and returns
// every township in the order met, checking each page on the way.
func walkUncovered(t *testing.T, h http.Handler, kinds []string, radius float64, countyCode string, first int) (int, []townshipCoverage) {
	t.Helper()
	var all []townshipCoverage
	var after *string
	total := -1
	for n := 0; ; n++ {
		vars := map[string]any{"kinds": kinds, "r": radius, "county": orNull(countyCode), "first": first, "after": after}
		var d struct{ UncoveredTownships uncoveredPage }
		data(t, h, uncoveredQuery, vars, &d)
		p := d.UncoveredTownships
		if total >= 0 && p.TotalCount != total {
			t.Fatalf("page %d: totalCount %d, was %d", n, p.TotalCount, total)
		}
		total = p.TotalCount
		if p.PageInfo.HasPreviousPage != (after != nil) {
			t.Errorf("page %d: hasPreviousPage %v", n, p.PageInfo.HasPreviousPage)
		}
		for _, e := range p.Edges {
			all = append(all, e.Node)
		}
		if !p.PageInfo.HasNextPage {
			return total, all
		}
		if len(p.Edges) != first || *p.PageInfo.EndCursor != p.Edges[len(p.Edges)-1].Cursor {
			t.Fatalf("page %d: a full page ends with its last edge's cursor", n)
		}
		if n > 200 {
			t.Fatal("the pages do not end")
		}
		after = p.PageInfo.EndCursor
	}
}

// TestUncoveredTownships: the worklist holds exactly coverage's uncovered
// townships, farthest first then by code, each once whatever the page size,
// and never a township whose position is UNKNOWN.
func TestUncoveredTownships(t *testing.T) {
	h := newHandler(t, nil)
	cases := []struct {
		name   string
		kinds  []string
		radius float64
		county string
	}{
		{"workstations inside the cell", []string{"WORKSTATION"}, 0, ""},
		{"halls within 5 km", []string{"SECTOR_HALL"}, 5000, ""},
		{"workstations of 宁化县 inside the cell", []string{"WORKSTATION"}, 0, "350424"},
		{"halls of 永安市 within 5 km", []string{"SECTOR_HALL"}, 5000, "350481"},
		{"liaison groups: none", []string{"LIAISON_GROUP"}, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cov := getCoverage(t, h, c.kinds, c.radius, c.county)
			want := map[string]townshipCoverage{}
			for _, tc := range cov.Townships {
				if tc.Status == "UNCOVERED" {
					want[tc.Township.Code] = tc
				}
			}
			// Walking a page at a time costs a request a page: single rows
			// only through the short lists.
			sizes := []int{10, 500}
			if cov.Totals.Uncovered < 20 {
				sizes = []int{1, 500}
			}
			var none struct{ UncoveredTownships uncoveredPage }
			data(t, h, uncoveredQuery, map[string]any{"kinds": c.kinds, "r": c.radius, "county": orNull(c.county), "first": 0}, &none)
			if p := none.UncoveredTownships; p.TotalCount != cov.Totals.Uncovered || len(p.Edges) > 0 || p.PageInfo.HasNextPage != (p.TotalCount > 0) {
				t.Errorf("first=0: totalCount %d, %d edges, hasNextPage %v", p.TotalCount, len(p.Edges), p.PageInfo.HasNextPage)
			}
			for _, first := range sizes {
				total, got := walkUncovered(t, h, c.kinds, c.radius, c.county, first)
				if total != cov.Totals.Uncovered || len(got) != total {
					t.Fatalf("first=%d: totalCount %d, walked %d; coverage counts %d uncovered", first, total, len(got), cov.Totals.Uncovered)
				}
				seen := map[string]bool{}
				for i, tc := range got {
					code := tc.Township.Code
					if seen[code] {
						t.Errorf("first=%d: %s twice", first, code)
					}
					seen[code] = true
					if slices.Contains(unknownTownships, code) {
						t.Errorf("first=%d: %s, whose position is unknown, is listed", first, code)
					}
					if w, ok := want[code]; !ok || !sameCoverage(tc, w) {
						t.Errorf("first=%d: %s listed as %+v; coverage says %+v", first, code, tc, w)
					}
					checkTownship(t, tc, c.kinds, c.radius)
					if i > 0 && !farther(got[i-1], tc) {
						t.Errorf("first=%d: %s before %s is out of order", first, got[i-1].Township.Code, code)
					}
				}
			}
		})
	}
}

// orNull is a String variable: null for "".
func orNull(code string) any {
	if code == "" {
		return nil
	}
	return code
}

// farther reports whether a comes before b: farther from its nearest platform
// (none at all first), then by code.
func farther(a, b townshipCoverage) bool {
	switch {
	case (a.Nearest == nil) != (b.Nearest == nil):
		return a.Nearest == nil
	case a.Nearest != nil && a.Nearest.DistanceMetres != b.Nearest.DistanceMetres:
		return a.Nearest.DistanceMetres > b.Nearest.DistanceMetres
	}
	return a.Township.Code < b.Township.Code
}

// TestNoActiveHalls: with every hall closed, no township is covered by one,
// none has a nearest hall (the worklist pages through them by code), no area
// is covered and no county is served.
func TestNoActiveHalls(t *testing.T) {
	pool := dbtest.NewDB(t)
	if _, err := pool.Exec(t.Context(), `UPDATE platform SET status = 'CLOSED' WHERE kind = 'SECTOR_HALL'`); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, pool)
	kinds := []string{"SECTOR_HALL"}
	cov := getCoverage(t, h, kinds, 20000, "")
	if c := cov.Totals; c.Covered != 0 || c.Uncovered != 139 || c.UnknownPosition != 2 || c.Ratio == nil || *c.Ratio != 0 {
		t.Errorf("totals %+v, want 0 covered, 139 uncovered, 2 unknown, ratio 0", c)
	}
	total, got := walkUncovered(t, h, kinds, 20000, "", 50)
	if total != 139 || len(got) != 139 {
		t.Fatalf("totalCount %d, walked %d; want 139", total, len(got))
	}
	for i, tc := range got {
		if tc.Nearest != nil || i > 0 && tc.Township.Code <= got[i-1].Township.Code {
			t.Fatalf("%s: nearest %+v, or out of code order", tc.Township.Code, tc.Nearest)
		}
	}
	var d struct {
		Coverage struct {
			Counties []struct{ AreaRatio, CoveredAreaKm2 float64 }
		}
		SectorCoverage struct {
			Counties []struct{ ServedCount int }
		}
	}
	data(t, h, `{ coverage(kinds: [SECTOR_HALL], radiusMetres: 20000) { counties { areaRatio coveredAreaKm2 } }
		sectorCoverage { counties { servedCount } } }`, nil, &d)
	for _, c := range d.Coverage.Counties {
		if c.AreaRatio != 0 || c.CoveredAreaKm2 != 0 {
			t.Errorf("area covered with no hall: %+v", c)
		}
	}
	for _, c := range d.SectorCoverage.Counties {
		if c.ServedCount != 0 {
			t.Errorf("a county served with no hall: %+v", c)
		}
	}
}

package server_test

import (
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"civicmap/db/dbtest"
)

// The two townships whose position is UNKNOWN: 方田乡 (宁化县) and 青水畲族乡 (永安市).
var unknownTownships = []string{"350424204", "350481204"}

type platformDistance struct {
	DistanceMetres float64
	Platform       struct{ ID, Name, Kind, Status string }
}

type coverageCounts struct {
	Townships, Covered, Uncovered, UnknownPosition int
	Ratio                                          *float64
}

type townshipCoverage struct {
	Township struct {
		Code, Name string
		County     struct{ Code string }
	}
	Status          string
	Covered         bool
	PositionQuality string
	BoundaryQuality *string
	CoveredBy       []platformDistance
	Nearest         *platformDistance
}

type coverage struct {
	Kinds        []string
	RadiusMetres float64
	Definition   string
	Totals       coverageCounts
	Counties     []struct {
		County struct{ Code string }
		Totals coverageCounts
	}
	Townships []townshipCoverage
}

const coverageQuery = `query($kinds: [PlatformKind!]!, $r: Float, $county: String) {
	coverage(kinds: $kinds, radiusMetres: $r, countyCode: $county) {
		kinds radiusMetres definition
		totals { townships covered uncovered unknownPosition ratio }
		counties { county { code } totals { townships covered uncovered unknownPosition ratio } }
		townships { township { code name county { code } } status covered positionQuality boundaryQuality
			coveredBy { distanceMetres platform { id name kind status } }
			nearest { distanceMetres platform { id name kind status } } } } }`

// getCoverage asks for the coverage of kinds at radius, in county ("" for all).
func getCoverage(t *testing.T, h http.Handler, kinds []string, radius float64, county string) coverage {
	t.Helper()
	var d struct{ Coverage coverage }
	data(t, h, coverageQuery, map[string]any{"kinds": kinds, "r": radius, "county": orNull(county)}, &d)
	return d.Coverage
}

// TestCoverage: the counts of the examples, and the definition's rules
// checked township by township.
func TestCoverage(t *testing.T) {
	h := newHandler(t, nil)
	cases := []struct {
		name                        string
		kinds                       []string
		radius                      float64
		county                      string
		covered, uncovered, unknown int
	}{
		// The article's 49 workstations, all ACTIVE, sit in 46 townships.
		{"workstations inside the cell", []string{"WORKSTATION"}, 0, "", 46, 93, 2},
		{"workstations within 5 km", []string{"WORKSTATION"}, 5000, "", 84, 55, 2},
		{"workstations within 20 km", []string{"WORKSTATION"}, 20000, "", 139, 0, 2},
		{"liaison groups inside the cell", []string{"LIAISON_GROUP"}, 0, "", 139, 0, 2},
		{"halls inside the cell", []string{"SECTOR_HALL"}, 0, "", 15, 124, 2},
		{"halls within 5 km", []string{"SECTOR_HALL"}, 5000, "", 38, 101, 2},
		{"halls within 20 km", []string{"SECTOR_HALL"}, 20000, "", 124, 15, 2},
		{"workstations and halls inside the cell", []string{"WORKSTATION", "SECTOR_HALL"}, 0, "", 57, 82, 2},
		{"workstations of 宁化县 inside the cell", []string{"WORKSTATION"}, 0, "350424", 3, 12, 1},
		{"halls of 永安市 within 5 km", []string{"SECTOR_HALL"}, 5000, "350481", 6, 8, 1},
		{"workstations of 尤溪县 within 5 km", []string{"WORKSTATION"}, 5000, "350426", 6, 9, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cov := getCoverage(t, h, c.kinds, c.radius, c.county)
			got := cov.Totals
			if got.Covered != c.covered || got.Uncovered != c.uncovered || got.UnknownPosition != c.unknown {
				t.Errorf("covered %d, uncovered %d, unknown %d; want %d, %d, %d",
					got.Covered, got.Uncovered, got.UnknownPosition, c.covered, c.uncovered, c.unknown)
			}
			checkCoverage(t, cov, c.kinds, c.radius, c.county)
		})
	}
	// The seed reports every platform ACTIVE, as the article does: the test
	// stops two workstations itself, each the only one in its township.
	t.Run("SUSPENDED and CLOSED workstations cover nothing", func(t *testing.T) {
		pool := dbtest.NewDB(t)
		if _, err := pool.Exec(t.Context(), `UPDATE platform SET status = CASE external_id
			WHEN 'WS-0039' THEN 'SUSPENDED' ELSE 'CLOSED' END WHERE external_id IN ('WS-0038', 'WS-0039')`); err != nil {
			t.Fatal(err)
		}
		cov := getCoverage(t, newHandler(t, pool), []string{"WORKSTATION"}, 0, "")
		if c := cov.Totals; c.Covered != 44 || c.Uncovered != 95 {
			t.Errorf("covered %d, uncovered %d; want 44, 95", c.Covered, c.Uncovered)
		}
		for _, tc := range cov.Townships {
			if tc.Township.Code == "350430103" || tc.Township.Code == "350430205" { // 均口镇 (WS-0038), 黄埠乡 (WS-0039)
				if tc.Status != "UNCOVERED" || len(tc.CoveredBy) != 0 {
					t.Errorf("%s: %s, covered by %+v; want UNCOVERED", tc.Township.Code, tc.Status, tc.CoveredBy)
				}
			}
		}
	})
	t.Run("liaison groups: ratio 1, and the data gaps", func(t *testing.T) {
		cov := getCoverage(t, h, []string{"LIAISON_GROUP"}, 0, "")
		if r := cov.Totals.Ratio; r == nil || *r != 1 {
			t.Errorf("ratio %v, want 1", r)
		}
		var gaps []string
		for _, tc := range cov.Townships {
			if tc.Status == "UNKNOWN_POSITION" {
				gaps = append(gaps, tc.Township.Name)
			}
		}
		if !slices.Equal(gaps, []string{"方田乡", "青水畲族乡"}) {
			t.Errorf("data gaps %v, want 方田乡 and 青水畲族乡", gaps)
		}
	})
}

// checkCoverage checks what holds for any coverage answer.
func checkCoverage(t *testing.T, cov coverage, kinds []string, radius float64, county string) {
	t.Helper()
	if !slices.Equal(cov.Kinds, kinds) || cov.RadiusMetres != radius {
		t.Errorf("echoes kinds %v radius %v", cov.Kinds, cov.RadiusMetres)
	}
	if !strings.Contains(cov.Definition, "inside its cell") || !strings.Contains(cov.Definition, kinds[0]) {
		t.Errorf("definition: %s", cov.Definition)
	}
	checkCounts(t, "totals", cov.Totals)
	var sum coverageCounts
	for _, c := range cov.Counties {
		checkCounts(t, c.County.Code, c.Totals)
		sum.Townships += c.Totals.Townships
		sum.Covered += c.Totals.Covered
		sum.Uncovered += c.Totals.Uncovered
		sum.UnknownPosition += c.Totals.UnknownPosition
	}
	sum.Ratio = cov.Totals.Ratio
	if !sameCounts(sum, cov.Totals) {
		t.Errorf("the counties sum to %+v, the totals are %+v", sum, cov.Totals)
	}
	wantTownships, wantCounties := 141, 11
	if county != "" {
		wantCounties = 1
		wantTownships = cov.Counties[0].Totals.Townships
	}
	if len(cov.Counties) != wantCounties || len(cov.Townships) != wantTownships || cov.Totals.Townships != wantTownships {
		t.Errorf("%d counties, %d townships listed, %d counted", len(cov.Counties), len(cov.Townships), cov.Totals.Townships)
	}
	counted := map[string]int{}
	for i, tc := range cov.Townships {
		if i > 0 && tc.Township.Code <= cov.Townships[i-1].Township.Code {
			t.Errorf("townships not ordered by code at %s", tc.Township.Code)
		}
		if county != "" && tc.Township.County.Code != county {
			t.Errorf("%s is in county %s", tc.Township.Code, tc.Township.County.Code)
		}
		counted[tc.Status]++
		checkTownship(t, tc, kinds, radius)
	}
	if counted["COVERED"] != cov.Totals.Covered || counted["UNCOVERED"] != cov.Totals.Uncovered ||
		counted["UNKNOWN_POSITION"] != cov.Totals.UnknownPosition {
		t.Errorf("statuses %v disagree with the totals %+v", counted, cov.Totals)
	}
}

func checkCounts(t *testing.T, name string, c coverageCounts) {
	t.Helper()
	if c.Covered+c.Uncovered+c.UnknownPosition != c.Townships {
		t.Errorf("%s: %+v do not add up", name, c)
	}
	measured := c.Covered + c.Uncovered
	switch {
	case measured == 0 && c.Ratio != nil:
		t.Errorf("%s: ratio %v with no township measured", name, *c.Ratio)
	case measured > 0 && (c.Ratio == nil || math.Abs(*c.Ratio-float64(c.Covered)/float64(measured)) > 1e-12):
		t.Errorf("%s: ratio %v, want %d/%d", name, c.Ratio, c.Covered, measured)
	}
}

// checkTownship checks the definition on one township: covered ⇔ a covering
// platform ⇔ nearest within the radius; UNKNOWN has no cell and no distances.
func checkTownship(t *testing.T, tc townshipCoverage, kinds []string, radius float64) {
	t.Helper()
	code := tc.Township.Code + " " + tc.Township.Name
	unknown := slices.Contains(unknownTownships, tc.Township.Code)
	switch {
	case unknown != (tc.Status == "UNKNOWN_POSITION"):
		t.Errorf("%s: status %s", code, tc.Status)
	case unknown:
		if tc.PositionQuality != "UNKNOWN" || tc.BoundaryQuality != nil || tc.Nearest != nil || len(tc.CoveredBy) > 0 || tc.Covered {
			t.Errorf("%s: a data gap with %+v", code, tc)
		}
		return
	}
	if tc.BoundaryQuality == nil || *tc.BoundaryQuality != "APPROXIMATE" {
		t.Errorf("%s: boundary quality %v", code, tc.BoundaryQuality)
	}
	if tc.Covered != (tc.Status == "COVERED") || tc.Covered != (len(tc.CoveredBy) > 0) {
		t.Errorf("%s: status %s, covered %v, %d covering platforms", code, tc.Status, tc.Covered, len(tc.CoveredBy))
	}
	if tc.Nearest == nil {
		t.Fatalf("%s: no nearest platform", code)
	}
	if (tc.Nearest.DistanceMetres > radius) != (tc.Status == "UNCOVERED") {
		t.Errorf("%s: %s with the nearest platform at %v m, radius %v", code, tc.Status, tc.Nearest.DistanceMetres, radius)
	}
	for i, p := range append([]platformDistance{*tc.Nearest}, tc.CoveredBy...) {
		if !slices.Contains(kinds, p.Platform.Kind) || p.Platform.Status != "ACTIVE" || p.DistanceMetres < 0 {
			t.Errorf("%s: counts %+v", code, p)
		}
		if i > 0 && p.DistanceMetres > radius {
			t.Errorf("%s: covered by %s at %v m, radius %v", code, p.Platform.Name, p.DistanceMetres, radius)
		}
		if i > 1 && p.DistanceMetres < tc.CoveredBy[i-2].DistanceMetres {
			t.Errorf("%s: covering platforms not nearest first", code)
		}
	}
	if tc.Covered && tc.CoveredBy[0] != *tc.Nearest {
		t.Errorf("%s: nearest %+v, first covering %+v", code, *tc.Nearest, tc.CoveredBy[0])
	}
}

// TestCoverageGrowsWithRadius: a township covered at a radius stays covered at a
// larger one, and its nearest platform does not depend on the radius.
func TestCoverageGrowsWithRadius(t *testing.T) {
	h := newHandler(t, nil)
	for _, kinds := range [][]string{{"WORKSTATION"}, {"SECTOR_HALL"}, {"WORKSTATION", "SECTOR_HALL"}} {
		var prev *coverage
		for _, r := range []float64{0, 5000, 20000} {
			cov := getCoverage(t, h, kinds, r, "")
			if prev != nil {
				if cov.Totals.Covered < prev.Totals.Covered {
					t.Errorf("%v: %d covered at %v m, %d at a smaller radius", kinds, cov.Totals.Covered, r, prev.Totals.Covered)
				}
				for i, tc := range cov.Townships {
					was := prev.Townships[i]
					if was.Covered && !tc.Covered {
						t.Errorf("%v: %s covered at a smaller radius, not at %v m", kinds, tc.Township.Code, r)
					}
					if (was.Nearest == nil) != (tc.Nearest == nil) || tc.Nearest != nil && *tc.Nearest != *was.Nearest {
						t.Errorf("%v: %s: the nearest platform changes with the radius", kinds, tc.Township.Code)
					}
				}
			}
			prev = &cov
		}
	}
}

// TestCoverageNarrowsByCounty: a county's coverage is the city's, cut to it.
func TestCoverageNarrowsByCounty(t *testing.T) {
	h := newHandler(t, nil)
	kinds := []string{"SECTOR_HALL"}
	city := getCoverage(t, h, kinds, 5000, "")
	for _, county := range []string{"350424", "350481", "350404"} {
		cov := getCoverage(t, h, kinds, 5000, county)
		var want []townshipCoverage
		for _, tc := range city.Townships {
			if tc.Township.County.Code == county {
				want = append(want, tc)
			}
		}
		if len(want) == 0 || !slices.EqualFunc(cov.Townships, want, sameCoverage) {
			t.Errorf("%s: the county's coverage is not the city's cut to it", county)
		}
		for _, c := range city.Counties {
			if c.County.Code == county && !sameCounts(c.Totals, cov.Totals) {
				t.Errorf("%s: totals %+v, in the city's answer %+v", county, cov.Totals, c.Totals)
			}
		}
	}
}

func sameCounts(a, b coverageCounts) bool {
	ra, rb := a.Ratio, b.Ratio
	a.Ratio, b.Ratio = nil, nil
	return a == b && (ra == nil) == (rb == nil) && (ra == nil || *ra == *rb)
}

func sameCoverage(a, b townshipCoverage) bool {
	return a.Township.Code == b.Township.Code && a.Status == b.Status &&
		slices.Equal(a.CoveredBy, b.CoveredBy) && (a.Nearest == nil) == (b.Nearest == nil) &&
		(a.Nearest == nil || *a.Nearest == *b.Nearest)
}

// TestCoverageAgainstPostGIS checks the answers against plain PostGIS: the
// townships covered at radius 0 are those whose cell contains a platform, and
// each nearest distance is geography's ST_Distance from the cell (which
// coverage does not use) to within a metre.
func TestCoverageAgainstPostGIS(t *testing.T) {
	pool := dbtest.NewDB(t)
	h := newHandler(t, pool)
	for _, kind := range []string{"WORKSTATION", "SECTOR_HALL"} {
		rows, err := pool.Query(t.Context(), `SELECT t.code,
			bool_or(ST_Intersects(t.boundary, p.location)) AS inside,
			min(ST_Distance(t.boundary::geography, p.location::geography)) AS metres
			FROM township t, platform p
			WHERE t.boundary IS NOT NULL AND p.kind = $1 AND p.status = 'ACTIVE' AND p.location IS NOT NULL
			GROUP BY t.code`, kind)
		if err != nil {
			t.Fatal(err)
		}
		inside := map[string]bool{}
		metres := map[string]float64{}
		for rows.Next() {
			var code string
			var in bool
			var m float64
			if err := rows.Scan(&code, &in, &m); err != nil {
				t.Fatal(err)
			}
			inside[code], metres[code] = in, m
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		cov := getCoverage(t, h, []string{kind}, 0, "")
		for _, tc := range cov.Townships {
			code := tc.Township.Code
			if tc.Status == "UNKNOWN_POSITION" {
				continue
			}
			if tc.Covered != inside[code] {
				t.Errorf("%s %s: covered %v, a platform inside the cell %v", kind, code, tc.Covered, inside[code])
			}
			if d := math.Abs(tc.Nearest.DistanceMetres - metres[code]); d > 1 {
				t.Errorf("%s %s: nearest at %v m, ST_Distance on geography %v m", kind, code, tc.Nearest.DistanceMetres, metres[code])
			}
		}
	}
}

package server_test

import (
	"math"
	"net/http"
	"testing"

	"civicmap/db/dbtest"
)

type countyArea struct {
	County struct {
		Code    string
		AreaKm2 float64
	}
	AreaRatio, CoveredAreaKm2 float64
}

const areaQuery = `query($kinds: [PlatformKind!]!, $r: Float, $county: String) {
	coverage(kinds: $kinds, radiusMetres: $r, countyCode: $county) {
		counties { county { code areaKm2 } areaRatio coveredAreaKm2 } } }`

// getAreas asks for the covered areas of the counties.
func getAreas(t *testing.T, h http.Handler, vars map[string]any) []countyArea {
	t.Helper()
	var d struct {
		Coverage struct{ Counties []countyArea }
	}
	data(t, h, areaQuery, vars, &d)
	return d.Coverage.Counties
}

// TestCoveredArea: no area at radius 0, more at each larger radius, never more
// than the county, all of it at 200 km, and one county's answer is the one it
// gets in the city's answer, since platforms across its border count.
func TestCoveredArea(t *testing.T) {
	h := newHandler(t, nil)
	kinds := []string{"WORKSTATION"}
	var prev []countyArea
	for _, r := range []float64{0, 5000, 20000, 200000} {
		counties := getAreas(t, h, map[string]any{"kinds": kinds, "r": r})
		if len(counties) != 11 {
			t.Fatalf("%d counties", len(counties))
		}
		for i, c := range counties {
			code := c.County.Code
			switch {
			case c.AreaRatio < 0 || c.AreaRatio > 1:
				t.Errorf("r=%v %s: area ratio %v", r, code, c.AreaRatio)
			case r == 0 && (c.AreaRatio != 0 || c.CoveredAreaKm2 != 0):
				t.Errorf("r=0 %s: %+v, want no area", code, c)
			case r == 200000 && c.AreaRatio < 0.999:
				t.Errorf("r=200 km %s: area ratio %v, want all of it", code, c.AreaRatio)
			case prev != nil && r <= 20000 && c.AreaRatio <= prev[i].AreaRatio:
				t.Errorf("r=%v %s: area ratio %v, not more than %v at a smaller radius", r, code, c.AreaRatio, prev[i].AreaRatio)
			}
			// The county's own areaKm2 comes from the source; ours is measured
			// on the spheroid: they agree to 0.1 km².
			if want := c.AreaRatio * c.County.AreaKm2; math.Abs(c.CoveredAreaKm2-want) > 0.001*c.County.AreaKm2 {
				t.Errorf("r=%v %s: %v km² covered, %v of %v km²", r, code, c.CoveredAreaKm2, c.AreaRatio, c.County.AreaKm2)
			}
		}
		if r == 20000 {
			for _, c := range counties {
				got := getAreas(t, h, map[string]any{"kinds": kinds, "r": r, "county": c.County.Code})
				if len(got) != 1 || math.Abs(got[0].AreaRatio-c.AreaRatio) > 1e-9 {
					t.Errorf("%s alone: %+v; in the city's answer %+v", c.County.Code, got, c)
				}
			}
		}
		prev = counties
	}
}

// TestCoveredAreaAgainstGrid checks one county against a sample: points every
// 0.01° inside it, weighted by the cosine of their latitude (a cell of the grid
// shrinks with it), covered when geography's ST_DWithin finds a platform.
func TestCoveredAreaAgainstGrid(t *testing.T) {
	pool := dbtest.NewDB(t)
	h := newHandler(t, pool)
	const county, radius = "350426", 10000.0 // 尤溪县, a third of it within reach of a workstation
	got := getAreas(t, h, map[string]any{"kinds": []string{"WORKSTATION"}, "r": radius, "county": county})[0].AreaRatio
	var sample float64
	err := pool.QueryRow(t.Context(), `WITH c AS (SELECT boundary FROM county WHERE code = $1),
		grid AS (
			SELECT ST_SetSRID(ST_MakePoint(x, y), 4326) AS pt
			FROM c, generate_series(ST_XMin(c.boundary)::numeric, ST_XMax(c.boundary)::numeric, 0.01) x,
				generate_series(ST_YMin(c.boundary)::numeric, ST_YMax(c.boundary)::numeric, 0.01) y
		)
		SELECT sum(cos(radians(ST_Y(pt))) * (EXISTS (SELECT FROM platform p
				WHERE p.kind = 'WORKSTATION' AND p.status = 'ACTIVE' AND p.location IS NOT NULL
				AND ST_DWithin(p.location::geography, pt::geography, $2)))::int) / sum(cos(radians(ST_Y(pt))))
		FROM grid, c WHERE ST_Intersects(c.boundary, pt)`, county, radius).Scan(&sample)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s at %v m: area ratio %.4f, grid sample %.4f", county, radius, got, sample)
	if got < 0.2 || got > 0.8 {
		t.Errorf("area ratio %v: pick a radius that covers part of the county", got)
	}
	if math.Abs(got-sample) > 0.01 {
		t.Errorf("area ratio %.4f, the grid sample says %.4f", got, sample)
	}
}

package server_test

import (
	"net/http"
	"testing"

	"civicmap/db/dbtest"
)

// countingHandler returns a handler over a fresh database whose round trips
// the returned tracer counts.
func countingHandler(t *testing.T) (http.Handler, *tracer) {
	t.Helper()
	tr := &tracer{}
	return newHandler(t, tracedPool(t, dbtest.NewConnString(t), tr)), tr
}

// TestNestedFieldsAreBatched: a page of platforms with their townships,
// counties, organisers, sectors and the townships' own platforms costs the same
// number of round trips whether the page holds 1 platform or all 207.
func TestNestedFieldsAreBatched(t *testing.T) {
	h, tr := countingHandler(t)
	const query = `query($first: Int) { platforms(first: $first) { totalCount nodes {
		name organiser { name county { name } } sector { name }
		township { name county { name } platforms { totalCount nodes { name } } }
		county { name } } } }`
	trips := map[int]int64{}
	for _, first := range []int{1, 10, 207} {
		tr.reset()
		var d struct {
			Platforms struct {
				TotalCount int
				Nodes      []struct{ Name string }
			}
		}
		data(t, h, query, map[string]any{"first": first}, &d)
		if len(d.Platforms.Nodes) != first {
			t.Fatalf("first=%d: got %d platforms", first, len(d.Platforms.Nodes))
		}
		trips[first] = tr.trips.Load()
	}
	t.Logf("round trips by page size: %v", trips)
	// One batch for the page and its count, then one query per nested field
	// (organiser, sector, township, county, township platforms) — each
	// batched; and the data version when the page is costly enough for its
	// answer to be kept (answers.go).
	const most = 7
	for first, n := range trips {
		if n > most {
			t.Errorf("first=%d: %d round trips, want at most %d whatever the page size", first, n, most)
		}
	}
}

// TestCoverageIsBatched: the coverage of every township, with its platforms'
// nested fields and the covered areas, costs a few round trips, the same for
// one county as for all, and none per township.
func TestCoverageIsBatched(t *testing.T) {
	h, tr := countingHandler(t)
	const query = `query($county: String) { coverage(kinds: [WORKSTATION, SECTOR_HALL], radiusMetres: 20000, countyCode: $county) {
		counties { county { name } areaRatio coveredAreaKm2 }
		townships { township { name county { name } }
			coveredBy { distanceMetres platform { name organiser { name } sector { name } township { name county { name } } } }
			status nearest { platform { name organiser { name } township { name } } } } } }`
	for _, c := range []struct {
		county    any
		townships int
	}{{nil, 141}, {"350424", 16}} {
		tr.reset()
		var d struct {
			Coverage struct{ Townships []struct{ Status string } }
		}
		data(t, h, query, map[string]any{"county": c.county}, &d)
		if len(d.Coverage.Townships) != c.townships {
			t.Fatalf("county %v: %d townships, want %d", c.county, len(d.Coverage.Townships), c.townships)
		}
		n := tr.trips.Load()
		t.Logf("county %v: %d round trips", c.county, n)
		// The data version (for the answer and coverage caches), the county
		// check, one batch for the counties and the coverage, the platforms,
		// the areas, then one query per nested field (organiser, sector;
		// townships and counties outside the county), each batched.
		const most = 9
		if n > most {
			t.Errorf("county %v: %d round trips, want at most %d", c.county, n, most)
		}
	}
}

// TestSpatialQueriesAreBatched: nearestPlatforms with nested fields costs the
// same number of round trips for 1 platform or 100, and locate answers its
// county, township and nearest platforms in one.
func TestSpatialQueriesAreBatched(t *testing.T) {
	h, tr := countingHandler(t)
	const nested = `query($limit: Int) { nearestPlatforms(lon: 117.6, lat: 26.2, limit: $limit) { distanceMetres
		platform { name organiser { name } sector { name } township { name county { name } } county { name } } } }`
	for _, limit := range []int{1, 10, 100} {
		tr.reset()
		var d struct {
			NearestPlatforms []struct{ DistanceMetres float64 }
		}
		data(t, h, nested, map[string]any{"limit": limit}, &d)
		if len(d.NearestPlatforms) != limit {
			t.Fatalf("limit=%d: got %d platforms", limit, len(d.NearestPlatforms))
		}
		// The query, then one per nested field: organiser, sector, township, county.
		if n, most := tr.trips.Load(), int64(5); n > most {
			t.Errorf("nearestPlatforms(limit: %d): %d round trips, want at most %d", limit, n, most)
		}
	}
	tr.reset()
	var d struct{ Locate struct{ Message string } }
	data(t, h, `{ locate(lon: 117.125, lat: 25.735) { message county { name } township { name }
		nearest { distanceMetres platform { name } } } }`, nil, &d)
	if n := tr.trips.Load(); n != 1 {
		t.Errorf("locate: %d round trips, want 1", n)
	}
}

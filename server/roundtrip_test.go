package server_test

import (
	"testing"

	"civicmap/db/dbtest"
)

// TestNestedFieldsAreBatched: a page of platforms with their townships,
// counties, organisers, sectors and the townships' own platforms costs the same
// number of round trips whether the page holds 1 platform or all 207.
func TestNestedFieldsAreBatched(t *testing.T) {
	tr := &tracer{}
	h := newHandler(t, tracedPool(t, dbtest.NewConnString(t), tr))
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
	// (organiser, sector, township, county, township platforms) — each batched.
	const most = 6
	for first, n := range trips {
		if n > most {
			t.Errorf("first=%d: %d round trips, want at most %d whatever the page size", first, n, most)
		}
	}
}

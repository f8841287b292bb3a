package server_test

import (
	"net/http"
	"testing"

	"civicmap/db/dbtest"
)

// TestCoverageIsCachedByDataVersion: two servers over one database answer a
// repeated coverage question from memory, with one round trip for the data
// version; a write made by hand in SQL changes the version, and both then
// answer from the new data.
func TestCoverageIsCachedByDataVersion(t *testing.T) {
	pool := dbtest.NewDB(t)
	const query = `{ uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 5000, first: 200) {
		totalCount nodes { township { code name } } } }`
	type answer struct {
		UncoveredTownships struct {
			TotalCount int
			Nodes      []struct{ Township struct{ Code, Name string } }
		}
	}
	var servers [2]struct {
		h  http.Handler
		tr *tracer
	}
	for i := range servers {
		servers[i].tr = &tracer{}
		servers[i].h = newHandler(t, tracedPool(t, pool.Config().ConnString(), servers[i].tr))
	}
	ask := func(i int) (answer, int64) {
		t.Helper()
		servers[i].tr.reset()
		var a answer
		data(t, servers[i].h, query, nil, &a)
		return a, servers[i].tr.trips.Load()
	}
	for i := range servers {
		first, cold := ask(i)
		again, warm := ask(i)
		if first.UncoveredTownships.TotalCount != 55 || again.UncoveredTownships.TotalCount != 55 {
			t.Fatalf("server %d: %d then %d uncovered, want 55", i, first.UncoveredTownships.TotalCount, again.UncoveredTownships.TotalCount)
		}
		if warm != 1 || cold < 2 {
			t.Errorf("server %d: %d round trips cold, %d warm; want the warm one to read only the data version", i, cold, warm)
		}
	}
	// 溪源乡 heads the worklist, 16.4 km from any workstation: open one
	// inside its cell, by hand in SQL.
	worst := func() string {
		a, _ := ask(0)
		return a.UncoveredTownships.Nodes[0].Township.Code
	}()
	_, err := pool.Exec(t.Context(), `INSERT INTO platform (external_id, kind, name, organiser_code, township_code, host_name,
			host_type, location, position_quality, provenance, source_note)
		SELECT 'CACHE-TEST', kind, 'cache test', organiser_code, $1, host_name, host_type,
			(SELECT ST_PointOnSurface(boundary) FROM township WHERE code = $1), 'APPROXIMATE', 'ILLUSTRATIVE', 'test'
		FROM platform WHERE kind = 'WORKSTATION' AND organiser_code = '350400' LIMIT 1`, worst)
	if err != nil {
		t.Fatal(err)
	}
	for i := range servers {
		a, _ := ask(i)
		for _, n := range a.UncoveredTownships.Nodes {
			if n.Township.Code == worst {
				t.Errorf("server %d: %s is still uncovered after a workstation moved into it", i, worst)
			}
		}
		if n := a.UncoveredTownships.TotalCount; n != 54 {
			t.Errorf("server %d: %d uncovered after the new workstation, want 54", i, n)
		}
	}
}

package server_test

import (
	"bytes"
	"testing"

	"civicmap/db/dbtest"
)

// TestAnswersAreKeptByDataVersion: a costly query asked again is answered from
// memory, the same data for one round trip (the data version), until a write
// made by hand in SQL changes the version. Answers with errors run every
// time, and cheap queries pay no round trip for the version.
func TestAnswersAreKeptByDataVersion(t *testing.T) {
	pool := dbtest.NewDB(t)
	tr := &tracer{}
	h := newHandler(t, tracedPool(t, pool.Config().ConnString(), tr))
	const worklist = `{ uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 5000, first: 200) { totalCount } }`
	ask := func(auth, query string) (result, int64) {
		t.Helper()
		tr.reset()
		return postAuth(t, h, auth, query, nil), tr.trips.Load()
	}
	first, cold := ask("", worklist)
	again, warm := ask("", worklist)
	if !bytes.Equal(first.Data, again.Data) || warm != 1 || cold < 2 {
		t.Errorf("worklist: %s in %d round trips, then %s in %d; want the same answer, the second for the data version alone",
			first.Data, cold, again.Data, warm)
	}
	const cheap = `{ county(code: "350481") { name } }`
	for range 2 {
		if _, trips := ask("", cheap); trips != 1 {
			t.Errorf("a cheap query: %d round trips, want its own one only", trips)
		}
	}
	const unknown = `{ coverage(kinds: [WORKSTATION], countyCode: "350499") { totals { covered } } }`
	for range 2 {
		if r, trips := ask("", unknown); r.code() != "NOT_FOUND" || trips < 2 {
			t.Errorf("an unknown county: %q in %d round trips, want NOT_FOUND from a query run each time", r.code(), trips)
		}
	}
	// A workstation opened by hand inside the worklist's first township.
	if _, err := pool.Exec(t.Context(), `INSERT INTO platform (external_id, kind, name, organiser_code, township_code,
			host_name, host_type, location, position_quality, provenance, source_note)
		SELECT 'ANSWER-TEST', 'WORKSTATION', 'answer test', '350400', t.code, 'host', 'PUBLIC_UNIT',
			ST_PointOnSurface(t.boundary), 'APPROXIMATE', 'ILLUSTRATIVE', 'test'
		FROM township t JOIN township_nearest n ON n.township_code = t.code AND n.kind = 'WORKSTATION'
		ORDER BY n.metres DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if after, trips := ask("", worklist); bytes.Equal(after.Data, first.Data) || trips < 2 {
		t.Errorf("after a workstation opened in an uncovered township: %s in %d round trips, want a new answer", after.Data, trips)
	}
}

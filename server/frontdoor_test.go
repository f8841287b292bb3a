package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"civicmap/db/dbtest"
	"civicmap/graph/relay"
)

// TestOneFrontDoor: the same bad value gets the same code and message through
// GraphQL and through the REST paths. Before, an unknown county was NOT_FOUND
// through GraphQL and BAD_USER_INPUT through /geojson.
func TestOneFrontDoor(t *testing.T) {
	h := newHandler(t, nil)
	cases := []struct {
		name, query, path, code, message string
	}{
		{"unknown county", `{ townshipFeatures(countyCode: "350499") }`, "/geojson/townships?county=350499",
			"NOT_FOUND", "no county-level unit of Sanming has code 350499"},
		{"malformed county", `{ platformFeatures(filter: {countyCode: "3504"}) }`, "/geojson/platforms?county=3504",
			"BAD_USER_INPUT", `"3504" is not a 6-digit county code such as 350481`},
		{"unknown county of platforms", `{ platformFeatures(filter: {countyCode: "350499"}) }`, "/geojson/platforms?county=350499",
			"NOT_FOUND", "no county-level unit of Sanming has code 350499"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(t, h, c.query, nil)
			wantError(t, r, c.code, "", c.message)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
			var e struct{ Error, Code string }
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("%s: status %d, body not JSON: %s", c.path, rec.Code, rec.Body)
			}
			if e.Code != c.code || !strings.Contains(e.Error, c.message) {
				t.Errorf("%s: %d %s %q; GraphQL said %s %q", c.path, rec.Code, e.Code, e.Error, r.code(), r.Errors[0].Message)
			}
		})
	}
}

// TestGlobalIDsAgree: the platform IDs PostgreSQL writes into the map layers
// (db/tile.go's platformGlobalID) are relay.PlatformID's, the IDs GraphQL
// gives and takes.
func TestGlobalIDsAgree(t *testing.T) {
	pool := dbtest.NewDB(t)
	h := newHandler(t, pool)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/geojson/platforms", nil))
	var fc struct{ Features []struct{ ID string } }
	if err := json.Unmarshal(rec.Body.Bytes(), &fc); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(t.Context(), `SELECT id FROM platform WHERE deleted_at IS NULL AND location IS NOT NULL ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		want[relay.PlatformID(id)] = true
	}
	if len(fc.Features) == 0 || len(fc.Features) != len(want) {
		t.Fatalf("%d features, %d platforms with a position", len(fc.Features), len(want))
	}
	for _, f := range fc.Features {
		if !want[f.ID] {
			t.Errorf("feature id %q is no relay.PlatformID", f.ID)
		}
	}
}

package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db/dbtest"
	"civicmap/db/synth"
)

// nationwide returns the package's one database of nationwide size (see
// synth.Nationwide), built the first time a test asks; tests only read it.
func nationwide(t testing.TB) *pgxpool.Pool {
	return dbtest.Shared(t, "nationwide", func(ctx context.Context, pool *pgxpool.Pool) error {
		if err := dbtest.Migrate(ctx, pool); err != nil {
			return err
		}
		_, err := synth.Load(ctx, pool, synth.Nationwide)
		return err
	})
}

// nationwideCounty is a synthetic county around Sanming's own coordinates, so
// that one set of query points serves both datasets.
const nationwideCounty = "100610"

// spatialQueries are the spatial and coverage queries, with their variables for
// each dataset: what the benchmarks time and the plan test checks.
var spatialQueries = []struct {
	name, query string
}{
	{"near", `query($county: String) { platforms(near: {lon: 117.62, lat: 26.26, radiusMetres: 10000}, first: 50) {
		totalCount edges { distanceMetres node { name kind } } } }`},
	{"nearest", `query($county: String) { nearestPlatforms(lon: 117.62, lat: 26.26, limit: 10) {
		distanceMetres platform { name kind } } }`},
	{"within", `query($county: String) { platforms(within: {type: "Polygon", coordinates: [[[117.5, 26.1], [117.8, 26.1], [117.8, 26.4], [117.5, 26.4], [117.5, 26.1]]]}, first: 50) {
		totalCount nodes { name } } }`},
	{"bbox", `query($county: String) { platforms(bbox: {west: 117.5, south: 26.1, east: 117.8, north: 26.4}, first: 50) {
		totalCount nodes { name } } }`},
	{"locate", `query($county: String) { locate(lon: 117.62, lat: 26.26) {
		county { name } township { name } nearest { distanceMetres platform { name } } message } }`},
	{"coverage_county", `query($county: String) { coverage(kinds: [WORKSTATION], radiusMetres: 5000, countyCode: $county) {
		totals { covered uncovered unknownPosition ratio } townships { status nearest { distanceMetres } } } }`},
	{"uncovered_county", `query($county: String) { uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 2000, countyCode: $county) {
		totalCount nodes { township { name } nearest { distanceMetres } } } }`},
}

// TestSpatialPlansUseIndexes runs each spatial query at nationwide size and
// EXPLAINs every statement it sent: none may read platform or township cells
// with a sequential scan.
func TestSpatialPlansUseIndexes(t *testing.T) {
	pool := nationwide(t)
	tr := &tracer{}
	h := newHandler(t, tracedPool(t, pool.Config().ConnString(), tr))
	for _, q := range spatialQueries {
		t.Run(q.name, func(t *testing.T) {
			tr.reset()
			var v any
			data(t, h, q.query, map[string]any{"county": nationwideCounty}, &v)
			for _, s := range tr.statements() {
				plan := explain(t, pool, s)
				if scans := seqScans(plan, "platform", "township"); len(scans) > 0 {
					t.Errorf("sequential scan on %v in\n%s\nplan: %s", scans, s.SQL, plan)
				}
			}
		})
	}
}

// explain returns the JSON plan of s with its arguments.
func explain(t *testing.T, pool *pgxpool.Pool, s statement) json.RawMessage {
	t.Helper()
	var plan json.RawMessage
	if err := pool.QueryRow(t.Context(), "EXPLAIN (FORMAT JSON) "+s.SQL, s.Args...).Scan(&plan); err != nil {
		t.Fatalf("explain %s: %v", s.SQL, err)
	}
	return plan
}

// seqScans returns the tables among tables that plan reads by a sequential scan.
func seqScans(plan json.RawMessage, tables ...string) []string {
	var found []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["Node Type"] == "Seq Scan" {
				for _, tb := range tables {
					if v["Relation Name"] == tb {
						found = append(found, fmt.Sprintf("%s (%v)", tb, v["Alias"]))
					}
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	var v any
	if err := json.Unmarshal(plan, &v); err == nil {
		walk(v)
	}
	return found
}


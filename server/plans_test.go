package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
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
	{"near", `{ platforms(near: {lon: 117.62, lat: 26.26, radiusMetres: 30000}, first: 50) {
		totalCount edges { distanceMetres node { name kind } } } }`},
	{"nearest", `{ nearestPlatforms(lon: 117.62, lat: 26.26, limit: 10) {
		distanceMetres platform { name kind } } }`},
	{"within", `{ platforms(within: {type: "Polygon", coordinates: [[[117.3, 26.0], [117.9, 26.0], [117.9, 26.5], [117.3, 26.5], [117.3, 26.0]]]}, first: 50) {
		totalCount nodes { name } } }`},
	{"bbox", `{ platforms(bbox: {west: 117.3, south: 26.0, east: 117.9, north: 26.5}, first: 50) {
		totalCount nodes { name } } }`},
	{"locate", `{ locate(lon: 117.62, lat: 26.26) {
		county { name } township { name } nearest { distanceMetres platform { name } } message } }`},
	{"coverage_county", `query($county: String) { coverage(kinds: [WORKSTATION], radiusMetres: 5000, countyCode: $county) {
		totals { covered uncovered unknownPosition ratio } townships { status nearest { distanceMetres } } } }`},
	{"covered_area_county", `query($county: String) { coverage(kinds: [WORKSTATION], radiusMetres: 5000, countyCode: $county) {
		counties { county { name } areaRatio coveredAreaKm2 } } }`},
	{"sector_coverage_county", `query($county: String) { sectorCoverage(countyCode: $county) {
		counties { servedCount sectors { sector { code } served halls { name } } } } }`},
	{"uncovered_county", `query($county: String) { uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 2000, countyCode: $county) {
		totalCount nodes { township { name } nearest { distanceMetres } } } }`},
}

// TestSpatialPlansUseIndexes runs each spatial query and map read at nationwide size and
// EXPLAINs every statement it sent: none may read platforms or township cells
// by a sequential scan in the plan made for its arguments. pgx prepares its
// statements, and after five runs PostgreSQL may switch to a generic plan, made
// without the arguments; it does so only when that plan costs no more than the
// custom ones, so a generic plan that scans sequentially must cost more.
func TestSpatialPlansUseIndexes(t *testing.T) {
	pool := nationwide(t)
	tr := &tracer{}
	h := newHandler(t, tracedPool(t, pool.Config().ConnString(), tr))
	conn, err := pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, q := range spatialQueries {
		t.Run(q.name, func(t *testing.T) {
			tr.reset()
			var v any
			data(t, h, q.query, map[string]any{"county": nationwideCounty}, &v)
			checkPlans(t, conn.Conn(), tr)
		})
	}
	for _, path := range mapPaths {
		t.Run(path, func(t *testing.T) {
			tr.reset()
			if rec := get(t, h, path); rec.Code != 200 {
				t.Fatalf("%s: status %d: %.300s", path, rec.Code, rec.Body)
			}
			checkPlans(t, conn.Conn(), tr)
		})
	}
}

// mapPaths are the map's read endpoints: tiles over the city's centre, and
// the GeoJSON layers of one county.
var mapPaths = []string{
	"/tiles.json",
	"/tiles/8/211/108.mvt",
	"/tiles/12/3386/1738.mvt",
	"/geojson/platforms?county=" + nationwideCounty,
	"/geojson/townships?simplify=100&county=" + nationwideCounty,
}

// checkPlans EXPLAINs every statement tr recorded.
func checkPlans(t *testing.T, conn *pgx.Conn, tr *tracer) {
	t.Helper()
	for _, s := range tr.statements() {
		if transactionControl(s.SQL) {
			continue // BEGIN and COMMIT around a snapshot read have no plan
		}
		custom, generic := plans(t, conn, s)
		if scans := seqScans(custom, "platform", "township"); len(scans) > 0 {
			t.Errorf("sequential scan on %v in\n%s\nplan: %s", scans, s.SQL, custom)
		}
		if scans := seqScans(generic, "platform", "township"); len(scans) > 0 && cost(generic) <= cost(custom) {
			t.Errorf("the generic plan scans %v sequentially and costs %.0f, no more than the custom plan's %.0f:\n%s\nplan: %s",
				scans, cost(generic), cost(custom), s.SQL, generic)
		}
	}
}

// plans returns the JSON plans of s: the custom plan for its arguments, and the
// generic plan.
func plans(t *testing.T, conn *pgx.Conn, s statement) (custom, generic json.RawMessage) {
	t.Helper()
	ctx := t.Context()
	if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+s.SQL, s.Args...).Scan(&custom); err != nil {
		t.Fatalf("explain %s: %v", s.SQL, err)
	}
	if _, err := conn.Exec(ctx, "PREPARE q AS "+s.SQL); err != nil {
		t.Fatalf("prepare %s: %v", s.SQL, err)
	}
	defer conn.Exec(context.Background(), "DEALLOCATE q")
	params := make([]string, len(s.Args))
	for i := range params {
		params[i] = fmt.Sprintf("$%d", i+1)
	}
	// EXECUTE takes no parameters of its own: the simple protocol writes the
	// values into the text.
	sql := "EXPLAIN (FORMAT JSON) EXECUTE q(" + strings.Join(params, ", ") + ")"
	if len(params) == 0 {
		sql = "EXPLAIN (FORMAT JSON) EXECUTE q"
	}
	if _, err := conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), "RESET plan_cache_mode")
	args := append([]any{pgx.QueryExecModeSimpleProtocol}, s.Args...)
	if err := conn.QueryRow(ctx, sql, args...).Scan(&generic); err != nil {
		t.Fatalf("explain generic %s: %v", s.SQL, err)
	}
	return custom, generic
}

// cost is the estimated total cost of a JSON plan.
func cost(plan json.RawMessage) float64 {
	var p []struct {
		Plan struct {
			TotalCost float64 `json:"Total Cost"`
		}
	}
	json.Unmarshal(plan, &p)
	if len(p) == 0 {
		return 0
	}
	return p[0].Plan.TotalCost
}

// seqScans returns the tables among tables that plan reads by a sequential scan.
// transactionControl reports whether sql begins or ends a transaction.
func transactionControl(sql string) bool {
	word, _, _ := strings.Cut(strings.TrimSpace(strings.ToLower(sql)), " ")
	return word == "begin" || word == "commit" || word == "rollback"
}

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

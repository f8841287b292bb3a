package db_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/db/sanmingtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, sanmingtest.Prepare)) }

// TestSpatialPlans: the spatial statements use their GiST indexes. near finds
// its platforms in platform_location_geog_gix, nearest walks that index in
// distance order (KNN), within and bbox use platform_location_gix, and locate
// the boundary indexes. Both plans count: the custom plan of the first runs and
// the generic plan PostgreSQL may switch to for the statements pgx prepares and
// caches. The database is ANALYZEd first, as autovacuum does to a live one: a
// fresh clone has no statistics, and the planner, guessing tables of a row or
// two, would rather sort than walk the KNN index.
func TestSpatialPlans(t *testing.T) {
	pool := dbtest.NewDB(t)
	if _, err := pool.Exec(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	const lon, lat = 117.36, 25.94 // 永安市
	area := geom.NewPolygon(geom.XY).MustSetCoords([][]geom.Coord{
		{{117.4, 26.1}, {117.9, 26.1}, {117.9, 26.5}, {117.4, 26.5}, {117.4, 26.1}}}).SetSRID(4326)
	box := db.BBox{West: 117, South: 25.8, East: 117.6, North: 26.3}
	page := db.Page{First: 50}
	plans := []struct {
		name string
		stmt db.Statement
		want []string // parts of the plan
	}{
		{"near", db.PlatformsNearPageStatement(t, db.PlatformFilter{}, db.Near{Lon: lon, Lat: lat, RadiusMetres: 5000}, page),
			[]string{"Index Scan using platform_location_geog_gix", "Index Cond: ((location)::geography && _st_expand("}},
		{"near with filter, within and bbox", db.PlatformsNearPageStatement(t,
			db.PlatformFilter{Kinds: []db.PlatformKind{db.LiaisonGroup}, Within: area, BBox: &box},
			db.Near{Lon: lon, Lat: lat, RadiusMetres: 50000}, page),
			[]string{"platform_location_g"}}, // either GiST index on location: the planner picks the narrower
		{"nearest", db.NearestStatement(lon, lat, []db.PlatformKind{db.Workstation}, 5),
			[]string{"Index Scan using platform_location_geog_gix", "Order By: ((location)::geography <-> "}},
		{"within", db.PlatformsPageStatement(t, db.PlatformFilter{Within: area}, page),
			[]string{"platform_location_gix", "Index Cond: (location && "}},
		{"bbox", db.PlatformsPageStatement(t, db.PlatformFilter{BBox: &box}, page),
			[]string{"platform_location_gix", "Index Cond: (location && "}},
		{"county at", db.CountyAtStatement(lon, lat), []string{"Index Scan using county_boundary_gix"}},
		{"township at", db.TownshipAtStatement(lon, lat), []string{"Index Scan using township_boundary_gix"}},
	}
	conn, err := pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(t.Context(), "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		t.Run(p.name, func(t *testing.T) {
			// EXPLAIN with arguments plans with their values, as a custom plan.
			custom := explain(t, conn.Conn(), "EXPLAIN (COSTS OFF) "+p.stmt.SQL, p.stmt.Args)
			if _, err := conn.Exec(t.Context(), "PREPARE q AS "+p.stmt.SQL); err != nil {
				t.Fatal(err)
			}
			defer conn.Exec(t.Context(), "DEALLOCATE q")
			params := make([]string, len(p.stmt.Args))
			for i := range params {
				params[i] = fmt.Sprintf("$%d", i+1)
			}
			// EXECUTE takes no parameters of its own: pgx writes the values in.
			generic := explain(t, conn.Conn(), "EXPLAIN (COSTS OFF) EXECUTE q("+strings.Join(params, ", ")+")",
				append([]any{pgx.QueryExecModeSimpleProtocol}, p.stmt.Args...))
			for _, plan := range []string{custom, generic} {
				for _, w := range p.want {
					if !strings.Contains(plan, w) {
						t.Errorf("the plan does not say %q:\n%s", w, plan)
					}
				}
			}
			t.Logf("custom plan:\n%s\ngeneric plan:\n%s", custom, generic)
		})
	}
}

// explain returns the plan that an EXPLAIN statement prints.
func explain(t *testing.T, conn *pgx.Conn, sql string, args []any) string {
	t.Helper()
	rows, err := conn.Query(t.Context(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

package server_test

import (
	"math"
	"testing"

	"github.com/jackc/pgx/v5"

	"civicmap/db/dbtest"
)

// oracleSQL measures township $1's distance to every covering platform of kind
// $2 within 3 degrees of its cell with geography's own ST_Distance on the WGS84
// spheroid (the geodesic distance to the polygon: no projection, no search
// bound) and returns the nearest two, beside the index's answer and what one
// UTM zone for the whole country (50N, as coverage measured before the index)
// would have said for the oracle's nearest. Three degrees are at least 186 km
// in every direction up to 56°N, past any township's nearest platform here,
// which the test checks; measuring all 60,000 platforms took minutes.
const oracleSQL = `WITH o AS (
		SELECT p.id, ST_Distance(t.boundary::geography, p.location::geography) AS metres,
			ST_Distance(ST_Transform(t.boundary, 32650), ST_Transform(p.location, 32650)) AS utm50_metres
		FROM township t, platform p
		WHERE t.code = $1 AND p.kind = $2 AND platform_covers(p.status, p.location, p.deleted_at)
			AND p.location && ST_Expand(t.boundary, 3)
		ORDER BY metres, p.id LIMIT 2
	)
	SELECT n.platform_id, n.metres, array_agg(o.id ORDER BY o.metres, o.id), array_agg(o.metres ORDER BY o.metres, o.id),
		(array_agg(o.utm50_metres ORDER BY o.metres, o.id))[1]
	FROM township_nearest n, o
	WHERE n.township_code = $1 AND n.kind = $2
	GROUP BY n.platform_id, n.metres`

// TestCoverageIndexMatchesGeodesicOracle: at 24 townships of the nationwide
// data (8 in the far west, Xinjiang's longitudes; 8 in the north-east,
// Heilongjiang's latitudes; 8 anywhere), the index's nearest platform of every
// kind and its metres must agree with a brute-force geodesic measure over
// every platform of the kind. The index finds the cell's nearest point in the
// cell's own UTM zone and measures to it on the spheroid; geography's
// polygons have great-circle edges, the index's straight ones in the zone, so
// the two may differ by a few metres over edges tens of kilometres long.
func TestCoverageIndexMatchesGeodesicOracle(t *testing.T) {
	pool := nationwide(t)
	ctx := t.Context()
	rows, err := pool.Query(ctx, `(SELECT code FROM township WHERE boundary IS NOT NULL AND ST_X(seat) < 80 ORDER BY hashtext(code) LIMIT 8)
		UNION ALL (SELECT code FROM township WHERE boundary IS NOT NULL AND ST_Y(seat) > 47 AND ST_X(seat) > 125 ORDER BY hashtext(code) LIMIT 8)
		UNION ALL (SELECT code FROM township WHERE boundary IS NOT NULL ORDER BY hashtext(code || 'any') LIMIT 8)`)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(codes) != 24 {
		t.Fatalf("townships: %v %v", codes, err)
	}
	var worst, worstUTM50 float64
	for _, code := range codes {
		for _, kind := range []string{"LIAISON_GROUP", "WORKSTATION", "SECTOR_HALL"} {
			var id int64
			var metres, utm50 float64
			var ids []int64
			var oracle []float64
			if err := pool.QueryRow(ctx, oracleSQL, code, kind).Scan(&id, &metres, &ids, &oracle, &utm50); err != nil {
				t.Fatalf("%s %s: %v", code, kind, err)
			}
			if oracle[0] > 186000 {
				t.Fatalf("%s %s: the nearest is %.0f m away, beyond the oracle's reach", code, kind, oracle[0])
			}
			// Metres within 2 m + 0.01%: the edge shapes above.
			tolerance := 2 + oracle[0]*1e-4
			if diff := math.Abs(metres - oracle[0]); diff > tolerance {
				t.Errorf("%s %s: index says %.2f m, geodesic %.2f m (%.2f m apart)", code, kind, metres, oracle[0], diff)
			}
			// The same platform, unless the runner-up is as near within that.
			if id != ids[0] && !(len(ids) > 1 && id == ids[1] && oracle[1]-oracle[0] <= tolerance) {
				t.Errorf("%s %s: index's nearest is %d, geodesic's %v at %v m", code, kind, id, ids, oracle)
			}
			worst = max(worst, math.Abs(metres-oracle[0]))
			if oracle[0] > 0 {
				worstUTM50 = max(worstUTM50, math.Abs(utm50-oracle[0])/oracle[0])
			}
		}
	}
	t.Logf("24 townships × 3 kinds: the index is at most %.3f m from the geodesic oracle; UTM 50N alone would be %.0f%% off", worst, worstUTM50*100)
}

// TestCoverageIndexOnSanmingIsToday's: every cell of Sanming lies in UTM zone
// 50, where coverage measured before the index, and every stored distance
// equals that measure to within 0.5 m.
func TestCoverageIndexOnSanmingIsTodays(t *testing.T) {
	pool := dbtest.NewDB(t)
	var zones []int32
	var worst float64
	var n int
	err := pool.QueryRow(t.Context(), `SELECT array_agg(DISTINCT ST_SRID(t.boundary_utm)), max(abs(n.metres - CASE
			WHEN ST_Intersects(ST_Transform(t.boundary, 32650), ST_Transform(p.location, 32650)) THEN 0
			ELSE ST_Distance(p.location::geography, ST_Transform(ST_ClosestPoint(ST_Transform(t.boundary, 32650),
				ST_Transform(p.location, 32650)), 4326)::geography) END)), count(*)
		FROM township_nearest n JOIN township t ON t.code = n.township_code JOIN platform p ON p.id = n.platform_id`).Scan(&zones, &worst, &n)
	if err != nil {
		t.Fatal(err)
	}
	if len(zones) != 1 || zones[0] != 32650 {
		t.Errorf("Sanming's cells are kept in %v, want UTM 50N (32650) only", zones)
	}
	if n != 139*3 || worst > 0.5 {
		t.Errorf("%d nearest platforms, at most %.3f m from the UTM 50N measure; want 417 within 0.5 m", n, worst)
	}
}

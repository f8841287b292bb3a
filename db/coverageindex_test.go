package db_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/db/synth"
)

// driftWorld is a small synthetic directory around Sanming, about 250 by 220
// km, where a township's nearest platform of a kind may be inside its cell or
// more than 50 km away. Only the tests of this file write it.
var driftWorld = synth.Size{Counties: 4, Townships: 16, Platforms: 40,
	Extent: synth.Box{West: 116, South: 25, East: 118.5, North: 27}}

func driftDB(t *testing.T) *pgxpool.Pool {
	return dbtest.Shared(t, "coverage-drift", func(ctx context.Context, pool *pgxpool.Pool) error {
		if err := dbtest.Migrate(ctx, pool); err != nil {
			return err
		}
		_, err := synth.Load(ctx, pool, driftWorld)
		return err
	})
}

// scratchSQL measures every (township, covering platform) pair from scratch,
// with no index, no search bound and no maintenance: the nearest platform of
// each kind by brute force. It counts the rows that differ from the index,
// both ways, and the townships whose nearest is more than 50 km away.
const scratchSQL = `WITH d AS MATERIALIZED (
		SELECT t.code, p.id, p.kind, cell_metres(t.boundary_utm, p.location) AS metres
		FROM township t, platform p
		WHERE t.boundary IS NOT NULL AND platform_covers(p.status, p.location, p.deleted_at)
	),
	want AS (
		SELECT t.code AS township_code, k.kind, n.id AS platform_id, n.metres
		FROM township t CROSS JOIN unnest(ARRAY['LIAISON_GROUP', 'WORKSTATION', 'SECTOR_HALL']) k (kind)
		LEFT JOIN LATERAL (SELECT d.id, d.metres FROM d WHERE d.code = t.code AND d.kind = k.kind
			ORDER BY d.metres, d.id LIMIT 1) n ON true
		WHERE t.boundary IS NOT NULL
	),
	have AS (SELECT township_code, kind, platform_id, metres FROM township_nearest)
	SELECT
		(SELECT count(*) FROM ((TABLE want EXCEPT TABLE have) UNION ALL (TABLE have EXCEPT TABLE want)) x),
		(SELECT count(*) FROM want WHERE metres > 50000)`

// drift is what scratchSQL found.
type drift struct {
	rows int // that differ
	far  int // nearest platforms more than 50 km away
}

func measureDrift(t *testing.T, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) drift {
	t.Helper()
	var d drift
	if err := q.QueryRow(t.Context(), scratchSQL).Scan(&d.rows, &d.far); err != nil {
		t.Fatalf("measure from scratch: %v", err)
	}
	return d
}

// world picks the platforms, townships and places of random writes.
type world struct {
	rng *rand.Rand
}

// point is a random point in the world or a little beyond its edge, as SQL.
func (w *world) point() string {
	e := driftWorld.Extent
	lon := e.West - 0.2 + w.rng.Float64()*(e.East-e.West+0.4)
	lat := e.South - 0.2 + w.rng.Float64()*(e.North-e.South+0.4)
	return fmt.Sprintf("ST_SetSRID(ST_MakePoint(%.6f, %.6f), 4326)", lon, lat)
}

func (w *world) status() string {
	return []string{"ACTIVE", "ACTIVE", "SUSPENDED", "CLOSED"}[w.rng.IntN(4)]
}

// a is SQL for one random platform matching where (over p).
func (w *world) a(where string) string {
	return fmt.Sprintf("(SELECT p.id FROM platform p WHERE %s ORDER BY hashint8(p.id + %d) LIMIT 1)", where, w.rng.IntN(1<<30))
}

// createSQL inserts n workstations or halls at random points, in one statement.
func (w *world) createSQL(n int) string {
	rows := make([]string, n)
	for i := range rows {
		kind, sector := "WORKSTATION", "NULL"
		if w.rng.IntN(3) == 0 {
			kind, sector = "SECTOR_HALL", "(SELECT code FROM sector ORDER BY ord LIMIT 1)"
		}
		rows[i] = fmt.Sprintf("('DRIFT-%d', '%s', %s, %s, '%s')", w.rng.Int64(), kind, sector, w.point(), w.status())
	}
	return `INSERT INTO platform (external_id, kind, name, organiser_code, township_code, host_name, host_type,
		sector_code, location, position_quality, status, provenance, source_note)
	SELECT v.external_id, v.kind, 'drift test', t.county_code, t.code, 'host', 'PUBLIC_UNIT',
		v.sector, v.location, 'APPROXIMATE', v.status, 'ILLUSTRATIVE', 'drift test'
	FROM (VALUES ` + strings.Join(rows, ", ") + `) v (external_id, kind, sector, location, status),
		LATERAL (SELECT code, county_code FROM township ORDER BY code LIMIT 1) t`
}

// tidySQL deletes random workstations and halls while more than 60
// platforms are live, so that creates and restores do not grow the world (and
// the cost of measuring it from scratch) without bound. Every write starts
// with it.
func (w *world) tidySQL() string {
	return fmt.Sprintf(`UPDATE platform SET deleted_at = now() WHERE id IN (
		SELECT p.id FROM platform p WHERE p.deleted_at IS NULL AND p.kind <> 'LIAISON_GROUP' ORDER BY hashint8(p.id + %d)
		LIMIT greatest(0, (SELECT count(*) FROM platform WHERE deleted_at IS NULL) - 60))`, w.rng.IntN(1<<30))
}

// moveSQL moves n random live platforms, in one statement.
func (w *world) moveSQL(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("(%s, %s)", w.a("p.location IS NOT NULL"), w.point())
	}
	return `UPDATE platform p SET location = v.location FROM (VALUES ` + strings.Join(ids, ", ") + `) v (id, location) WHERE p.id = v.id`
}

// writes are the kinds of write, each as the statements of one transaction.
var writes = []struct {
	name string
	sql  func(w *world) []string
}{
	{"create", func(w *world) []string { return []string{w.createSQL(1)} }},
	{"move far", func(w *world) []string { return []string{w.moveSQL(1)} }},
	{"move near", func(w *world) []string {
		return []string{fmt.Sprintf(`UPDATE platform SET location = ST_Translate(location, %f, %f) WHERE id = %s`,
			w.rng.Float64()*0.1-0.05, w.rng.Float64()*0.1-0.05, w.a("p.location IS NOT NULL"))}
	}},
	{"change kind", func(w *world) []string {
		return []string{fmt.Sprintf(`UPDATE platform SET kind = CASE kind WHEN 'WORKSTATION' THEN 'SECTOR_HALL' ELSE 'WORKSTATION' END,
			sector_code = CASE kind WHEN 'WORKSTATION' THEN (SELECT code FROM sector ORDER BY ord LIMIT 1) END
			WHERE id = %s`, w.a("p.kind <> 'LIAISON_GROUP'"))}
	}},
	{"change status", func(w *world) []string {
		return []string{fmt.Sprintf(`UPDATE platform SET status = '%s' WHERE id = %s`, w.status(), w.a("true"))}
	}},
	{"delete", func(w *world) []string {
		return []string{fmt.Sprintf(`UPDATE platform SET deleted_at = now() WHERE id = %s`, w.a("p.deleted_at IS NULL"))}
	}},
	{"restore", func(w *world) []string {
		return []string{fmt.Sprintf(`UPDATE platform SET deleted_at = NULL WHERE id = %s`, w.a("p.deleted_at IS NOT NULL AND p.kind <> 'LIAISON_GROUP'"))}
	}},
	{"lose position", func(w *world) []string {
		return []string{fmt.Sprintf(`UPDATE platform SET location = NULL, position_quality = 'UNKNOWN' WHERE id = %s`, w.a("p.kind <> 'LIAISON_GROUP'"))}
	}},
	{"find position", func(w *world) []string {
		return []string{fmt.Sprintf(`UPDATE platform SET location = %s, position_quality = 'APPROXIMATE' WHERE id = %s`, w.point(), w.a("p.location IS NULL"))}
	}},
	{"import", func(w *world) []string {
		return []string{w.createSQL(1 + w.rng.IntN(3)), w.moveSQL(1 + w.rng.IntN(4)), w.createSQL(1), w.moveSQL(2)}
	}},
	{"move a nearest away", func(w *world) []string {
		return []string{fmt.Sprintf(`UPDATE platform SET location = %s
			WHERE id = (SELECT platform_id FROM township_nearest WHERE platform_id IS NOT NULL ORDER BY hashtext(township_code || kind || %d) LIMIT 1)`,
			w.point(), w.rng.IntN(1<<30))}
	}},
	{"suspend a nearest", func(w *world) []string {
		return []string{fmt.Sprintf(`UPDATE platform SET status = 'SUSPENDED'
			WHERE id = (SELECT platform_id FROM township_nearest WHERE platform_id IS NOT NULL ORDER BY hashtext(township_code || kind || %d) LIMIT 1)`,
			w.rng.IntN(1<<30))}
	}},
	{"redraw a cell", func(w *world) []string {
		return []string{fmt.Sprintf(`UPDATE township SET boundary = ST_Multi(ST_Translate(boundary, %f, %f))
			WHERE code = (SELECT code FROM township WHERE boundary IS NOT NULL ORDER BY hashtext(code || %d) LIMIT 1)`,
			w.rng.Float64()*0.04-0.02, w.rng.Float64()*0.04-0.02, w.rng.IntN(1<<30))}
	}},
}

// TestCoverageIndexNeverDrifts applies 2,000 random writes of every kind (SQL
// by hand: creates, moves near and far, kind and status changes, deletes,
// restores, lost and found positions, multi-statement imports of multi-row
// statements, a township's nearest platform moved away or suspended, a cell
// redrawn), each in its own transaction, some rolled back. After every one, the
// index must equal a computation from scratch, row for row, and a coverage
// answer must equal the brute-force one: 0 differences allowed.
func TestCoverageIndexNeverDrifts(t *testing.T) {
	pool := driftDB(t)
	ctx := t.Context()
	d := db.New(pool)
	if got := measureDrift(t, pool); got.rows != 0 {
		t.Fatalf("after the load: %+v", got)
	}
	w := &world{rng: rand.New(rand.NewPCG(11, 2026))}
	done := map[string]int{}
	var far int
	for i := range 2000 {
		kind := writes[w.rng.IntN(len(writes))]
		rollback := w.rng.IntN(20) == 0
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			for _, sql := range append([]string{w.tidySQL()}, kind.sql(w)...) {
				if _, err := tx.Exec(ctx, sql); err != nil {
					return fmt.Errorf("%s: %w", sql, err)
				}
			}
			if rollback {
				return errRollback
			}
			return nil
		})
		if err != nil && !errors.Is(err, errRollback) {
			t.Fatalf("write %d (%s): %v", i, kind.name, err)
		}
		if !rollback {
			done[kind.name]++
		}
		got := measureDrift(t, pool)
		if got.rows != 0 {
			t.Fatalf("write %d (%s): the index differs from scratch in %d rows", i, kind.name, got.rows)
		}
		far += got.far
		checkAnswer(t, d, pool, w.rng)
	}
	t.Logf("writes: %v; on average %.1f nearest platforms more than 50 km away", done, float64(far)/2000)
	for _, k := range writes {
		if done[k.name] < 50 {
			t.Errorf("only %d writes of kind %q: too few to trust", done[k.name], k.name)
		}
	}
	if far == 0 {
		t.Error("no nearest platform was ever more than 50 km away: the world is too dense to test far searches")
	}
}

// checkAnswer asks db.Coverage a random question (cached by data version, so
// it also shows that a write ends the cached answers) and compares each
// township's nearest distance and status with the minimum over the kinds of
// township_nearest, which measureDrift has just found equal to brute force.
func checkAnswer(t *testing.T, d *db.DB, pool *pgxpool.Pool, rng *rand.Rand) {
	t.Helper()
	all := []db.PlatformKind{db.LiaisonGroup, db.Workstation, db.SectorHall}
	var kinds []db.PlatformKind
	for _, k := range all {
		if rng.IntN(2) == 0 {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		kinds = all[1:2]
	}
	radius := []float64{0, 5000, 20000, 50000, 80000}[rng.IntN(5)]
	cov, err := d.Coverage(t.Context(), db.CoverageQuery{Kinds: kinds, RadiusMetres: radius, Townships: true})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(t.Context(), `SELECT t.code, (SELECT min(n.metres) FROM township_nearest n
		WHERE n.township_code = t.code AND n.kind = ANY($1)) FROM township t ORDER BY t.code`, kinds)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		Code   string
		Metres *float64
	}])
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(cov.Townships) {
		t.Fatalf("coverage(%v, %g): %d townships, want %d", kinds, radius, len(cov.Townships), len(want))
	}
	for i, tc := range cov.Townships {
		var got *float64
		if tc.Nearest != nil {
			got = &tc.Nearest.DistanceMetres
		}
		w := want[i]
		if tc.Code != w.Code || (got == nil) != (w.Metres == nil) || (got != nil && *got != *w.Metres) {
			t.Fatalf("coverage(%v, %g): township %s nearest %v, want %s %v", kinds, radius, tc.Code, got, w.Code, w.Metres)
		}
		covered := w.Metres != nil && *w.Metres <= radius
		if tc.Covered() != covered {
			t.Fatalf("coverage(%v, %g): township %s covered %v, want %v", kinds, radius, tc.Code, tc.Covered(), covered)
		}
	}
}

// TestCoverageIndexUnderConcurrentWriters: four writers move and suspend
// platforms at once, each its own transaction, while each township's nearest
// is being moved away by one and brought near by another. The lock that
// maintenance takes keeps them from measuring without each other's writes.
func TestCoverageIndexUnderConcurrentWriters(t *testing.T) {
	pool := driftDB(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &world{rng: rand.New(rand.NewPCG(uint64(g), 7))}
			for range 100 {
				kind := writes[[]int{1, 2, 4, 10, 11}[w.rng.IntN(5)]]
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					for _, sql := range kind.sql(w) {
						if _, err := tx.Exec(ctx, sql); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					errs <- fmt.Errorf("%s: %w", kind.name, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := measureDrift(t, pool); got.rows != 0 {
		t.Fatalf("after 400 concurrent writes the index differs from scratch in %d rows", got.rows)
	}
}

package load

import (
	"context"
	"testing"
	"time"

	"civicmap/db"
)

// TestReloadRepairsChangedRows checks that a reload restores a row the loader
// itself wrote differently (as from an older seed), bumps only that row's
// version and moves dataset.loaded_at.
func TestReloadRepairsChangedRows(t *testing.T) {
	pool := testPool(t)
	ctx := context.Background()
	mustLoad(t, pool)
	t.Cleanup(func() {
		// Later tests expect every platform at version 1.
		if _, err := pool.Exec(ctx, `UPDATE platform SET version = 1 WHERE external_id = 'WS-0002'`); err != nil {
			t.Error(err)
		}
	})
	var loadedBefore time.Time
	if err := pool.QueryRow(ctx, `SELECT loaded_at FROM dataset`).Scan(&loadedBefore); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := db.SetActor(ctx, tx, db.ActorLoad); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE platform SET name = 'renamed by hand' WHERE external_id = 'WS-0002'`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := mustLoad(t, pool)
	if r.Changed != 2 { // the platform and the dataset row
		t.Errorf("reload changed %d rows, want 2", r.Changed)
	}
	var name string
	var version, others int
	var loadedAfter time.Time
	err = pool.QueryRow(ctx, `
		SELECT p.name, p.version,
		       (SELECT count(*) FROM platform WHERE version <> 1 AND external_id <> 'WS-0002'),
		       (SELECT loaded_at FROM dataset)
		FROM platform p WHERE p.external_id = 'WS-0002'`).Scan(&name, &version, &others, &loadedAfter)
	if err != nil {
		t.Fatal(err)
	}
	if name == "renamed by hand" || version != 2 || others != 0 {
		t.Errorf("after reload: name %q version %d, %d other platforms bumped; want seed name, version 2, none", name, version, others)
	}
	if !loadedAfter.After(loadedBefore) {
		t.Errorf("dataset.loaded_at did not move: %v → %v", loadedBefore, loadedAfter)
	}
}

// TestReloadKeepsImportsAndHandEdits checks that a reload leaves alone a
// platform changed by `civicmap import` or by hand in SQL: neither writes with
// an API key, and `civicmap run` reloads on every start.
func TestReloadKeepsImportsAndHandEdits(t *testing.T) {
	pool := testPool(t)
	ctx := context.Background()
	mustLoad(t, pool)
	ps, err := db.New(pool).PlatformsByID(ctx, []int64{3, 4})
	if err != nil || len(ps) != 2 {
		t.Fatalf("platforms 3, 4: %v", err)
	}
	imported, byHand := ps[0], ps[1]
	row := db.ImportRow{Platform: imported.Input()}
	row.Platform.Name = "edited by an import"
	importer := db.Writer{Actor: db.Actor{Name: "import platforms.ndjson"}}
	if _, err := db.New(pool).ImportPlatforms(ctx, importer, []db.ImportRow{row}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE platform SET name = 'edited by hand' WHERE id = $1`, byHand.ID); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, pool)
	var importedName, byHandName string
	if err := pool.QueryRow(ctx, `SELECT (SELECT name FROM platform WHERE id = $1), (SELECT name FROM platform WHERE id = $2)`,
		imported.ID, byHand.ID).Scan(&importedName, &byHandName); err != nil {
		t.Fatal(err)
	}
	if importedName != "edited by an import" || byHandName != "edited by hand" {
		t.Errorf("after the reload: names %q, %q; want the import's and the hand edit kept", importedName, byHandName)
	}
}

// TestOfficialBoundaryKept checks that a load never replaces an OFFICIAL
// township boundary with a derived cell.
func TestOfficialBoundaryKept(t *testing.T) {
	pool := testPool(t)
	ctx := context.Background()
	mustLoad(t, pool)
	const official = `ST_Multi(ST_Buffer(seat, 0.01))`
	if _, err := pool.Exec(ctx, `UPDATE township SET boundary = `+official+`, boundary_quality = 'OFFICIAL'
		WHERE code = '350404001'`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Hand the township back to the loader so later tests see derived cells.
		if _, err := pool.Exec(ctx, `UPDATE township SET boundary_quality = 'APPROXIMATE' WHERE code = '350404001'`); err != nil {
			t.Error(err)
		}
		mustLoad(t, pool)
	})
	mustLoad(t, pool)
	var kept bool
	if err := pool.QueryRow(ctx, `SELECT boundary_quality = 'OFFICIAL' AND boundary = `+official+`
		FROM township WHERE code = '350404001'`).Scan(&kept); err != nil {
		t.Fatal(err)
	}
	if !kept {
		t.Error("the load replaced an OFFICIAL boundary")
	}
}

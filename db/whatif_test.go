package db_test

import (
	"reflect"
	"testing"
	"time"

	"civicmap/db"
	"civicmap/db/dbtest"
)

// TestWhatIfIsKeptApart: the coverage cache never serves a what-if answer
// for the plain question nor keeps one, and a what-if question leaves the
// shared answer and its table as they were: the plain answer asked again is
// the kept one, unchanged, with the same worklist.
func TestWhatIfIsKeptApart(t *testing.T) {
	d := db.New(dbtest.NewDB(t))
	ctx := t.Context()
	plainQ := db.CoverageQuery{Kinds: []db.PlatformKind{db.Workstation}, RadiusMetres: 5000, Townships: true}
	plain, err := d.Coverage(ctx, plainQ)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := append([]db.TownshipCoverage(nil), plain.Townships...)
	worklist, err := d.UncoveredTownships(ctx, plainQ, db.Page{First: 500})
	if err != nil {
		t.Fatal(err)
	}
	// The worklist's first township, 16.4 km from any workstation: a
	// hypothetical workstation inside its cell, at its seat.
	seat := worklist.Rows[0].Township
	whatQ := plainQ
	whatQ.Hypothetical = []db.HypotheticalPlatform{{Kind: db.Workstation, Lon: *seat.Lon, Lat: *seat.Lat}}
	whatQ.CoveredByHypothetical = true
	what, err := d.Coverage(ctx, whatQ)
	if err != nil {
		t.Fatal(err)
	}
	if what == plain || what.Totals.Uncovered >= plain.Totals.Uncovered {
		t.Fatalf("what-if: %d uncovered, plain: %d; want fewer", what.Totals.Uncovered, plain.Totals.Uncovered)
	}
	again, err := d.Coverage(ctx, plainQ)
	if err != nil {
		t.Fatal(err)
	}
	if again != plain || !reflect.DeepEqual(again.Townships, snapshot) {
		t.Errorf("the plain answer asked again is not the kept one, unchanged")
	}
	if w, err := d.UncoveredTownships(ctx, plainQ, db.Page{First: 500}); err != nil || !reflect.DeepEqual(w, worklist) {
		t.Errorf("the plain worklist changed after a what-if (%v)", err)
	}
	whatAgain, err := d.Coverage(ctx, whatQ)
	if err != nil {
		t.Fatal(err)
	}
	if whatAgain == what || whatAgain.Totals != what.Totals {
		t.Errorf("a what-if answer was kept, or differs when asked again: %+v then %+v", what.Totals, whatAgain.Totals)
	}

	// The time of a what-if worklist, from the kept table: the what-if
	// statement and the cut. One hypothetical workstation, then the most a
	// question may name, on a 10 × 10 grid over Sanming.
	var hs []db.HypotheticalPlatform
	for i := range db.MaxHypothetical {
		hs = append(hs, db.HypotheticalPlatform{Kind: db.Workstation, Lon: 116.4 + float64(i%10)*0.2, Lat: 25.6 + float64(i/10)*0.15})
	}
	for _, n := range []int{1, db.MaxHypothetical} {
		q := db.CoverageQuery{Kinds: []db.PlatformKind{db.Workstation}, RadiusMetres: 5000, Hypothetical: hs[:n]}
		start := time.Now()
		list, err := d.UncoveredTownships(ctx, q, db.Page{First: 50})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("a worklist at 5 km with %d hypothetical workstations: %d uncovered (57 without), in %v", n, list.Total, time.Since(start))
	}
}

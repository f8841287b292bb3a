package db_test

import (
	"testing"

	"civicmap/db"
	"civicmap/db/dbtest"
)

// TestDataQualityIsKept: the report is read once per data version, and
// again after a write: a township whose seat becomes approximate is counted
// at once. Without kept answers (NoCache) it is read every time.
func TestDataQualityIsKept(t *testing.T) {
	pool := dbtest.NewDB(t)
	ctx := t.Context()
	d := db.New(pool)
	first, err := d.DataQuality(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := d.DataQuality(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Errorf("asked again at the same version, the report was read again")
	}
	// 列东街道's seat is REAL in the seed; any write bumps the version.
	if _, err := pool.Exec(ctx, `UPDATE township SET position_quality = 'APPROXIMATE' WHERE code = '350404001'`); err != nil {
		t.Fatal(err)
	}
	after, err := d.DataQuality(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, m := len(first.ItemsFor([]db.QualityReason{db.QualityTownshipSeatApproximate})),
		len(after.ItemsFor([]db.QualityReason{db.QualityTownshipSeatApproximate})); m != n+1 {
		t.Errorf("after the write: %d approximate seats, want %d", m, n+1)
	}
	uncached := db.NewPools(db.Pools{Main: pool, NoCache: true})
	a, err := uncached.DataQuality(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := uncached.DataQuality(ctx); err != nil || b == a {
		t.Errorf("with no answers kept, the report was kept (%v)", err)
	}
}

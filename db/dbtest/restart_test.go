package dbtest_test

import (
	"context"
	"testing"

	"civicmap/db/dbtest"
)

// TestPoolSurvivesRestart shows what server tests rely on: a pool from NewDB
// fails while PostgreSQL is down and works again once it is back, on the same
// connection string. It stops the package's cluster, so it must not be parallel.
func TestPoolSurvivesRestart(t *testing.T) {
	pool := dbtest.NewDB(t)
	c := dbtest.Cluster(t)
	ctx := t.Context()
	if got := count(t, pool, "SELECT 1"); got != 1 {
		t.Fatalf("SELECT 1 = %d", got)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			c.Resume(context.Background())
		}
	})
	if _, err := pool.Exec(ctx, "SELECT 1"); err == nil {
		t.Error("query succeeded while PostgreSQL was stopped")
	}
	if err := c.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	resumed = true
	if got := count(t, pool, "SELECT 1"); got != 1 {
		t.Errorf("after resume: SELECT 1 = %d", got)
	}
}

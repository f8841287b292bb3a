package load

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db"
)

// feedSQL summarises the change feed: its length and how many rows the loader made.
const feedSQL = `SELECT count(*), count(*) FILTER (WHERE actor = 'load' AND operation = 'CREATE' AND version = 1) FROM platform_change`

func feed(t *testing.T, pool *pgxpool.Pool) (all, loaded int) {
	t.Helper()
	if err := pool.QueryRow(context.Background(), feedSQL).Scan(&all, &loaded); err != nil {
		t.Fatal(err)
	}
	return all, loaded
}

// TestLoadFeedsChanges: the first load enters every platform in the change feed
// as created by "load"; a reload that changes nothing records nothing; and a
// reload leaves alone what was written or deleted through the API.
func TestLoadFeedsChanges(t *testing.T) {
	pool := testPool(t)
	ctx := context.Background()
	mustLoad(t, pool)
	if all, loaded := feed(t, pool); all != 207 || loaded != 207 {
		t.Fatalf("after the first load the feed has %d changes, %d of them loaded platforms; want 207, 207", all, loaded)
	}
	mustLoad(t, pool)
	if all, _ := feed(t, pool); all != 207 {
		t.Fatalf("an idle reload recorded %d changes", all-207)
	}

	d := db.New(pool)
	key, _, err := d.CreateKey(ctx, "test", db.RoleAdmin, nil)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := key.Writer()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := d.PlatformsByID(ctx, []int64{1, 2})
	if err != nil || len(ps) != 2 {
		t.Fatalf("platforms 1, 2: %v", err)
	}
	edited, deleted := ps[0], ps[1]
	in := edited.Input()
	in.Name = "edited through the API"
	if _, err := d.UpdatePlatform(ctx, admin, edited.ID, in, edited.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeletePlatform(ctx, admin, deleted.ID, deleted.Version); err != nil {
		t.Fatal(err)
	}
	before, _ := feed(t, pool)
	mustLoad(t, pool)
	if after, _ := feed(t, pool); after != before {
		t.Errorf("the reload wrote %d changes over the API's work", after-before)
	}
	var name string
	var gone bool
	if err := pool.QueryRow(ctx, `SELECT (SELECT name FROM platform WHERE id = $1), (SELECT deleted_at IS NOT NULL FROM platform WHERE id = $2)`,
		edited.ID, deleted.ID).Scan(&name, &gone); err != nil {
		t.Fatal(err)
	}
	if name != in.Name || !gone {
		t.Errorf("after the reload: name %q, deleted %v; want the API's edit kept and the platform still deleted", name, gone)
	}
}

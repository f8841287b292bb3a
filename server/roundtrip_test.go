package server_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db/dbtest"
)

// roundTrips counts the statements and batches a pool sends: each is one round
// trip to PostgreSQL.
type roundTrips struct{ n atomic.Int64 }

func (c *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if !inBatch(ctx) {
		c.n.Add(1)
	}
	return ctx
}
func (c *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

type batchKey struct{}

func inBatch(ctx context.Context) bool { return ctx.Value(batchKey{}) != nil }

func (c *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return context.WithValue(ctx, batchKey{}, true)
}
func (c *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// TestNestedFieldsAreBatched: a page of platforms with their townships,
// counties, organisers, sectors and the townships' own platforms costs the same
// number of round trips whether the page holds 1 platform or all 207.
func TestNestedFieldsAreBatched(t *testing.T) {
	h, counter := countingHandler(t)
	const query = `query($first: Int) { platforms(first: $first) { totalCount nodes {
		name organiser { name county { name } } sector { name }
		township { name county { name } platforms { totalCount nodes { name } } }
		county { name } } } }`
	trips := map[int]int64{}
	for _, first := range []int{1, 10, 207} {
		counter.n.Store(0)
		var d struct {
			Platforms struct {
				TotalCount int
				Nodes      []struct{ Name string }
			}
		}
		data(t, h, query, map[string]any{"first": first}, &d)
		if len(d.Platforms.Nodes) != first {
			t.Fatalf("first=%d: got %d platforms", first, len(d.Platforms.Nodes))
		}
		trips[first] = counter.n.Load()
	}
	t.Logf("round trips by page size: %v", trips)
	// One batch for the page and its count, then one query per nested field
	// (organiser, sector, township, county, township platforms) — each batched.
	const most = 6
	for first, n := range trips {
		if n > most {
			t.Errorf("first=%d: %d round trips, want at most %d whatever the page size", first, n, most)
		}
	}
}

// TestSpatialQueriesAreBatched: nearestPlatforms with nested fields costs the
// same number of round trips for 1 platform or 100, and locate answers its
// county, township and nearest platforms in one.
func TestSpatialQueriesAreBatched(t *testing.T) {
	h, counter := countingHandler(t)
	const nested = `query($limit: Int) { nearestPlatforms(lon: 117.6, lat: 26.2, limit: $limit) { distanceMetres
		platform { name organiser { name } sector { name } township { name county { name } } county { name } } } }`
	for _, limit := range []int{1, 10, 100} {
		counter.n.Store(0)
		var d struct {
			NearestPlatforms []struct{ DistanceMetres float64 }
		}
		data(t, h, nested, map[string]any{"limit": limit}, &d)
		if len(d.NearestPlatforms) != limit {
			t.Fatalf("limit=%d: got %d platforms", limit, len(d.NearestPlatforms))
		}
		// The query, then one per nested field: organiser, sector, township, county.
		if n, most := counter.n.Load(), int64(5); n > most {
			t.Errorf("nearestPlatforms(limit: %d): %d round trips, want at most %d", limit, n, most)
		}
	}
	counter.n.Store(0)
	var d struct{ Locate struct{ Message string } }
	data(t, h, `{ locate(lon: 117.125, lat: 25.735) { message county { name } township { name }
		nearest { distanceMetres platform { name } } } }`, nil, &d)
	if n := counter.n.Load(); n != 1 {
		t.Errorf("locate: %d round trips, want 1", n)
	}
}

// countingHandler returns a handler over a fresh loaded database, and the
// counter of the round trips its pool makes.
func countingHandler(t *testing.T) (http.Handler, *roundTrips) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dbtest.NewConnString(t))
	if err != nil {
		t.Fatal(err)
	}
	counter := &roundTrips{}
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return newHandler(t, pool), counter
}

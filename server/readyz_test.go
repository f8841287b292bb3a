package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/server"
)

// TestReadyzDoesNotQueue: /readyz answers 200 at once while user work holds
// every connection of the main and heavy pools, since it has a pool of its
// own. Before, it queued behind user work and answered 503 after its 2 s.
func TestReadyzDoesNotQueue(t *testing.T) {
	url := dbtest.NewConnString(t)
	open := func(conns int32) db.Options { return db.Options{StatementTimeout: 5 * time.Second, MaxConns: conns} }
	main, heavy, health := mustOpen(t, url, open(1)), mustOpen(t, url, open(1)), mustOpen(t, url, open(1))
	for _, p := range []*pgxpool.Pool{main, heavy} {
		c, err := p.Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
	}
	h := server.New(server.DefaultConfig(), db.NewPools(db.Pools{Main: main, Heavy: heavy, Health: health}),
		slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
	for range 12 {
		start := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("/readyz %d after %s with every user connection taken: %s", rec.Code, time.Since(start), rec.Body)
		}
	}
}

// mustOpen opens a pool on url, closed when the test ends.
func mustOpen(t *testing.T, url string, opts db.Options) *pgxpool.Pool {
	t.Helper()
	p, err := db.Open(t.Context(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

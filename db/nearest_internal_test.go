package db

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db/dbtest"
)

// TestBatchFailsBeforeItsAnswer: when the server answers a batch's statement
// with an error instead of its result (here its prepared statement is gone;
// a replica killed mid-batch sends a FATAL there), the read returns the
// error and the pool gets its connection back. The readers that look at the
// columns before the rows (the coverage index's fill, collectByName) asked
// pgx for the failed rows' columns and panicked; gqlgen recovered the panic,
// and the connection, which pgxpool releases only when a batch's Close
// returns, stayed acquired: the pool's Close then waited for it for ever
// (TestReadReplicas, the replica killed with SIGKILL: 3 runs in 8).
func TestBatchFailsBeforeItsAnswer(t *testing.T) {
	kinds := []PlatformKind{Workstation}
	for _, c := range []struct {
		name string
		// drop names the prepared statements to drop: the first of its
		// batch to fail must be the one read by columns.
		drop string
		read func(ctx context.Context, d *DB) error
	}{
		{"the coverage index", "ALL", func(ctx context.Context, d *DB) error {
			// Once the geography is kept, the index is read alone, in a
			// batch on the pool.
			_, geo, kept := d.geo.Latest("")
			if !kept {
				_, err := d.nearestTable(ctx, "", kinds)
				return err
			}
			_, err := d.readNearest(ctx, kinds, geo, true)
			return err
		}},
		{"a page of platforms with its total", "the page", func(ctx context.Context, d *DB) error {
			_, err := d.Platforms(ctx, PlatformFilter{}, Page{First: 10})
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			pool := onePool(t)
			d := New(pool)
			// Twice: the second read prepares the statements it reads with.
			for range 2 {
				if err := c.read(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			// Behind pgx's back, so that it binds a statement the server
			// has no more.
			conn, err := pool.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			drop := "DEALLOCATE ALL"
			if c.drop != "ALL" {
				// The page, not its count: SELECT p.id, ….
				var name string
				err := conn.QueryRow(ctx, `SELECT name FROM pg_prepared_statements WHERE statement LIKE 'SELECT p.%'`).Scan(&name)
				if err != nil {
					t.Fatal(err)
				}
				drop = "DEALLOCATE " + pgx.Identifier{name}.Sanitize()
			}
			if _, err := conn.Conn().PgConn().Exec(ctx, drop).ReadAll(); err != nil {
				t.Fatal(err)
			}
			conn.Release()

			// As gqlgen runs a resolver: a panic is recovered, and the
			// request goes on.
			err = func() (err error) {
				defer func() {
					if p := recover(); p != nil {
						err = fmt.Errorf("panic: %v", p)
					}
				}()
				return c.read(ctx, d)
			}()
			if err == nil {
				t.Fatal("the read succeeded: the failure was not injected")
			}
			if n := pool.Stat().AcquiredConns(); n != 0 {
				t.Fatalf("after the read (%v), %d connection is still acquired: it was never released", err, n)
			}
			// The pool's one connection serves again.
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := c.read(ctx, d); err != nil {
				t.Errorf("a read after the failed one: %v", err)
			}
		})
	}
}

// onePool returns a pool of one connection to a new database, so that every
// statement runs on the connection the test tampers with. Its cleanup fails
// the test, rather than hang, when a connection is never given back.
func onePool(t *testing.T) *pgxpool.Pool {
	cfg, err := pgxpool.ParseConfig(dbtest.NewConnString(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() { pool.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("the pool's Close still waits for a connection after 5 s")
		}
	})
	return pool
}

package server_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// tracer counts the round trips a pool makes (a statement or a batch each) and
// records every statement with its arguments, for EXPLAIN.
type tracer struct {
	trips atomic.Int64

	mu    sync.Mutex
	stmts []statement
}

// statement is one SQL statement as the pool sent it.
type statement struct {
	SQL  string
	Args []any
}

// tracedPool opens a pool on connString whose statements tr sees; it is closed
// when the test ends.
func tracedPool(t testing.TB, connString string, tr *tracer) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// reset forgets what was traced so far.
func (tr *tracer) reset() {
	tr.trips.Store(0)
	tr.mu.Lock()
	tr.stmts = nil
	tr.mu.Unlock()
}

// statements returns what was traced since the last reset.
func (tr *tracer) statements() []statement {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]statement(nil), tr.stmts...)
}

func (tr *tracer) record(sql string, args []any) {
	tr.mu.Lock()
	tr.stmts = append(tr.stmts, statement{sql, args})
	tr.mu.Unlock()
}

type batchKey struct{}

func (tr *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	// A batch's statements reach TraceQueryStart too; the batch is one trip.
	if ctx.Value(batchKey{}) == nil {
		tr.trips.Add(1)
		tr.record(d.SQL, d.Args)
	}
	return ctx
}
func (tr *tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (tr *tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	tr.trips.Add(1)
	return context.WithValue(ctx, batchKey{}, true)
}
func (tr *tracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	tr.record(d.SQL, d.Args)
}
func (tr *tracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

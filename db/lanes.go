package db

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/cache"
)

// Pools are the database connections of a server, kept apart so that one kind
// of work can never take the connections another needs. With one shared pool,
// 16 heavy queries made a cheap one 2,500 times slower and /readyz answer 503
// in 9 of 12 probes.
type Pools struct {
	// Main serves everything not marked heavy: the cheap, interactive reads
	// and the writes.
	Main *pgxpool.Pool
	// Heavy serves requests marked by WithHeavy (costly queries, exports);
	// its size is their share. Nil sends them to Main.
	Heavy *pgxpool.Pool
	// Health serves Ready only, so a probe never queues behind user work.
	// Nil uses Main.
	Health *pgxpool.Pool
	// NoCache keeps no answers in memory: every request reads the database
	// (the coverage index, not the townships it names). It is for measuring
	// what the caches save.
	NoCache bool
}

// NewPools returns a DB over p.
func NewPools(p Pools) *DB {
	db := &DB{pool: &lanes{main: p.Main, heavy: p.Heavy}, health: p.Health,
		coverage: cache.ByVersion[*Coverage]{MaxEntries: 512, MaxBytes: 32 << 20},
		nearest:  cache.ByVersion[*nearestTable]{MaxEntries: 8},
		geo:      cache.ByVersion[*geography]{MaxEntries: 1}}
	if p.NoCache {
		// The townships and counties are kept still: they are the rows
		// answers name, not answers, and change only with the geography.
		db.coverage.MaxEntries, db.nearest.MaxEntries = -1, -1
	}
	return db
}

// Caching reports whether answers are kept in memory by data version: by db,
// and by the server's caches above it.
func (db *DB) Caching() bool { return db.coverage.MaxEntries >= 0 }

type heavyKey struct{}

// WithHeavy marks ctx as heavy work: every statement run with it goes to the
// heavy pool.
func WithHeavy(ctx context.Context) context.Context {
	return context.WithValue(ctx, heavyKey{}, true)
}

// lanes sends each statement to the pool its context asks for. It has the
// methods of *pgxpool.Pool that db uses, so every statement is routed the
// same way without each caller choosing.
type lanes struct {
	main, heavy *pgxpool.Pool
}

func (l *lanes) pick(ctx context.Context) *pgxpool.Pool {
	if heavy, _ := ctx.Value(heavyKey{}).(bool); heavy && l.heavy != nil {
		return l.heavy
	}
	return l.main
}

func (l *lanes) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return l.pick(ctx).Query(ctx, sql, args...)
}

func (l *lanes) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return l.pick(ctx).QueryRow(ctx, sql, args...)
}

func (l *lanes) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return l.pick(ctx).SendBatch(ctx, b)
}

func (l *lanes) Begin(ctx context.Context) (pgx.Tx, error) {
	return l.pick(ctx).Begin(ctx)
}

func (l *lanes) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	return l.pick(ctx).BeginTx(ctx, opts)
}

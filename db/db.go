// Package db is civicmap's access to PostgreSQL + PostGIS: every SQL statement,
// the row structs the GraphQL schema is bound to, and the pool they run on.
package db

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/cache"
	"civicmap/db/migrations"
)

// DB runs the directory's queries on a pool.
type DB struct {
	pool *lanes
	// coverage keeps coverage answers for the current data version: the
	// kinds (7 sets), a few radii and the counties make a few hundred
	// distinct questions on the map; a client asking for thousands of
	// radii only empties it (NewPools sets the bound).
	coverage cache.ByVersion[*Coverage]
	// nearest keeps the coverage index as read for each set of kinds (7 at
	// most), and geo the townships and counties it names.
	nearest cache.ByVersion[*nearestTable]
	geo     cache.ByVersion[*geography]
	// quality is the data-quality report at the current version.
	quality cache.ByVersion[*DataQuality]
	// lag measures how far behind the primary the replicas are (replica.go).
	lag *lagClock
}

// The SQLSTATEs that db turns into errors a client can act on.
const (
	foreignKeyViolation = "23503"
	uniqueViolation     = "23505"
)

// Options tunes a pool.
type Options struct {
	// StatementTimeout stops any one statement after this long, so that one slow
	// query cannot hold a connection (and a client) for ever; a cancelled request
	// context alone does not stop work already running on the server.
	StatementTimeout time.Duration
	// MaxConns caps the pool; 0 keeps pgx's default.
	MaxConns int32
}

// Open connects a pool to url and checks that the database answers.
func Open(ctx context.Context, url string, opts Options) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	// The queries here are short and planned fresh; JIT compiling one whose cost
	// estimate crosses jit_above_cost took 220 ms of a 2 ms query.
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	if opts.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return pool, nil
}

// New returns a DB over pool.
func New(pool *pgxpool.Pool) *DB {
	return NewPools(Pools{Main: pool})
}

// Pool returns the main pool, for callers that run migrations or loads on it.
func (db *DB) Pool() *pgxpool.Pool {
	return db.pool.primary.main
}

// Ready reports whether the primary answers and is migrated to the version
// this binary expects. Replicas do not count: without them, reads go to the
// primary (Replicas says how they are).
func (db *DB) Ready(ctx context.Context) error {
	v, err := migrations.Version(ctx, db.pool.primary.healthPool())
	if err != nil {
		return err
	}
	if want := migrations.Latest(); v < want {
		return fmt.Errorf("database is at migration %d, want %d: run `civicmap migrate`", v, want)
	}
	return nil
}

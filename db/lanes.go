package db

import (
	"context"
	"time"

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
	// Health serves Ready and the replicas' health checks only, so a probe
	// never queues behind user work. Nil uses Main.
	Health *pgxpool.Pool
	// Replicas are streaming replicas of the primary (Main) that serve the
	// requests marked ReadOnly (replica.go). None: everything reads the
	// primary.
	Replicas []Replica
	// MaxLag is how far behind the primary a replica may be and stay in the
	// rotation; 0 is DefaultMaxLag.
	MaxLag time.Duration
	// NoCache keeps no answers in memory: every request reads the database
	// (the coverage index, not the townships it names). It is for measuring
	// what the caches save.
	NoCache bool
}

// NewPools returns a DB over p. Its replicas start out of the rotation:
// CheckReplicas, or WatchReplicas, puts them in once they are known to be
// caught up.
func NewPools(p Pools) *DB {
	primary := &database{name: primaryName, main: p.Main, heavy: p.Heavy, health: p.Health}
	db := &DB{pool: &lanes{primary: primary},
		coverage: cache.ByVersion[*Coverage]{MaxEntries: 512, MaxBytes: 32 << 20, Older: VersionOlder},
		nearest:  cache.ByVersion[*nearestTable]{MaxEntries: 8, Older: VersionOlder},
		geo:      cache.ByVersion[*geography]{MaxEntries: 1, Older: VersionOlder},
		quality:  cache.ByVersion[*DataQuality]{MaxEntries: 1, Older: VersionOlder}}
	for _, r := range p.Replicas {
		db.pool.replicas = append(db.pool.replicas, &database{name: r.Name, addr: r.Addr, main: r.Main, heavy: r.Heavy, health: r.Health})
	}
	db.lag = newLagClock(p.MaxLag)
	if p.NoCache {
		// The townships and counties are kept still: they are the rows
		// answers name, not answers, and change only with the geography.
		db.coverage.MaxEntries, db.nearest.MaxEntries, db.quality.MaxEntries = -1, -1, -1
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

// database is one PostgreSQL server: the primary or a replica, with its
// pools and its own reads of the data version.
type database struct {
	// name is "primary" or "replica-N"; addr the replica's host:port/dbname.
	name, addr          string
	main, heavy, health *pgxpool.Pool
	// versions shares the reads of this database's data version: a
	// replica's version is its own, so that what it answers is never kept
	// under the primary's newer one.
	versions versionReads
	// state is a replica's health (replica.go); unused on the primary.
	state replicaState
}

// pick returns the pool of d that ctx asks for.
func (d *database) pick(ctx context.Context) *pgxpool.Pool {
	if heavy, _ := ctx.Value(heavyKey{}).(bool); heavy && d.heavy != nil {
		return d.heavy
	}
	return d.main
}

// lanes sends each statement to the database its context's route names
// (route.go), and there to the pool its context asks for. It has the methods
// of *pgxpool.Pool that db uses, so every statement is routed the same way
// without each caller choosing. A read that a replica fails to answer
// because the replica is gone (a lost connection, a server shutting down) is
// sent again to the primary, and the request reads the primary from then on.
type lanes struct {
	primary  *database
	replicas []*database
	// next turns the round robin over the replicas.
	next roundRobin
}

func (l *lanes) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	d := l.database(ctx)
	rows, err := d.pick(ctx).Query(ctx, sql, args...)
	if d == l.primary {
		return rows, err
	}
	if err != nil {
		if !l.failover(ctx, d, err) {
			return nil, err
		}
		return l.primary.pick(ctx).Query(ctx, sql, args...)
	}
	return &failoverRows{Rows: rows, again: func(err error) (pgx.Rows, bool, error) {
		if !l.failover(ctx, d, err) {
			return nil, false, nil
		}
		rows, err := l.primary.pick(ctx).Query(ctx, sql, args...)
		return rows, true, err
	}}, nil
}

func (l *lanes) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	d := l.database(ctx)
	row := d.pick(ctx).QueryRow(ctx, sql, args...)
	if d == l.primary {
		return row
	}
	return failoverRow(func(dest ...any) error {
		err := row.Scan(dest...)
		if err != nil && l.failover(ctx, d, err) {
			return l.primary.pick(ctx).QueryRow(ctx, sql, args...).Scan(dest...)
		}
		return err
	})
}

func (l *lanes) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	d := l.database(ctx)
	if d == l.primary {
		return d.pick(ctx).SendBatch(ctx, b)
	}
	answered := countAnswers(b)
	return &failoverBatch{BatchResults: d.pick(ctx).SendBatch(ctx, b), answered: answered, again: func(err error) pgx.BatchResults {
		if !l.failover(ctx, d, err) {
			return nil
		}
		return l.primary.pick(ctx).SendBatch(ctx, copyBatch(b))
	}}
}

func (l *lanes) Begin(ctx context.Context) (pgx.Tx, error) {
	return l.BeginTx(ctx, pgx.TxOptions{})
}

func (l *lanes) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	d := l.database(ctx)
	tx, err := d.pick(ctx).BeginTx(ctx, opts)
	if err != nil && d != l.primary && l.failover(ctx, d, err) {
		return l.primary.pick(ctx).BeginTx(ctx, opts)
	}
	return tx, err
}

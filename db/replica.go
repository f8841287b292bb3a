package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultMaxLag is how far behind the primary a replica may be and stay in
// the rotation when Pools.MaxLag is not set.
const DefaultMaxLag = 5 * time.Second

// Replica is a streaming replica of the primary, with its pools.
type Replica struct {
	// Name names it in ServedBy, /readyz and the logs ("replica-1"); Addr
	// is where it is (host:port/dbname), for the operator.
	Name, Addr string
	// Main, Heavy and Health serve it as the primary's pools serve the
	// primary; Heavy and Health may be nil (Main).
	Main, Heavy, Health *pgxpool.Pool
}

// ReplicaStatus is what the last health check found of a replica.
type ReplicaStatus struct {
	Name, Addr string
	// InRotation is whether it serves reads: it answered the last check and
	// was no further behind than the bound.
	InRotation bool
	// Lag is how long ago the primary was where the replica is now, and
	// LagBytes how much WAL it has still to replay: 0 when caught up.
	Lag      time.Duration
	LagBytes int64
	// Err is why it failed its last check, or its last read; nil if it did not.
	Err error
	// Checked is when it was last checked; zero before the first check.
	Checked time.Time
}

// HasReplicas reports whether reads may go to replicas.
func (db *DB) HasReplicas() bool { return len(db.pool.replicas) > 0 }

// Replicas returns the status of each replica, in configuration order.
func (db *DB) Replicas() []ReplicaStatus {
	out := make([]ReplicaStatus, 0, len(db.pool.replicas))
	for _, d := range db.pool.replicas {
		out = append(out, d.state.status(d))
	}
	return out
}

// replicaState is a replica's health, written by its checks and by the reads
// it fails.
type replicaState struct {
	mu         sync.Mutex
	inRotation bool
	replay     LSN // the WAL position it had replayed at its last check
	lag        time.Duration
	lagBytes   int64
	err        error
	checked    time.Time
}

// serves reports whether the replica is in the rotation, and whether it had
// replayed the WAL up to after when last asked (it has replayed more since).
func (s *replicaState) serves(after LSN) (inRotation, caughtUp bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inRotation, s.replay >= after
}

// replayed notes that the replica has replayed up to lsn, and returns how far
// it is known to have replayed.
func (s *replicaState) replayed(lsn LSN) LSN {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replay = max(s.replay, lsn)
	return s.replay
}

// fail takes the replica out of the rotation until its next check finds it
// well.
func (s *replicaState) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inRotation, s.err = false, err
}

func (s *replicaState) status(d *database) ReplicaStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ReplicaStatus{Name: d.name, Addr: d.addr, InRotation: s.inRotation, Lag: s.lag, LagBytes: s.lagBytes, Err: s.err, Checked: s.checked}
}

// replicaCheckTimeout bounds one health check of one replica: one that does
// not answer in this time fails it.
const replicaCheckTimeout = 2 * time.Second

// CheckEvery is how often WatchReplicas checks the replicas: often enough to
// see a replica pass the bound within a fifth of it.
func (db *DB) CheckEvery() time.Duration {
	return min(time.Second, max(db.lag.maxLag/5, 50*time.Millisecond))
}

// WatchReplicas checks the replicas every CheckEvery until ctx ends, taking
// each out of the rotation when it fails or lags past the bound, and back when
// it answers and has caught up; it logs each change.
func (db *DB) WatchReplicas(ctx context.Context, log *slog.Logger) {
	if len(db.pool.replicas) == 0 {
		return
	}
	t := time.NewTicker(db.CheckEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		before := db.Replicas()
		db.CheckReplicas(ctx)
		for i, now := range db.Replicas() {
			if now.InRotation != before[i].InRotation {
				logRotation(log, now)
			}
		}
	}
}

func logRotation(log *slog.Logger, s ReplicaStatus) {
	if s.InRotation {
		log.Info("replica back in the rotation", "replica", s.Name, "addr", s.Addr, "lag", s.Lag, "lag_bytes", s.LagBytes)
		return
	}
	log.Warn("replica out of the rotation", "replica", s.Name, "addr", s.Addr, "lag", s.Lag, "lag_bytes", s.LagBytes, "err", s.Err)
}

// CheckReplicas checks every replica once: it reads the primary's WAL
// position, then each replica's.
func (db *DB) CheckReplicas(ctx context.Context) {
	if len(db.pool.replicas) == 0 {
		return
	}
	primary, err := readLSN(ctx, db.pool.primary.healthPool(), primaryLSNSQL)
	if err != nil {
		// Without the primary's position no lag can be measured; the
		// replicas keep their state, and /readyz reports the primary.
		return
	}
	db.lag.add(time.Now(), primary)
	var wg sync.WaitGroup
	for _, d := range db.pool.replicas {
		wg.Go(func() { db.checkReplica(ctx, d, primary) })
	}
	wg.Wait()
}

// replicaHealthSQL is what a replica's check reads: whether it still
// replays, how far, and how old the last commit it replayed is.
const replicaHealthSQL = `SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, '0/0'),
	coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8, 'Infinity')`

// errPromoted is a replica's health when it replays no more: promoted, it
// takes writes of its own and is no copy of the primary any more.
var errPromoted = errors.New("is not in recovery: promoted, or not a replica; it serves no reads until it replays the primary again")

func (db *DB) checkReplica(ctx context.Context, d *database, primary LSN) {
	ctx, cancel := context.WithTimeout(ctx, replicaCheckTimeout)
	defer cancel()
	pool := d.healthPool()
	var recovering bool
	var replayText string
	var replayAge float64
	err := pool.QueryRow(ctx, replicaHealthSQL).Scan(&recovering, &replayText, &replayAge)
	var replay LSN
	if err == nil {
		replay, err = ParseLSN(replayText)
	}
	if err == nil && !recovering {
		err = errPromoted
	}
	s := &d.state
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checked = time.Now()
	if err != nil {
		s.inRotation, s.err = false, fmt.Errorf("health check: %w", err)
		return
	}
	s.replay, s.err = replay, nil
	s.lagBytes = max(int64(primary)-int64(replay), 0)
	s.lag = db.lag.behind(s.checked, replay, secondsOr(replayAge))
	s.inRotation = s.lag <= db.lag.maxLag
}

// secondsOr is a number of seconds as a duration, the longest one for +Inf.
func secondsOr(s float64) time.Duration {
	if math.IsInf(s, 0) || s > math.MaxInt64/float64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(s * float64(time.Second))
}

// primaryLSNSQL is how far the primary has written its WAL out: what
// replicas can have. Its insert position can be a page header ahead of the
// last record's end, which a replica's replay position never passes.
const primaryLSNSQL = `SELECT pg_current_wal_lsn()::text`

// healthPool is d's pool for health checks.
func (d *database) healthPool() *pgxpool.Pool {
	if d.health != nil {
		return d.health
	}
	return d.main
}

// readLSN reads an LSN with sql on pool.
func readLSN(ctx context.Context, pool *pgxpool.Pool, sql string) (LSN, error) {
	ctx, cancel := context.WithTimeout(ctx, replicaCheckTimeout)
	defer cancel()
	var s string
	if err := pool.QueryRow(ctx, sql).Scan(&s); err != nil {
		return 0, err
	}
	return ParseLSN(s)
}

// lagClock measures a replica's lag in time from the WAL positions the
// primary had at each check: a replica at position p lags by how long ago the
// primary was first seen past p. Unlike now() - pg_last_xact_replay_timestamp()
// it does not grow while the primary is idle, when a caught-up replica has
// nothing to replay.
type lagClock struct {
	maxLag  time.Duration
	mu      sync.Mutex
	samples []lsnSample // oldest first, covering the last keepFor
}

type lsnSample struct {
	at  time.Time
	lsn LSN
}

func newLagClock(maxLag time.Duration) *lagClock {
	if maxLag <= 0 {
		maxLag = DefaultMaxLag
	}
	return &lagClock{maxLag: maxLag}
}

// keepFor is how far back the samples go: past the bound, so that a lag over
// it is measured as one.
func (c *lagClock) keepFor() time.Duration { return 2*c.maxLag + time.Second }

// add notes that the primary was at lsn at time at.
func (c *lagClock) add(at time.Time, lsn LSN) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.samples = append(c.samples, lsnSample{at: at, lsn: lsn})
	drop := 0
	for drop < len(c.samples)-1 && at.Sub(c.samples[drop].at) > c.keepFor() {
		drop++
	}
	c.samples = c.samples[drop:]
}

// behind returns how long before now the primary was first seen past replay:
// 0 when replay is at or past its last position. When the replica is behind
// every position kept, it is at least as old as the oldest, and at least as
// old as the last commit it replayed (replayAge).
func (c *lagClock) behind(now time.Time, replay LSN, replayAge time.Duration) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.samples) == 0 || replay >= c.samples[len(c.samples)-1].lsn {
		return 0
	}
	for i, s := range c.samples {
		if s.lsn > replay {
			lag := now.Sub(s.at)
			if i == 0 {
				lag = max(lag, replayAge)
			}
			return lag
		}
	}
	return 0
}

// identitySQL is what makes a database the one a replica copies: the
// cluster's system identifier, which pg_basebackup copies and initdb makes
// anew, and the database's name; and whether it replays WAL.
const identitySQL = `SELECT pg_is_in_recovery(), (SELECT system_identifier FROM pg_control_system())::text, current_database()`

// CheckReplicaOf returns an error saying what is wrong unless replica is a
// streaming replica of primary's cluster, serving the same database: it is
// unreachable, not in recovery (a primary), a copy of another cluster, or
// the same cluster's other database.
func CheckReplicaOf(ctx context.Context, primary, replica *pgxpool.Pool) error {
	var pRecovering, rRecovering bool
	var pSystem, rSystem, pName, rName string
	if err := primary.QueryRow(ctx, identitySQL).Scan(&pRecovering, &pSystem, &pName); err != nil {
		return fmt.Errorf("read the primary's identity: %w", err)
	}
	if err := replica.QueryRow(ctx, identitySQL).Scan(&rRecovering, &rSystem, &rName); err != nil {
		return fmt.Errorf("cannot read it: %w", err)
	}
	switch {
	case !rRecovering:
		return errors.New("it is not a replica: pg_is_in_recovery() is false there, so it takes writes of its own " +
			"(a primary, or a promoted replica); give only streaming replicas of the primary")
	case rSystem != pSystem:
		return fmt.Errorf("it is a replica of another cluster: system identifier %s, the primary's is %s", rSystem, pSystem)
	case rName != pName:
		return fmt.Errorf("it serves database %q, the primary %q: give the replica's URL with the primary's database name", rName, pName)
	}
	return nil
}

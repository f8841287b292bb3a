package db

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A replica that goes away (stopped, crashed, restarted) fails the reads sent
// to it before anything of theirs reached a client: every read here is whole
// before the server answers, and only reads go to replicas, so sending one
// again to the primary is always safe. Reads that had begun to stream (an
// export) fail with the replica.

// failover reports whether err, from replica d, is the replica's failing
// rather than the statement's, so that the read may be sent to the primary:
// then the request reads the primary from now on, and a replica that is gone
// leaves the rotation until its health check finds it again.
func (l *lanes) failover(ctx context.Context, d *database, err error) bool {
	if ctx.Err() != nil {
		return false // the request's own deadline or cancellation
	}
	again, gone := replicaFailure(err)
	if !again {
		return false
	}
	if gone {
		d.state.fail(err)
	}
	if r := routeOf(ctx); r != nil {
		r.toPrimary(l.primary)
	}
	return true
}

// replicaFailure reports whether err is one the primary would not have
// (again), and whether it says that the replica is gone. A statement the
// replica cancelled for a conflict with the WAL it replays (40001) is read
// again on the primary; the replica stays.
func replicaFailure(err error) (again, gone bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			pgErr.Code == "57P01", // admin_shutdown: stopped, or its postmaster died
			pgErr.Code == "57P02", // crash_shutdown
			pgErr.Code == "57P03": // cannot_connect_now: starting up
			return true, true
		case pgErr.Code == "40001": // serialization_failure: a recovery conflict
			return true, false
		}
		return false, false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	gone = errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err)
	return gone, gone
}

// failoverRows reads rows from a replica, and when the replica fails before
// the first row, from the primary instead (again).
type failoverRows struct {
	pgx.Rows
	again func(err error) (rows pgx.Rows, sent bool, againErr error)
	read  bool
	// err is the primary's when a read sent there again could not start.
	err error
}

func (r *failoverRows) Next() bool {
	if r.err == nil && r.Rows.Next() {
		r.read = true
		return true
	}
	again := r.again
	r.again = nil
	if r.read || again == nil || r.Rows.Err() == nil {
		return false
	}
	rows, sent, err := again(r.Rows.Err())
	if !sent {
		return false
	}
	r.Rows.Close()
	if err != nil {
		r.err = err
		return false
	}
	r.Rows = rows
	return r.Next()
}

func (r *failoverRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.Rows.Err()
}

// failoverRow is a row whose Scan reads it again on the primary when the
// replica fails.
type failoverRow func(dest ...any) error

func (f failoverRow) Scan(dest ...any) error { return f(dest...) }

// failoverBatch is a batch sent to a replica. When the replica fails before
// any of the batch's callbacks has taken an answer, the batch is sent again
// to the primary, whose answers the callbacks then take; once one has, the
// error stands, since a callback may have kept part of the replica's answer.
type failoverBatch struct {
	pgx.BatchResults
	answered *atomic.Int32
	again    func(err error) pgx.BatchResults
}

func (f *failoverBatch) Close() error {
	err := f.BatchResults.Close()
	if err == nil || f.answered.Load() > 0 {
		return err
	}
	again := f.again(err)
	if again == nil {
		return err
	}
	return again.Close()
}

// countAnswers makes each callback of b count the answers it took whole.
func countAnswers(b *pgx.Batch) *atomic.Int32 {
	var n atomic.Int32
	for _, q := range b.QueuedQueries {
		if fn := q.Fn; fn != nil {
			q.Fn = func(br pgx.BatchResults) error {
				err := fn(br)
				if err == nil {
					n.Add(1)
				}
				return err
			}
		}
	}
	return &n
}

// copyBatch returns b's statements and callbacks as a new batch: pgx keeps
// in a sent batch the statements it prepared on that batch's connection.
func copyBatch(b *pgx.Batch) *pgx.Batch {
	var c pgx.Batch
	for _, q := range b.QueuedQueries {
		c.Queue(q.SQL, q.Arguments...).Fn = q.Fn
	}
	return &c
}

// roundRobin turns over n choices.
type roundRobin struct{ n atomic.Uint64 }

func (r *roundRobin) next(n int) int { return int((r.n.Add(1) - 1) % uint64(n)) }

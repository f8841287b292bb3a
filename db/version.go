package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// dataVersionSQL is the data version (migration 0004): the geography's version
// and the last platform change, "g.s".
const dataVersionSQL = `SELECT geography_version || '.' || coalesce((SELECT max(seq) FROM platform_change), 0)
	FROM change_queue`

// VersionOlder reports whether data version a is older than b: a replica
// behind the primary reads an older one. Versions that are not "g.s" are
// older than none.
func VersionOlder(a, b string) bool {
	ag, as, aok := versionParts(a)
	bg, bs, bok := versionParts(b)
	return aok && bok && (ag < bg || ag == bg && as < bs)
}

// versionParts reads a data version's geography version and change number.
func versionParts(v string) (g, s int64, ok bool) {
	gs, ss, found := strings.Cut(v, ".")
	g, gerr := strconv.ParseInt(gs, 10, 64)
	s, serr := strconv.ParseInt(ss, 10, 64)
	return g, s, found && gerr == nil && serr == nil
}

// versionKey carries a data version in a context (WithDataVersion).
type versionKey struct{}

// WithDataVersion returns ctx carrying version, which its caller has just read
// with DataVersion at the start of a request: the caches that the request
// then passes through (whole answers, coverage) check against that one
// version instead of each reading it again.
func WithDataVersion(ctx context.Context, version string) context.Context {
	return context.WithValue(ctx, versionKey{}, version)
}

// DataVersion returns the version of everything the map shows. It changes with
// every committed write, and only then. Within a request that read it already
// (WithDataVersion), it is that version. It is read on the database the
// request reads (ReadOnly): a replica's own version, which may be behind the
// primary's, so that what the request then reads there is never kept under a
// version newer than its data.
func (db *DB) DataVersion(ctx context.Context) (string, error) {
	if v, ok := ctx.Value(versionKey{}).(string); ok {
		return v, nil
	}
	d := db.pool.database(ctx)
	v, err := d.versions.read(ctx, d)
	if err != nil && d != db.pool.primary && db.pool.failover(ctx, d, err) {
		v, err = db.pool.primary.versions.read(ctx, db.pool.primary)
	}
	if err != nil {
		return "", fmt.Errorf("data version: %w", err)
	}
	return v, nil
}

// read waits for a read of d's data version that begins after it asks.
func (vr *versionReads) read(ctx context.Context, d *database) (string, error) {
	r := vr.join(d)
	select {
	case <-r.done:
		return r.version, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// ParseDataVersion returns the two numbers of a data version: the
// geography's version and the number of the last platform change.
func ParseDataVersion(version string) (geography, changeSeq int64, err error) {
	g, s, ok := strings.Cut(version, ".")
	if ok {
		if geography, err = strconv.ParseInt(g, 10, 64); err == nil {
			changeSeq, err = strconv.ParseInt(s, 10, 64)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("data version %q: want two integers, geography.change", version)
	}
	return geography, changeSeq, nil
}

// versionReads shares the reads of the data version among requests. Each
// request waits for a read that begins after it asked, so its version counts
// every write committed before it asked (a client that wrote and then reads
// sees its write), and every request that asks while a read runs shares the
// next one. Under load one round trip serves many requests: a cached answer
// otherwise cost a round trip each, three times a bare request's work.
type versionReads struct {
	mu      sync.Mutex
	running bool
	next    *versionRead // the read that begins when the running one ends
}

// versionReadTimeout bounds one read of the data version, waiting for a
// connection included.
const versionReadTimeout = 10 * time.Second

// versionRead is one read of the data version; done closes when it has one.
type versionRead struct {
	done    chan struct{}
	version string
	err     error
}

// join returns the read that the caller waits for, starting it when no read
// runs.
func (vr *versionReads) join(d *database) *versionRead {
	vr.mu.Lock()
	defer vr.mu.Unlock()
	if vr.next == nil {
		vr.next = &versionRead{done: make(chan struct{})}
	}
	r := vr.next
	if !vr.running {
		vr.running, vr.next = true, nil
		go vr.run(d, r)
	}
	return r
}

// run reads the version for r, then for each read that was joined meanwhile,
// until none waits. A read belongs to no one request, so none's cancellation
// stops it; versionReadTimeout does, when the database is slow to answer.
func (vr *versionReads) run(d *database, r *versionRead) {
	for r != nil {
		ctx, cancel := context.WithTimeout(context.Background(), versionReadTimeout)
		r.err = d.main.QueryRow(ctx, dataVersionSQL).Scan(&r.version)
		cancel()
		close(r.done)
		vr.mu.Lock()
		r, vr.next = vr.next, nil
		vr.running = r != nil
		vr.mu.Unlock()
	}
}

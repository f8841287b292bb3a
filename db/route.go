package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"civicmap/errcode"
)

// Where a request's statements go. Every statement goes to the primary unless
// the request is marked ReadOnly (the server marks GraphQL queries and the
// GET endpoints: tiles, GeoJSON, OGC API, exports). A read-only request is
// given one replica in the rotation for all its statements, or the primary
// when none is in it, or none has replayed the WAL as far as the request's
// token (WithRoute's after) asks. Writes, the change feed and API keys always
// read the primary (onPrimary).

// primaryName names the primary in ServedBy and the replica statuses.
const primaryName = "primary"

// LSN is a position in the primary's write-ahead log: the token that a client
// that wrote sends back to read its write (ReadOnly).
type LSN uint64

// ParseLSN reads an LSN as PostgreSQL writes it, "16/B374D848". It returns
// BAD_USER_INPUT for anything else.
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	h, herr := strconv.ParseUint(hi, 16, 32)
	l, lerr := strconv.ParseUint(lo, 16, 32)
	if !ok || herr != nil || lerr != nil {
		// Not echoed: a header may be long.
		return 0, errcode.Errorf(errcode.BadUserInput, "not a read-after token: send back the value a write's response gave, such as 0/3000148")
	}
	return LSN(h<<32 | l), nil
}

func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

// route is where one request's statements go, and what it wrote.
type route struct {
	// after is the WAL position that the request must see (its token).
	after LSN

	mu sync.Mutex
	// readOnly is set by ReadOnly: the request's first statement chooses
	// the database it reads (on). Until then, and without it, on is nil
	// and the request reads the primary.
	readOnly bool
	on       *database
	// used is set once a statement has gone through the route.
	used bool
	// written is the primary's WAL position after the request's last write.
	written LSN
}

type routeKey struct{}

func routeOf(ctx context.Context) *route {
	r, _ := ctx.Value(routeKey{}).(*route)
	return r
}

// WithRoute returns ctx with a route for one request, which reads the
// primary unless ReadOnly is called, and then only a database that has
// replayed the WAL up to after (0 for any).
func WithRoute(ctx context.Context, after LSN) context.Context {
	return context.WithValue(ctx, routeKey{}, &route{after: after})
}

// ReadOnly marks the request of ctx as one that only reads: its statements go
// to a replica in the rotation that has replayed the WAL as far as its token,
// in turn; to the primary when none has. The first statement chooses, so a
// request that reads nothing (a file of the map page) costs nothing. A
// context without a route (WithRoute) gets one. Without replicas it returns
// ctx as it is.
func (db *DB) ReadOnly(ctx context.Context) context.Context {
	if len(db.pool.replicas) == 0 {
		return ctx
	}
	r := routeOf(ctx)
	if r == nil {
		r = &route{}
		ctx = context.WithValue(ctx, routeKey{}, r)
	}
	r.mu.Lock()
	r.readOnly = true
	r.mu.Unlock()
	return ctx
}

// replayCheckTimeout bounds asking a replica how far it has replayed, for a
// read whose token is past what its last health check saw.
const replayCheckTimeout = 500 * time.Millisecond

// choose returns a replica in the rotation that has replayed the WAL up to
// after, taking each in turn; the primary when none has. A token is most
// often sent right after its write, past what the last health check saw:
// then the first replica in the rotation is asked how far it has replayed
// now, one round trip, rather than send every writer's reads to the primary.
func (l *lanes) choose(ctx context.Context, after LSN) *database {
	n := len(l.replicas)
	start := l.next.next(n)
	var behind *database
	for i := range n {
		d := l.replicas[(start+i)%n]
		inRotation, caughtUp := d.state.serves(after)
		if inRotation && caughtUp {
			return d
		}
		if inRotation && behind == nil {
			behind = d
		}
	}
	if behind == nil {
		return l.primary
	}
	ctx, cancel := context.WithTimeout(ctx, replayCheckTimeout)
	defer cancel()
	if replay, err := readLSN(ctx, behind.main, replayLSNSQL); err == nil && behind.state.replayed(replay) >= after {
		return behind
	}
	return l.primary
}

// onPrimary returns ctx whose statements go to the primary whatever its
// request's route: for writes, the change feed and API keys, which must see
// every commit. A write still notes its WAL position in the request's route.
func onPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryKey{}, true)
}

type primaryKey struct{}

// database returns the database that ctx's statements go to.
func (l *lanes) database(ctx context.Context) *database {
	if len(l.replicas) == 0 {
		// Nothing to choose: no walk of the context and no lock per statement.
		return l.primary
	}
	r := routeOf(ctx)
	if r == nil {
		return l.primary
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.used = true
	if p, _ := ctx.Value(primaryKey{}).(bool); p {
		return l.primary
	}
	if r.on == nil {
		if !r.readOnly {
			return l.primary
		}
		r.on = l.choose(ctx, r.after)
	}
	return r.on
}

// toPrimary sends the rest of r's statements to the primary.
func (r *route) toPrimary(primary *database) {
	r.mu.Lock()
	r.on = primary
	r.mu.Unlock()
}

// ServedBy names the database that the request of ctx has read last:
// "primary" or the replica's name (Pools.Replicas); "" when it has read
// nothing through its route.
func (db *DB) ServedBy(ctx context.Context) string {
	r := routeOf(ctx)
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !r.used:
		return ""
	case r.on != nil:
		return r.on.name
	}
	return primaryName
}

// Written returns the primary's WAL position after the last write of the
// request of ctx, 0 when it wrote nothing: the token a client sends back to
// read its write on any server (ReadOnly).
func Written(ctx context.Context) LSN {
	r := routeOf(ctx)
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.written
}

// writtenLSNSQL is where the primary inserts WAL now. Read after a write's
// commit it is past the commit record, so a replica that has replayed that
// far shows the write. (pg_current_wal_lsn, what has been written out, may
// still be short of an asynchronous commit's record.)
const writtenLSNSQL = `SELECT pg_current_wal_insert_lsn()::text`

// replayLSNSQL is how far a replica has replayed.
const replayLSNSQL = `SELECT coalesce(pg_last_wal_replay_lsn()::text, '0/0')`

// noteWrite records in the request's route the WAL position after a write
// that has committed. A request without a route (the command line) has no
// client to tell. When the position cannot be read the write stands all the
// same, and its client gets no token: failing a committed write would make
// its client write it again.
func (db *DB) noteWrite(ctx context.Context) {
	r := routeOf(ctx)
	if r == nil {
		return
	}
	var s string
	if err := db.pool.primary.main.QueryRow(ctx, writtenLSNSQL).Scan(&s); err != nil {
		return
	}
	if lsn, err := ParseLSN(s); err == nil {
		r.mu.Lock()
		r.written = max(r.written, lsn)
		r.mu.Unlock()
	}
}

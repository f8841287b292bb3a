package db

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The change feed is the table platform_change, written by a trigger on every
// insert or update of a platform (migration 0003), whoever makes it: the API,
// the loader or a person in psql. Its seq is commit order: the trigger locks
// a queue row at COMMIT, holds the lock until the transaction has committed,
// and takes its numbers from a sequence under it, so no change can commit
// later with a lower number. A reader that remembers the last seq it saw and
// asks for the ones after it therefore never misses one and never sees one
// twice.

// ChangeOperation is platform_change.operation.
type ChangeOperation string

// Change operations.
const (
	OpCreate  ChangeOperation = "CREATE"
	OpUpdate  ChangeOperation = "UPDATE"
	OpDelete  ChangeOperation = "DELETE"
	OpRestore ChangeOperation = "RESTORE"
)

// Change is one committed write of a platform, with the platform as that write
// left it (Platform.Version is the version it wrote).
type Change struct {
	Seq       int64           `db:"seq"`
	Operation ChangeOperation `db:"operation"`
	ChangedAt time.Time       `db:"changed_at"`
	// DeletedAt is set when the write left the platform deleted: a tombstone.
	DeletedAt *time.Time `db:"deleted_at"`
	Platform
}

// Tombstone is what remains visible of a deleted platform.
type Tombstone struct {
	ID         int64     `db:"id"`
	ExternalID string    `db:"external_id"`
	DeletedAt  time.Time `db:"deleted_at"`
	Version    int       `db:"version"`
}

// Tombstone returns the change's tombstone, nil unless the platform was left deleted.
func (c *Change) Tombstone() *Tombstone {
	if c.DeletedAt == nil {
		return nil
	}
	return &Tombstone{ID: c.ID, ExternalID: c.ExternalID, DeletedAt: *c.DeletedAt, Version: c.Version}
}

// changesSQL reads a page of the feed. Each change's platform is rebuilt from
// the row it wrote (after), so a reader gets every version in turn, not only
// the latest.
const changesSQL = `
SELECT c.seq, c.operation, c.changed_at, p.deleted_at, ` + platformColumns + `
FROM platform_change c
CROSS JOIN LATERAL jsonb_populate_record(NULL::platform, c.after) p
JOIN township t ON t.code = p.township_code
WHERE c.seq > $1
ORDER BY c.seq
LIMIT $2`

// Changes returns the changes after the one numbered Page.After ("" for the
// beginning), in commit order. The feed reads the primary, whatever the
// request's route: a replica's feed would be gap-free too (it replays the
// commits in the order that numbers them), but it could be behind the cursor
// a client got from another server, and a client polling several servers
// would see the feed stall and jump. It is one index range scan.
func (db *DB) Changes(ctx context.Context, page Page) (rows []Change, hasNext bool, err error) {
	after, err := intKey(page.After)
	if err != nil {
		return nil, false, fmt.Errorf("changes: %w", err)
	}
	cs, err := queryRows[Change](onPrimary(ctx), db.pool, changesSQL, after, page.limit())
	if err != nil {
		return nil, false, fmt.Errorf("changes: %w", err)
	}
	rows, hasNext = cut(cs, page)
	return rows, hasNext, nil
}

// LastChangeSeq returns the number of the last committed change, 0 for none,
// on the primary, as Changes reads.
func (db *DB) LastChangeSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := db.pool.QueryRow(onPrimary(ctx), snapshotSeqSQL).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last change: %w", err)
	}
	return seq, nil
}

// Actor names who writes, for the change feed's audit columns.
type Actor struct {
	Name  string
	KeyID *int64 // the API key, when the writer used one
}

// ActorLoad is the seed loader.
var ActorLoad = Actor{Name: "load"}

// setActorSQL names the transaction's writer for record_platform_change.
// set_config(…, true) lasts until the transaction ends.
const setActorSQL = `SELECT set_config('civicmap.actor', $1, true), set_config('civicmap.api_key_id', $2, true)`

// execer is what both a connection and a transaction offer for statements
// without rows.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// SetActor names the writer of the transaction tx for the change feed. Call it
// in every transaction that writes platforms; the feed records a change made
// without it under the database role.
func SetActor(ctx context.Context, tx execer, a Actor) error {
	keyID := ""
	if a.KeyID != nil {
		keyID = strconv.FormatInt(*a.KeyID, 10)
	}
	if _, err := tx.Exec(ctx, setActorSQL, a.Name, keyID); err != nil {
		return fmt.Errorf("set actor: %w", err)
	}
	return nil
}

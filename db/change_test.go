package db_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/db/sanmingtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, sanmingtest.Prepare)) }

// The writes of TestChangeFeedUnderConcurrentWriters.
const (
	writers         = 8
	writesPerWriter = 375 // 3000 in all
	readers         = 2
)

// rawUpdateSQL is a write that does not go through db's API, so that the
// test can sleep inside its transaction between the write and the commit.
const rawUpdateSQL = `UPDATE platform SET name = $2, version = version + 1, updated_at = now()
WHERE id = $1 AND deleted_at IS NULL RETURNING version`

// committed is a write that committed: the platform and the version it wrote.
type committed struct {
	id      int64
	version int
}

// owned is what a writer knows of one of its platforms.
type owned struct {
	version int
	live    bool
	in      db.PlatformInput
}

// TestChangeFeedUnderConcurrentWriters: 8 writers make 3000 writes (creates,
// updates, deletes, restores, and updates that sleep between the write and
// the commit so that commits come out of the order the transactions started
// in, plus some that roll back) over separate connections, while 2 readers
// poll the feed with the cursor of the last change they saw. Every committed
// change must reach every reader exactly once, no rolled-back one may, and
// each platform's versions must arrive in increasing order.
func TestChangeFeedUnderConcurrentWriters(t *testing.T) {
	ctx := t.Context()
	cfg, err := pgxpool.ParseConfig(dbtest.NewConnString(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = writers + readers + 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	d := db.New(pool)
	key, _, err := d.CreateKey(ctx, "concurrency test", db.RoleAdmin, nil)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := key.Writer()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := d.Platforms(ctx, db.PlatformFilter{}, db.Page{First: 500})
	if err != nil || len(loaded.Rows) != 207 {
		t.Fatalf("loaded platforms: %d, %v", len(loaded.Rows), err)
	}

	start := time.Now()
	writersDone := make(chan struct{})
	results := make([]readResult, readers)
	var readWG sync.WaitGroup
	for r := range readers {
		readWG.Add(1)
		go func() {
			defer readWG.Done()
			results[r] = follow(ctx, d, 50+r*200, writersDone)
		}()
	}

	logs := make([]writeLog, writers)
	var writeWG sync.WaitGroup
	for w := range writers {
		mine := map[int64]*owned{}
		for _, p := range loaded.Rows {
			if int(p.ID)%writers == w {
				mine[p.ID] = &owned{version: p.Version, live: true, in: p.Input()}
			}
		}
		writeWG.Add(1)
		go func() {
			defer writeWG.Done()
			logs[w] = write(ctx, d, pool, admin, w, mine)
		}()
	}
	writeWG.Wait()
	close(writersDone)
	readWG.Wait()
	duration := time.Since(start)

	want := map[committed]bool{}
	for _, p := range loaded.Rows {
		want[committed{p.ID, 1}] = true // the loader's CREATE
	}
	var total writeLog
	for w, l := range logs {
		if l.err != nil {
			t.Fatalf("writer %d: %v", w, l.err)
		}
		for _, c := range l.committed {
			want[c] = true
		}
		total.add(l)
	}
	if got := len(want) - 207; got != total.count() {
		t.Fatalf("%d distinct committed writes, but the writers counted %d", got, total.count())
	}

	for r, res := range results {
		if res.err != nil {
			t.Fatalf("reader %d: %v", r, res.err)
		}
		missed, duplicated, unexpected := 0, 0, 0
		for c := range want {
			switch n := res.seen[c]; {
			case n == 0:
				missed++
			case n > 1:
				duplicated += n - 1
			}
		}
		for c := range res.seen {
			if !want[c] {
				unexpected++
			}
		}
		t.Logf("reader %d (pages of %d): writes %d (creates %d, updates %d of which %d slept inside the transaction, deletes %d, restores %d; "+
			"%d rolled back), writers %d, readers %d, changes seen %d (%d while the writers ran, in %d polls), missed %d, duplicated %d, "+
			"unexpected %d, out of order %d, duration %s",
			r, 50+r*200, total.count(), total.creates, total.updates+total.slept, total.slept, total.deletes, total.restores,
			total.rolledBack, writers, readers, res.changes, res.duringWrites, res.polls, missed, duplicated,
			unexpected, res.outOfOrder, duration.Round(time.Millisecond))
		if missed != 0 || duplicated != 0 || unexpected != 0 || res.outOfOrder != 0 || res.rolledBack != 0 {
			t.Errorf("reader %d: missed %d, duplicated %d, unexpected %d (rolled back %d), out of order %d; want all 0",
				r, missed, duplicated, unexpected, res.rolledBack, res.outOfOrder)
		}
	}
	if total.count() != writers*writesPerWriter-total.rolledBack {
		t.Errorf("%d writes committed and %d rolled back, want %d in all", total.count(), total.rolledBack, writers*writesPerWriter)
	}
}

// rolledBackName marks the writes that roll back, so a reader can tell if one leaked.
const rolledBackName = "rolled back"

// writeLog counts what one writer did.
type writeLog struct {
	committed                                              []committed
	creates, updates, slept, deletes, restores, rolledBack int
	err                                                    error
}

func (l *writeLog) count() int { return l.creates + l.updates + l.slept + l.deletes + l.restores }

func (l *writeLog) add(o writeLog) {
	l.creates += o.creates
	l.updates += o.updates
	l.slept += o.slept
	l.deletes += o.deletes
	l.restores += o.restores
	l.rolledBack += o.rolledBack
}

// write makes writesPerWriter random writes to the writer's own platforms (so
// that it always knows their versions) and to the ones it creates.
func write(ctx context.Context, d *db.DB, pool *pgxpool.Pool, admin db.Writer, w int, mine map[int64]*owned) writeLog {
	var l writeLog
	rng := rand.New(rand.NewPCG(uint64(w), 5))
	ids := make([]int64, 0, len(mine))
	for id := range mine {
		ids = append(ids, id)
	}
	for i := range writesPerWriter {
		id := ids[rng.IntN(len(ids))]
		p := mine[id]
		var err error
		switch r := rng.IntN(100); {
		case r < 15:
			in := p.in
			ext := fmt.Sprintf("CT-%d-%d", w, i)
			in.ExternalID, in.Kind, in.SectorCode, in.Name = &ext, db.Workstation, nil, "并发测试工作站 "+ext
			var np *db.Platform
			if np, err = d.CreatePlatform(ctx, admin, in); err == nil {
				mine[np.ID] = &owned{version: np.Version, live: true, in: in}
				ids = append(ids, np.ID)
				l.committed = append(l.committed, committed{np.ID, np.Version})
				l.creates++
			}
		case !p.live:
			var np *db.Platform
			if np, err = d.RestorePlatform(ctx, admin, id, p.version); err == nil {
				p.version, p.live = np.Version, true
				l.committed = append(l.committed, committed{id, np.Version})
				l.restores++
			}
		case r < 25:
			var tomb *db.Tombstone
			if tomb, err = d.DeletePlatform(ctx, admin, id, p.version); err == nil {
				p.version, p.live = tomb.Version, false
				l.committed = append(l.committed, committed{id, tomb.Version})
				l.deletes++
			}
		case r < 50:
			in := p.in
			in.Name = fmt.Sprintf("%s (%d)", p.in.Name, i)
			var np *db.Platform
			if np, err = d.UpdatePlatform(ctx, admin, id, in, p.version); err == nil {
				p.version = np.Version
				l.committed = append(l.committed, committed{id, np.Version})
				l.updates++
			}
		case r < 55:
			if _, err = sleepyUpdate(ctx, pool, rng, id, rolledBackName, true); err == nil {
				l.rolledBack++
			}
		default:
			var version int
			if version, err = sleepyUpdate(ctx, pool, rng, id, fmt.Sprintf("%s [%d]", p.in.Name, i), false); err == nil {
				p.version = version
				l.committed = append(l.committed, committed{id, version})
				l.slept++
			}
		}
		if err != nil {
			l.err = fmt.Errorf("write %d to platform %d: %w", i, id, err)
			return l
		}
	}
	return l
}

// errRollback ends a transaction that is meant to roll back.
var errRollback = errors.New("rolled back on purpose")

// sleepyUpdate renames a platform in a transaction that waits up to 2 ms
// before its write and up to 4 ms between the write and the commit (in
// PostgreSQL, pg_sleep), so that transactions that started later often commit
// first. With rollback set it
// rolls back instead of committing. It returns the version written.
func sleepyUpdate(ctx context.Context, pool *pgxpool.Pool, rng *rand.Rand, id int64, name string, rollback bool) (int, error) {
	before := time.Duration(rng.IntN(2000)) * time.Microsecond
	after := time.Duration(rng.IntN(4000)) * time.Microsecond
	var version int
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := db.SetActor(ctx, tx, db.Actor{Name: "concurrency test"}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_sleep($1)`, before.Seconds()); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, rawUpdateSQL, id, name).Scan(&version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_sleep($1)`, after.Seconds()); err != nil {
			return err
		}
		if rollback {
			return errRollback
		}
		return nil
	})
	if rollback && errors.Is(err, errRollback) {
		return 0, nil
	}
	return version, err
}

// readResult is what a reader saw.
type readResult struct {
	seen         map[committed]int
	changes      int // changes read
	duringWrites int // changes read before the writers finished
	polls        int
	outOfOrder   int // seq not increasing, or a platform's version not increasing
	rolledBack   int // changes of writes that rolled back
	err          error
}

// follow reads the feed from the beginning as an integrator would: a page
// after the last change seen, again and again, until the writers are done and
// a last poll finds nothing more.
func follow(ctx context.Context, d *db.DB, pageSize int, writersDone <-chan struct{}) readResult {
	res := readResult{seen: map[committed]int{}}
	lastVersion := map[int64]int{}
	var lastSeq int64
	after := ""
	for {
		// Read the signal before polling: a poll that starts after every
		// writer committed and finds nothing proves the feed is drained.
		done := isClosed(writersDone)
		rows, _, err := d.Changes(ctx, db.Page{First: pageSize, After: after})
		if err != nil {
			res.err = err
			return res
		}
		res.polls++
		for _, c := range rows {
			if c.Seq <= lastSeq || c.Version <= lastVersion[c.ID] {
				res.outOfOrder++
			}
			if c.Name == rolledBackName {
				res.rolledBack++
			}
			lastSeq, lastVersion[c.ID] = c.Seq, c.Version
			res.seen[committed{c.ID, c.Version}]++
			res.changes++
			if !done {
				res.duringWrites++
			}
		}
		if len(rows) > 0 {
			after = strconv.FormatInt(lastSeq, 10)
			continue
		}
		if done {
			return res
		}
		// An integrator's poll interval, shortened; the writers' end wakes it.
		select {
		case <-writersDone:
		case <-time.After(time.Millisecond):
		}
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

package resolvers

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"civicmap/db"
)

// Feed delivers the change feed to subscriptions (platformChanged).
//
// One poller per server asks the database for the feed's last number every
// interval, and only while someone subscribes; when the number grows it wakes
// every subscriber, and each subscriber then reads the changes after its own
// cursor with the same query as `changes`. So a subscriber gets exactly the
// feed's guarantee (commit order, no gap, no repeat), whether it is replaying
// from an old cursor, catching up after being slow, or live: there is no
// hand-over between a replay and a live stream to get wrong, and no buffer per
// subscriber to overflow. Idle, the cost is one primary-key read per interval
// for the whole server; on a write, one indexed range read per subscriber.
//
// Polling rather than LISTEN/NOTIFY: LISTEN holds a connection out of the pool
// and needs its own reconnect path, and a notification lost while
// reconnecting needs a poll to recover anyway; at the directory's write rate a
// poll of one row every few hundred milliseconds costs nothing worth saving.
type Feed struct {
	db       *db.DB
	interval time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	waiters map[chan struct{}]struct{}
	stop    context.CancelFunc // ends the poller; nil while nobody subscribes
}

// NewFeed returns a feed that looks for new changes in d every interval; it
// logs the reads that fail, which it retries.
func NewFeed(d *db.DB, interval time.Duration, log *slog.Logger) *Feed {
	return &Feed{db: d, interval: interval, log: log, waiters: map[chan struct{}]struct{}{}}
}

// replayPage is how many changes a subscriber reads at a time.
const replayPage = maxFirst

// Follow sends on the channel it returns every change after the one numbered
// after, in commit order, then each new change as it commits, until ctx ends.
// after < 0 means from now on.
func (f *Feed) Follow(ctx context.Context, after int64) (<-chan *db.Change, error) {
	// Register before the first read: a change that commits after that read
	// then always wakes this subscriber.
	wake := f.wait()
	if after < 0 {
		var err error
		if after, err = f.db.LastChangeSeq(ctx); err != nil {
			f.leave(wake)
			return nil, err
		}
	}
	out := make(chan *db.Change)
	go func() {
		defer close(out)
		defer f.leave(wake)
		for {
			var err error
			if after, err = f.send(ctx, after, out); ctx.Err() != nil {
				return
			}
			if err != nil {
				f.log.WarnContext(ctx, "subscription: read of the change feed failed; retrying", "after", after, "err", err)
				// Retry after the interval, not on a wake: the poller wakes
				// subscribers only when a change commits, which may be long
				// after the database answers again.
				if !sleep(ctx, f.interval) {
					return
				}
				continue
			}
			select {
			case <-wake:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// send sends the changes after the one numbered after, all there are now, and
// returns the number of the last one sent, with the error of a read that
// failed; Follow retries from that number.
func (f *Feed) send(ctx context.Context, after int64, out chan<- *db.Change) (int64, error) {
	for {
		rows, hasNext, err := f.db.Changes(ctx, db.Page{First: replayPage, After: strconv.FormatInt(after, 10)})
		if err != nil {
			return after, err
		}
		for i := range rows {
			select {
			case out <- &rows[i]:
				after = rows[i].Seq
			case <-ctx.Done():
				return after, ctx.Err()
			}
		}
		if !hasNext {
			return after, nil
		}
	}
}

// Subscribers returns how many subscriptions follow the feed now.
func (f *Feed) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// wait registers a subscriber, starting the poller for the first one.
func (f *Feed) wait() chan struct{} {
	wake := make(chan struct{}, 1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waiters[wake] = struct{}{}
	if f.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		f.stop = cancel
		go f.poll(ctx)
	}
	return wake
}

// leave unregisters a subscriber, stopping the poller after the last one.
func (f *Feed) leave(wake chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.waiters, wake)
	if len(f.waiters) == 0 && f.stop != nil {
		f.stop()
		f.stop = nil
	}
}

// poll wakes every subscriber whenever the feed's last number changes. Its
// first look always wakes them: a change may have committed between a new
// subscriber's first read and the poller's start.
func (f *Feed) poll(ctx context.Context) {
	last := int64(-1)
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		switch seq, err := f.db.LastChangeSeq(ctx); {
		case err != nil && ctx.Err() == nil:
			f.log.WarnContext(ctx, "subscriptions: poll of the change feed failed; retrying", "err", err)
		case err == nil && seq != last:
			last = seq
			f.wakeAll()
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

func (f *Feed) wakeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for w := range f.waiters {
		select {
		case w <- struct{}{}:
		default: // already woken, not yet awake
		}
	}
}

// sleep waits d or until ctx ends; false when ctx has ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

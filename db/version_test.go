package db_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"civicmap/db"
	"civicmap/db/dbtest"
)

// TestDataVersionSeesEarlierWrites: reads of the data version are shared
// among requests, yet each reader's version counts every write committed
// before it asked. Writers commit and then ask, as a client that writes and
// then reads would; 16 other readers ask all the while, so that reads are
// shared.
func TestDataVersionSeesEarlierWrites(t *testing.T) {
	pool := dbtest.NewDB(t)
	d := db.New(pool)
	ctx := t.Context()
	seq := func(version string) int64 {
		_, s, _ := strings.Cut(version, ".")
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Errorf("version %q: %v", version, err)
		}
		return n
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 16 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := d.DataVersion(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Go(func() {
			for i := range 50 {
				_, err := pool.Exec(ctx, `UPDATE platform SET name = name || '' WHERE id = (SELECT min(id) + $1 FROM platform)`, w)
				if err != nil {
					t.Error(err)
					return
				}
				var wrote int64
				if err := pool.QueryRow(ctx, `SELECT max(seq) FROM platform_change`).Scan(&wrote); err != nil {
					t.Error(err)
					return
				}
				v, err := d.DataVersion(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if got := seq(v); got < wrote {
					t.Errorf("writer %d, write %d: version %s after change %d was committed", w, i, v, wrote)
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	readers.Wait()
}

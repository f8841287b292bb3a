package db_test

import (
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
		_, n, err := db.ParseDataVersion(version)
		if err != nil {
			t.Error(err)
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

// TestParseDataVersion: a data version is two integers; anything else is an
// error naming it.
func TestParseDataVersion(t *testing.T) {
	cases := []struct {
		in             string
		geography, seq int64
		ok             bool
	}{
		{"0.0", 0, 0, true},
		{"3.207", 3, 207, true},
		{"12.9007199254740993", 12, 9007199254740993, true},
		{"", 0, 0, false},
		{"3", 0, 0, false},
		{"3.", 0, 0, false},
		{"x.1", 0, 0, false},
		{"1.2.3", 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			g, s, err := db.ParseDataVersion(c.in)
			if (err == nil) != c.ok || g != c.geography || s != c.seq {
				t.Errorf("ParseDataVersion(%q) = %d, %d, %v; want %d, %d, ok %v", c.in, g, s, err, c.geography, c.seq, c.ok)
			}
		})
	}
}

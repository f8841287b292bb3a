package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// withDBConns sizes the App's main and heavy pools.
func withDBConns(main, heavy int) appOption {
	return func(a *App) { a.Config.DBMaxConns, a.Config.DBHeavyConns = main, heavy }
}

// heaviestQueries are legal queries near the cost limit: ten township layers
// (13.5 MB), and two coverages at 200 km with every township's covering
// platforms.
var heaviestQueries = []string{
	"{" + layerAliases(10) + " }",
	`{ a: coverage(kinds: [WORKSTATION, LIAISON_GROUP, SECTOR_HALL], radiusMetres: 200000) { townships { coveredBy { distanceMetres } } }
	   b: coverage(kinds: [WORKSTATION, LIAISON_GROUP], radiusMetres: 199999) { townships { coveredBy { distanceMetres } } } }`,
}

func layerAliases(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " t%d: townshipFeatures", i)
	}
	return b.String()
}

// cheapQuery reads one row of the database.
const cheapQuery = `{ county(code: "350481") { name } }`

// p50 is the median of the cheap query's time over n requests.
func cheapP50(t *testing.T, client *http.Client, url string, n int) time.Duration {
	t.Helper()
	times := make([]time.Duration, n)
	for i := range times {
		start := time.Now()
		mustQuery(t, client, url, cheapQuery)
		times[i] = time.Since(start)
	}
	slices.Sort(times)
	return times[n/2]
}

// TestIsolationUnderHeavyLoad: under 16 clients sending the heaviest legal
// queries without pause, a cheap query's median stays within 10 times its
// idle median, and /readyz answers 200 every time. Before (one pool of 4 for
// everything), the cheap query's median went from 2.1 ms to 5.4 s and /readyz
// answered 503 in 9 of 12 probes.
func TestIsolationUnderHeavyLoad(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("a load test: it measures civicmap only without the race detector (make test runs it so)")
	}
	app := startApp(t, nil, withDBConns(8, 3))
	client := newClient()
	idle := cheapP50(t, client, app.URL, 40)

	var heavyDone, heavyFailed atomic.Int64
	var failure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			q := heaviestQueries[i%len(heaviestQueries)]
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := postDiscarding(client, app.URL, q); err != nil {
					heavyFailed.Add(1)
					failure.Store(err.Error())
				}
				heavyDone.Add(1)
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	// Measure once every heavy client has been answered at least once on
	// average: the heavy pool is full and queued.
	waitFor(t, "16 heavy queries answered", func() bool { return heavyDone.Load() >= 16 })

	loaded := cheapP50(t, client, app.URL, 40)
	var notReady int
	for range 12 {
		if status, err := getStatus(client, app.URL, "/readyz"); err != nil || status != http.StatusOK {
			notReady++
		}
	}
	t.Logf("cheap query p50: idle %s, under 16 heavy clients %s (%.1fx); /readyz not 200 in %d of 12; heavy answered %d, failed %d",
		idle, loaded, float64(loaded)/float64(idle), notReady, heavyDone.Load(), heavyFailed.Load())
	if f := failure.Load(); f != nil {
		t.Logf("a heavy query failed: %v", f)
	}
	if loaded > 10*idle {
		t.Errorf("cheap query p50 %s under load, over 10 times its idle %s", loaded, idle)
	}
	if notReady > 0 {
		t.Errorf("/readyz failed %d of 12 probes under load", notReady)
	}
}

// postDiscarding posts query and reads its answer into nothing. The heavy
// clients share the server's process and its memory limit: decoding their
// 13.5 MB answers (a copy as bytes, as a string and as JSON values) cost more
// garbage collection than the server's own work, and slowed the cheap query
// the test measures by the client's own load.
func postDiscarding(client *http.Client, baseURL, query string) error {
	body, err := json.Marshal(map[string]string{"query": query})
	if err != nil {
		return err
	}
	resp, err := client.Post(baseURL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

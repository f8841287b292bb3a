package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// rssMiB is this process's resident set size in MiB, from /proc.
func rssMiB(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			var kb int
			fmt.Sscan(v, &kb)
			return kb >> 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// TestMemoryReturnsAfterABurst: after a burst of the heaviest legal queries
// (eight clients, each asking for the township layer ten times), the process
// gives the memory back: RSS is under 100 MiB again within a minute. Before,
// RSS stayed at 278 MB for 150 s after eight layer requests.
func TestMemoryReturnsAfterABurst(t *testing.T) {
	if raceDetector {
		t.Skip("RSS under the race detector is mostly its shadow memory (make test runs this without it)")
	}
	app := startApp(t, nil)
	client := newClient()
	before := rssMiB(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 3 {
				if res, err := postGraphQL(client, app.URL, "{"+layerAliases(10)+" }"); err != nil || len(res.Errors) > 0 {
					t.Errorf("burst query: %v %v", err, res.Errors)
				}
			}
		})
	}
	wg.Wait()
	peak := rssMiB(t)
	took := waitFor(t, "RSS under 100 MiB", func() bool { return rssMiB(t) < 100 })
	t.Logf("RSS %d MiB before, %d MiB after the burst, under 100 MiB again %s later", before, peak, took)
}

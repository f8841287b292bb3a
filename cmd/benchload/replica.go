package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"civicmap/db/pgcluster"
)

// The replica run (-replica): two `civicmap serve` processes over a primary
// and a streaming replica of it, under load from clients that alternate
// between them, while the replica's postmaster is killed with SIGKILL and
// then started again. It prints each phase's rate, errors and the share of
// answers the replica served.

// replicaPhases are the run's phases, in order.
var replicaPhases = []string{"before the kill", "replica killed", "replica back"}

// phaseTally counts one phase's answers.
type phaseTally struct {
	ok, failed, byReplica atomic.Int64
	start, end            atomic.Int64 // unix nanoseconds
	firstErr              atomic.Value
}

// runReplica makes the primary (kept in o.dir with its Sanming database) and
// a new replica of it, starts two servers reading from the replica, and
// measures the load around the kill.
func runReplica(ctx context.Context, o options, log *slog.Logger) error {
	dir, err := filepath.Abs(filepath.Join(o.dir, "replica"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	primary, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: filepath.Join(dir, "primary"), NoFsync: true})
	if err != nil {
		return err
	}
	defer primary.Stop(context.Background())
	connString, e, err := datasets[0].prepare(ctx, primary, o.dataDir)
	if err != nil {
		return err
	}
	standbyDir := filepath.Join(dir, "standby")
	if err := os.RemoveAll(standbyDir); err != nil {
		return err
	}
	standby, err := pgcluster.StartReplica(ctx, primary, pgcluster.Config{DataDir: standbyDir, NoFsync: true})
	if err != nil {
		return err
	}
	defer standby.StopServer(context.Background())
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return err
	}
	var servers [2]*serverProc
	for i := range servers {
		servers[i], err = startServer(ctx, o.civicmap, connString, filepath.Join(dir, fmt.Sprintf("server-%d.log", i)),
			"CIVICMAP_READ_DATABASE_URLS="+standby.ConnString(cfg.Database), "CIVICMAP_REPLICA_MAX_LAG=2s")
		if err != nil {
			return err
		}
		defer servers[i].stop()
	}
	q, _ := byName("nearest5")
	clients := o.clients[0]
	log.Info("replica run", "servers", 2, "clients", clients, "query", q.name, "window", o.window)

	tallies := make([]phaseTally, len(replicaPhases))
	var phase atomic.Int32
	stop := make(chan struct{})
	var wg sync.WaitGroup
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 30 * time.Second}
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
			for {
				select {
				case <-stop:
					return
				default:
				}
				t := &tallies[phase.Load()]
				servedBy, err := postServedBy(ctx, hc, servers[c%2].url(), q, q.values(rng, e))
				switch {
				case err != nil:
					t.failed.Add(1)
					t.firstErr.CompareAndSwap(nil, err.Error())
				case servedBy == "replica-1":
					t.byReplica.Add(1)
					fallthrough
				default:
					t.ok.Add(1)
				}
			}
		})
	}
	next := func(p int) {
		tallies[p-1].end.Store(time.Now().UnixNano())
		tallies[p].start.Store(time.Now().UnixNano())
		phase.Store(int32(p))
	}
	tallies[0].start.Store(time.Now().UnixNano())
	err = killAndReturn(ctx, o, standby, servers, next)
	tallies[len(tallies)-1].end.Store(time.Now().UnixNano())
	close(stop)
	wg.Wait()
	if err != nil {
		return err
	}
	fmt.Print(formatReplicaTable(tallies, clients))
	return nil
}

// killAndReturn lets the load run for o.window, kills the replica's
// postmaster, lets it run o.window on the primary, starts the replica again
// and, once both servers have it back in the rotation, lets it run o.window.
func killAndReturn(ctx context.Context, o options, standby *pgcluster.Cluster, servers [2]*serverProc, next func(int)) error {
	if !sleepCtx(ctx, o.window) {
		return ctx.Err()
	}
	pid, err := standby.PID()
	if err != nil || pid == 0 {
		return fmt.Errorf("the replica's postmaster: pid %d, %v", pid, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill -9 the replica: %w", err)
	}
	next(1)
	if !sleepCtx(ctx, o.window) {
		return ctx.Err()
	}
	// Its children must exit before a new postmaster can take the shared
	// memory: try again until it starts.
	deadline := time.Now().Add(time.Minute)
	for err = standby.Resume(ctx); err != nil; err = standby.Resume(ctx) {
		if time.Now().After(deadline) || !sleepCtx(ctx, 200*time.Millisecond) {
			return fmt.Errorf("restart the replica: %w", err)
		}
	}
	for _, s := range servers {
		for !inRotation(s) {
			if time.Now().After(deadline) || !sleepCtx(ctx, 50*time.Millisecond) {
				return fmt.Errorf("the replica did not return to the rotation of %s", s.addr)
			}
		}
	}
	next(2)
	if !sleepCtx(ctx, o.window) {
		return ctx.Err()
	}
	return nil
}

// inRotation reports whether the server's /readyz has its replica in the
// rotation.
func inRotation(s *serverProc) bool {
	resp, err := http.Get("http://" + s.addr + "/readyz")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var r struct{ Replicas []struct{ State string } }
	return json.NewDecoder(resp.Body).Decode(&r) == nil && len(r.Replicas) == 1 && r.Replicas[0].State == "in rotation"
}

// postServedBy sends one request and returns the database that served it.
func postServedBy(ctx context.Context, hc *http.Client, url string, q query, vars map[string]any) (string, error) {
	body, err := requestBody(q, vars)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	return resp.Header.Get("X-Civicmap-Served-By"), checkAnswer(resp.StatusCode, answer)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// formatReplicaTable is the run's report, a Markdown table.
func formatReplicaTable(tallies []phaseTally, clients int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| phase (%d clients, 2 servers) | seconds | req/s | errors | served by the replica |\n|---|---:|---:|---:|---:|\n", clients)
	for i, name := range replicaPhases {
		t := &tallies[i]
		secs := time.Duration(t.end.Load() - t.start.Load()).Seconds()
		ok := t.ok.Load()
		share := 0.0
		if ok > 0 {
			share = float64(t.byReplica.Load()) / float64(ok)
		}
		fmt.Fprintf(&b, "| %s | %.1f | %.0f | %d | %.0f%% |\n", name, secs, float64(ok)/secs, t.failed.Load(), 100*share)
	}
	for i, name := range replicaPhases {
		if err := tallies[i].firstErr.Load(); err != nil {
			fmt.Fprintf(&b, "\nfirst error %s: %v\n", name, err)
		}
	}
	return b.String()
}

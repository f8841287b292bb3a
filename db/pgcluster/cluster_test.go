package pgcluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"civicmap/db/pgcluster"
)

// baseDir returns a fresh directory that the postgres user can traverse;
// t.TempDir's parents are mode 0700 and owned by root.
func baseDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// start starts a cluster and stops it when the test ends.
func start(t *testing.T, cfg pgcluster.Config) *pgcluster.Cluster {
	t.Helper()
	cfg.NoFsync = true
	c, err := pgcluster.Start(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return c
}

// exec runs sql on dbname and fails the test on error.
func exec(t *testing.T, c *pgcluster.Cluster, sql string) {
	t.Helper()
	if err := tryExec(testCtx(t), c, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func tryExec(ctx context.Context, c *pgcluster.Cluster, sql string) error {
	conn, err := pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func TestStartStopResumeRestart(t *testing.T) {
	ctx := testCtx(t)
	c := start(t, pgcluster.Config{DataDir: filepath.Join(baseDir(t), "data")})
	if c.Reused() {
		t.Error("Reused() = true for a fresh cluster")
	}
	if c.SocketDir() != c.DataDir() {
		t.Errorf("SocketDir() = %s, want the data dir %s for a short path", c.SocketDir(), c.DataDir())
	}
	exec(t, c, "CREATE EXTENSION postgis")
	exec(t, c, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)")
	port, conn := c.Port(), c.ConnString("postgres")

	for i := range 2 { // the second Stop must be a no-op
		if err := c.Stop(ctx); err != nil {
			t.Fatalf("Stop #%d: %v", i+1, err)
		}
	}
	if err := tryExec(ctx, c, "SELECT 1"); err == nil {
		t.Fatal("query succeeded after Stop")
	}
	if err := c.Resume(ctx); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if err := c.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if c.Port() != port || c.ConnString("postgres") != conn {
		t.Errorf("after restart: port %d conn %q, want %d %q", c.Port(), c.ConnString("postgres"), port, conn)
	}
	exec(t, c, "SELECT PostGIS_Version(), ST_AsText(ST_MakePoint(117.6, 26.3)) FROM kept")
}

func TestReuseRunningServer(t *testing.T) {
	ctx := testCtx(t)
	dir := filepath.Join(baseDir(t), "data")
	first := start(t, pgcluster.Config{DataDir: dir})

	second, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("second Start: %v", err)
	}
	if !second.Reused() || second.Port() != first.Port() || second.SocketDir() != first.SocketDir() {
		t.Errorf("second: reused=%v port=%d socket=%s, want reuse of port %d socket %s",
			second.Reused(), second.Port(), second.SocketDir(), first.Port(), first.SocketDir())
	}
	if err := second.Stop(ctx); err != nil {
		t.Fatalf("Stop of reused cluster: %v", err)
	}
	exec(t, first, "SELECT 1") // still up: only its starter stops it

	if err := second.StopServer(ctx); err != nil {
		t.Fatalf("StopServer of reused cluster: %v", err)
	}
	if err := tryExec(ctx, first, "SELECT 1"); err == nil {
		t.Fatal("query succeeded after StopServer")
	}
	if err := first.Resume(ctx); err != nil {
		t.Fatalf("Resume: %v", err)
	}

	_, err = pgcluster.Start(ctx, pgcluster.Config{DataDir: dir, Port: first.Port() + 1})
	if err == nil || !strings.Contains(err.Error(), "already runs") {
		t.Errorf("Start with another port on a running dir: err = %v, want 'already runs'", err)
	}
}

func TestReuseStoppedDirAndStalePID(t *testing.T) {
	ctx := testCtx(t)
	dir := filepath.Join(baseDir(t), "data")
	c, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: dir, NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, c, "CREATE TABLE kept (id int)")
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// A postmaster.pid naming a live process that is not a postmaster (this
	// test) is what a reboot can leave behind.
	stale := fmt.Sprintf("%d\n%s\n0\n5432\n/tmp\n\n", os.Getpid(), dir)
	if err := os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	again := start(t, pgcluster.Config{DataDir: dir})
	if again.Reused() {
		t.Error("Reused() = true after a stale postmaster.pid")
	}
	exec(t, again, "SELECT * FROM kept")
}

func TestLongDataDirUsesShortSocketDir(t *testing.T) {
	dir := filepath.Join(baseDir(t), strings.Repeat("a-long-directory-name/", 5), "data")
	c := start(t, pgcluster.Config{DataDir: dir, Listen: "127.0.0.1"})
	if c.SocketDir() == c.DataDir() || len(c.SocketDir()) > 92 {
		t.Errorf("SocketDir() = %s for data dir of %d bytes, want a short one", c.SocketDir(), len(dir))
	}
	t.Cleanup(func() { os.RemoveAll(c.SocketDir()) })
	exec(t, c, "SELECT 1")
	ctx := testCtx(t)
	tcp, err := pgx.Connect(ctx, fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable", c.Port()))
	if err != nil {
		t.Fatalf("connect over TCP with Listen set: %v", err)
	}
	tcp.Close(ctx)
	if err := c.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	exec(t, c, "SELECT 1")
}

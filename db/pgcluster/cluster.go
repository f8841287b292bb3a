// Package pgcluster runs a private PostgreSQL cluster: one data directory, its
// own port and its own socket directory. `make run` keeps one in .localdb/ across
// runs; the tests start a throwaway one in a temporary directory.
//
// PostgreSQL refuses to run as root, so when the process is root every server
// binary runs as the `postgres` OS user, which then owns the data directory.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// DefaultBinDir is where Debian's postgresql-15 package puts the server binaries.
const DefaultBinDir = "/usr/lib/postgresql/15/bin"

// Config says where and how to run a cluster.
type Config struct {
	// DataDir is initdb'd when it holds no cluster yet and reused otherwise.
	DataDir string
	// Port is the TCP port, which also names the unix socket; 0 picks a free one.
	Port int
	// Listen is the TCP address list ("" = unix socket only, e.g. "127.0.0.1").
	// TCP connections from loopback use trust auth like the socket does, so only
	// listen on a machine whose users may all read the database.
	Listen string
	// BinDir holds initdb, pg_ctl and postgres; "" means DefaultBinDir, or
	// `pg_config --bindir` when that does not exist.
	BinDir string
	// NoFsync turns off fsync, synchronous_commit and full_page_writes. Data may
	// be lost in a crash, so only throwaway test clusters set it.
	NoFsync bool
	// Settings are more postgresql.conf settings, written after the defaults
	// (e.g. shared_preload_libraries for the load harness's pg_stat_statements).
	Settings map[string]string
	// Logger gets progress messages; nil discards them.
	Logger *slog.Logger
}

// Cluster is a running (or stopped) private cluster.
type Cluster struct {
	dataDir   string
	socketDir string
	port      int
	listen    string
	binDir    string
	noFsync   bool
	settings  map[string]string
	log       *slog.Logger
	run       runner

	mu      sync.Mutex
	running bool // started by this Cluster and not stopped since
	reused  bool // found running at Start, not started by this Cluster
}

// LogFileName is the server log inside the data directory.
const LogFileName = "postgres.log"

// Start returns a running cluster on cfg.DataDir: it runs initdb when the
// directory holds no cluster, clears a stale postmaster.pid, and reuses a server
// that already runs on the directory (Stop then leaves that server alone).
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	c, err := newCluster(cfg)
	if err != nil {
		return nil, fmt.Errorf("start cluster: %w", err)
	}
	if err := c.start(ctx, cfg.Port); err != nil {
		return nil, fmt.Errorf("start cluster in %s: %w", c.dataDir, err)
	}
	return c, nil
}

func newCluster(cfg Config) (*Cluster, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("no data directory given")
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	binDir, err := resolveBinDir(cfg.BinDir)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	run, err := newRunner()
	if err != nil {
		return nil, err
	}
	return &Cluster{
		dataDir:  dataDir,
		listen:   cfg.Listen,
		binDir:   binDir,
		noFsync:  cfg.NoFsync,
		settings: cfg.Settings,
		log:      log.With("datadir", dataDir),
		run:      run,
	}, nil
}

func (c *Cluster) start(ctx context.Context, port int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.run.prepareDir(c.dataDir, 0o700); err != nil {
		return err
	}
	pid, err := readPIDFile(c.dataDir)
	if err != nil {
		return err
	}
	if pid != nil {
		if pid.ours(c.dataDir) {
			return c.adopt(pid, port)
		}
		// A crash or a reboot left the file; postgres would refuse to start if the
		// old PID now belongs to another process of the same user.
		c.log.Warn("removing stale postmaster.pid", "pid", pid.PID)
		if err := os.Remove(filepath.Join(c.dataDir, "postmaster.pid")); err != nil {
			return fmt.Errorf("remove stale postmaster.pid: %w", err)
		}
	}
	if !hasCluster(c.dataDir) {
		if err := c.initdb(ctx); err != nil {
			return err
		}
	}
	if port == 0 {
		if port, err = freePort(); err != nil {
			return err
		}
	}
	c.port = port
	if c.socketDir, err = c.chooseSocketDir(); err != nil {
		return err
	}
	return c.pgCtlStart(ctx)
}

// adopt takes over the coordinates of a server that already runs on the dir.
func (c *Cluster) adopt(pid *pidFile, port int) error {
	if port != 0 && port != pid.Port {
		return fmt.Errorf("a server (pid %d) already runs on this directory with port %d, not the requested %d; stop it with `%s stop -D %s`",
			pid.PID, pid.Port, port, filepath.Join(c.binDir, "pg_ctl"), c.dataDir)
	}
	if pid.SocketDir == "" {
		return fmt.Errorf("a server (pid %d) already runs on this directory without a unix socket", pid.PID)
	}
	c.port, c.socketDir, c.reused = pid.Port, pid.SocketDir, true
	c.log.Info("reusing running PostgreSQL", "pid", pid.PID, "port", c.port, "socketdir", c.socketDir)
	return nil
}

// Stop shuts the server down (pg_ctl stop -m fast) if this Cluster started it.
// It is idempotent, and it leaves alone a server that Start found running, so
// that a second `make run` does not pull the database from under the first.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	return c.stopLocked(ctx)
}

// StopServer shuts the server down whoever started it, for a command that
// stops the local database on purpose. It is a no-op when none runs.
func (c *Cluster) StopServer(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked(ctx)
}

// StopDir stops the server running on cfg.DataDir, if any, without starting
// one: for clearing away a cluster whose owner died.
func StopDir(ctx context.Context, cfg Config) error {
	c, err := newCluster(cfg)
	if err != nil {
		return fmt.Errorf("stop cluster: %w", err)
	}
	return c.StopServer(ctx)
}

func (c *Cluster) stopLocked(ctx context.Context) error {
	if err := c.pgCtlStop(ctx); err != nil {
		return fmt.Errorf("stop cluster in %s: %w", c.dataDir, err)
	}
	c.running, c.reused = false, false
	return nil
}

// Resume starts the server again after Stop, on the same directory, port and
// socket, so connection strings taken earlier stay valid.
func (c *Cluster) Resume(ctx context.Context) error {
	if err := c.start(ctx, c.Port()); err != nil {
		return fmt.Errorf("resume cluster in %s: %w", c.dataDir, err)
	}
	return nil
}

// Restart stops the server, whoever started it, and starts it again on the
// same directory, port and socket.
func (c *Cluster) Restart(ctx context.Context) error {
	if err := c.StopServer(ctx); err != nil {
		return err
	}
	return c.Resume(ctx)
}

// ConnString returns a keyword/value connection string for pgx that reaches
// dbname through the unix socket as the superuser postgres.
func (c *Cluster) ConnString(dbname string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable",
		quoteConnValue(c.socketDir), c.port, quoteConnValue(dbname))
}

// quoteConnValue quotes a value for a keyword/value connection string.
func quoteConnValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " '\\\t\n") {
		return v
	}
	v = strings.ReplaceAll(v, `\`, `\\`)
	v = strings.ReplaceAll(v, `'`, `\'`)
	return "'" + v + "'"
}

// DataDir returns the absolute data directory.
func (c *Cluster) DataDir() string { return c.dataDir }

// SocketDir returns the directory holding the server's unix socket.
func (c *Cluster) SocketDir() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.socketDir
}

// Port returns the server's port.
func (c *Cluster) Port() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.port
}

// LogFile returns the path of the server log.
func (c *Cluster) LogFile() string { return filepath.Join(c.dataDir, LogFileName) }

// Reused reports whether Start found the server already running.
func (c *Cluster) Reused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reused
}

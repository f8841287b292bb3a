package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db"
	"civicmap/db/load"
	"civicmap/db/migrations"
	"civicmap/db/pgcluster"
	"civicmap/server"
)

// localDBName is the database the private cluster serves.
const localDBName = "civicmap"

// App is the running program: the database (and the private cluster behind it,
// when there is one), and the HTTP server. main and the tests both start it.
type App struct {
	Config config
	Log    *slog.Logger
	// Out receives a command's output (a new key's token, the list of keys).
	Out io.Writer
	// Progress receives progress lines for a person watching (stderr); nil for none.
	Progress io.Writer
	// Server tunes the HTTP server; nil means server.DefaultConfig. Config's
	// CORS origins, when set, replace its CORSOrigins.
	Server *server.Config

	cluster *pgcluster.Cluster
	url     string
	pool    *pgxpool.Pool
	// heavy and health are the server's other pools (db.Pools), opened by Serve.
	heavy, health *pgxpool.Pool
	// replicas are the read replicas (openReplicas), and replicaPools all
	// their pools, for Close.
	replicas     []db.Replica
	replicaPools []*pgxpool.Pool
	ln           net.Listener
	// metricsLn is /metrics' listener; nil when Config.MetricsAddr is "".
	metricsLn net.Listener
}

// Run opens the database, prepares it when prepare is set (migrate and load),
// and serves until ctx ends.
func (a *App) Run(ctx context.Context, prepare bool) error {
	defer a.Close()
	if err := a.Open(ctx, prepare); err != nil {
		return err
	}
	return a.Serve(ctx)
}

// Open connects to the database, starting the private cluster when no
// database URL is configured, prepares it if asked, and starts listening.
func (a *App) Open(ctx context.Context, prepare bool) error {
	if err := a.openDB(ctx); err != nil {
		return err
	}
	if prepare {
		if err := a.migrate(ctx); err != nil {
			return err
		}
		if err := a.load(ctx); err != nil {
			return err
		}
	} else if err := db.New(a.pool).Ready(ctx); err != nil {
		// A database behind the binary lacks what its queries read (the
		// coverage index, say): refuse now rather than fail every request.
		return fmt.Errorf("serve: %w", err)
	}
	if err := a.openReplicas(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	a.ln = ln
	if a.Config.MetricsAddr != "" {
		if a.metricsLn, err = net.Listen("tcp", a.Config.MetricsAddr); err != nil {
			return fmt.Errorf("-metrics-addr: listen on %s: %w", a.Config.MetricsAddr, err)
		}
	}
	return nil
}

// Addr is the address the server listens on, once Open has returned.
func (a *App) Addr() string { return a.ln.Addr().String() }

// MetricsAddr is the address /metrics is served on, once Open has returned;
// "" when it is served nowhere.
func (a *App) MetricsAddr() string {
	if a.metricsLn == nil {
		return ""
	}
	return a.metricsLn.Addr().String()
}

// serveMetrics serves srv's /metrics on the metrics listener until ctx
// ends, apart from the API: it tells operational detail that the public
// port has no reason to (README, Metrics).
func (a *App) serveMetrics(ctx context.Context, srv *server.Server) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", srv.Metrics())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	a.Log.Info("serving metrics", "url", "http://"+a.MetricsAddr()+"/metrics")
	if err := hs.Serve(a.metricsLn); !errors.Is(err, http.ErrServerClosed) {
		a.Log.Error("metrics listener stopped", "err", err)
	}
}

// Serve serves HTTP until ctx ends, then finishes in-flight requests.
func (a *App) Serve(ctx context.Context) error {
	cfg := server.DefaultConfig()
	if a.Server != nil {
		cfg = *a.Server
	}
	origins, err := a.Config.corsOrigins()
	if err != nil {
		return err
	}
	if origins != nil {
		cfg.CORSOrigins = origins
	}
	if a.Config.DBHeavyConns > 0 {
		cfg.MaxHeavy = a.Config.DBHeavyConns // one heavy query per heavy connection
	}
	if a.Config.RequestTimeout > 0 {
		cfg.RequestTimeout = a.Config.RequestTimeout
	}
	pools, err := a.servePools(ctx)
	if err != nil {
		return err
	}
	a.limitMemory()
	go server.ReturnMemory(ctx, 10*time.Second)
	d := db.NewPools(pools)
	// One check before the first request, so that replicas serve from the
	// start; then one every db.CheckEvery.
	d.CheckReplicas(ctx)
	go d.WatchReplicas(ctx, a.Log)
	srv := server.New(cfg, d, a.Log)
	if a.metricsLn != nil {
		go a.serveMetrics(ctx, srv)
	}
	a.Log.Info("serving", "graphql", "http://"+a.Addr()+"/graphql", "readyz", "http://"+a.Addr()+"/readyz")
	return srv.Serve(ctx, a.ln)
}

// limitMemory sets the runtime's soft memory limit from the config, unless
// GOMEMLIMIT sets it. Past the limit the runtime collects more often rather
// than grow; the cost limits keep any one request far below it.
func (a *App) limitMemory() {
	if os.Getenv("GOMEMLIMIT") != "" || a.Config.MemoryLimitMiB <= 0 {
		return
	}
	debug.SetMemoryLimit(int64(a.Config.MemoryLimitMiB) << 20)
	a.Log.Info("memory limit", "mib", a.Config.MemoryLimitMiB)
}

// servePools opens the heavy and health pools beside the main one. Health
// has one connection, used by /readyz alone.
func (a *App) servePools(ctx context.Context) (db.Pools, error) {
	var err error
	if a.heavy, err = db.Open(ctx, a.url, db.Options{StatementTimeout: a.Config.StatementTimeout, MaxConns: int32(a.Config.DBHeavyConns)}); err != nil {
		return db.Pools{}, err
	}
	if a.health, err = db.Open(ctx, a.url, db.Options{StatementTimeout: a.Config.StatementTimeout, MaxConns: 1}); err != nil {
		return db.Pools{}, err
	}
	return db.Pools{Main: a.pool, Heavy: a.heavy, Health: a.health, Replicas: a.replicas, MaxLag: a.Config.ReplicaMaxLag,
		NoCache: !a.Config.AnswerCache}, nil
}

// Close releases the pools and stops the private cluster if this App started it.
func (a *App) Close() {
	for _, ln := range []net.Listener{a.ln, a.metricsLn} {
		if ln != nil {
			ln.Close()
		}
	}
	for _, p := range append([]*pgxpool.Pool{a.pool, a.heavy, a.health}, a.replicaPools...) {
		if p != nil {
			a.closePool(p)
		}
	}
	if a.cluster != nil {
		if err := a.cluster.Stop(context.Background()); err != nil {
			a.Log.Error("stop private cluster", "err", err)
		}
	}
}

// poolCloseTimeout bounds how long Close waits for a pool's connections to
// come back. pgxpool's Close waits for every acquired connection: one that
// was never released held a test's cleanup (and would hold a server's stop)
// forever, twice on 2026-11-30 in TestReadReplicas, whose cause is not found.
// A variable for TestCloseBoundedByALeakedConnection.
var poolCloseTimeout = 10 * time.Second

// closePool closes p, or, when a connection is still in use after
// poolCloseTimeout, logs that and leaves it closing.
func (a *App) closePool(p *pgxpool.Pool) {
	done := make(chan struct{})
	go func() {
		p.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(poolCloseTimeout):
		a.Log.Error("a database connection was still in use when the pool closed: it was never released",
			"acquired", p.Stat().AcquiredConns(), "database", p.Config().ConnConfig.Database)
	}
}

// Migrate applies the schema migrations.
func (a *App) Migrate(ctx context.Context) error {
	defer a.Close()
	if err := a.openDB(ctx); err != nil {
		return err
	}
	return a.migrate(ctx)
}

// Load migrates and loads the data.
func (a *App) Load(ctx context.Context) error {
	defer a.Close()
	if err := a.openDB(ctx); err != nil {
		return err
	}
	if err := a.migrate(ctx); err != nil {
		return err
	}
	return a.load(ctx)
}

// LocalDB starts the private cluster and keeps it up until ctx ends.
func (a *App) LocalDB(ctx context.Context) error {
	a.Config.DatabaseURL = ""
	defer a.Close()
	if err := a.openDB(ctx); err != nil {
		return err
	}
	fmt.Fprintf(a.Out, "CIVICMAP_DATABASE_URL=%q\n", a.cluster.ConnString(localDBName))
	<-ctx.Done()
	return nil
}

func (a *App) openDB(ctx context.Context) error {
	url := a.Config.DatabaseURL
	if url == "" {
		var err error
		if url, err = a.startCluster(ctx); err != nil {
			return err
		}
	}
	pool, err := db.Open(ctx, url, db.Options{StatementTimeout: a.Config.StatementTimeout, MaxConns: int32(a.Config.DBMaxConns)})
	if err != nil {
		return err
	}
	a.url, a.pool = url, pool
	return nil
}

// startCluster starts (or reuses) the private cluster and makes sure its
// database exists.
func (a *App) startCluster(ctx context.Context) (string, error) {
	if err := pgcluster.CheckPostGIS(""); err != nil {
		return "", err
	}
	dir, err := localDBDir(a.Config.LocalDBDir, a.Log)
	if err != nil {
		return "", err
	}
	c, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: dir, Port: a.Config.LocalDBPort, Logger: a.Log})
	if err != nil {
		return "", err
	}
	a.cluster = c
	a.Log.Info("private PostgreSQL cluster", "data_dir", dir, "socket_dir", c.SocketDir(), "port", c.Port(), "log", c.LogFile())
	if err := createDatabase(ctx, c.ConnString("postgres"), localDBName); err != nil {
		return "", err
	}
	return c.ConnString(localDBName), nil
}

// createDatabase creates database name unless it exists.
func createDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to private cluster: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: reused cluster
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func (a *App) migrate(ctx context.Context) error {
	n, err := migrations.Apply(ctx, a.pool)
	if err != nil {
		return err
	}
	a.Log.Info("migrated", "applied", n, "version", migrations.Latest())
	return nil
}

func (a *App) load(ctx context.Context) error {
	// load.Run logs its own report.
	_, err := load.Run(ctx, a.pool, load.Options{DataDir: a.Config.DataDir, Logger: a.Log})
	return err
}

// localDBDir returns the absolute data directory for the private cluster. When
// PostgreSQL's OS user cannot reach the configured one (a clone under root's
// private home, say), it moves to a directory of its own under /var/tmp, named
// after the configured path so that each checkout keeps its own cluster.
func localDBDir(configured string, log *slog.Logger) (string, error) {
	dir, err := filepath.Abs(configured)
	if err != nil {
		return "", err
	}
	reachErr := pgcluster.Reachable(dir)
	if reachErr == nil {
		return dir, nil
	}
	sum := sha256.Sum256([]byte(dir))
	alt := filepath.Join("/var/tmp", fmt.Sprintf("civicmap-localdb-%x", sum[:6]))
	log.Warn("private cluster moved: PostgreSQL cannot reach the configured directory", "configured", dir, "using", alt, "reason", reachErr)
	return alt, nil
}

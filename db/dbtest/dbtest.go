// Package dbtest gives each test package its own PostgreSQL cluster and each
// test its own database, cloned from a template that the package prepares once.
//
// In a test package:
//
//	func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, prepare)) }
//
//	func prepare(ctx context.Context, pool *pgxpool.Pool) error {
//		_, err := migrations.Apply(ctx, pool)
//		return err
//	}
//
//	func TestX(t *testing.T) {
//		pool := dbtest.NewDB(t) // a fresh copy of the template, dropped after the test
//		…
//	}
//
// If PostgreSQL or PostGIS cannot start, Main fails with the reason: database
// tests never skip.
package dbtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db/migrations"
	"civicmap/db/pgcluster"
)

// TemplateDB is the database that prepare builds and every NewDB clones.
const TemplateDB = "tmpl"

// PrepareFunc builds the template database: migrate, load data.
type PrepareFunc func(ctx context.Context, pool *pgxpool.Pool) error

// Migrate is the PrepareFunc of packages that want the schema and no data.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := migrations.Apply(ctx, pool)
	return err
}

// SetupTimeout bounds starting the cluster and running prepare.
const SetupTimeout = 10 * time.Minute

// env is the package's one piece of state. TestMain has no way to hand values
// to tests except through package variables; Main sets it before m.Run and
// clears it after, and nothing else writes it.
var env atomic.Pointer[environment]

type environment struct {
	cluster *pgcluster.Cluster
	admin   *pgxpool.Pool // on the postgres database, for CREATE/DROP DATABASE
	seq     atomic.Int64  // numbers the databases NewDB creates

	mu     sync.Mutex
	shared map[string]*sharedDB // the databases Shared prepared, by name
}

// sharedDB is one database that Shared prepared: ready when once is done.
type sharedDB struct {
	once sync.Once
	pool *pgxpool.Pool
	err  error
}

// Main starts a throwaway cluster (temporary directory, unix socket only, fsync
// off), builds the template with prepare, runs the tests and tears it all down.
// It returns the exit code for os.Exit; a setup failure is reported on stderr
// and fails the package.
func Main(m *testing.M, prepare PrepareFunc) int {
	if fuzzWorker() {
		return m.Run()
	}
	reapOrphans(context.Background())
	base, err := os.MkdirTemp("", basePattern)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		return 1
	}
	defer os.RemoveAll(base)
	if err := writeOwner(base); err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		return 1
	}
	e, err := setup(base, prepare)
	if e != nil {
		defer teardown(e)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		return 1
	}
	env.Store(e)
	defer env.Store(nil)
	return m.Run()
}

// fuzzWorker reports whether this process is a worker of `go test -fuzz`,
// which runs the fuzz function alone: none here needs the database, and a
// cluster for each worker made every fuzz target of a database package start
// three. A fuzz function that did would fail saying there is no cluster.
func fuzzWorker() bool {
	flag.Parse()
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}

// setup returns the environment as far as it got, so that Main can stop a
// cluster whose prepare failed.
func setup(base string, prepare PrepareFunc) (*environment, error) {
	ctx, cancel := context.WithTimeout(context.Background(), SetupTimeout)
	defer cancel()
	if err := pgcluster.CheckPostGIS(""); err != nil {
		return nil, err
	}
	// MkdirTemp makes base 0700; the postgres user must get through it to the
	// data directory, which stays private.
	if err := os.Chmod(base, 0o755); err != nil {
		return nil, fmt.Errorf("chmod %s: %w", base, err)
	}
	c, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: filepath.Join(base, "data"), NoFsync: true})
	if err != nil {
		return nil, err
	}
	e := &environment{cluster: c}
	if e.admin, err = pgxpool.New(ctx, c.ConnString("postgres")); err != nil {
		return e, fmt.Errorf("connect to cluster: %w", err)
	}
	if _, err := e.admin.Exec(ctx, "CREATE DATABASE "+TemplateDB); err != nil {
		return e, fmt.Errorf("create template database: %w", err)
	}
	if err := runPrepare(ctx, c.ConnString(TemplateDB), prepare); err != nil {
		return e, err
	}
	// No connections to the template from now on: CREATE DATABASE … TEMPLATE
	// fails while anyone is connected to it.
	if _, err := e.admin.Exec(ctx, "ALTER DATABASE "+TemplateDB+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return e, fmt.Errorf("freeze template database: %w", err)
	}
	return e, nil
}

func runPrepare(ctx context.Context, connString string, prepare PrepareFunc) error {
	pool, err := pgxpool.New(ctx, connString)
	if err != nil {
		return fmt.Errorf("connect to template database: %w", err)
	}
	defer pool.Close()
	if prepare == nil {
		return nil
	}
	if err := prepare(ctx, pool); err != nil {
		return fmt.Errorf("prepare template database: %w", err)
	}
	return nil
}

func teardown(e *environment) {
	for _, s := range e.shared {
		if s.pool != nil {
			s.pool.Close()
		}
	}
	if e.admin != nil {
		e.admin.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.cluster.Stop(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
	}
}

// current returns the environment Main set up, failing t when there is none.
func current(t testing.TB) *environment {
	t.Helper()
	e := env.Load()
	if e == nil {
		t.Fatal("dbtest: no cluster; call dbtest.Main from TestMain")
	}
	return e
}

// Cluster returns the package's cluster, for tests that need its connection
// strings or stop and resume it. A test that stops the cluster must not run in
// parallel with other database tests of its package.
func Cluster(t testing.TB) *pgcluster.Cluster {
	t.Helper()
	return current(t).cluster
}

// NewConnString creates a database cloned from the template, drops it when the
// test ends, and returns its connection string (for code that opens its own
// pool, like the server).
func NewConnString(t testing.TB) string {
	t.Helper()
	e := current(t)
	ctx := t.Context()
	name := dbName(e.seq.Add(1), t.Name())
	ident := pgx.Identifier{name}.Sanitize()
	// The default WAL_LOG strategy: FILE_COPY measured slower here (0.5 s
	// against 0.25 s a clone), as it checkpoints twice.
	if err := e.exec(ctx, "CREATE DATABASE "+ident+" TEMPLATE "+TemplateDB); err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// t.Context is cancelled before cleanups run, hence a fresh one; FORCE
		// ends connections a test left open.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := e.exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return e.cluster.ConnString(name)
}

// exec runs sql on the admin pool, once more when the first try failed on the
// connection rather than in the server: after a cluster restart all the pool's
// idle connections are broken, so they are dropped before the retry. A
// PostgreSQL error is never retried.
func (e *environment) exec(ctx context.Context, sql string) error {
	_, err := e.admin.Exec(ctx, sql)
	var pgErr *pgconn.PgError
	if err != nil && !errors.As(err, &pgErr) && ctx.Err() == nil {
		e.admin.Reset()
		_, err = e.admin.Exec(ctx, sql)
	}
	return err
}

// dbName makes a database name that says which test made it, within
// PostgreSQL's 63-byte identifier limit.
func dbName(seq int64, testName string) string {
	b := []byte(fmt.Sprintf("t_%d_", seq))
	for _, r := range strings.ToLower(testName) {
		if len(b) >= 63 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b = append(b, byte(r))
		} else if b[len(b)-1] != '_' {
			b = append(b, '_')
		}
	}
	return strings.TrimRight(string(b), "_")
}

// NewDB creates a database cloned from the template and returns a pool on it;
// the pool is closed and the database dropped when the test ends.
func NewDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	conn := NewConnString(t)
	pool, err := pgxpool.New(t.Context(), conn)
	if err != nil {
		t.Fatalf("dbtest: connect: %v", err)
	}
	t.Cleanup(pool.Close) // registered after the drop, so it runs before it
	return pool
}

// Shared returns a pool on a database of the package's cluster that prepare
// builds the first time any test asks for name, for data too big to build per
// test (e.g. a nationwide synthetic dataset). Tests share it, so they must only
// read it; it lives until the package's tests end.
func Shared(t testing.TB, name string, prepare PrepareFunc) *pgxpool.Pool {
	t.Helper()
	e := current(t)
	e.mu.Lock()
	if e.shared == nil {
		e.shared = map[string]*sharedDB{}
	}
	s := e.shared[name]
	if s == nil {
		s = &sharedDB{}
		e.shared[name] = s
	}
	e.mu.Unlock()
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), SetupTimeout)
		defer cancel()
		if s.err = e.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); s.err != nil {
			return
		}
		if s.pool, s.err = pgxpool.New(ctx, e.cluster.ConnString(name)); s.err != nil {
			return
		}
		s.err = prepare(ctx, s.pool)
	})
	if s.err != nil {
		t.Fatalf("dbtest: shared database %s: %v", name, s.err)
	}
	return s.pool
}

// NewCluster starts another throwaway cluster (a temporary directory, unix
// socket only, fsync off) for a test that needs a second server, as a backup
// restores into: empty, with only the postgres database. It is stopped and
// removed when the test ends, or reaped as an orphan if the test binary dies.
func NewCluster(t testing.TB) *pgcluster.Cluster {
	t.Helper()
	base, err := os.MkdirTemp("", basePattern)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	// As in Main: the postgres user must get through base to the data directory.
	if err := writeOwner(base); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatalf("dbtest: chmod %s: %v", base, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), SetupTimeout)
	defer cancel()
	c, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: filepath.Join(base, "data"), NoFsync: true})
	if err != nil {
		t.Fatalf("dbtest: second cluster: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("dbtest: stop second cluster: %v", err)
		}
	})
	return c
}

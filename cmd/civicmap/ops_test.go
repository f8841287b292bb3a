package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"civicmap/db/dbtest"
)

// These tests drive the whole App over real HTTP on loopback: what operations
// see when PostgreSQL goes away, a statement runs too long, the process is told
// to stop, or a client sends a hostile query.

// opsTimeout bounds every wait in these tests. It is generous: a noisy 2-core
// machine must not make them fail, and nothing here asserts on speed.
const opsTimeout = 60 * time.Second

// platformCountQuery is a query that needs the platform table.
const platformCountQuery = `query PlatformCount { platforms(first: 1) { totalCount nodes { externalId } } }`

// gqlError is one GraphQL error as a client sees it.
type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// gqlResult is a GraphQL response with the HTTP status it came with.
type gqlResult struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	Body   string          `json:"-"`
}

// code returns the extensions.code of the first error, or "".
func (r gqlResult) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// hasData reports whether the response carries non-null data.
func (r gqlResult) hasData() bool {
	return len(r.Data) > 0 && string(r.Data) != "null"
}

func newClient() *http.Client { return &http.Client{Timeout: opsTimeout} }

// postGraphQL posts query to the app's /graphql and decodes the answer.
func postGraphQL(client *http.Client, baseURL, query string) (gqlResult, error) {
	return postGraphQLAs(client, baseURL, "", query, nil)
}

// postGraphQLAs posts query with its variables and, unless it is "", the
// Authorization header auth.
func postGraphQLAs(client *http.Client, baseURL, auth, query string, vars map[string]any) (gqlResult, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return gqlResult{}, err
	}
	req, err := http.NewRequest(http.MethodPost, baseURL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return gqlResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		return gqlResult{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return gqlResult{}, err
	}
	res := gqlResult{Status: resp.StatusCode, Body: string(raw)}
	if err := json.Unmarshal(raw, &res); err != nil {
		return res, fmt.Errorf("status %d, body %q: %w", resp.StatusCode, raw, err)
	}
	return res, nil
}

// mustQuery posts query and fails t unless it answers 200 with data and no errors.
func mustQuery(t *testing.T, client *http.Client, baseURL, query string) gqlResult {
	t.Helper()
	res, err := postGraphQL(client, baseURL, query)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if res.Status != http.StatusOK || len(res.Errors) > 0 || !res.hasData() {
		t.Fatalf("query: status %d, body %s", res.Status, res.Body)
	}
	return res
}

// getStatus returns the status of GET baseURL+path.
func getStatus(client *http.Client, baseURL, path string) (int, error) {
	resp, err := client.Get(baseURL + path)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// waitFor polls cond until it holds, failing t after opsTimeout; it returns how
// long that took.
func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.After(opsTimeout)
	tick := time.NewTicker(20 * time.Millisecond) // polling interval, bounded by the deadline
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("gave up after %s waiting for %s", opsTimeout, what)
		}
	}
	return time.Since(start)
}

// waitReadyz waits until /readyz answers want.
func waitReadyz(t *testing.T, client *http.Client, baseURL string, want int) time.Duration {
	t.Helper()
	return waitFor(t, fmt.Sprintf("/readyz to answer %d", want), func() bool {
		got, err := getStatus(client, baseURL, "/readyz")
		return err == nil && got == want
	})
}

// checkReadyz fails t unless /readyz answers want now.
func checkReadyz(t *testing.T, client *http.Client, baseURL string, want int) {
	t.Helper()
	got, err := getStatus(client, baseURL, "/readyz")
	if err != nil || got != want {
		t.Errorf("/readyz = %d, %v; want %d", got, err, want)
	}
}

// leakFragments are bits of text that must never reach a client: database
// error text, connection details, Go internals.
var leakFragments = []string{"SQLSTATE", "pgx", "pgconn", "dial", "socket", ".s.PGSQL", "/tmp", "goroutine", "panic", "FATAL", "terminating", "statement timeout"}

// checkNoLeak fails t when an error message shows internals.
func checkNoLeak(t *testing.T, res gqlResult) {
	t.Helper()
	for _, e := range res.Errors {
		for _, f := range leakFragments {
			if strings.Contains(e.Message, f) {
				t.Errorf("error message %q shows %q", e.Message, f)
			}
		}
		for k := range e.Extensions {
			if k != "code" && k != "field" && k != "requestId" {
				t.Errorf("error extension %q = %v: only code, field and requestId belong there", k, e.Extensions[k])
			}
		}
	}
}

// TestSurvivesPostgresRestart stops PostgreSQL under a serving App and starts it
// again: /readyz follows the database, queries fail with SERVICE_UNAVAILABLE
// while it is away, and the App serves again without a restart of its own. It
// stops the package's cluster, so it must not run in parallel.
func TestSurvivesPostgresRestart(t *testing.T) {
	ta := startApp(t, nil)
	client := newClient()
	cluster := dbtest.Cluster(t)

	checkReadyz(t, client, ta.URL, http.StatusOK)
	mustQuery(t, client, ta.URL, platformCountQuery)

	stopped := false
	t.Cleanup(func() {
		// Other tests of the package need the cluster, whatever happened here.
		if stopped {
			ctx, cancel := context.WithTimeout(context.Background(), opsTimeout)
			defer cancel()
			if err := cluster.Resume(ctx); err != nil {
				t.Errorf("resume cluster in cleanup: %v", err)
			}
		}
	})
	stopped = true
	if err := cluster.Stop(t.Context()); err != nil {
		t.Fatalf("stop cluster: %v", err)
	}

	// The pool's idle connections died with the server: the first queries
	// find that out. They must be classified too, not only refused connects.
	for i := range 3 {
		res, err := postGraphQL(client, ta.URL, platformCountQuery)
		if err != nil {
			t.Fatalf("query %d right after the stop: %v", i, err)
		}
		t.Logf("query %d right after the stop: %s", i, res.Body)
		if res.Status >= 500 || res.code() != "SERVICE_UNAVAILABLE" {
			t.Errorf("query %d right after the stop: status %d, code %q; want SERVICE_UNAVAILABLE", i, res.Status, res.code())
		}
		checkNoLeak(t, res)
	}

	red := waitReadyz(t, client, ta.URL, http.StatusServiceUnavailable)
	t.Logf("/readyz went 503 %s after the cluster stopped", red)

	res, err := postGraphQL(client, ta.URL, platformCountQuery)
	if err != nil {
		t.Fatalf("query while PostgreSQL is down: %v", err)
	}
	if res.Status >= 500 {
		t.Errorf("query while PostgreSQL is down: status %d, want no 5xx", res.Status)
	}
	if got := res.code(); got != "SERVICE_UNAVAILABLE" {
		t.Errorf("query while PostgreSQL is down: code %q, want SERVICE_UNAVAILABLE; body %s", got, res.Body)
	}
	checkNoLeak(t, res)
	t.Logf("while down: %s", res.Body)

	if err := cluster.Resume(t.Context()); err != nil {
		t.Fatalf("resume cluster: %v", err)
	}
	stopped = false

	green := waitReadyz(t, client, ta.URL, http.StatusOK)
	t.Logf("/readyz went 200 %s after the cluster resumed", green)
	mustQuery(t, client, ta.URL, platformCountQuery)
}

// lockPlatforms opens a transaction on connString that holds an ACCESS
// EXCLUSIVE lock on the platform table, so that every query of it blocks. The
// returned func releases the lock; it is also called when the test ends.
func lockPlatforms(t *testing.T, connString string) (conn *pgx.Conn, release func()) {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		t.Fatalf("lock connection: %v", err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE platform IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatalf("lock platform: %v", err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), opsTimeout)
			defer cancel()
			if err := tx.Rollback(ctx); err != nil {
				t.Errorf("release lock: %v", err)
			}
			conn.Close(ctx)
		})
	}
	t.Cleanup(release)
	return conn, release
}

// waitBlockedOnPlatform waits until some session waits for the lock on the
// platform table.
func waitBlockedOnPlatform(t *testing.T, lockConn *pgx.Conn) {
	t.Helper()
	waitFor(t, "a query to wait for the platform lock", func() bool {
		var n int
		err := lockConn.QueryRow(t.Context(),
			`SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'platform'::regclass`).Scan(&n)
		return err == nil && n > 0
	})
}

// TestStatementTimeoutKeepsServing blocks a query behind a lock until the
// statement timeout stops it: the client gets TIMEOUT with a message it can act
// on, /readyz stays green, and the next query works once the lock is gone.
func TestStatementTimeoutKeepsServing(t *testing.T) {
	ta := startApp(t, nil, withStatementTimeout(300*time.Millisecond))
	client := newClient()
	mustQuery(t, client, ta.URL, platformCountQuery)

	_, release := lockPlatforms(t, ta.Config.DatabaseURL)
	checkReadyz(t, client, ta.URL, http.StatusOK)

	start := time.Now()
	res, err := postGraphQL(client, ta.URL, platformCountQuery)
	if err != nil {
		t.Fatalf("blocked query: %v", err)
	}
	t.Logf("blocked query answered after %s: %s", time.Since(start), res.Body)
	if res.Status >= 500 {
		t.Errorf("blocked query: status %d, want no 5xx", res.Status)
	}
	if got := res.code(); got != "TIMEOUT" {
		t.Fatalf("blocked query: code %q, want TIMEOUT; body %s", got, res.Body)
	}
	if msg := res.Errors[0].Message; !strings.Contains(msg, "took too long") || !strings.Contains(msg, "try again") {
		t.Errorf("blocked query: message %q does not say what happened and what to do", msg)
	}
	checkNoLeak(t, res)
	checkReadyz(t, client, ta.URL, http.StatusOK)

	release()
	mustQuery(t, client, ta.URL, platformCountQuery)
	checkReadyz(t, client, ta.URL, http.StatusOK)
}

// TestGracefulShutdown stops the App (as SIGTERM does) while a request waits
// for a lock: new connections are refused at once, the request still completes
// with its data, and Serve returns without error.
func TestGracefulShutdown(t *testing.T) {
	ta := startApp(t, nil, withStatementTimeout(time.Minute))
	client := newClient()
	lockConn, release := lockPlatforms(t, ta.Config.DatabaseURL)

	type answer struct {
		res gqlResult
		err error
	}
	inFlight := make(chan answer, 1)
	go func() {
		res, err := postGraphQL(client, ta.URL, platformCountQuery)
		inFlight <- answer{res, err}
	}()
	waitBlockedOnPlatform(t, lockConn)

	served := make(chan error, 1)
	go func() { served <- ta.shutdown() }()

	addr := ta.Addr()
	waitFor(t, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return false
		}
		return true
	})
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a request was still in flight", err)
	default:
	}

	release()
	a := <-inFlight
	if a.err != nil {
		t.Fatalf("in-flight request: %v", a.err)
	}
	if a.res.Status != http.StatusOK || len(a.res.Errors) > 0 || !a.res.hasData() {
		t.Errorf("in-flight request: status %d, body %s; want 200 with data", a.res.Status, a.res.Body)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("a new connection to %s was accepted after shutdown", addr)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/db/pgcluster"
)

// These tests run two servers over a primary (the package's cluster) and a
// real streaming replica of it, made with pg_basebackup -R into a second
// throwaway cluster.

// replicaMaxLag is the servers' lag bound in these tests: short, so that a
// paused replica leaves the rotation soon, long enough that one on a busy
// machine stays in it.
const replicaMaxLag = 3 * time.Second

// withDatabase serves url (the primary) instead of a fresh database.
func withDatabase(url string) appOption {
	return func(a *App) { a.Config.DatabaseURL = url }
}

// withReplicas reads from the replicas at urls.
func withReplicas(maxLag time.Duration, urls ...string) appOption {
	return func(a *App) {
		a.Config.ReadDatabaseURLs, a.Config.ReplicaMaxLag = strings.Join(urls, ","), maxLag
	}
}

// startReplica makes a streaming replica of primary in a directory of its own
// and starts it; it is stopped and removed when the test ends.
func startReplica(t *testing.T, primary *pgcluster.Cluster) *pgcluster.Cluster {
	t.Helper()
	// Not t.TempDir: the postgres OS user must reach the directory.
	base, err := os.MkdirTemp("", "civicmap-replica-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	start := time.Now()
	c, err := pgcluster.StartReplica(t.Context(), primary, pgcluster.Config{DataDir: filepath.Join(base, "data"), NoFsync: true})
	if err != nil {
		t.Fatalf("start replica: %v", err)
	}
	t.Logf("replica of %s started in %s", primary.DataDir(), time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), opsTimeout)
		defer cancel()
		if err := c.StopServer(ctx); err != nil {
			t.Errorf("stop replica: %v", err)
		}
	})
	return c
}

// connect opens a pool on url, closed when the test ends.
func connect(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// dbName is the database that url names.
func dbName(t *testing.T, url string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}

// answer is one HTTP answer of a server, with the headers the tests look at.
type answer struct {
	status    int
	servedBy  string
	readAfter string
	body      []byte
	gql       gqlResult
}

// ask sends a GraphQL operation to baseURL with headers; GET when get is set.
func ask(client *http.Client, baseURL, query string, vars map[string]any, headers map[string]string) (answer, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return answer{}, err
	}
	req, err := http.NewRequest(http.MethodPost, baseURL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return do(client, req)
}

// get sends GET baseURL+path with headers.
func get(client *http.Client, baseURL, path string, headers map[string]string) (answer, error) {
	req, err := http.NewRequest(http.MethodGet, baseURL+path, nil)
	if err != nil {
		return answer{}, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return do(client, req)
}

func do(client *http.Client, req *http.Request) (answer, error) {
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, servedBy: resp.Header.Get("X-Civicmap-Served-By"),
		readAfter: resp.Header.Get("X-Civicmap-Read-After"), body: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/") && strings.HasSuffix(req.URL.Path, "/graphql") {
		a.gql.Status, a.gql.Body = resp.StatusCode, string(raw)
		if err := json.Unmarshal(raw, &a.gql); err != nil {
			return a, fmt.Errorf("status %d, body %q: %w", resp.StatusCode, raw, err)
		}
	}
	return a, nil
}

// mustAsk asks and fails t unless the answer is 200 without errors.
func mustAsk(t *testing.T, client *http.Client, baseURL, query string, vars map[string]any, headers map[string]string) answer {
	t.Helper()
	a, err := ask(client, baseURL, query, vars, headers)
	if err != nil {
		t.Fatalf("ask %s: %v", baseURL, err)
	}
	if a.status != http.StatusOK || len(a.gql.Errors) > 0 {
		t.Fatalf("ask %s: status %d, body %s", baseURL, a.status, a.body)
	}
	return a
}

// readyz is /readyz's body.
type readyz struct {
	Status   string
	Replicas []struct {
		Name, State string
		LagSeconds  float64
		LagBytes    int64
	}
}

func readReadyz(t *testing.T, client *http.Client, baseURL string) (int, readyz) {
	t.Helper()
	a, err := get(client, baseURL, "/readyz", nil)
	if err != nil {
		t.Fatalf("/readyz: %v", err)
	}
	var r readyz
	if err := json.Unmarshal(a.body, &r); err != nil {
		t.Fatalf("/readyz body %q: %v", a.body, err)
	}
	return a.status, r
}

// replicaState returns the state /readyz gives the replica, "" for none.
func replicaState(t *testing.T, client *http.Client, baseURL string) string {
	t.Helper()
	status, r := readReadyz(t, client, baseURL)
	if status != http.StatusOK {
		t.Fatalf("/readyz answered %d with the primary up: %+v", status, r)
	}
	if len(r.Replicas) != 1 {
		t.Fatalf("/readyz lists %d replicas, want 1: %+v", len(r.Replicas), r)
	}
	return r.Replicas[0].State
}

// replicaFixture is the primary's database, its replica and two servers
// reading from the replica.
type replicaFixture struct {
	primaryURL, replicaURL string
	primary, replicaPool   *pgxpool.Pool
	replica                *pgcluster.Cluster
	servers                [2]*testApp
	// logs holds server 0's log, as JSON lines.
	logs   syncBuffer
	client *http.Client
	key    string // an admin's Authorization header
}

func newReplicaFixture(t *testing.T) *replicaFixture {
	t.Helper()
	f := &replicaFixture{primaryURL: dbtest.NewConnString(t), client: newClient()}
	f.primary = connect(t, f.primaryURL)
	// The package's cluster commits asynchronously (NoFsync): a commit would
	// reach the replica only when the WAL writer next runs, 200 ms on, and
	// every read with a token would go to the primary. Production commits
	// synchronously; so do the servers' connections to this database.
	if _, err := f.primary.Exec(t.Context(), "ALTER DATABASE "+pgx.Identifier{dbName(t, f.primaryURL)}.Sanitize()+" SET synchronous_commit = on"); err != nil {
		t.Fatal(err)
	}
	f.replica = startReplica(t, dbtest.Cluster(t))
	f.replicaURL = f.replica.ConnString(dbName(t, f.primaryURL))
	f.replicaPool = connect(t, f.replicaURL)
	for i := range f.servers {
		var handlers []slog.Handler
		if i == 0 {
			handlers = append(handlers, slog.NewJSONHandler(&f.logs, nil))
		}
		if testing.Verbose() {
			handlers = append(handlers, slog.NewTextHandler(tWriter{t, fmt.Sprintf("server %d: ", i)}, &slog.HandlerOptions{Level: slog.LevelWarn}))
		}
		log := slog.New(slog.NewMultiHandler(handlers...))
		f.servers[i] = startApp(t, nil, withDatabase(f.primaryURL), withReplicas(replicaMaxLag, f.replicaURL), withLogger(log), withMetrics())
	}
	_, token, err := db.New(f.primary).CreateKey(t.Context(), "replica test", db.RoleAdmin, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.key = "Bearer " + token
	return f
}

// tWriter logs a server's lines in the test's output.
type tWriter struct {
	t      *testing.T
	prefix string
}

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(w.prefix + strings.TrimSpace(string(b)))
	return len(b), nil
}

// createMutation creates a platform and gives its id.
const createMutation = `mutation($in: PlatformInput!) { createPlatform(input: $in) { id externalId } }`

// platformQuery reads a platform by id.
const platformQuery = `query($id: ID!) { platform(id: $id) { externalId name } }`

// workstation is the input of a new workstation beside the seat of 永安's
// 燕西街道.
func (f *replicaFixture) workstation(t *testing.T, externalID string) map[string]any {
	t.Helper()
	var lon, lat float64
	if err := f.primary.QueryRow(t.Context(), `SELECT ST_X(seat), ST_Y(seat) FROM township WHERE code = '350481001'`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	return map[string]any{"externalId": externalID, "kind": "WORKSTATION", "name": "副本测试 " + externalID,
		"organiserCode": "350481", "townshipCode": "350481001", "hostName": "测试单位", "hostType": "PUBLIC_UNIT",
		"lon": lon + 0.001, "lat": lat, "sourceNote": "written by a test"}
}

// create writes a workstation through server i and returns its id and the
// token of the write.
func (f *replicaFixture) create(t *testing.T, i int, externalID string) (id, token string) {
	t.Helper()
	a := mustAsk(t, f.client, f.servers[i].URL, createMutation, map[string]any{"in": f.workstation(t, externalID)},
		map[string]string{"Authorization": f.key})
	if a.servedBy != "primary" {
		t.Errorf("a mutation was served by %q, want the primary", a.servedBy)
	}
	if _, err := db.ParseLSN(a.readAfter); err != nil {
		t.Fatalf("a write's X-Civicmap-Read-After is %q: %v", a.readAfter, err)
	}
	var d struct{ CreatePlatform struct{ ID string } }
	if err := json.Unmarshal(a.gql.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d.CreatePlatform.ID, a.readAfter
}

// TestReadReplicas: reads go to the replica, writes to the primary, a write's
// token makes any server's read see it, a lagging or dead replica leaves the
// rotation and comes back, and bad replica settings stop the start.
func TestReadReplicas(t *testing.T) {
	f := newReplicaFixture(t)
	t.Run("reads go to the replica", f.testReadsGoToTheReplica)
	t.Run("metrics", f.testMetrics)
	t.Run("read your writes", f.testReadYourWrites)
	t.Run("the token outruns the replica", f.testTokenOutrunsTheReplica)
	t.Run("bad tokens", f.testBadTokens)
	t.Run("two servers", f.testTwoServers)
	t.Run("kill -9 the replica", f.testKillTheReplica)
	t.Run("bad configuration", f.testBadConfiguration)
}

func (f *replicaFixture) testReadsGoToTheReplica(t *testing.T) {
	before := f.replicaPlatformScans(t)
	for i, s := range f.servers {
		// Fresh from its base backup, the replica has WAL to replay first.
		took := waitFor(t, "the replica to enter the rotation", func() bool { return replicaState(t, f.client, s.URL) == "in rotation" })
		t.Logf("server %d: the new replica entered the rotation after %s", i, took)
		if a := mustAsk(t, f.client, s.URL, platformCountQuery, nil, nil); a.servedBy != "replica-1" {
			t.Errorf("server %d: a query was served by %q, want replica-1", i, a.servedBy)
		}
		for _, path := range []string{"/tiles.json", "/tiles/9/424/218.mvt", "/geojson/platforms", "/collections/platforms/items?limit=5", "/export/platforms.ndjson"} {
			a, err := get(f.client, s.URL, path, nil)
			if err != nil || a.status != http.StatusOK || a.servedBy != "replica-1" {
				t.Errorf("server %d: GET %s: %v, status %d, served by %q; want 200 from replica-1", i, path, err, a.status, a.servedBy)
			}
		}
	}
	// What reads no database names none.
	for _, path := range []string{"/healthz", "/static/app.js"} {
		if a, err := get(f.client, f.servers[0].URL, path, nil); err != nil || a.servedBy != "" {
			t.Errorf("GET %s: %v, served by %q; want no database named", path, err, a.servedBy)
		}
	}
	// The request log says it too.
	servedBy := map[string]string{}
	for _, raw := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
		var l struct {
			Msg, Path string
			ServedBy  string `json:"served_by"`
		}
		if json.Unmarshal([]byte(raw), &l) == nil && l.Msg == "request" {
			servedBy[l.Path] = l.ServedBy
		}
	}
	for path, want := range map[string]string{"/graphql": "replica-1", "/tiles/9/424/218.mvt": "replica-1", "/healthz": ""} {
		if got, ok := servedBy[path]; !ok || got != want {
			t.Errorf("server 0's request log for %s: served_by %q (logged: %v), want %q", path, got, ok, want)
		}
	}
	// The replica itself counts the reads of the platform table it served
	// (its statistics flush within seconds; its health checks read no table).
	waitFor(t, "the replica's statistics to count the reads", func() bool { return f.replicaPlatformScans(t) > before })
}

// testMetrics: the metrics show the replica in the rotation, its lag, and
// its pools, which served the reads.
func (f *replicaFixture) testMetrics(t *testing.T) {
	s := f.servers[0]
	if v, ok := metric(t, s, "civicmap_replica_in_rotation", "replica", "replica-1"); v != 1 {
		t.Errorf("civicmap_replica_in_rotation{replica-1} = %g (present %v), want 1", v, ok)
	}
	if v, ok := metric(t, s, "civicmap_replica_lag_seconds", "replica", "replica-1"); !ok || v < 0 || v > replicaMaxLag.Seconds() {
		t.Errorf("civicmap_replica_lag_seconds{replica-1} = %g (present %v), want within the bound, %s", v, ok, replicaMaxLag)
	}
	for _, pool := range []string{"main", "heavy", "health"} {
		if v, ok := metric(t, s, "civicmap_db_pool_acquires_total", "database", "replica-1", "pool", pool); !ok || v == 0 {
			t.Errorf("the replica's %s pool: %g connections taken (present %v), want some: the reads went there", pool, v, ok)
		}
	}
}

// replicaPlatformScans is how many scans of the platform table the replica
// has run, as its own statistics count them.
func (f *replicaFixture) replicaPlatformScans(t *testing.T) int64 {
	t.Helper()
	var n int64
	err := f.replicaPool.QueryRow(t.Context(), `SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0)::int8
		FROM pg_stat_user_tables WHERE relname = 'platform'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testReadYourWrites: a platform written through one server is read through
// the other with the write's token, at once, every time.
func (f *replicaFixture) testReadYourWrites(t *testing.T) {
	const n = 40
	servedBy := map[string]int{}
	for i := range n {
		externalID := fmt.Sprintf("RYW-%d", i)
		id, token := f.create(t, i%2, externalID)
		a := mustAsk(t, f.client, f.servers[(i+1)%2].URL, platformQuery, map[string]any{"id": id},
			map[string]string{"X-Civicmap-Read-After": token})
		var d struct{ Platform *struct{ ExternalID string } }
		if err := json.Unmarshal(a.gql.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.Platform == nil || d.Platform.ExternalID != externalID {
			t.Fatalf("write %d: the read with its token got %s, want platform %s", i, a.gql.Data, externalID)
		}
		servedBy[a.servedBy]++
	}
	t.Logf("%d reads right after their writes, each with its token: served by %v", n, servedBy)
}

// testTokenOutrunsTheReplica: with the replica's replay paused, a read with
// a write's token is served by the primary and sees the write; the replica
// falls past the lag bound and leaves the rotation, and returns once it has
// replayed.
func (f *replicaFixture) testTokenOutrunsTheReplica(t *testing.T) {
	if _, err := f.replicaPool.Exec(t.Context(), `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if _, err := f.replicaPool.Exec(context.Background(), `SELECT pg_wal_replay_resume()`); err != nil {
				t.Errorf("resume replay: %v", err)
			}
		}
	}
	t.Cleanup(resume)
	id, token := f.create(t, 0, "PAUSED-1")
	a := mustAsk(t, f.client, f.servers[1].URL, platformQuery, map[string]any{"id": id}, map[string]string{"X-Civicmap-Read-After": token})
	if a.servedBy != "primary" || !strings.Contains(string(a.gql.Data), "PAUSED-1") {
		t.Errorf("a read with a token the replica has not replayed: served by %q, data %s; want the write, from the primary", a.servedBy, a.gql.Data)
	}
	for i, s := range f.servers {
		took := waitFor(t, "the paused replica to leave the rotation", func() bool { return replicaState(t, f.client, s.URL) == "lagging" })
		t.Logf("server %d: the paused replica left the rotation after %s (bound %s)", i, took, replicaMaxLag)
		if a := mustAsk(t, f.client, s.URL, platformCountQuery, nil, nil); a.servedBy != "primary" {
			t.Errorf("server %d: a read with the replica lagging was served by %q, want the primary", i, a.servedBy)
		}
	}
	resume()
	for i, s := range f.servers {
		took := waitFor(t, "the replica to return", func() bool { return replicaState(t, f.client, s.URL) == "in rotation" })
		t.Logf("server %d: the replica returned %s after replay resumed", i, took)
		a := mustAsk(t, f.client, s.URL, platformQuery, map[string]any{"id": id}, map[string]string{"X-Civicmap-Read-After": token})
		if a.servedBy != "replica-1" {
			t.Errorf("server %d: a read with a token the replica has replayed was served by %q, want replica-1", i, a.servedBy)
		}
	}
}

// testBadTokens: a token that is no WAL position is bad input, on GraphQL and
// on the REST endpoints.
func (f *replicaFixture) testBadTokens(t *testing.T) {
	for _, token := range []string{"yesterday", "1/", "/1", "0/xyz", "-1/0", "100000000/0"} {
		h := map[string]string{"X-Civicmap-Read-After": token}
		a, err := ask(f.client, f.servers[0].URL, platformCountQuery, nil, h)
		if err != nil || a.status != http.StatusBadRequest || a.gql.code() != "BAD_USER_INPUT" || !strings.Contains(a.gql.Body, "X-Civicmap-Read-After") {
			t.Errorf("token %q on /graphql: %v, status %d, body %s; want 400 BAD_USER_INPUT naming the header", token, err, a.status, a.body)
		}
		a, err = get(f.client, f.servers[0].URL, "/tiles.json", h)
		if err != nil || a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "BAD_USER_INPUT") {
			t.Errorf("token %q on /tiles.json: %v, status %d, body %s; want 400 BAD_USER_INPUT", token, err, a.status, a.body)
		}
	}
}

// coverageQuery is an answer both servers keep by data version.
const coverageQuery = `{ coverage(kinds: [WORKSTATION], radiusMetres: 5000) { totals { townships covered uncovered } } }`

// testTwoServers: both servers give the same answers, before and after a
// write through one of them; a subscriber on the other sees the write.
func (f *replicaFixture) testTwoServers(t *testing.T) {
	same := func(what string, headers map[string]string) {
		t.Helper()
		a := mustAsk(t, f.client, f.servers[0].URL, coverageQuery, nil, headers)
		b := mustAsk(t, f.client, f.servers[1].URL, coverageQuery, nil, headers)
		if !bytes.Equal(a.gql.Data, b.gql.Data) {
			t.Errorf("%s: the servers differ: %s and %s", what, a.gql.Data, b.gql.Data)
		}
	}
	same("before a write", nil)
	var end struct {
		Changes struct{ PageInfo struct{ EndCursor string } }
	}
	a := mustAsk(t, f.client, f.servers[1].URL, `{ changes(first: 500) { pageInfo { endCursor } } }`, nil, nil)
	if err := json.Unmarshal(a.gql.Data, &end); err != nil {
		t.Fatal(err)
	}
	sub := subscribe(t, f.servers[1].URL, end.Changes.PageInfo.EndCursor)
	// The uncovered township farthest from a workstation gets one.
	_, token := f.create(t, 0, "TWO-SERVERS")
	same("after a write, with its token", map[string]string{"X-Civicmap-Read-After": token})
	if got := sub.next(t); got != "TWO-SERVERS" {
		t.Errorf("the subscriber on server 1 saw %q, want the write through server 0", got)
	}
}

// testKillTheReplica: clients read through both servers without pause while
// the replica's postmaster is killed with SIGKILL and later started again.
// Reads move to the primary with no client error beyond the requests in
// flight on the replica, and return to the replica once it is back.
func (f *replicaFixture) testKillTheReplica(t *testing.T) {
	const clients = 6
	var phase atomic.Int32 // 0 before the kill, 1 replica down, 2 back
	type tally struct{ ok, failed [3]atomic.Int64 }
	var byServer [2]tally
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	queries := []string{platformCountQuery, coverageQuery, `{ counties(first: 20) { nodes { code name } } }`}
	for c := range clients {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				s, p := c%2, phase.Load()
				var err error
				var a answer
				if n%4 == 3 {
					if a, err = get(f.client, f.servers[s].URL, "/tiles/9/424/218.mvt", nil); err == nil && a.status != http.StatusOK {
						err = fmt.Errorf("tile: status %d: %s", a.status, a.body)
					}
				} else if a, err = ask(f.client, f.servers[s].URL, queries[n%len(queries)], nil, nil); err == nil && (a.status != http.StatusOK || len(a.gql.Errors) > 0) {
					err = fmt.Errorf("status %d: %s", a.status, a.body)
				}
				if err != nil {
					byServer[s].failed[p].Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				byServer[s].ok[p].Add(1)
			}
		})
	}
	defer func() {
		close(stop)
		wg.Wait()
		var failed int64
		for s := range byServer {
			for p, name := range []string{"before", "replica down", "back"} {
				t.Logf("server %d, %s: %d answers, %d errors", s, name, byServer[s].ok[p].Load(), byServer[s].failed[p].Load())
				failed += byServer[s].failed[p].Load()
			}
		}
		if failed > clients {
			t.Errorf("%d requests failed, more than the %d that can have been in flight on the replica; first: %v", failed, clients, firstErr.Load())
		} else if failed > 0 {
			t.Logf("%d requests failed (at most %d were in flight): %v", failed, clients, firstErr.Load())
		}
	}()
	// answered waits until both servers have given n more answers in phase p.
	answered := func(p int32, what string) {
		t.Helper()
		n0, n1 := byServer[0].ok[p].Load(), byServer[1].ok[p].Load()
		waitFor(t, what, func() bool { return byServer[0].ok[p].Load() > n0+20 && byServer[1].ok[p].Load() > n1+20 })
	}
	answered(0, "answers before the kill")

	pid, err := f.replica.PID()
	if err != nil || pid == 0 {
		t.Fatalf("replica's postmaster: pid %d, %v", pid, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	killed := time.Now()
	phase.Store(1)
	for i, s := range f.servers {
		waitFor(t, "the dead replica to leave the rotation", func() bool { return replicaState(t, f.client, s.URL) == "failing" })
		if v, _ := metric(t, s, "civicmap_replica_in_rotation", "replica", "replica-1"); v != 0 {
			t.Errorf("server %d: the dead replica's civicmap_replica_in_rotation is %g, want 0", i, v)
		}
		if a := mustAsk(t, f.client, s.URL, platformCountQuery, nil, nil); a.servedBy != "primary" {
			t.Errorf("server %d: a read with the replica dead was served by %q, want the primary", i, a.servedBy)
		}
	}
	t.Logf("the replica was out of both servers' rotation %s after the kill", time.Since(killed).Round(time.Millisecond))
	answered(1, "answers with the replica down")

	// The postmaster's children notice its death and exit; until they have,
	// the shared memory is theirs and a new postmaster would not start.
	waitFor(t, "the replica to start again", func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		return f.replica.Resume(ctx) == nil
	})
	restarted := time.Now()
	for i, s := range f.servers {
		waitFor(t, "the replica to return", func() bool { return replicaState(t, f.client, s.URL) == "in rotation" })
		waitFor(t, "reads on the replica again", func() bool {
			a, err := ask(f.client, s.URL, platformCountQuery, nil, nil)
			return err == nil && a.servedBy == "replica-1"
		})
		t.Logf("server %d: the replica serves again %s after its restart", i, time.Since(restarted).Round(time.Millisecond))
	}
	phase.Store(2)
	answered(2, "answers after the return")
}

// testBadConfiguration: a replica that cannot be reached, copies another
// database or cluster, or is a primary stops the start with an error naming
// the setting and saying what is wrong.
func (f *replicaFixture) testBadConfiguration(t *testing.T) {
	other := otherClustersReplica(t)
	for _, tc := range []struct {
		name, urls, want string
	}{
		{"unreachable", "host=/nonexistent port=1 user=postgres dbname=civicmap connect_timeout=2", "replica-1"},
		{"a primary", f.primaryURL, "it is not a replica"},
		{"another database", f.replica.ConnString("postgres"), "serves database \"postgres\""},
		{"another cluster", other, "a replica of another cluster"},
		{"the second of two", f.replicaURL + "," + f.primaryURL, "replica-2"},
		{"not a URL", "postgres://[::1", "entry 1 is no PostgreSQL URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := &App{Config: config{Addr: "127.0.0.1:0", DatabaseURL: f.primaryURL, StatementTimeout: 5 * time.Second, LogFormat: "text",
				ReadDatabaseURLs: tc.urls, ReplicaMaxLag: time.Second}, Log: slog.New(slog.DiscardHandler)}
			defer app.Close()
			err := app.Config.check(dbCommand | serverSettings)
			if err == nil {
				err = app.Open(t.Context(), false)
			}
			if err == nil || !strings.Contains(err.Error(), "-read-database-urls") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("start with -read-database-urls %q: %v; want an error naming the setting and %q", tc.urls, err, tc.want)
			}
			t.Log(err)
		})
	}
}

// otherClustersReplica starts a new cluster and a replica of it, and returns
// the replica's URL: a replica, but not of the primary.
func otherClustersReplica(t *testing.T) string {
	t.Helper()
	base, err := os.MkdirTemp("", "civicmap-other-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	other, err := pgcluster.Start(t.Context(), pgcluster.Config{DataDir: filepath.Join(base, "data"), NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Stop(context.Background()) })
	return startReplica(t, other).ConnString("postgres")
}

// subscriber follows the change feed over a WebSocket (graphql-transport-ws).
type subscriber struct {
	conn *websocket.Conn
}

// subscribe follows the feed of the server at baseURL after cursor.
func subscribe(t *testing.T, baseURL, cursor string) *subscriber {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), opsTimeout)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(baseURL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	s := &subscriber{conn: conn}
	s.send(t, map[string]any{"type": "connection_init"})
	if m := s.read(t); m.Type != "connection_ack" {
		t.Fatalf("got %+v, want connection_ack", m)
	}
	s.send(t, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": `subscription($after: String) { platformChanged(after: $after) { externalId } }`, "variables": map[string]any{"after": cursor}}})
	return s
}

type wsMessage struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

func (s *subscriber) send(t *testing.T, m map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), opsTimeout)
	defer cancel()
	if err := wsjson.Write(ctx, s.conn, m); err != nil {
		t.Fatalf("websocket write: %v", err)
	}
}

func (s *subscriber) read(t *testing.T) wsMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), opsTimeout)
	defer cancel()
	var m wsMessage
	if err := wsjson.Read(ctx, s.conn, &m); err != nil {
		t.Fatalf("websocket read: %v", err)
	}
	return m
}

// next returns the external ID of the next change.
func (s *subscriber) next(t *testing.T) string {
	t.Helper()
	m := s.read(t)
	var p struct {
		Data struct{ PlatformChanged struct{ ExternalID string } }
	}
	if m.Type != "next" || json.Unmarshal(m.Payload, &p) != nil {
		t.Fatalf("got %s %s, want a change", m.Type, m.Payload)
	}
	return p.Data.PlatformChanged.ExternalID
}

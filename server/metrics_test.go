package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/server"
)

// metricsFixture is a server on a loopback port over a database of its own
// with its three pools, and its /metrics on another port, as civicmap
// -metrics-addr serves it.
type metricsFixture struct {
	server       *server.Server
	api, metrics *httptest.Server
	pool         *pgxpool.Pool
}

func newMetricsFixture(t *testing.T, edit func(*server.Config)) *metricsFixture {
	t.Helper()
	pool := dbtest.NewDB(t)
	open := func(maxConns int32) *pgxpool.Pool {
		cfg := pool.Config()
		cfg.MaxConns = maxConns
		p, err := pgxpool.NewWithConfig(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p
	}
	cfg := server.DefaultConfig()
	if edit != nil {
		edit(&cfg)
	}
	d := db.NewPools(db.Pools{Main: pool, Heavy: open(3), Health: open(1)})
	s := server.New(cfg, d, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f := &metricsFixture{server: s, api: httptest.NewServer(s.Handler()), metrics: httptest.NewServer(s.Metrics()), pool: pool}
	t.Cleanup(f.api.Close)
	t.Cleanup(f.metrics.Close)
	return f
}

// scrape reads /metrics over HTTP and parses it as Prometheus does.
func (f *metricsFixture) scrape(t *testing.T) scrape {
	t.Helper()
	resp, err := http.Get(f.metrics.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("/metrics: status %d, Content-Type %q", resp.StatusCode, ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// scrape is one scrape's metric families by name.
type scrape map[string]*dto.MetricFamily

// value is the value of the series of name with the labels given as pairs
// (a histogram's count of observations), and whether there is one.
func (s scrape) value(name string, labels ...string) (float64, bool) {
	fam := s[name]
	if fam == nil {
		return 0, false
	}
	for _, m := range fam.Metric {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		found := false
		for _, l := range m.Label {
			found = found || l.GetName() == pairs[i] && l.GetValue() == pairs[i+1]
		}
		if !found {
			return false
		}
	}
	return true
}

// series names a series: a metric and its labels as pairs.
type series struct {
	name   string
	labels []string
}

// growth is how much a series grows.
type growth struct {
	series
	by float64
}

// gql names the GraphQL requests' series of an operation type, a root field
// and an outcome.
func gql(operation, field, outcome string) series {
	return series{"civicmap_graphql_request_duration_seconds", []string{"operation", operation, "field", field, "outcome", outcome}}
}

func route(pattern, outcome string) series {
	return series{"civicmap_http_request_duration_seconds", []string{"route", pattern, "outcome", outcome}}
}

func cacheLookups(result, name string) series {
	return series{"civicmap_cache_" + result + "_total", []string{"cache", name}}
}

// post sends query to the API over HTTP and reads the answer.
func (f *metricsFixture) post(t *testing.T, query string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(f.api.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// get asks the API for path over HTTP and reads the answer.
func (f *metricsFixture) get(t *testing.T, path string) {
	t.Helper()
	resp, err := http.Get(f.api.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// TestMetricsCountRequests: what clients do over HTTP moves the series it
// should, by as much as it should, in a scrape over HTTP.
func TestMetricsCountRequests(t *testing.T) {
	f := newMetricsFixture(t, nil)
	postQuery, get := f.post, f.get // for short rows
	cases := []struct {
		name string
		do   func(t *testing.T)
		want []growth
	}{
		{"three queries", func(t *testing.T) {
			for range 3 {
				postQuery(t, `{ counties { totalCount } }`)
			}
		}, []growth{{gql("query", "counties", "ok"), 3}, {gql("none", "none", "client_error"), 0}}},
		{"a query that does not validate", func(t *testing.T) { postQuery(t, `{ noSuchField }`) },
			[]growth{{gql("none", "none", "client_error"), 1}, {gql("query", "counties", "ok"), 0}}},
		{"a bad argument", func(t *testing.T) { postQuery(t, `{ county(code: "35") { name } }`) },
			[]growth{{gql("query", "county", "client_error"), 1}}},
		{"a query over the cost limit", func(t *testing.T) {
			postQuery(t, `{ platforms(first: 500) { nodes { township { platforms(first: 500) { nodes { id } } } } } }`)
		}, []growth{{gql("query", "platforms", "rejected"), 1}}},
		{"a body over the limit", func(t *testing.T) { postQuery(t, `{ __typename }`+strings.Repeat(" ", 300<<10)) },
			[]growth{{gql("none", "none", "rejected"), 1}}},
		{"one coverage question asked two ways", func(t *testing.T) {
			postQuery(t, `{ coverage(kinds: [WORKSTATION], radiusMetres: 5000) { totals { covered } } }`)
			postQuery(t, `{ c: coverage(kinds: [WORKSTATION], radiusMetres: 5000) { totals { uncovered } } }`)
		}, []growth{
			{gql("query", "coverage", "ok"), 2},
			// Each document is its own whole answer; the coverage is one.
			{cacheLookups("misses", "answers"), 2}, {cacheLookups("hits", "answers"), 0},
			{cacheLookups("misses", "coverage"), 1}, {cacheLookups("hits", "coverage"), 1},
		}},
		{"the same coverage query again", func(t *testing.T) {
			postQuery(t, `{ coverage(kinds: [WORKSTATION], radiusMetres: 5000) { totals { covered } } }`)
		}, []growth{{cacheLookups("hits", "answers"), 1}, {cacheLookups("misses", "coverage"), 0}, {cacheLookups("hits", "coverage"), 0}}},
		{"routes", func(t *testing.T) {
			get(t, "/healthz")
			get(t, "/healthz")
			get(t, "/tiles/99/0/0.mvt")
			get(t, "/no/such/path")
		}, []growth{
			{route("/healthz", "ok"), 2},
			{route("/tiles/{z}/{x}/{y}", "client_error"), 1},
			{route("unmatched", "client_error"), 1},
			{gql("query", "counties", "ok"), 0},
		}},
		{"a write", func(t *testing.T) {
			if _, err := f.pool.Exec(t.Context(), `UPDATE platform SET name = name || '·' WHERE id = (SELECT min(id) FROM platform)`); err != nil {
				t.Fatal(err)
			}
		}, []growth{{series{"civicmap_data_change_seq", nil}, 1}, {series{"civicmap_data_geography_version", nil}, 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.scrape(t)
			c.do(t)
			after := f.scrape(t)
			for _, g := range c.want {
				b, _ := before.value(g.name, g.labels...)
				a, ok := after.value(g.name, g.labels...)
				if !ok && g.by != 0 {
					t.Errorf("%s%v: no such series", g.name, g.labels)
					continue
				}
				if a-b != g.by {
					t.Errorf("%s%v: grew by %g, want %g", g.name, g.labels, a-b, g.by)
				}
			}
		})
	}
}

// TestMetricsState: the pools, each by name, the Go runtime and the process
// are in a scrape, and /metrics is not on the public port.
func TestMetricsState(t *testing.T) {
	f := newMetricsFixture(t, nil)
	s := f.scrape(t)
	for _, c := range []struct {
		pool string
		max  float64
	}{{"main", float64(f.pool.Config().MaxConns)}, {"heavy", 3}, {"health", 1}} {
		if got, ok := s.value("civicmap_db_pool_max_connections", "database", "primary", "pool", c.pool); got != c.max {
			t.Errorf("pool %s: max_connections %g (present %v), want %g", c.pool, got, ok, c.max)
		}
		for _, name := range []string{"open_connections", "acquired_connections", "idle_connections", "acquires_total",
			"acquire_waits_total", "acquire_wait_seconds_total", "canceled_acquires_total"} {
			if _, ok := s.value("civicmap_db_pool_"+name, "database", "primary", "pool", c.pool); !ok {
				t.Errorf("pool %s: no civicmap_db_pool_%s", c.pool, name)
			}
		}
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "civicmap_exports_in_progress",
		"civicmap_graphql_subscriptions", "civicmap_websocket_connections", "civicmap_data_geography_version"} {
		if _, ok := s.value(name); !ok {
			t.Errorf("no %s", name)
		}
	}
	if got, _ := s.value("civicmap_exports_limit"); got != float64(server.DefaultConfig().MaxExports) {
		t.Errorf("civicmap_exports_limit %g, want %d", got, server.DefaultConfig().MaxExports)
	}
	resp, err := http.Get(f.api.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the API's port: status %d, want 404", resp.StatusCode)
	}
}

// TestMetricsOpenWork: an export streaming, a subscription and its WebSocket
// show while they last, and not after; an export turned away because one
// streams already is rejected.
func TestMetricsOpenWork(t *testing.T) {
	f := newMetricsFixture(t, func(c *server.Config) { c.MaxExports = 1 })
	gauge := func(name string, labels ...string) float64 {
		v, _ := f.scrape(t).value(name, labels...)
		return v
	}

	stalled := &stalledWriter{ResponseRecorder: httptest.NewRecorder(), started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.server.Handler().ServeHTTP(stalled, httptest.NewRequest(http.MethodGet, "/export/platforms.ndjson", nil))
	}()
	<-stalled.started
	if got := gauge("civicmap_exports_in_progress"); got != 1 {
		t.Errorf("an export stalled: civicmap_exports_in_progress %g, want 1", got)
	}
	busy := route("/export/{file}", "rejected")
	f.get(t, "/export/platforms.csv")
	if got := gauge(busy.name, busy.labels...); got != 1 {
		t.Errorf("an export over the limit: %s%v %g, want 1", busy.name, busy.labels, got)
	}
	close(stalled.release)
	<-done
	if got := gauge("civicmap_exports_in_progress"); got != 0 {
		t.Errorf("the export ended: civicmap_exports_in_progress %g, want 0", got)
	}

	c := dialGraphQL(t, f.api, nil)
	c.subscribe("1", changedSubscription, nil)
	eventually(t, "the subscription to show", func() bool {
		return gauge("civicmap_graphql_subscriptions") == 1 && gauge("civicmap_websocket_connections") == 1
	})
	c.conn.CloseNow()
	eventually(t, "the subscription to go", func() bool {
		return gauge("civicmap_graphql_subscriptions") == 0 && gauge("civicmap_websocket_connections") == 0
	})
}

// TestMetricsTimeout: a request past its deadline is counted as a timeout.
func TestMetricsTimeout(t *testing.T) {
	f := newMetricsFixture(t, func(c *server.Config) { c.RequestTimeout = time.Nanosecond })
	f.post(t, `{ county(code: "350481") { name } }`)
	timeouts := gql("query", "county", "timeout")
	if got, _ := f.scrape(t).value(timeouts.name, timeouts.labels...); got != 1 {
		t.Errorf("timeouts counted: %g, want 1", got)
	}
}

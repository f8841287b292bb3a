package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"civicmap/cache"
	"civicmap/db"
	"civicmap/resolvers"
)

// The metrics are Prometheus's text format, on a registry of the server's
// own: two servers in one process (as tests run them) never mix their
// counts, and nothing registers itself globally. Requests are counted as
// they end (requestmetrics.go); everything else — pools, caches, the data
// version, exports, subscriptions — is read when Prometheus scrapes, so it
// costs requests nothing. The README's "Metrics" lists every metric.

// latencyBuckets span a kept answer (100 µs) to past the default request
// timeout (15 s), in seconds.
var latencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20}

// dataVersionScrapeTimeout bounds the data version's read at a scrape: the
// other metrics are served without it while the database does not answer.
const dataVersionScrapeTimeout = time.Second

// instruments are the server's metrics and the registry that serves them.
type instruments struct {
	registry *prometheus.Registry
	// graphql observes GraphQL requests over HTTP by operation type, root
	// field and outcome; http every other request by route and outcome.
	graphql, http *prometheus.HistogramVec
	// websockets counts open WebSocket connections of /graphql.
	websockets prometheus.Gauge
}

// newInstruments registers s's instruments, and the collectors that read s, its
// database and feed when scraped.
func newInstruments(s *Server, feed *resolvers.Feed) *instruments {
	m := &instruments{
		registry: prometheus.NewRegistry(),
		graphql: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "civicmap_graphql_request_duration_seconds",
			Help:    "GraphQL requests over HTTP, by operation type, first root field and outcome: how long they took.",
			Buckets: latencyBuckets,
		}, []string{"operation", "field", "outcome"}),
		http: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "civicmap_http_request_duration_seconds",
			Help:    "HTTP requests other than GraphQL, by route pattern and outcome: how long they took.",
			Buckets: latencyBuckets,
		}, []string{"route", "outcome"}),
		websockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "civicmap_websocket_connections",
			Help: "WebSocket connections of /graphql open now.",
		}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.graphql, m.http, m.websockets,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "civicmap_graphql_subscriptions",
			Help: "GraphQL subscriptions (platformChanged) open now.",
		}, func() float64 { return float64(feed.Subscribers()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "civicmap_exports_in_progress",
			Help: "Platform exports streaming now.",
		}, func() float64 { return float64(len(s.exports)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "civicmap_exports_limit",
			Help: "Platform exports that may stream at once; more answer 503.",
		}, func() float64 { return float64(cap(s.exports)) }),
		&stateCollector{s: s},
	)
	return m
}

// Metrics returns the handler of /metrics. It is not on Handler: it tells
// operational detail (pools, versions, rates) that the public port has no
// reason to, so the command line serves it on an address of its own.
func (s *Server) Metrics() http.Handler {
	return promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
}

// The descriptions of what stateCollector reads.
var (
	poolDescs = struct {
		max, open, acquired, idle, acquires, waits, waitSeconds, canceled *prometheus.Desc
	}{
		max:         poolDesc("max_connections", "Connections the pool may open."),
		open:        poolDesc("open_connections", "Connections open, in use or idle or being opened."),
		acquired:    poolDesc("acquired_connections", "Connections in use now."),
		idle:        poolDesc("idle_connections", "Connections open and idle now."),
		acquires:    poolDesc("acquires_total", "Connections taken from the pool."),
		waits:       poolDesc("acquire_waits_total", "Takings that waited because no connection was idle."),
		waitSeconds: poolDesc("acquire_wait_seconds_total", "Time takings spent waiting for a connection."),
		canceled:    poolDesc("canceled_acquires_total", "Takings given up (the request ended) before a connection was free."),
	}
	cacheHitsDesc = prometheus.NewDesc("civicmap_cache_hits_total",
		"Lookups that found an answer kept for the current data version.", []string{"cache"}, nil)
	cacheMissesDesc = prometheus.NewDesc("civicmap_cache_misses_total",
		"Lookups that found none, and read or computed the answer.", []string{"cache"}, nil)
	geographyVersionDesc = prometheus.NewDesc("civicmap_data_geography_version",
		"The geography's version, the first number of the data version: it grows with every write of counties or townships.", nil, nil)
	changeSeqDesc = prometheus.NewDesc("civicmap_data_change_seq",
		"The last platform change's number, the second of the data version: it grows with every committed platform write.", nil, nil)
	replicaDescs = struct{ lag, lagBytes, inRotation *prometheus.Desc }{
		lag: prometheus.NewDesc("civicmap_replica_lag_seconds",
			"How long ago the primary was where the replica is now, at its last health check; 0 when caught up.", []string{"replica"}, nil),
		lagBytes: prometheus.NewDesc("civicmap_replica_lag_bytes",
			"WAL the replica had still to replay at its last health check.", []string{"replica"}, nil),
		inRotation: prometheus.NewDesc("civicmap_replica_in_rotation",
			"1 while the replica serves reads (it answered its last check within the lag bound), 0 while it is out.", []string{"replica"}, nil),
	}
)

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("civicmap_db_pool_"+name, help, []string{"database", "pool"}, nil)
}

// stateCollector reads, when scraped, the database pools, the replicas'
// health, the caches and the data version.
type stateCollector struct{ s *Server }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolDescs.max, poolDescs.open, poolDescs.acquired, poolDescs.idle,
		poolDescs.acquires, poolDescs.waits, poolDescs.waitSeconds, poolDescs.canceled,
		cacheHitsDesc, cacheMissesDesc, geographyVersionDesc, changeSeqDesc,
		replicaDescs.lag, replicaDescs.lagBytes, replicaDescs.inRotation} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.collectPools(ch)
	c.collectReplicas(ch)
	c.collectCaches(ch)
	c.collectDataVersion(ch)
}

// collectReplicas reports what each replica's last health check found
// (db.WatchReplicas checks them), by the name the configuration gives it.
func (c *stateCollector) collectReplicas(ch chan<- prometheus.Metric) {
	for _, r := range c.s.db.Replicas() {
		inRotation := 0.0
		if r.InRotation {
			inRotation = 1
		}
		ch <- prometheus.MustNewConstMetric(replicaDescs.lag, prometheus.GaugeValue, r.Lag.Seconds(), r.Name)
		ch <- prometheus.MustNewConstMetric(replicaDescs.lagBytes, prometheus.GaugeValue, float64(r.LagBytes), r.Name)
		ch <- prometheus.MustNewConstMetric(replicaDescs.inRotation, prometheus.GaugeValue, inRotation, r.Name)
	}
}

func (c *stateCollector) collectPools(ch chan<- prometheus.Metric) {
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	for _, p := range c.s.db.NamedPools() {
		st := p.Pool.Stat()
		ch <- prometheus.MustNewConstMetric(poolDescs.max, gauge, float64(st.MaxConns()), p.Database, p.Name)
		ch <- prometheus.MustNewConstMetric(poolDescs.open, gauge, float64(st.TotalConns()), p.Database, p.Name)
		ch <- prometheus.MustNewConstMetric(poolDescs.acquired, gauge, float64(st.AcquiredConns()), p.Database, p.Name)
		ch <- prometheus.MustNewConstMetric(poolDescs.idle, gauge, float64(st.IdleConns()), p.Database, p.Name)
		ch <- prometheus.MustNewConstMetric(poolDescs.acquires, counter, float64(st.AcquireCount()), p.Database, p.Name)
		ch <- prometheus.MustNewConstMetric(poolDescs.waits, counter, float64(st.EmptyAcquireCount()), p.Database, p.Name)
		ch <- prometheus.MustNewConstMetric(poolDescs.waitSeconds, counter, st.EmptyAcquireWaitTime().Seconds(), p.Database, p.Name)
		ch <- prometheus.MustNewConstMetric(poolDescs.canceled, counter, float64(st.CanceledAcquireCount()), p.Database, p.Name)
	}
}

// collectCaches reports db's caches and the server's own: "answers" (whole
// GraphQL answers, answers.go) and "converted_layers" (GeoJSON layers in
// GCJ-02 or BD-09).
func (c *stateCollector) collectCaches(ch chan<- prometheus.Metric) {
	caches := c.s.db.CacheStats()
	if c.s.answers != nil {
		caches = append(caches, db.NamedCache{Name: "answers", Stats: c.s.answers.kept.Stats()})
	}
	caches = append(caches, db.NamedCache{Name: "converted_layers", Stats: c.s.converted.Stats()})
	for _, nc := range caches {
		collectCache(ch, nc.Name, nc.Stats)
	}
}

func collectCache(ch chan<- prometheus.Metric, name string, st cache.Stats) {
	ch <- prometheus.MustNewConstMetric(cacheHitsDesc, prometheus.CounterValue, float64(st.Hits), name)
	ch <- prometheus.MustNewConstMetric(cacheMissesDesc, prometheus.CounterValue, float64(st.Misses), name)
}

// collectDataVersion reads the data version, sharing the read with requests
// that ask at the same time (db.DataVersion). Its two numbers are reported
// apart: together they are no one number, and each only grows. While the
// database does not answer, they are left out and the rest is served.
func (c *stateCollector) collectDataVersion(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), dataVersionScrapeTimeout)
	defer cancel()
	v, err := c.s.db.DataVersion(ctx)
	var geography, seq int64
	if err == nil {
		geography, seq, err = db.ParseDataVersion(v)
	}
	if err != nil {
		c.s.log.Warn("metrics: the data version is left out of this scrape", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(geographyVersionDesc, prometheus.GaugeValue, float64(geography))
	ch <- prometheus.MustNewConstMetric(changeSeqDesc, prometheus.GaugeValue, float64(seq))
}

// notePattern tells the request's outcome the pattern mux serves it by. The
// mux sets it on the request it is given, a copy of logRequests' (s.route
// makes one), so it is noted here, even when the handler panics.
func notePattern(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if o := outcomeOf(r.Context()); o != nil {
				o.pattern = r.Pattern
			}
		}()
		mux.ServeHTTP(w, r)
	})
}

// routeLabel is a route pattern without its method and its {$}
// ("/tiles/{z}/{x}/{y}", "/"): one of the patterns New registers, so the
// label has a bounded set of values whatever the paths asked. "unmatched"
// for a request no pattern took (404, or 405 for a method).
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	return strings.TrimSuffix(pattern, "{$}")
}

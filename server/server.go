// Package server is civicmap's HTTP server: the GraphQL endpoint with its limits
// and error presenter, GraphiQL, the map page, health checks and request logs.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"civicmap/cache"
	"civicmap/db"
	"civicmap/resolvers"
	"civicmap/web"
)

// Config sets the server's limits. The defaults (DefaultConfig) allow every
// legitimate query of the schema, including a page of all 207 platforms with
// their townships and counties.
type Config struct {
	MaxDepth      int
	MaxFields     int
	MaxComplexity int
	// HeavyCost is the cost from which a query runs on the database's heavy
	// pool (db.Pools.Heavy): a coverage, a worklist, a map layer, big pages.
	HeavyCost int
	// MaxHeavy is how many heavy queries run at once; more wait for a slot,
	// up to their deadline.
	MaxHeavy int
	// MaxExports is how many exports may stream at once; more answer 503.
	// Exports run on the heavy pool, and a client reading slowly holds its
	// connection for up to ExportWriteTimeout per write, so this keeps
	// exports from taking all of it.
	MaxExports int
	// ShutdownGrace is how long in-flight requests may take to finish once the
	// server is told to stop.
	ShutdownGrace time.Duration
	// FeedPoll is how often subscriptions look for new changes.
	FeedPoll time.Duration
	// Heartbeat is how often a WebSocket subscriber gets a message while
	// nothing changes, so that a proxy between (nginx closes a connection
	// silent for its proxy_read_timeout, 60 s by default) keeps it open.
	Heartbeat time.Duration
	// ExportWriteTimeout is how long one write of an export may wait for the
	// client to read. The server has no WriteTimeout, since exports and
	// subscriptions stream for as long as they need; without this, a client
	// that stops reading would hold a database connection and its snapshot.
	ExportWriteTimeout time.Duration
	// RequestTimeout bounds all the work of one request (GraphQL over HTTP,
	// tiles, GeoJSON layers): when it passes, every statement the request still
	// runs is cancelled and the client gets TIMEOUT. StatementTimeout bounds
	// each statement; without this, a request of many statements had no bound.
	RequestTimeout time.Duration
	// MaxResponseBytes bounds a GraphQL response's data: one over it is
	// dropped and answered QUERY_TOO_COMPLEX, so no request sends (and holds
	// in socket buffers) more.
	MaxResponseBytes int
	// IdleTimeout closes a kept-alive connection that sends no new request
	// for this long; HeaderTimeout one that takes longer to send a request's
	// headers; BodyTimeout a request whose body takes longer to arrive. Each
	// holds a socket and a goroutine; without them 300 idle connections and
	// 200 POSTs trickling a byte a second stayed open indefinitely.
	IdleTimeout, HeaderTimeout, BodyTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers (431 beyond it). Bodies are
	// bounded where they are read (maxBody).
	MaxHeaderBytes int
	// CORSOrigins are the origins whose pages may read the map endpoints,
	// the exports and /graphql (cors.go): "*" for any, none for CORS off.
	CORSOrigins []string
}

// DefaultConfig returns the limits used when nothing else is configured.
func DefaultConfig() Config {
	return Config{
		MaxDepth:           15,
		MaxFields:          500,
		MaxComplexity:      200_000,
		HeavyCost:          10_000,
		MaxHeavy:           3,
		MaxExports:         2,
		ShutdownGrace:      20 * time.Second,
		FeedPoll:           250 * time.Millisecond,
		Heartbeat:          25 * time.Second,
		ExportWriteTimeout: 30 * time.Second,
		RequestTimeout:     15 * time.Second,
		MaxResponseBytes:   32 << 20,
		IdleTimeout:        60 * time.Second,
		HeaderTimeout:      10 * time.Second,
		BodyTimeout:        30 * time.Second,
		MaxHeaderBytes:     64 << 10,
		CORSOrigins:        []string{"*"},
	}
}

// Server serves civicmap over HTTP.
type Server struct {
	cfg Config
	// exports holds a token for each export streaming (MaxExports).
	exports chan struct{}
	db      *db.DB
	log     *slog.Logger
	handler http.Handler
	// converted keeps the GeoJSON layers converted to GCJ02 or BD09 by data
	// version: converting the full township layer costs more than reading it.
	converted cache.ByVersion[[]byte]
	// answers keeps whole answers of costly queries; nil when the database
	// keeps none (db.Pools.NoCache).
	answers *answers
	metrics *instruments
}

// maxConverted bounds the converted layers kept: a dozen full township layers.
const maxConverted = 16 << 20

// New returns a server answering from d.
func New(cfg Config, d *db.DB, log *slog.Logger) *Server {
	s := &Server{cfg: cfg, db: d, log: log, exports: make(chan struct{}, max(cfg.MaxExports, 1)),
		converted: cache.ByVersion[[]byte]{MaxBytes: maxConverted, Older: db.VersionOlder}}
	res := &resolvers.Resolver{DB: d, Feed: resolvers.NewFeed(d, cfg.FeedPoll, log)}
	if d.Caching() {
		s.answers = newAnswers(d, coverageCost)
	}
	s.metrics = newInstruments(s, res.Feed)
	exec := s.authenticate(newGraphQL(res, cfg, log, s.answers))
	gql := withDeadline(cfg.RequestTimeout, s.cacheReads(serveGraphQL(exec)))
	// The map page, GraphiQL and their files (package web, embedded in the binary).
	site := web.New()
	graphiql := site.GraphiQL()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("/graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := outcomeOf(r.Context())
		switch {
		case isWebsocket(r):
			o.kind = kindWebsocket
			s.metrics.websockets.Inc()
			defer s.metrics.websockets.Dec()
			exec.ServeHTTP(w, r) // subscriptions: GraphQL over HTTP's rules do not apply
		case r.Method == http.MethodGet && r.URL.RawQuery == "" && acceptsHTML(r):
			graphiql.ServeHTTP(w, r) // a person with a browser
		default:
			o.kind = kindGraphQL
			gql.ServeHTTP(w, r)
		}
	}))
	mux.Handle("GET /playground", graphiql)
	mux.HandleFunc("GET /export/{file}", s.exportFile)
	bounded := func(h http.HandlerFunc) http.Handler { return withDeadline(cfg.RequestTimeout, h) }
	mux.Handle("GET /tiles.json", bounded(s.tileJSON))
	mux.Handle("GET /tiles/{z}/{x}/{y}", bounded(s.tile))
	mux.Handle("GET /geojson/platforms", bounded(s.geoJSONPlatforms))
	mux.Handle("GET /geojson/townships", bounded(s.geoJSONTownships))
	s.mountOGC(mux, bounded)
	mux.Handle("GET /{$}", landingOr(bounded(s.ogcLanding), site.Page()))
	mux.Handle("GET /static/", site.Static("/static/"))
	mux.Handle("GET /glyphs/{fontstack}/{range}", web.Glyphs())
	s.handler = s.logRequests(cors(cfg.CORSOrigins, s.route(notePattern(mux))))
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves on ln until ctx is done, then stops accepting connections and
// lets in-flight requests finish (up to ShutdownGrace) before it returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// No ReadTimeout: it would also bound the requests without a body, whose
	// connection net/http watches with a read that would then cancel a long
	// export or subscription. bodyDeadline bounds bodies instead.
	hs := &http.Server{
		Handler:           bodyDeadline(s.cfg.BodyTimeout, s.handler),
		ReadHeaderTimeout: s.cfg.HeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing in-flight requests", "grace", s.cfg.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// withDeadline gives each request d to finish: its context, and with it every
// statement it runs, is cancelled then. Subscriptions and exports are not
// bounded this way: they last as long as their client reads.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// isWebsocket reports whether r asks to become a WebSocket.
func isWebsocket(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when the primary answers and is migrated, so a load
// balancer stops sending traffic while PostgreSQL is away. Replicas do not
// make it fail (reads go to the primary without them), but its body says how
// each is: in the rotation, lagging past the bound, or failing.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	replicas := replicaStates(s.db.Replicas())
	if err := s.db.Ready(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, readiness{Status: "unavailable", Reason: "database not reachable or not migrated", Replicas: replicas})
		return
	}
	writeJSON(w, http.StatusOK, readiness{Status: "ready", Replicas: replicas})
}

// readiness is /readyz's body.
type readiness struct {
	Status   string         `json:"status"`
	Reason   string         `json:"reason,omitempty"`
	Replicas []replicaState `json:"replicas,omitempty"`
}

// replicaState is a replica in /readyz: its state and lag. Why one fails is
// logged, not shown: the body is public, and the errors name hosts.
type replicaState struct {
	Name string `json:"name"`
	// State is "in rotation", "lagging" (past the bound), "failing" (no
	// answer, or not a replica any more) or "unchecked" (just started).
	State      string  `json:"state"`
	LagSeconds float64 `json:"lagSeconds"`
	LagBytes   int64   `json:"lagBytes"`
}

func replicaStates(rs []db.ReplicaStatus) []replicaState {
	out := make([]replicaState, 0, len(rs))
	for _, r := range rs {
		st := replicaState{Name: r.Name, LagSeconds: r.Lag.Seconds(), LagBytes: r.LagBytes}
		switch {
		case r.InRotation:
			st.State = "in rotation"
		case r.Checked.IsZero():
			st.State = "unchecked"
		case r.Err != nil:
			st.State = "failing"
		default:
			st.State = "lagging"
		}
		out = append(out, st)
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

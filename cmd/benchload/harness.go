package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"civicmap/db/pgcluster"
)

// harness is the private cluster the measurements run on, in a directory of
// its own (o.dir), kept between runs with the datasets it holds.
type harness struct {
	o       options
	log     *slog.Logger
	dir     string
	cluster *pgcluster.Cluster
	admin   *pgx.Conn // on the postgres database: pg_stat_statements
}

func newHarness(ctx context.Context, o options, log *slog.Logger) (*harness, error) {
	if err := pgcluster.CheckPostGIS(""); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return nil, err
	}
	// The postgres OS user must get through to the data directory, which
	// stays private.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	h := &harness{o: o, log: log, dir: dir}
	h.cluster, err = pgcluster.Start(ctx, pgcluster.Config{
		DataDir: filepath.Join(dir, "data"),
		NoFsync: true,
		Settings: map[string]string{
			"shared_preload_libraries":          "pg_stat_statements",
			"pg_stat_statements.track_planning": "on",
			"log_min_messages":                  "warning",
		},
	})
	if err != nil {
		return nil, err
	}
	log.Info("harness cluster", "dir", dir, "port", h.cluster.Port())
	if h.admin, err = pgx.Connect(ctx, h.cluster.ConnString("postgres")); err == nil {
		_, err = h.admin.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
	}
	if err != nil {
		h.close()
		return nil, fmt.Errorf("harness cluster: %w", err)
	}
	return h, nil
}

func (h *harness) close() {
	if h.admin != nil {
		h.admin.Close(context.Background())
	}
	if h.cluster != nil {
		if err := h.cluster.Stop(context.Background()); err != nil {
			h.log.Error("stop harness cluster", "err", err)
		}
	}
}

// target is a query ready to measure on a dataset: its pgbench script (none
// for the floor, which sends no SQL).
type target struct {
	q      query
	script *pgbenchScript
}

// measure fills d and measures qs on it at every client count.
func (h *harness) measure(ctx context.Context, d dataset, qs []query) ([]row, error) {
	start := time.Now()
	connString, e, err := d.prepare(ctx, h.cluster, h.o.dataDir)
	if err != nil {
		return nil, err
	}
	h.log.Info("dataset ready", "dataset", d.name, "took", time.Since(start).Round(time.Millisecond), "extent", e)
	targets, err := h.scripts(ctx, connString, qs, e)
	if err != nil {
		return nil, err
	}
	conn := strings.TrimSpace(connString + " " + h.o.serverParams)
	srv, err := startServer(ctx, h.o.civicmap, conn, filepath.Join(h.dir, d.name+"-server.log"))
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	// The uncached queries go to a second server that keeps no answers.
	uncached := srv
	if slices.ContainsFunc(qs, func(q query) bool { return q.uncached }) {
		if uncached, err = startServer(ctx, h.o.civicmap, conn, filepath.Join(h.dir, d.name+"-uncached-server.log"),
			"CIVICMAP_ANSWER_CACHE=false"); err != nil {
			return nil, err
		}
		defer uncached.stop()
	}
	var rows []row
	for _, c := range h.o.clients {
		var floorRate float64
		for _, t := range targets {
			s := srv
			if t.q.uncached {
				s = uncached
			}
			r, err := h.measureOne(ctx, s, d.name, e, t, c)
			if err != nil {
				return nil, err
			}
			if t.q.name == floor {
				floorRate = r.rate
			}
			r.floorRate = floorRate
			h.log.Info("measured", "dataset", d.name, "query", t.q.name, "clients", c, "req/s", int(r.rate), "ceiling", int(r.ceiling))
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// scripts captures the statements of each query and makes its pgbench script.
func (h *harness) scripts(ctx context.Context, connString string, qs []query, e extent) ([]target, error) {
	capt, closeCapt, err := newCapturer(ctx, connString, h.cluster.LogFile())
	if err != nil {
		return nil, err
	}
	defer closeCapt()
	var out []target
	for _, q := range qs {
		if q.name == floor {
			out = append(out, target{q: q})
			continue
		}
		stmts, vars, err := capt.capture(q, e)
		if err != nil {
			return nil, err
		}
		s, err := newScript(q, e, stmts, vars)
		if err != nil {
			return nil, err
		}
		h.log.Debug("pgbench script", "query", q.name, "script", s.text, "defines", s.defines)
		out = append(out, target{q: q, script: &s})
	}
	return out, nil
}

// measureOne measures t at clients, o.runs times, and returns the medians.
func (h *harness) measureOne(ctx context.Context, srv *serverProc, dbname string, e extent, t target, clients int) (row, error) {
	var rates, p50s, p99s, ceilings, sqls, plans, peaks []float64
	for range h.o.runs {
		if err := srv.resetPeak(); err != nil {
			return row{}, err
		}
		if err := h.resetStatements(ctx); err != nil {
			return row{}, err
		}
		lr, err := drive(ctx, srv.url(), t.q, e, clients, h.o.warm, h.o.window)
		if err != nil {
			return row{}, err
		}
		peak, err := srv.peakRSS()
		if err != nil {
			return row{}, err
		}
		calls, planned, err := h.statementCounts(ctx, dbname)
		if err != nil {
			return row{}, err
		}
		sent := float64(lr.sent)
		rates, p50s, p99s = append(rates, lr.rate), append(p50s, ms(lr.p50)), append(p99s, ms(lr.p99))
		sqls, plans, peaks = append(sqls, float64(calls)/sent), append(plans, float64(planned)/sent), append(peaks, float64(peak))
		if t.script != nil {
			tps, err := runPgbench(ctx, h.o.pgbench, h.dir, *t.script, clients, h.o.window, h.cluster.SocketDir(), h.cluster.Port(), dbname)
			if err != nil {
				return row{}, fmt.Errorf("%s: %w", t.q.name, err)
			}
			ceilings = append(ceilings, tps)
		}
	}
	r := row{dataset: dbname, query: t.q.name, clients: clients, rate: median(rates), p50: median(p50s), p99: median(p99s),
		sqlPerReq: median(sqls), plansPerReq: median(plans), peakRSS: median(peaks)}
	if len(ceilings) > 0 {
		r.ceiling = median(ceilings)
	}
	return r, nil
}

func (h *harness) resetStatements(ctx context.Context) error {
	_, err := h.admin.Exec(ctx, "SELECT pg_stat_statements_reset()")
	return err
}

// statementCounts returns the statements run and planned in database dbname
// since the last reset.
func (h *harness) statementCounts(ctx context.Context, dbname string) (calls, plans int64, err error) {
	err = h.admin.QueryRow(ctx, `SELECT coalesce(sum(calls), 0)::bigint, coalesce(sum(plans), 0)::bigint
		FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)`, dbname).Scan(&calls, &plans)
	if err != nil {
		return 0, 0, fmt.Errorf("pg_stat_statements: %w", err)
	}
	return calls, plans, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Command benchload is civicmap's load harness (`make bench-load`). On a
// private PostgreSQL cluster of its own it loads Sanming and the nationwide
// synthetic dataset and, for each query of its table (queries.go) and each
// client count, measures:
//
//   - civicmap: a `civicmap serve` process driven over real HTTP on loopback
//     by concurrent clients, each request with freshly drawn points or boxes:
//     requests per second, p50, p99 and the server's peak RSS;
//   - the ceiling: pgbench running the statements that the server sends for
//     the query, as PostgreSQL logged them, with the same fresh values;
//
// and prints the share of the ceiling and the ratio to { __typename }, the
// server's per-request floor. On a shared machine only these ratios within one
// run mean much; -runs 3 reports medians.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"civicmap/db/pgcluster"
)

type options struct {
	civicmap, pgbench, dataDir string
	dir, serverParams          string
	datasets, queries, out     string
	clients                    []int
	warm, window               time.Duration
	runs                       int
	// replica runs the replica measurement (replica.go) instead of the table.
	replica bool
}

func main() {
	var o options
	var clients string
	var quick bool
	flag.StringVar(&o.civicmap, "civicmap", "bin/civicmap", "the civicmap binary to measure")
	flag.StringVar(&o.pgbench, "pgbench", filepath.Join(pgcluster.DefaultBinDir, "pgbench"), "pgbench")
	flag.StringVar(&o.dataDir, "data-dir", envOr("CIVICMAP_DATA_DIR", "../shared/data/sanming"), "the Sanming geography (CIVICMAP_DATA_DIR)")
	flag.StringVar(&o.dir, "dir", ".benchload", "the harness's own cluster, kept with its datasets for the next run")
	flag.StringVar(&o.datasets, "datasets", "sanming,nationwide", "datasets to measure, comma-separated")
	flag.StringVar(&o.queries, "query", "", "queries to measure, comma-separated (default all: "+names()+")")
	flag.StringVar(&clients, "clients", "8,32", "client counts, comma-separated")
	flag.DurationVar(&o.window, "duration", 4*time.Second, "how long each measurement counts")
	flag.DurationVar(&o.warm, "warm", time.Second, "warm-up before each measurement")
	flag.IntVar(&o.runs, "runs", 1, "runs of each measurement; the table shows their medians")
	flag.BoolVar(&quick, "quick", false, "short measurements (1.5 s, 0.5 s warm-up), for a smoke run")
	flag.StringVar(&o.serverParams, "server-db-params", "", "more connection parameters for the server's pool (pool_max_conns=16)")
	flag.StringVar(&o.out, "out", "", "also write the table to this file")
	flag.BoolVar(&o.replica, "replica", false, "instead of the table: two servers over a primary and a streaming replica, under load (-clients, first count), "+
		"while the replica is killed with SIGKILL and started again; -duration is each phase's length")
	flag.Parse()
	if quick {
		o.window, o.warm = 1500*time.Millisecond, 500*time.Millisecond
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, clients, log); err != nil {
		log.Error("benchload", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, clients string, log *slog.Logger) error {
	var err error
	if o.clients, err = parseInts(clients); err != nil {
		return fmt.Errorf("-clients: %w", err)
	}
	if o.civicmap, err = filepath.Abs(o.civicmap); err != nil {
		return err
	}
	if o.replica {
		return runReplica(ctx, o, log)
	}
	qs, err := pick(o.queries)
	if err != nil {
		return err
	}
	ds, err := pickDatasets(o.datasets)
	if err != nil {
		return err
	}
	h, err := newHarness(ctx, o, log)
	if err != nil {
		return err
	}
	defer h.close()
	var rows []row
	for _, d := range ds {
		r, err := h.measure(ctx, d, qs)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	table := formatTable(rows, o)
	fmt.Print(table)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(table), 0o644)
	}
	return nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

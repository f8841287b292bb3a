package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db/load"
	"civicmap/db/migrations"
	"civicmap/db/pgcluster"
	"civicmap/db/synth"
)

// dataset is a database the harness fills and measures.
type dataset struct {
	name string
	fill func(ctx context.Context, pool *pgxpool.Pool, dataDir string) error
}

var datasets = []dataset{
	{"sanming", func(ctx context.Context, pool *pgxpool.Pool, dataDir string) error {
		_, err := load.Run(ctx, pool, load.Options{DataDir: dataDir})
		return err
	}},
	{"nationwide", func(ctx context.Context, pool *pgxpool.Pool, _ string) error {
		_, err := synth.Load(ctx, pool, synth.Nationwide)
		return err
	}},
}

// pickDatasets returns the datasets named in list (comma-separated).
func pickDatasets(list string) ([]dataset, error) {
	var out []dataset
	for name := range strings.SplitSeq(list, ",") {
		i := -1
		for j, d := range datasets {
			if d.name == strings.TrimSpace(name) {
				i = j
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("-datasets: no dataset %q; they are sanming, nationwide", name)
		}
		out = append(out, datasets[i])
	}
	return out, nil
}

// prepare creates d's database in cluster c, migrates and fills it, and
// returns its connection string and the extent of its counties.
func (d dataset) prepare(ctx context.Context, c *pgcluster.Cluster, dataDir string) (string, extent, error) {
	admin, err := pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		return "", extent{}, fmt.Errorf("connect to the harness cluster: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{d.name}.Sanitize()); err != nil {
		return "", extent{}, fmt.Errorf("create database %s: %w", d.name, err)
	}
	connString := c.ConnString(d.name)
	pool, err := pgxpool.New(ctx, connString)
	if err != nil {
		return "", extent{}, err
	}
	defer pool.Close()
	if _, err := migrations.Apply(ctx, pool); err != nil {
		return "", extent{}, err
	}
	if _, err := pool.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		return "", extent{}, fmt.Errorf("pg_stat_statements: %w", err)
	}
	if err := d.fill(ctx, pool, dataDir); err != nil {
		return "", extent{}, fmt.Errorf("fill %s: %w", d.name, err)
	}
	var e extent
	err = pool.QueryRow(ctx, `SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
		FROM (SELECT ST_Extent(boundary) AS b FROM county) x`).Scan(&e.west, &e.south, &e.east, &e.north)
	if err != nil {
		return "", extent{}, fmt.Errorf("extent of %s: %w", d.name, err)
	}
	return connString, e, nil
}

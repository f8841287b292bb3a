package main

import (
	"context"
	"crypto/sha256"
	"errors"
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
	load func(ctx context.Context, pool *pgxpool.Pool, dataDir string) error
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

// prepare returns the connection string of d's database in cluster c, and
// the extent of its counties. A database filled by an earlier run with the
// same migrations is reused, since filling the nationwide one takes a while;
// any other is made afresh: created, migrated and filled.
func (d dataset) prepare(ctx context.Context, c *pgcluster.Cluster, dataDir string) (string, extent, error) {
	mark, err := fillMark(d)
	if err != nil {
		return "", extent{}, err
	}
	admin, err := pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		return "", extent{}, fmt.Errorf("connect to the harness cluster: %w", err)
	}
	defer admin.Close(ctx)
	var have *string
	err = admin.QueryRow(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, d.name).Scan(&have)
	if errors.Is(err, pgx.ErrNoRows) {
		err = nil
	}
	if err != nil {
		return "", extent{}, fmt.Errorf("look for database %s: %w", d.name, err)
	}
	connString := c.ConnString(d.name)
	if have == nil || *have != mark {
		if err := d.fill(ctx, admin, connString, dataDir); err != nil {
			return "", extent{}, err
		}
		if _, err := admin.Exec(ctx, "COMMENT ON DATABASE "+ident(d.name)+" IS "+quote(mark)); err != nil {
			return "", extent{}, fmt.Errorf("mark database %s: %w", d.name, err)
		}
	}
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return "", extent{}, err
	}
	defer conn.Close(ctx)
	var e extent
	err = conn.QueryRow(ctx, `SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
		FROM (SELECT ST_Extent(boundary) AS b FROM county) x`).Scan(&e.west, &e.south, &e.east, &e.north)
	if err != nil {
		return "", extent{}, fmt.Errorf("extent of %s: %w", d.name, err)
	}
	return connString, e, nil
}

// fill makes d's database afresh: created, migrated and loaded.
func (d dataset) fill(ctx context.Context, admin *pgx.Conn, connString, dataDir string) error {
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(d.name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", d.name, err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident(d.name)); err != nil {
		return fmt.Errorf("create database %s: %w", d.name, err)
	}
	pool, err := pgxpool.New(ctx, connString)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := migrations.Apply(ctx, pool); err != nil {
		return err
	}
	if err := d.load(ctx, pool, dataDir); err != nil {
		return fmt.Errorf("fill %s: %w", d.name, err)
	}
	return nil
}

// fillMark names what a database was filled with: the dataset and every
// migration's text, so that a changed migration fills it again.
func fillMark(d dataset) (string, error) {
	ms, err := migrations.All()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		h.Write([]byte(m.Name + "\x00" + m.SQL + "\x00"))
	}
	return fmt.Sprintf("benchload %s %x", d.name, h.Sum(nil)[:8]), nil
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

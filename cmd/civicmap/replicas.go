package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db"
)

// readURLsSetting names the read replicas' setting in start-up errors.
const readURLsSetting = "-read-database-urls (CIVICMAP_READ_DATABASE_URLS)"

// readURLs returns the replicas' URLs of ReadDatabaseURLs, or an error naming
// the setting.
func (c *config) readURLs() ([]string, error) {
	if strings.TrimSpace(c.ReadDatabaseURLs) == "" {
		return nil, nil
	}
	if c.DatabaseURL == "" {
		return nil, fmt.Errorf("%s: replicas need the primary as -database-url (CIVICMAP_DATABASE_URL); the private cluster has none", readURLsSetting)
	}
	var urls []string
	for i, u := range strings.Split(c.ReadDatabaseURLs, ",") {
		u = strings.TrimSpace(u)
		if _, err := pgxpool.ParseConfig(u); u == "" || err != nil {
			return nil, fmt.Errorf("%s: entry %d is no PostgreSQL URL: want postgres://user@host:port/dbname, comma-separated", readURLsSetting, i+1)
		}
		urls = append(urls, u)
	}
	return urls, nil
}

// openReplicas opens the pools of each replica and checks that it is a
// streaming replica of the primary's database. A replica that cannot be
// reached, copies another database or is a primary stops the start: each is
// a mistake in the setting, which the error names.
func (a *App) openReplicas(ctx context.Context) error {
	urls, err := a.Config.readURLs()
	if err != nil {
		return err
	}
	for i, u := range urls {
		cfg, _ := pgxpool.ParseConfig(u)
		r := db.Replica{Name: fmt.Sprintf("replica-%d", i+1),
			Addr: fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)}
		fail := func(err error) error {
			return fmt.Errorf("%s: %s (%s): %w", readURLsSetting, r.Name, r.Addr, err)
		}
		var pools []*pgxpool.Pool
		for _, n := range []int{a.Config.DBMaxConns, a.Config.DBHeavyConns, 1} {
			p, err := db.Open(ctx, u, db.Options{StatementTimeout: a.Config.StatementTimeout, MaxConns: int32(n)})
			if err != nil {
				return fail(err)
			}
			a.replicaPools = append(a.replicaPools, p)
			pools = append(pools, p)
		}
		r.Main, r.Heavy, r.Health = pools[0], pools[1], pools[2]
		if err := db.CheckReplicaOf(ctx, a.pool, r.Health); err != nil {
			return fail(err)
		}
		a.replicas = append(a.replicas, r)
	}
	return nil
}

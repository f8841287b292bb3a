package db

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/cache"
)

// NamedPool is one of a DB's connection pools, with the names the metrics
// give it: the database it connects to and what it serves.
type NamedPool struct {
	// Database is "primary" or a replica's name ("replica-1").
	Database string
	// Name is "main", "heavy" or "health" (Pools).
	Name string
	Pool *pgxpool.Pool
}

// NamedPools returns the pools db runs on, the primary's and each replica's:
// "main", and "heavy" and "health" when they are apart from it. The metrics
// read each one's Stat when scraped, so a pool added here is measured with no
// change there.
func (db *DB) NamedPools() []NamedPool {
	var pools []NamedPool
	for _, d := range append([]*database{db.pool.primary}, db.pool.replicas...) {
		for _, p := range []NamedPool{{d.name, "main", d.main}, {d.name, "heavy", d.heavy}, {d.name, "health", d.health}} {
			if p.Pool != nil {
				pools = append(pools, p)
			}
		}
	}
	return pools
}

// NamedCache is one of the caches db keeps answers in, with the name the
// metrics give it, and its lookups so far.
type NamedCache struct {
	Name  string
	Stats cache.Stats
}

// CacheStats returns the lookups of db's caches: "coverage" (coverage
// answers), "coverage_index" (the index as read per set of kinds),
// "geography" (the townships and counties those name) and "quality" (the
// data-quality report).
func (db *DB) CacheStats() []NamedCache {
	return []NamedCache{
		{"coverage", db.coverage.Stats()},
		{"coverage_index", db.nearest.Stats()},
		{"geography", db.geo.Stats()},
		{"quality", db.quality.Stats()},
	}
}

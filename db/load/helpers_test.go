package load

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db/migrations"
)

// testPool returns a pool on a migrated test database. It is the only place
// that knows where the database comes from, so that it can be switched to the
// shared test harness without touching the tests.
func testPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := os.Getenv("CIVICMAP_TEST_DATABASE_URL")
	if url == "" {
		t.Fatal("CIVICMAP_TEST_DATABASE_URL is not set: point it at an empty PostgreSQL database with PostGIS available, " +
			"e.g. postgres://postgres@/civicmap_load_test?host=/tmp/loadpg&port=55441")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatalf("connect to CIVICMAP_TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(pool.Close)
	if _, err := migrations.Apply(ctx, pool); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return pool
}

// dataDir returns the Sanming data directory: $CIVICMAP_DATA_DIR, or else the
// first shared/data/sanming found walking up from the package directory (the
// data lives beside the checkout and is never committed).
func dataDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("CIVICMAP_DATA_DIR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		cand := filepath.Join(dir, "shared", "data", "sanming")
		if _, err := os.Stat(filepath.Join(cand, townshipsCSVFile)); err == nil {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("Sanming data not found: set CIVICMAP_DATA_DIR to the directory holding " + townshipsCSVFile)
		}
		dir = parent
	}
}

// checksumSQL digests every row of every table the loader writes.
const checksumSQL = `
SELECT md5(string_agg(r, E'\n' ORDER BY r)) FROM (
    SELECT 'county ' || x::text AS r FROM county x
    UNION ALL SELECT 'township ' || x::text FROM township x
    UNION ALL SELECT 'organiser ' || x::text FROM organiser x
    UNION ALL SELECT 'sector ' || x::text FROM sector x
    UNION ALL SELECT 'platform ' || x::text FROM platform x
    UNION ALL SELECT 'dataset_source ' || x::text FROM dataset_source x
    UNION ALL SELECT 'dataset ' || x::text FROM dataset x
) rows`

// checksum returns a digest of the loaded tables ("" when they are empty).
func checksum(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var sum *string
	if err := pool.QueryRow(context.Background(), checksumSQL).Scan(&sum); err != nil {
		t.Fatalf("checksum: %v", err)
	}
	if sum == nil {
		return ""
	}
	return *sum
}

// mustLoad loads the real data and fails the test on error.
func mustLoad(t *testing.T, pool *pgxpool.Pool) Report {
	t.Helper()
	r, err := Run(context.Background(), pool, Options{DataDir: dataDir(t)})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return r
}

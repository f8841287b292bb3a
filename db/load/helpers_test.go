package load

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db/dbtest"
)

// The template holds the schema and no data, for the loader to fill.
func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, dbtest.Migrate)) }

// testPool returns a pool on a fresh migrated, empty database.
func testPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	return dbtest.NewDB(t)
}

// dataDir returns the Sanming data directory.
func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := dbtest.DataDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
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

package dbtest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db/dbtest"
	"civicmap/db/migrations"
)

func count(t *testing.T, pool *pgxpool.Pool, sql string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestNewDBIsolated(t *testing.T) {
	a, b := dbtest.NewDB(t), dbtest.NewDB(t)
	for _, pool := range []*pgxpool.Pool{a, b} {
		if got, want := count(t, pool, "SELECT max(version) FROM schema_migration"), migrations.Latest(); got != want {
			t.Errorf("cloned database at migration %d, want %d", got, want)
		}
	}
	if _, err := a.Exec(t.Context(), "CREATE TABLE only_in_a (id int); INSERT INTO only_in_a VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if got := count(t, a, "SELECT count(*) FROM only_in_a"); got != 1 {
		t.Errorf("a: %d rows, want 1", got)
	}
	if got := count(t, b, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'"); got != 0 {
		t.Errorf("b sees a's table")
	}
	// PostGIS comes along with the template.
	if got := count(t, b, "SELECT ST_SRID(ST_SetSRID(ST_MakePoint(117.6, 26.3), 4326))"); got != 4326 {
		t.Errorf("ST_SRID = %d", got)
	}
}

func TestNewDBParallel(t *testing.T) {
	for i := range 4 {
		t.Run(string(rune('a'+i)), func(t *testing.T) {
			t.Parallel()
			pool := dbtest.NewDB(t)
			if _, err := pool.Exec(t.Context(), "CREATE TABLE mine (id int)"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDroppedAfterTest(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		conn := dbtest.NewConnString(t)
		cfg, err := pgx.ParseConfig(conn)
		if err != nil {
			t.Fatal(err)
		}
		name = cfg.Database
		if !strings.HasPrefix(name, "t_") || !strings.Contains(name, "inner") {
			t.Errorf("database name %q, want t_<n>_<test name>", name)
		}
	})
	admin, err := pgxpool.New(t.Context(), dbtest.Cluster(t).ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after its test", name)
	}
}

func TestDataDir(t *testing.T) {
	root, err := dbtest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("RepoRoot() = %s without go.mod", root)
	}
	dir := t.TempDir()
	tests := []struct {
		name    string
		env     string
		want    string
		wantErr string
	}{
		{name: "override", env: dir, want: dir},
		{name: "missing", env: filepath.Join(dir, "nope"), wantErr: dbtest.DataDirEnv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(dbtest.DataDirEnv, tt.env)
			got, err := dbtest.DataDir()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("DataDir() error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("DataDir() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

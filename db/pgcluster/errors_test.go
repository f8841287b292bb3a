package pgcluster_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"civicmap/db/pgcluster"
)

func TestStartErrors(t *testing.T) {
	base := baseDir(t)
	notCluster := filepath.Join(base, "notcluster")
	if err := os.MkdirAll(notCluster, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(notCluster, "stray"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	closed := filepath.Join(base, "closed")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		cfg      pgcluster.Config
		rootOnly bool
		want     string
	}{
		{name: "no data dir", cfg: pgcluster.Config{}, want: "no data directory"},
		{name: "bad bin dir", cfg: pgcluster.Config{DataDir: filepath.Join(base, "a"), BinDir: base}, want: "apt-get install postgresql-15"},
		{name: "dir holds other files", cfg: pgcluster.Config{DataDir: notCluster}, want: "holds no cluster"},
		{name: "parent not traversable", cfg: pgcluster.Config{DataDir: filepath.Join(closed, "data")}, rootOnly: true, want: "cannot enter " + closed},
		{name: "bad listen address includes log", cfg: pgcluster.Config{DataDir: filepath.Join(base, "badlisten"), Listen: "no-such-host.invalid"}, want: pgcluster.LogFileName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.rootOnly && os.Geteuid() != 0 {
				t.Skip("only root hands the directory to another user")
			}
			tt.cfg.NoFsync = true
			c, err := pgcluster.Start(testCtx(t), tt.cfg)
			if err == nil {
				c.Stop(testCtx(t))
				t.Fatalf("Start: no error, want one containing %q", tt.want)
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start: error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestCheckPostGIS(t *testing.T) {
	if err := pgcluster.CheckPostGIS(""); err != nil {
		t.Errorf("CheckPostGIS(default): %v", err)
	}
	err := pgcluster.CheckPostGIS(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "apt-get install") {
		t.Errorf("CheckPostGIS(empty dir) = %v, want an install hint", err)
	}
}

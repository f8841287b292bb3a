package pgcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CheckPostGIS reports, before any server starts, whether the PostgreSQL in
// binDir ("" = the default, as in Config.BinDir) can CREATE EXTENSION postgis.
// The error names the Debian package to install, since a fresh machine has the
// server but not the extension.
func CheckPostGIS(binDir string) error {
	binDir, err := resolveBinDir(binDir)
	if err != nil {
		return fmt.Errorf("check postgis: %w", err)
	}
	pgConfig := filepath.Join(binDir, "pg_config")
	if _, err := os.Stat(pgConfig); err != nil {
		pgConfig = "pg_config"
	}
	out, err := exec.Command(pgConfig, "--sharedir", "--version").Output()
	if err != nil {
		return fmt.Errorf("check postgis: %s --sharedir: %w", pgConfig, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 {
		return fmt.Errorf("check postgis: unexpected pg_config output %q", out)
	}
	shareDir, major := strings.TrimSpace(lines[0]), majorVersion(lines[1])
	control := filepath.Join(shareDir, "extension", "postgis.control")
	if _, err := os.Stat(control); err != nil {
		return fmt.Errorf("PostGIS is not installed for PostgreSQL %s (no %s): run `apt-get install postgresql-%s-postgis-3`",
			major, control, major)
	}
	return nil
}

// majorVersion turns "PostgreSQL 15.14 (Debian 15.14-0+deb12u1)" into "15".
func majorVersion(v string) string {
	f := strings.Fields(v)
	if len(f) < 2 {
		return "15"
	}
	major, _, _ := strings.Cut(f[1], ".")
	return major
}

package dbtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// DataDirEnv names the environment variable that overrides DataDir.
const DataDirEnv = "CIVICMAP_DATA_DIR"

// RepoRoot returns the directory holding go.mod, found by walking up from the
// working directory (a test runs in its package's directory).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("repo root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repo root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// DataDir returns the Sanming source data directory: $CIVICMAP_DATA_DIR, else
// <repo root>/../shared/data/sanming. It fails when the directory is missing,
// so that a test says where it looked instead of failing later on a file.
func DataDir() (string, error) {
	dir := os.Getenv(DataDirEnv)
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "..", "shared", "data", "sanming")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("data dir %s not found: set %s or put the shared data beside the repo", dir, DataDirEnv)
	}
	return dir, nil
}

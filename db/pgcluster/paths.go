package pgcluster

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// maxSocketDir keeps "<dir>/.s.PGSQL.<port>" within the 107 bytes that a unix
// socket path may have on Linux.
const maxSocketDir = 107 - len("/.s.PGSQL.65535")

// resolveBinDir finds the directory with initdb and pg_ctl.
func resolveBinDir(binDir string) (string, error) {
	if binDir == "" {
		binDir = DefaultBinDir
		if _, err := os.Stat(filepath.Join(binDir, "pg_ctl")); err != nil {
			out, perr := exec.Command("pg_config", "--bindir").Output()
			if perr != nil {
				return "", fmt.Errorf("no PostgreSQL server binaries in %s and no pg_config on PATH: apt-get install postgresql-15", DefaultBinDir)
			}
			binDir = strings.TrimSpace(string(out))
		}
	}
	for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			return "", fmt.Errorf("PostgreSQL binary %s missing in %s (apt-get install postgresql-15): %w", b, binDir, err)
		}
	}
	return binDir, nil
}

// freePort asks the kernel for a free TCP port on loopback. Another process may
// take it before postgres binds; with a private socket directory and no TCP
// listener that cannot collide, and otherwise pg_ctl fails with the log tail.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// chooseSocketDir puts the socket in the data directory, which is private
// already, unless its path is too long for a socket; then it uses a directory
// in /tmp named after the data directory, so that it is the same every run.
func (c *Cluster) chooseSocketDir() (string, error) {
	if len(c.dataDir) <= maxSocketDir {
		return c.dataDir, nil
	}
	sum := sha256.Sum256([]byte(c.dataDir))
	dir := filepath.Join(os.TempDir(), "civicmap-pg-"+hex.EncodeToString(sum[:6]))
	if len(dir) > maxSocketDir {
		dir = "/tmp/civicmap-pg-" + hex.EncodeToString(sum[:6])
	}
	err := os.Mkdir(dir, 0o700)
	switch {
	case err == nil:
		return dir, c.run.chown(dir)
	case !errors.Is(err, fs.ErrExist):
		return "", fmt.Errorf("create socket directory: %w", err)
	}
	// It exists from an earlier run: accept it only if it is a real directory
	// that belongs to the server's user, since /tmp is shared.
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("socket directory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	wantUID := uint32(os.Geteuid())
	if c.run.cred != nil {
		wantUID = c.run.cred.Uid
	}
	if !fi.IsDir() || !ok || st.Uid != wantUID || fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("socket directory %s exists but is not a private directory of uid %d; remove it", dir, wantUID)
	}
	return dir, nil
}

// pidFile is what postmaster.pid says about a server.
type pidFile struct {
	PID       int
	Port      int
	SocketDir string
}

// readPIDFile parses DataDir/postmaster.pid; nil when there is none.
func readPIDFile(dataDir string) (*pidFile, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read postmaster.pid: %w", err)
	}
	// Lines: pid, data dir, start time, port, first socket dir, listen address, …
	lines := strings.Split(string(b), "\n")
	p := &pidFile{}
	if p.PID, err = strconv.Atoi(strings.TrimSpace(lines[0])); err != nil {
		// Half-written or garbage: treat as stale, postgres rewrites it.
		return &pidFile{}, nil
	}
	if len(lines) > 3 {
		p.Port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
	}
	if len(lines) > 4 {
		p.SocketDir = strings.TrimSpace(lines[4])
	}
	return p, nil
}

// ours reports whether the PID is alive and is a postmaster serving dataDir.
// The postmaster's working directory is its data directory, which tells it
// apart from an unrelated process that got the same PID after a reboot.
func (p *pidFile) ours(dataDir string) bool {
	if p.PID <= 0 {
		return false
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", p.PID))
	if err != nil {
		return false
	}
	want, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		want = dataDir
	}
	return cwd == want
}

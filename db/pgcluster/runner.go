package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// runner runs the server binaries as the right OS user: the postgres user when
// this process is root (initdb and postgres refuse root), else ourselves.
type runner struct {
	cred *syscall.Credential // nil: run as ourselves
	name string              // the OS user the binaries run as, for messages
}

func newRunner() (runner, error) {
	if os.Geteuid() != 0 {
		return runner{name: "the current user"}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return runner{}, fmt.Errorf("running as root, PostgreSQL must run as the postgres OS user: %w (apt-get install postgresql-15 creates it)", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return runner{}, fmt.Errorf("postgres uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return runner{}, fmt.Errorf("postgres gid %q: %w", u.Gid, err)
	}
	return runner{
		cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)},
		name: "the postgres OS user (uid " + u.Uid + ")",
	}, nil
}

// command runs bin with args and returns its combined output; errors carry it.
func (r runner) command(ctx context.Context, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	// The caller's working directory may be unreadable to the postgres user, and
	// initdb and pg_ctl complain about that; every path passed is absolute.
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
	if r.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
		cmd.Env = append(cmd.Env, "HOME=/tmp", "USER=postgres", "LOGNAME=postgres")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl -l leaves the postmaster holding stdout and stderr; without a
	// bound, Wait would block on the pipe for the server's lifetime.
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	text := strings.TrimSpace(out.String())
	if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		return text, fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, text)
	}
	return text, nil
}

// prepareDir creates dir with mode perm and, as root, hands it to the postgres
// user. It fails clearly when that user cannot reach dir through its parents.
func (r runner) prepareDir(dir string, perm fs.FileMode) error {
	// Parents get 0755 so that the postgres user can reach dir; dir itself
	// stays private.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(dir), err)
	}
	if err := os.Mkdir(dir, perm); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if r.cred == nil {
		return nil
	}
	if err := r.chown(dir); err != nil {
		return err
	}
	return r.checkReachable(filepath.Dir(dir))
}

// chown hands path to the postgres user; a no-op when not root.
func (r runner) chown(path string) error {
	if r.cred == nil {
		return nil
	}
	if err := os.Lchown(path, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
		return fmt.Errorf("chown %s to postgres: %w", path, err)
	}
	return nil
}

// checkReachable checks that every directory from / down to dir lets the
// postgres user search it, because initdb's "permission denied" does not say
// which parent is in the way.
func (r runner) checkReachable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		mode := fi.Mode().Perm()
		if ok {
			searchable := mode&0o001 != 0 ||
				(st.Uid == r.cred.Uid && mode&0o100 != 0) ||
				(st.Gid == r.cred.Gid && mode&0o010 != 0)
			if !searchable {
				return fmt.Errorf("%s cannot enter %s (mode %v, owner uid %d): use a data directory under a path it can traverse, e.g. chmod o+x %s",
					r.name, d, mode, st.Uid, d)
			}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// Reachable reports whether the server binaries, run as they would be (as the
// postgres OS user when this process is root), can reach a data directory at
// dir through its parents. A caller can pick another directory instead of
// failing, e.g. for a repository cloned under root's private home.
func Reachable(dir string) error {
	r, err := newRunner()
	if err != nil || r.cred == nil {
		return err
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			return r.checkReachable(d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

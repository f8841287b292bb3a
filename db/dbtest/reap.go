package dbtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"civicmap/db/pgcluster"
)

const (
	// basePattern names the temporary directory of each test binary's cluster.
	basePattern = "civicmap-dbtest-"
	// ownerFile in that directory holds the test binary's PID.
	ownerFile = "owner.pid"
)

// writeOwner records which process owns base, so that reapOrphans can tell
// a live test binary's cluster from one left by a killed binary.
func writeOwner(base string) error {
	return os.WriteFile(filepath.Join(base, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644)
}

// reapOrphans stops and removes the clusters of test binaries that died
// without tearing down (killed by -timeout or a signal): postgres outlives its
// starter, and would otherwise hold memory and a temp dir until reboot.
// Failures are reported and otherwise ignored: they must not fail the tests.
func reapOrphans(ctx context.Context) {
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), basePattern+"*"))
	if err != nil {
		return
	}
	for _, base := range dirs {
		if !orphaned(base) {
			continue
		}
		stopCtx, cancel := context.WithTimeout(ctx, time.Minute)
		err := pgcluster.StopDir(stopCtx, pgcluster.Config{DataDir: filepath.Join(base, "data")})
		cancel()
		if err == nil {
			err = os.RemoveAll(base)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "dbtest: clearing orphaned cluster %s: %v\n", base, err)
		}
	}
}

// orphaned reports whether base belongs to a process that no longer runs.
// A directory without an owner file is never touched: its owner may be between
// MkdirTemp and writeOwner, or an older dbtest that wrote none.
func orphaned(base string) bool {
	b, err := os.ReadFile(filepath.Join(base, ownerFile))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		return true
	}
	// A killed binary whose parent has not reaped it yet is a zombie: dead,
	// though signal 0 still reaches it.
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses, which may hold ") ".
	i := strings.LastIndex(string(stat), ") ")
	return i >= 0 && strings.HasPrefix(string(stat)[i+2:], "Z")
}

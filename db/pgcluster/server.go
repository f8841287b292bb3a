package pgcluster

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const (
	// confName is our settings file, rewritten at every start and included from
	// postgresql.conf, so that no option passes through pg_ctl's shell.
	confName = "civicmap.conf"
	// startTimeout bounds pg_ctl -w; crash recovery of a big .localdb can be slow.
	startTimeout = 120 * time.Second
	// waitDelay bounds how long a finished command may keep its pipes open.
	waitDelay = 5 * time.Second
)

func hasCluster(dataDir string) bool {
	_, err := os.Stat(filepath.Join(dataDir, "PG_VERSION"))
	return err == nil
}

// initdb creates the cluster: superuser postgres, trust auth (the socket lives
// in a private directory), UTF8.
func (c *Cluster) initdb(ctx context.Context) error {
	entries, err := os.ReadDir(c.dataDir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty but holds no cluster (no PG_VERSION); empty it or choose another directory", c.dataDir)
	}
	args := []string{
		"-D", c.dataDir, "-U", "postgres",
		"--auth-local=trust", "--auth-host=trust",
		"--encoding=UTF8", "--locale=" + pickLocale(ctx),
	}
	if c.noFsync {
		args = append(args, "--no-sync")
	}
	c.log.Info("initdb", "bindir", c.binDir)
	if _, err := c.run.command(ctx, filepath.Join(c.binDir, "initdb"), args...); err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	conf := filepath.Join(c.dataDir, "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", conf, err)
	}
	_, err = fmt.Fprintf(f, "\n# Written by civicmap pgcluster at every start.\ninclude_if_exists = '%s'\n", confName)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", conf, err)
	}
	return nil
}

// pickLocale prefers C.UTF-8: byte-order collation like C, but character
// classes that know CJK, which pg_trgm needs to index Chinese names. Systems
// without that libc locale get C.
func pickLocale(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "locale", "-a").Output()
	if err == nil {
		for _, l := range strings.Fields(string(out)) {
			if strings.EqualFold(l, "C.UTF-8") || strings.EqualFold(l, "C.utf8") {
				return "C.UTF-8"
			}
		}
	}
	return "C"
}

// writeConf writes the settings that may change between runs.
func (c *Cluster) writeConf() error {
	var b strings.Builder
	set := func(k, v string) { fmt.Fprintf(&b, "%s = '%s'\n", k, strings.ReplaceAll(v, "'", "''")) }
	set("port", fmt.Sprint(c.port))
	set("listen_addresses", c.listen)
	set("unix_socket_directories", c.socketDir)
	set("unix_socket_permissions", "0700")
	set("max_connections", "100")
	set("shared_buffers", "64MB")
	set("timezone", "UTC")
	set("log_timezone", "UTC")
	set("logging_collector", "off")
	if c.noFsync {
		set("fsync", "off")
		set("synchronous_commit", "off")
		set("full_page_writes", "off")
	}
	for _, k := range slices.Sorted(maps.Keys(c.settings)) {
		set(k, c.settings[k])
	}
	path := filepath.Join(c.dataDir, confName)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return c.run.chown(path)
}

func (c *Cluster) pgCtlStart(ctx context.Context) error {
	if err := c.writeConf(); err != nil {
		return err
	}
	logFile := c.LogFile()
	c.log.Info("starting PostgreSQL", "port", c.port, "socketdir", c.socketDir, "log", logFile)
	_, err := c.run.command(ctx, filepath.Join(c.binDir, "pg_ctl"), "start", "-w",
		"-t", fmt.Sprint(int(startTimeout.Seconds())), "-D", c.dataDir, "-l", logFile)
	if err != nil {
		return fmt.Errorf("%w\nlast lines of %s:\n%s", err, logFile, logTail(logFile, 20))
	}
	c.running = true
	return nil
}

func (c *Cluster) pgCtlStop(ctx context.Context) error {
	pid, err := readPIDFile(c.dataDir)
	if err != nil {
		return err
	}
	if pid == nil || !pid.ours(c.dataDir) {
		// Gone already (stopped by hand or crashed): nothing to stop.
		return nil
	}
	c.log.Info("stopping PostgreSQL")
	_, err = c.run.command(ctx, filepath.Join(c.binDir, "pg_ctl"), "stop", "-w", "-m", "fast",
		"-t", fmt.Sprint(int(startTimeout.Seconds())), "-D", c.dataDir)
	if err != nil {
		return fmt.Errorf("%w\nlast lines of %s:\n%s", err, c.LogFile(), logTail(c.LogFile(), 20))
	}
	return nil
}

// logTail returns the last n lines of the server log, for error messages.
func logTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	const window = 8 << 10
	fi, err := f.Stat()
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	off := max(fi.Size()-window, 0)
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return "(unreadable log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

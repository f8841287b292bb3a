package pgcluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
)

// StartReplica makes cfg.DataDir a streaming replica of primary, unless it
// holds a cluster already, and starts it. The copy is pg_basebackup's with -R
// (standby.signal and primary_conninfo, over primary's unix socket, as the
// superuser); initdb's pg_hba.conf lets that connection replicate, and
// PostgreSQL 15's defaults (wal_level replica, max_wal_senders 10) serve it.
func StartReplica(ctx context.Context, primary *Cluster, cfg Config) (*Cluster, error) {
	c, err := newCluster(cfg)
	if err != nil {
		return nil, fmt.Errorf("start replica: %w", err)
	}
	if err := c.run.prepareDir(c.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("start replica: %w", err)
	}
	if !hasCluster(c.dataDir) {
		c.log.Info("pg_basebackup", "primary", primary.DataDir())
		_, err := c.run.command(ctx, filepath.Join(c.binDir, "pg_basebackup"), "-D", c.dataDir, "-R",
			"-X", "stream", "-c", "fast", "-h", primary.SocketDir(), "-p", strconv.Itoa(primary.Port()), "-U", "postgres")
		if err != nil {
			return nil, fmt.Errorf("start replica: %w", err)
		}
	}
	if err := c.start(ctx, cfg.Port); err != nil {
		return nil, fmt.Errorf("start replica in %s: %w", c.dataDir, err)
	}
	return c, nil
}

// PID returns the process ID of the server's postmaster, 0 when none runs.
func (c *Cluster) PID() (int, error) {
	pid, err := readPIDFile(c.dataDir)
	if err != nil || pid == nil || !pid.ours(c.dataDir) {
		return 0, err
	}
	return pid.PID, nil
}

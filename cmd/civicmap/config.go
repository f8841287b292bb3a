package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

// config is everything the commands can be told, by flag or by a CIVICMAP_*
// environment variable (a flag wins).
type config struct {
	Addr             string
	DatabaseURL      string
	DataDir          string
	LocalDBDir       string
	LocalDBPort      int
	StatementTimeout time.Duration
	LogFormat        string
}

// flags registers the config's flags on fs, with defaults from the environment.
func (c *config) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", env("CIVICMAP_ADDR", "127.0.0.1:8080"), "listen address (CIVICMAP_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("CIVICMAP_DATABASE_URL", ""),
		"PostgreSQL+PostGIS to use instead of the private cluster (CIVICMAP_DATABASE_URL)")
	fs.StringVar(&c.DataDir, "data-dir", env("CIVICMAP_DATA_DIR", "../shared/data/sanming"),
		"directory of the Sanming reference geography (CIVICMAP_DATA_DIR)")
	fs.StringVar(&c.LocalDBDir, "localdb-dir", env("CIVICMAP_LOCALDB_DIR", ".localdb"),
		"data directory of the private PostgreSQL cluster (CIVICMAP_LOCALDB_DIR)")
	fs.IntVar(&c.LocalDBPort, "localdb-port", envInt("CIVICMAP_LOCALDB_PORT", 54329),
		"port (and socket name) of the private cluster (CIVICMAP_LOCALDB_PORT)")
	fs.DurationVar(&c.StatementTimeout, "statement-timeout", envDuration("CIVICMAP_STATEMENT_TIMEOUT", 5*time.Second),
		"longest any one SQL statement may run (CIVICMAP_STATEMENT_TIMEOUT)")
	fs.StringVar(&c.LogFormat, "log-format", env("CIVICMAP_LOG_FORMAT", "text"), "text or json (CIVICMAP_LOG_FORMAT)")
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(env(key, "")); err == nil {
		return v
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(env(key, "")); err == nil {
		return v
	}
	return def
}

func (c *config) check() error {
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("-log-format: want text or json, got %q", c.LogFormat)
	}
	if c.StatementTimeout <= 0 {
		return fmt.Errorf("-statement-timeout: must be positive, got %s", c.StatementTimeout)
	}
	return nil
}

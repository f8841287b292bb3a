package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"civicmap/db"
)

// config is everything the commands can be told, by flag or by a CIVICMAP_*
// environment variable (a flag wins). A command reads only some groups of it
// (settingGroup); the others stay zero.
type config struct {
	Addr             string
	DatabaseURL      string
	DataDir          string
	LocalDBDir       string
	LocalDBPort      int
	StatementTimeout time.Duration
	// RequestTimeout bounds all of one request's work (server.Config); 0
	// keeps the server's default.
	RequestTimeout time.Duration
	// DBMaxConns and DBHeavyConns size the server's main and heavy pools
	// (db.Pools): cheap reads and writes on one, costly queries and exports
	// on the other, so neither can starve the other. 0 is pgx's default.
	DBMaxConns   int
	DBHeavyConns int
	// MemoryLimitMiB is the Go runtime's soft memory limit (GOMEMLIMIT), in
	// MiB; 0 for none. GOMEMLIMIT, when set, wins.
	MemoryLimitMiB int
	// AnswerCache keeps answers in memory by data version (db.Pools.NoCache
	// when off); off, for measuring, every request reads the database.
	AnswerCache bool
	LogFormat   string
	// CORSOrigins is the comma-separated origins whose pages may read the
	// API (server.Config.CORSOrigins): "*", "none", or "" for the server's
	// default.
	CORSOrigins string
	// ReadDatabaseURLs are the streaming replicas of DatabaseURL that serve
	// reads, comma-separated (replicas.go); ReplicaMaxLag is how far behind
	// one may be and still serve them (0: db.DefaultMaxLag).
	ReadDatabaseURLs string
	ReplicaMaxLag    time.Duration
	// MetricsAddr is where /metrics is served, apart from the API; "" for
	// nowhere.
	MetricsAddr string
}

// settingGroup names settings that several commands read. A command
// registers only the groups it reads, so its -h lists only flags that matter
// to it, and only those are checked.
type settingGroup uint

const (
	// logSettings: every command logs.
	logSettings settingGroup = 1 << iota
	// databaseSettings: the commands that open the database.
	databaseSettings
	// localDBSettings: the commands that start the private cluster when no
	// database URL is given (every database command, and localdb).
	localDBSettings
	// dataSettings: the commands that load the Sanming data (run, load).
	dataSettings
	// serverSettings: the commands that serve HTTP (run, serve).
	serverSettings
)

// flags registers the flags of the groups on fs, with defaults from the
// environment.
func (c *config) flags(fs *flag.FlagSet, groups settingGroup) {
	if groups&logSettings != 0 {
		fs.StringVar(&c.LogFormat, "log-format", "text", "text or json (CIVICMAP_LOG_FORMAT)")
	}
	if groups&databaseSettings != 0 {
		fs.StringVar(&c.DatabaseURL, "database-url", "",
			"PostgreSQL+PostGIS to use instead of the private cluster (CIVICMAP_DATABASE_URL)")
		fs.DurationVar(&c.StatementTimeout, "statement-timeout", 5*time.Second,
			"longest any one SQL statement may run (CIVICMAP_STATEMENT_TIMEOUT)")
	}
	if groups&localDBSettings != 0 {
		fs.StringVar(&c.LocalDBDir, "localdb-dir", ".localdb",
			"data directory of the private PostgreSQL cluster (CIVICMAP_LOCALDB_DIR)")
		fs.IntVar(&c.LocalDBPort, "localdb-port", 54329,
			"port (and socket name) of the private cluster (CIVICMAP_LOCALDB_PORT)")
	}
	if groups&dataSettings != 0 {
		fs.StringVar(&c.DataDir, "data-dir", "../shared/data/sanming",
			"directory of the Sanming reference geography (CIVICMAP_DATA_DIR)")
	}
	if groups&serverSettings != 0 {
		c.serverFlags(fs)
	}
}

// serverFlags registers the flags that only a serving process reads.
func (c *config) serverFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address (CIVICMAP_ADDR)")
	fs.StringVar(&c.ReadDatabaseURLs, "read-database-urls", "",
		"streaming replicas of -database-url that serve reads, comma-separated (CIVICMAP_READ_DATABASE_URLS)")
	fs.DurationVar(&c.ReplicaMaxLag, "replica-max-lag", db.DefaultMaxLag,
		"a replica further behind the primary than this serves no reads until it catches up (CIVICMAP_REPLICA_MAX_LAG)")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", 15*time.Second,
		"longest one request may run, all its statements together; then it answers TIMEOUT (CIVICMAP_REQUEST_TIMEOUT)")
	fs.IntVar(&c.DBMaxConns, "db-max-conns", 8,
		"database connections for cheap reads and writes (CIVICMAP_DB_MAX_CONNS)")
	fs.IntVar(&c.DBHeavyConns, "db-heavy-conns", 3,
		"database connections for costly queries and exports, apart from the others (CIVICMAP_DB_HEAVY_CONNS)")
	fs.IntVar(&c.MemoryLimitMiB, "memory-limit-mib", 256,
		"soft memory limit of the Go runtime in MiB, 0 for none; GOMEMLIMIT wins when set (CIVICMAP_MEMORY_LIMIT_MIB)")
	fs.BoolVar(&c.AnswerCache, "answer-cache", true,
		"keep answers in memory while the data version holds; false makes every request read the database, to measure what that saves (CIVICMAP_ANSWER_CACHE)")
	fs.StringVar(&c.CORSOrigins, "cors-origins", "*",
		"origins whose web pages may read the API, comma-separated (https://map.example.org), * for any, none for CORS off (CIVICMAP_CORS_ORIGINS)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "",
		"listen address of /metrics (Prometheus), apart from the API's, e.g. 127.0.0.1:9464; empty for none (CIVICMAP_METRICS_ADDR)")
}

// fromEnv sets each flag of fs from its CIVICMAP_* variable (the flag's
// name in upper case, with _ for -), where one is set, before the command line
// is parsed: a flag given there wins. A value the flag refuses is an error
// naming the variable, never a silent default. -h shows the built-in
// defaults, not the environment's values, which may hold a password (a
// database URL).
func fromEnv(fs *flag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		key := "CIVICMAP_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(key); ok && v != "" && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: invalid value %q for -%s: %w", key, v, f.Name, e)
			}
		}
	})
	return err
}

// check checks the settings of the groups; the error names the flag at fault.
func (c *config) check(groups settingGroup) error {
	if groups&logSettings != 0 && c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("-log-format: want text or json, got %q", c.LogFormat)
	}
	if groups&databaseSettings != 0 && c.StatementTimeout <= 0 {
		return fmt.Errorf("-statement-timeout: must be positive, got %s", c.StatementTimeout)
	}
	if groups&serverSettings != 0 {
		return c.checkServer()
	}
	return nil
}

// checkServer checks the settings that only a serving process reads.
func (c *config) checkServer() error {
	if c.RequestTimeout < 0 {
		return fmt.Errorf("-request-timeout: must not be negative, got %s", c.RequestTimeout)
	}
	if c.ReplicaMaxLag < 0 {
		return fmt.Errorf("-replica-max-lag: must not be negative, got %s", c.ReplicaMaxLag)
	}
	if _, err := c.readURLs(); err != nil {
		return err
	}
	if c.MemoryLimitMiB < 0 {
		return fmt.Errorf("-memory-limit-mib: want a size in MiB, or 0 for none, got %d", c.MemoryLimitMiB)
	}
	if c.DBMaxConns < 0 || c.DBHeavyConns < 0 {
		return fmt.Errorf("-db-max-conns and -db-heavy-conns: want a number of connections, got %d and %d", c.DBMaxConns, c.DBHeavyConns)
	}
	_, err := c.corsOrigins()
	return err
}

// corsOrigins returns the origins of CORSOrigins: nil when it is "" (the
// server's default applies), none (an empty list) for "none", or an error
// naming the entry that is no origin.
func (c *config) corsOrigins() ([]string, error) {
	switch c.CORSOrigins {
	case "":
		return nil, nil
	case "none":
		return []string{}, nil
	}
	var origins []string
	for o := range strings.SplitSeq(c.CORSOrigins, ",") {
		o = strings.TrimSpace(o)
		if o == "*" {
			origins = append(origins, o)
			continue
		}
		// A browser sends Origin as scheme://host[:port], lower case, with
		// no path: anything else would never match.
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(o, "*") || o != strings.ToLower(u.Scheme+"://"+u.Host) {
			return nil, fmt.Errorf("-cors-origins: %q is not an origin: want scheme://host[:port] in lower case with no path "+
				"(https://map.example.org), * for any or none", o)
		}
		origins = append(origins, o)
	}
	if len(origins) > 1 && slices.Contains(origins, "*") {
		return nil, fmt.Errorf("-cors-origins: * allows every origin; list origins without it, or give * alone")
	}
	return origins, nil
}

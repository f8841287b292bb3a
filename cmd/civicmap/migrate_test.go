package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestServeRefusesAnUnmigratedDatabase: serve over a database that lacks the
// newest migration (whose tables its queries read: the coverage index, say)
// refuses to start and says what to run, instead of failing every request.
func TestServeRefusesAnUnmigratedDatabase(t *testing.T) {
	url, pool := openPool(t)
	if _, err := pool.Exec(t.Context(), `DELETE FROM schema_migration WHERE version = (SELECT max(version) FROM schema_migration)`); err != nil {
		t.Fatal(err)
	}
	app := &App{
		Config: config{Addr: "127.0.0.1:0", DatabaseURL: url, StatementTimeout: 5 * time.Second},
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	defer app.Close()
	err := app.Open(t.Context(), false)
	if err == nil || !strings.Contains(err.Error(), "run `civicmap migrate`") {
		t.Fatalf("serve over an unmigrated database: %v, want a refusal that says to run civicmap migrate", err)
	}
}

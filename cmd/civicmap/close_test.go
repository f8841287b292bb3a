package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"civicmap/db/dbtest"
)

// TestCloseBoundedByALeakedConnection: a connection acquired and never
// released no longer holds Close forever: it waits poolCloseTimeout, logs the
// leak with the count, and returns.
func TestCloseBoundedByALeakedConnection(t *testing.T) {
	defer func(d time.Duration) { poolCloseTimeout = d }(poolCloseTimeout)
	poolCloseTimeout = 200 * time.Millisecond
	var logs bytes.Buffer
	app := &App{
		Config: config{Addr: "127.0.0.1:0", StatementTimeout: 5 * time.Second, DatabaseURL: dbtest.NewConnString(t)},
		Log:    slog.New(slog.NewTextHandler(&logs, nil)),
	}
	if err := app.Open(t.Context(), false); err != nil {
		t.Fatalf("open app: %v", err)
	}
	conn, err := app.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	done := make(chan struct{})
	go func() {
		app.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waits 10 s after a connection was leaked")
	}
	if out := logs.String(); !strings.Contains(out, "never released") || !strings.Contains(out, "acquired=1") {
		t.Errorf("the leak is not logged with its count:\n%s", out)
	}
}

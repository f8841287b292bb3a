package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"civicmap/db/dbtest"
	"civicmap/db/sanmingtest"
	"civicmap/server"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, sanmingtest.Prepare)) }

// testApp is an App serving a fresh loaded database on a loopback port.
type testApp struct {
	*App
	URL  string // http://127.0.0.1:port
	stop context.CancelFunc
	done chan error
}

// appOption changes the App that startApp builds, before it opens.
type appOption func(*App)

// withStatementTimeout sets the App's statement_timeout (5s by default).
func withStatementTimeout(d time.Duration) appOption {
	return func(a *App) { a.Config.StatementTimeout = d }
}

// onDatabase serves the database at url instead of a fresh copy of the template.
func onDatabase(url string) appOption {
	return func(a *App) { a.Config.DatabaseURL = url }
}

// withLogger gives the App a logger (it discards everything by default).
func withLogger(log *slog.Logger) appOption {
	return func(a *App) { a.Log = log }
}

// startApp starts an App on 127.0.0.1:0 over a fresh copy of the loaded
// template (unless onDatabase says otherwise); cfg may be nil for
// server.DefaultConfig. It is stopped when the test ends.
func startApp(t *testing.T, cfg *server.Config, opts ...appOption) *testApp {
	t.Helper()
	app := &App{
		Config: config{Addr: "127.0.0.1:0", StatementTimeout: 5 * time.Second},
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	app.Server = cfg
	for _, opt := range opts {
		opt(app)
	}
	if app.Config.DatabaseURL == "" {
		app.Config.DatabaseURL = dbtest.NewConnString(t)
	}
	if err := app.Open(t.Context(), false); err != nil {
		t.Fatalf("open app: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ta := &testApp{App: app, URL: "http://" + app.Addr(), stop: cancel, done: make(chan error, 1)}
	go func() { ta.done <- app.Serve(ctx) }()
	t.Cleanup(func() {
		if err := ta.shutdown(); err != nil {
			t.Errorf("serve: %v", err)
		}
		app.Close()
	})
	return ta
}

// shutdown stops the server as SIGTERM would and waits for Serve to return.
// It is safe to call twice.
func (ta *testApp) shutdown() error {
	ta.stop()
	err, ok := <-ta.done
	if ok {
		close(ta.done)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

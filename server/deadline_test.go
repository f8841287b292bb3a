package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/server"
)

// newHandlerWith is newHandler with the default config changed by edit.
func newHandlerWith(t testing.TB, edit func(*server.Config)) http.Handler {
	t.Helper()
	cfg := server.DefaultConfig()
	edit(&cfg)
	return server.New(cfg, db.New(dbtest.NewDB(t)), slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
}

// TestRequestDeadline: the request deadline stops a request of many
// statements, each well under the statement timeout, and the client gets
// TIMEOUT. Before, statement_timeout bounded each statement and nothing the
// request: ten township layers ran to the end however long they took.
func TestRequestDeadline(t *testing.T) {
	h := newHandlerWith(t, func(c *server.Config) { c.RequestTimeout = 50 * time.Millisecond })
	var b strings.Builder
	for i := range 10 {
		b.WriteString(" t" + string(rune('a'+i)) + ": townshipFeatures")
	}
	start := time.Now()
	r := post(t, h, "{"+b.String()+" }", nil)
	took := time.Since(start)
	wantError(t, r, "TIMEOUT", "", "took too long")
	if took > 2*time.Second {
		t.Errorf("answered after %s; the deadline is 50ms", took)
	}
	t.Logf("ten layers stopped after %s", took)
}

// TestResponseSizeBound: a response over MaxResponseBytes is replaced by
// QUERY_TOO_COMPLEX saying its size; one under it passes.
func TestResponseSizeBound(t *testing.T) {
	h := newHandlerWith(t, func(c *server.Config) { c.MaxResponseBytes = 200 << 10 })
	wantError(t, post(t, h, "{ townshipFeatures }", nil), "QUERY_TOO_COMPLEX", "", "over the limit of 0.2 MiB")
	var d struct{ Dataset struct{ Licence string } }
	data(t, h, "{ dataset { licence } }", nil, &d)
	if d.Dataset.Licence == "" {
		t.Error("no licence")
	}
}

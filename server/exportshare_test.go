package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"civicmap/server"
)

// stalledWriter is a client that stops reading: its first write blocks until
// release is closed, and says so on started.
type stalledWriter struct {
	*httptest.ResponseRecorder
	started, release chan struct{}
}

func (w *stalledWriter) Write(p []byte) (int, error) {
	select {
	case w.started <- struct{}{}:
		<-w.release
	default:
	}
	return w.ResponseRecorder.Write(p)
}

// TestExportsHaveABoundedShare: while MaxExports exports stream to clients
// that stopped reading, another export answers 503 with Retry-After at once,
// and GraphQL still answers. Before, four stalled exports held all four
// connections of the one pool for 30 s.
func TestExportsHaveABoundedShare(t *testing.T) {
	h := newHandlerWith(t, func(c *server.Config) { c.MaxExports = 1 })
	stalled := &stalledWriter{ResponseRecorder: httptest.NewRecorder(), started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(stalled, httptest.NewRequest(http.MethodGet, "/export/platforms.ndjson", nil))
	}()
	<-stalled.started

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/export/platforms.csv", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("second export: status %d, Retry-After %q; want 503 with Retry-After: %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	var d struct{ County struct{ Name string } }
	data(t, h, `{ county(code: "350481") { name } }`, nil, &d)

	close(stalled.release)
	<-done
	if stalled.Code != http.StatusOK {
		t.Errorf("the stalled export: status %d", stalled.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/export/platforms.csv", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("an export after the first ended: status %d", rec.Code)
	}
}

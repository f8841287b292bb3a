package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/server"
)

// logBuffer is a log destination safe for concurrent writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestInternalErrorsAreTraceable: the cause of an internal error is logged
// with a request id; the client gets the generic message and the same id, in
// extensions.requestId and the X-Request-Id header. Before, the presenter
// replaced the message of the error it then logged: the cause was lost.
func TestInternalErrorsAreTraceable(t *testing.T) {
	pool := dbtest.NewDB(t)
	var logs logBuffer
	h := server.New(server.DefaultConfig(), db.New(pool), slog.New(slog.NewJSONHandler(&logs, nil))).Handler()
	if _, err := pool.Exec(t.Context(), `ALTER TABLE sector RENAME TO sector_gone`); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"query": `{ sectors { nodes { name } } }`})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r result
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	wantError(t, r, "INTERNAL_SERVER_ERROR", "", "internal server error")
	id, _ := r.Errors[0].Extensions["requestId"].(string)
	if id == "" || rec.Header().Get("X-Request-Id") != id {
		t.Fatalf("requestId %q, header %q: want the same id in both", id, rec.Header().Get("X-Request-Id"))
	}
	var logged bool
	for line := range strings.Lines(logs.String()) {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil && l["level"] == "ERROR" && l["request_id"] == id &&
			strings.Contains(l["err"].(string), `relation "sector" does not exist`) {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no ERROR line with request_id %s and the cause:\n%s", id, logs.String())
	}
}

// TestClientDisconnectIsNoError: a client that goes away mid-query is logged
// at INFO as a disconnect, never at ERROR as an internal error. The query
// waits for a lock on the platforms, and the client leaves once it does: a
// client leaving 50 ms in, as before, found a 40 ms query already answered
// on a busy machine.
func TestClientDisconnectIsNoError(t *testing.T) {
	var logs logBuffer
	pool := dbtest.NewDB(t)
	h := server.New(server.DefaultConfig(), db.New(pool), slog.New(slog.NewJSONHandler(&logs, nil))).Handler()
	tx, err := pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), "LOCK TABLE platform IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	body, _ := json.Marshal(map[string]any{"query": `{ platforms(first: 1) { totalCount } }`})
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	served := make(chan struct{})
	go func() {
		defer close(served)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}()
	eventually(t, "the query to wait for the lock", func() bool {
		var n int
		err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'platform'::regclass`).Scan(&n)
		return err == nil && n > 0
	})
	cancel()
	<-served
	out := logs.String()
	if strings.Contains(out, `"level":"ERROR"`) {
		t.Errorf("a disconnect logged as an error:\n%s", out)
	}
	if !strings.Contains(out, "client disconnected") {
		t.Errorf("the disconnect is not logged:\n%s", out)
	}
}

// TestRESTClientDisconnectIsNoError: a client gone before a map layer is read
// is logged at INFO, not as a failed read at ERROR.
func TestRESTClientDisconnectIsNoError(t *testing.T) {
	var logs logBuffer
	h := server.New(server.DefaultConfig(), db.New(dbtest.NewDB(t)), slog.New(slog.NewJSONHandler(&logs, nil))).Handler()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(ctx, http.MethodGet, "/geojson/townships", nil))
	if out := logs.String(); strings.Contains(out, `"level":"ERROR"`) || !strings.Contains(out, "client disconnected") {
		t.Errorf("want an INFO line on the disconnect and no ERROR:\n%s", out)
	}
}

// TestWebsocketOperationsNotedOnce: the operations of one WebSocket run at
// once and each notes its errors on the connection's record, which the
// request log writes when the connection ends: under -race, concurrent notes
// must not race, and the log line names each error code once, however many
// operations failed with it.
func TestWebsocketOperationsNotedOnce(t *testing.T) {
	var logs logBuffer
	h := server.New(server.DefaultConfig(), db.New(dbtest.NewDB(t)), slog.New(slog.NewJSONHandler(&logs, nil))).Handler()
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := dialGraphQL(t, srv, nil)
	const n = 40
	for i := range n {
		query := `{ platforms(first: 1) { totalCount } }`
		if i%2 == 1 {
			query = `{ platforms(first: 100000) { totalCount } }` // first out of range: BAD_USER_INPUT
		}
		c.subscribe(strconv.Itoa(i), query, nil)
	}
	completed := 0
	for completed < n {
		if m := c.next(10 * time.Second); m.Type == "complete" {
			completed++
		}
	}
	c.conn.Close(websocket.StatusNormalClosure, "")
	var line map[string]any
	eventually(t, "the WebSocket's request line in the log", func() bool {
		for _, l := range strings.Split(logs.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" && m["path"] == "/graphql" {
				line = m
			}
		}
		return line != nil
	})
	if got := fmt.Sprint(line["error_codes"]); got != "[BAD_USER_INPUT]" {
		t.Errorf("error_codes %s, want [BAD_USER_INPUT]: each code once for the connection", got)
	}
}

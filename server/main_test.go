package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/db/sanmingtest"
	"civicmap/server"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, sanmingtest.Prepare)) }

// newHandler returns the server's handler over pool (a fresh loaded database
// when pool is nil), with the default limits.
func newHandler(t testing.TB, pool *pgxpool.Pool) http.Handler {
	t.Helper()
	if pool == nil {
		pool = dbtest.NewDB(t)
	}
	return server.New(server.DefaultConfig(), db.New(pool), slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
}

// uncachedHandler is newHandler's server keeping no answers in memory
// (civicmap -answer-cache=false).
func uncachedHandler(t testing.TB, pool *pgxpool.Pool) http.Handler {
	d := db.NewPools(db.Pools{Main: pool, NoCache: true})
	return server.New(server.DefaultConfig(), d, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
}

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// pageInfo is a connection's pageInfo as the tests decode it.
type pageInfo struct {
	HasNextPage, HasPreviousPage bool
	EndCursor                    *string
}

// result is a GraphQL response, with the data left as JSON for the test to decode.
type result struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// code is the extensions.code of the first error, "" when there is none.
func (r result) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// post sends one GraphQL request to h over HTTP and decodes the response.
func post(t *testing.T, h http.Handler, query string, vars map[string]any) result {
	t.Helper()
	return postAuth(t, h, "", query, vars)
}

// postAuth is post with an Authorization header, when auth is not "".
func postAuth(t *testing.T, h http.Handler, auth, query string, vars map[string]any) result {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := result{Status: rec.Code}
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, rec.Body)
	}
	return r
}

// data posts a query that must succeed and decodes its data into v.
func data(t *testing.T, h http.Handler, query string, vars map[string]any, v any) {
	t.Helper()
	r := post(t, h, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("query failed: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data: %v: %s", err, r.Data)
	}
}

// eventually polls cond until it holds, failing t after a minute: tests wait
// on conditions, never for a guessed time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

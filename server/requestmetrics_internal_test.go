package server

import (
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"civicmap/db"
	"civicmap/graph"
)

// TestOutcomeResult: a request's outcome is the worst of its errors', or its
// status's when it has none; a limit's status is rejected whatever the error.
func TestOutcomeResult(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		codes    []string
		rejected bool
		want     string
	}{
		{"answered", http.StatusOK, nil, false, "ok"},
		{"not modified", http.StatusNotModified, nil, false, "ok"},
		{"bad argument", http.StatusOK, []string{"BAD_USER_INPUT"}, false, "client_error"},
		{"parse failed", http.StatusOK, []string{"GRAPHQL_PARSE_FAILED"}, false, "client_error"},
		{"not found, by status", http.StatusNotFound, nil, false, "client_error"},
		{"too complex", http.StatusOK, []string{"QUERY_TOO_COMPLEX"}, false, "rejected"},
		{"body too big", http.StatusRequestEntityTooLarge, []string{"BAD_USER_INPUT"}, false, "rejected"},
		{"body too slow", http.StatusRequestTimeout, []string{"BAD_USER_INPUT"}, false, "rejected"},
		{"exports busy", http.StatusServiceUnavailable, nil, true, "rejected"},
		{"timed out", http.StatusOK, []string{"TIMEOUT"}, false, "timeout"},
		{"tile timed out", http.StatusServiceUnavailable, []string{"TIMEOUT"}, false, "timeout"},
		{"database away", http.StatusOK, []string{"SERVICE_UNAVAILABLE"}, false, "server_error"},
		{"worst of several", http.StatusOK, []string{"NOT_FOUND", "TIMEOUT", "INTERNAL_SERVER_ERROR", "BAD_USER_INPUT"}, false, "server_error"},
		{"error without a code", http.StatusOK, []string{""}, false, "server_error"},
		{"500 without errors", http.StatusInternalServerError, nil, false, "server_error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := &outcome{errors: c.codes, rejected: c.rejected}
			if got := resultNames[o.result(c.status)]; got != c.want {
				t.Errorf("status %d, codes %v: %s, want %s", c.status, c.codes, got, c.want)
			}
		})
	}
}

// TestRootField: the field label is the first root field, through
// fragments, __typename only alone, and never a name the schema lacks.
func TestRootField(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	cases := []struct{ query, want string }{
		{`{ coverage(kinds: [WORKSTATION]) { definition } uncoveredTownships(kinds: [WORKSTATION]) { totalCount } }`, "coverage"},
		{`{ __typename }`, "__typename"},
		{`{ __typename counties { totalCount } }`, "counties"},
		{`{ a: sectors { totalCount } b: counties { totalCount } }`, "sectors"},
		{`query { ...F } fragment F on Query { sectors { totalCount } }`, "sectors"},
		{`{ ... on Query { __typename county(code: "350481") { name } } }`, "county"},
		{`{ __schema { queryType { name } } }`, "__schema"},
		{`mutation($id: ID!) { deletePlatform(id: $id, expectedVersion: 1) { id } }`, "deletePlatform"},
		{`subscription { platformChanged { cursor } }`, "platformChanged"},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			doc, err := gqlparser.LoadQuery(schema, c.query)
			if err != nil {
				t.Fatal(err)
			}
			if got := rootField(doc.Operations[0].SelectionSet); got != c.want {
				t.Errorf("rootField = %q, want %q", got, c.want)
			}
		})
	}
	// A document that did not validate names what the client wrote.
	doc, err := parser.ParseQuery(&ast.Source{Input: `{ anythingAtAll }`})
	if err != nil {
		t.Fatal(err)
	}
	if got := rootField(doc.Operations[0].SelectionSet); got != "" {
		t.Errorf("an unvalidated field: rootField = %q, want \"\"", got)
	}
}

// TestRouteLabel: a route is its pattern without method or {$}.
func TestRouteLabel(t *testing.T) {
	for pattern, want := range map[string]string{
		"GET /tiles/{z}/{x}/{y}": "/tiles/{z}/{x}/{y}",
		"GET /{$}":               "/",
		"/graphql":               "/graphql",
		"":                       "unmatched",
	} {
		if got := routeLabel(pattern); got != want {
			t.Errorf("routeLabel(%q) = %q, want %q", pattern, got, want)
		}
	}
}

// BenchmarkObserve is what the metrics add to a request: one observation of
// a GraphQL request and one of another route, with labels already seen.
func BenchmarkObserve(b *testing.B) {
	s := New(DefaultConfig(), db.New(nil), slog.New(slog.NewTextHandler(io.Discard, nil)))
	gql := &outcome{kind: kindGraphQL, opType: "query", field: "__typename"}
	tile := &outcome{pattern: "GET /tiles/{z}/{x}/{y}"}
	b.ReportAllocs()
	for b.Loop() {
		s.metrics.observe(gql, http.StatusOK, 85*time.Microsecond, true)
		s.metrics.observe(tile, http.StatusOK, 2*time.Millisecond, true)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that the server's goroutines may write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRequestLog checks the request log line of GraphQL requests: operation
// name, outcome, error codes and duration.
func TestRequestLog(t *testing.T) {
	var logs syncBuffer
	ta := startApp(t, nil, withLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	client := newClient()

	tests := []struct {
		name      string
		query     string
		operation string
		outcome   string
		codes     []string
	}{
		{"ok", platformCountQuery, "PlatformCount", "ok", nil},
		{"not found", `query OnePlatform { platform(id: "UGxhdGZvcm06OTk5OTk5") { id } }`, "OnePlatform", "error", []string{"NOT_FOUND"}},
		// A document that fails validation has no operation to name.
		{"validation", `query Misspelt { platfroms { totalCount } }`, "", "error", []string{"GRAPHQL_VALIDATION_FAILED"}},
	}
	for _, tt := range tests {
		if _, err := postGraphQL(client, ta.URL, tt.query); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
	}
	// The line is written after the response; once Serve has returned, every
	// handler has finished.
	if err := ta.shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	type line struct {
		Msg        string   `json:"msg"`
		Method     string   `json:"method"`
		Path       string   `json:"path"`
		Status     int      `json:"status"`
		DurationMS *float64 `json:"duration_ms"`
		Operation  string   `json:"operation"`
		Outcome    string   `json:"outcome"`
		ErrorCodes []string `json:"error_codes"`
	}
	byOp := map[string]line{}
	for _, raw := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l line
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("log line %q: %v", raw, err)
		}
		if l.Msg == "request" && l.Path == "/graphql" {
			byOp[l.Operation] = l
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, ok := byOp[tt.operation]
			if !ok {
				t.Fatalf("no request log line with operation %q in:\n%s", tt.operation, logs.String())
			}
			if l.Method != http.MethodPost || l.Outcome != tt.outcome || !slices.Equal(l.ErrorCodes, tt.codes) {
				t.Errorf("log line %+v: want method POST, outcome %q, error_codes %v", l, tt.outcome, tt.codes)
			}
			if l.Status == 0 {
				t.Errorf("log line %+v has no status", l)
			}
			if l.DurationMS == nil || *l.DurationMS < 0 {
				t.Errorf("log line %+v: duration_ms missing or negative", l)
			}
		})
	}
}

// deepQuery returns a valid query nested about depth levels deep.
func deepQuery(depth int) string {
	var b strings.Builder
	b.WriteString("query Deep { platforms(first: 1) { nodes { ")
	closing := 3
	for level := 3; level < depth; level += 3 {
		b.WriteString("township { platforms(first: 1) { nodes { ")
		closing += 3
	}
	b.WriteString("id ")
	b.WriteString(strings.Repeat("} ", closing))
	return b.String()
}

// aliasQuery returns a query of n aliased fields; with sameName, all n share
// one response name, the case that costs field-merging validation the most.
// With inFragment, the fields sit in a fragment that the query spreads.
func aliasQuery(n int, sameName, inFragment bool) string {
	var b strings.Builder
	if inFragment {
		b.WriteString("query Wide { ...Many } fragment Many on Query { ")
	} else {
		b.WriteString("query Wide { ")
	}
	for i := range n {
		if sameName {
			b.WriteString("a: __typename ")
		} else {
			fmt.Fprintf(&b, "a%d: __typename ", i)
		}
	}
	b.WriteString("}")
	return b.String()
}

// TestHostileQueriesRejected sends queries built to exhaust the server: each is
// refused with QUERY_TOO_COMPLEX and the server answers a normal query next.
// It logs how long each refusal took; it asserts nothing about speed.
func TestHostileQueriesRejected(t *testing.T) {
	ta := startApp(t, nil)
	client := newClient()
	tests := []struct {
		name  string
		query string
	}{
		{"depth 50", deepQuery(50)},
		{"1000 aliases", aliasQuery(1000, false, false)},
		{"1000 same-name aliases", aliasQuery(1000, true, false)},
		{"5000 same-name aliases", aliasQuery(5000, true, false)},
		{"5000 same-name aliases in a fragment", aliasQuery(5000, true, true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res, err := postGraphQL(client, ta.URL, tt.query)
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s (%d bytes) refused in %s", tt.name, len(tt.query), took)
			if res.Status >= 500 {
				t.Errorf("status %d, want no 5xx", res.Status)
			}
			if got := res.code(); got != "QUERY_TOO_COMPLEX" {
				t.Errorf("code %q, want QUERY_TOO_COMPLEX; body %.300s", got, res.Body)
			}
			if res.hasData() {
				t.Errorf("a refused query returned data: %.300s", res.Body)
			}
			mustQuery(t, client, ta.URL, platformCountQuery)
		})
	}
}

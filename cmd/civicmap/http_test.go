package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestGraphQLHTTPStatus pins the status codes, error codes and the presence of
// "data" that server/http.go gives /graphql, for both response media types.
func TestGraphQLHTTPStatus(t *testing.T) {
	const (
		asJSON = "application/json"
		asGQL  = "application/graphql-response+json"
	)
	app := startApp(t, nil)
	tests := []struct {
		name        string
		method      string
		contentType string
		accept      string
		body        string // POST body, or the GET query parameter
		wantStatus  int
		wantMedia   string
		wantCode    string // extensions.code of the first error; "" for none
		wantData    bool
	}{
		{"query", "POST", asJSON, asJSON, `{"query":"{ county(code: \"350481\") { code } }"}`, 200, asJSON, "", true},
		{"GET query", "GET", "", asGQL, `{ county(code: "350481") { code } }`, 200, asGQL, "", true},
		{"not found runs", "POST", asJSON, asGQL, `{"query":"{ county(code: \"350499\") { code } }"}`, 200, asGQL, "NOT_FOUND", true},
		{"parse failure json", "POST", asJSON, asJSON, `{"query":"{"}`, 200, asJSON, "GRAPHQL_PARSE_FAILED", false},
		{"parse failure graphql-response", "POST", asJSON, asGQL, `{"query":"{"}`, 400, asGQL, "GRAPHQL_PARSE_FAILED", false},
		{"validation failure json", "POST", asJSON, asJSON, `{"query":"{ nope }"}`, 200, asJSON, "GRAPHQL_VALIDATION_FAILED", false},
		{"validation failure graphql-response", "POST", asJSON, asGQL, `{"query":"{ nope }"}`, 400, asGQL, "GRAPHQL_VALIDATION_FAILED", false},
		{"bad variable json", "POST", asJSON, asJSON, `{"query":"query($n: Int) { counties(first: $n) { totalCount } }","variables":{"n":"ten"}}`, 200, asJSON, "BAD_USER_INPUT", false},
		{"bad variable graphql-response", "POST", asJSON, asGQL, `{"query":"query($n: Int) { counties(first: $n) { totalCount } }","variables":{"n":"ten"}}`, 400, asGQL, "BAD_USER_INPUT", false},
		{"body not JSON", "POST", asJSON, asJSON, `{"query": "{`, 400, asJSON, "BAD_USER_INPUT", false},
		{"body an array", "POST", asJSON, asGQL, `["{ __typename }"]`, 400, asGQL, "BAD_USER_INPUT", false},
		{"no query", "POST", asJSON, asJSON, `{"qeury":"{ __typename }"}`, 400, asJSON, "BAD_USER_INPUT", false},
		{"query not a string", "POST", asJSON, asJSON, `{"query":{"a":1}}`, 400, asJSON, "BAD_USER_INPUT", false},
		{"variables not an object", "POST", asJSON, asJSON, `{"query":"{ __typename }","variables":"{}"}`, 400, asJSON, "BAD_USER_INPUT", false},
		{"no content type", "POST", "", asJSON, `{"query":"{ __typename }"}`, 415, asJSON, "BAD_USER_INPUT", false},
		{"GET without query", "GET", "", asJSON, "", 400, asJSON, "BAD_USER_INPUT", false},
		{"PUT", "PUT", asJSON, asJSON, `{"query":"{ __typename }"}`, 405, asJSON, "BAD_USER_INPUT", false},
		{"body over the limit", "POST", asJSON, asJSON, `{"query":"{ __typename }","x":"` + strings.Repeat("x", 300<<10) + `"}`, 413, asJSON, "BAD_USER_INPUT", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := app.URL + "/graphql"
			var body io.Reader
			if tt.method == "GET" {
				if tt.body != "" {
					target += "?query=" + url.QueryEscape(tt.body)
				}
			} else {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequestWithContext(t.Context(), tt.method, target, body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			req.Header.Set("Accept", tt.accept)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d; body %s", resp.StatusCode, tt.wantStatus, raw)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantMedia) {
				t.Errorf("Content-Type %q, want %s", ct, tt.wantMedia)
			}
			var got struct {
				Data   json.RawMessage
				Errors []struct {
					Extensions struct{ Code string }
				}
			}
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, raw)
			}
			var code string
			if len(got.Errors) > 0 {
				code = got.Errors[0].Extensions.Code
			}
			if code != tt.wantCode {
				t.Errorf("code %q, want %q; body %s", code, tt.wantCode, raw)
			}
			if hasData := got.Data != nil; hasData != tt.wantData {
				t.Errorf("data entry present: %v, want %v; body %s", hasData, tt.wantData, raw)
			}
		})
	}
}

// TestGraphiQL checks that a browser asking for /graphql still gets GraphiQL.
func TestGraphiQL(t *testing.T) {
	app := startApp(t, nil)
	req, err := http.NewRequestWithContext(t.Context(), "GET", app.URL+"/graphql", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(raw), "civicmap GraphQL") {
		t.Errorf("GET /graphql from a browser: status %d, Content-Type %q; want 200 and the GraphiQL page", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestBadInput: every bad input gets its code and a message a person can act on;
// none is a 500 and none leaks database text.
func TestBadInput(t *testing.T) {
	h := newHandler(t, nil)
	cases := []struct {
		name, query string
		vars        map[string]any
		code        string
		message     string // a part of the message
	}{
		{"unknown county", `{ county(code: "350499") { name } }`, nil, "NOT_FOUND", "no county-level unit of Sanming has code 350499"},
		{"malformed county code", `{ county(code: "35048") { name } }`, nil, "BAD_USER_INPUT", "6-digit county code"},
		{"unknown township", `{ township(code: "350424999") { name } }`, nil, "NOT_FOUND", "350424999"},
		{"malformed township code", `{ township(code: "x") { name } }`, nil, "BAD_USER_INPUT", "9-digit township code"},
		{"unknown platform id", `{ platform(id: "UGxhdGZvcm06OTk5OTk5") { name } }`, nil, "NOT_FOUND", "no platform has ID"},
		{"county id as platform id", `{ platform(id: "Q291bnR5OjM1MDQ4MQ") { name } }`, nil, "BAD_USER_INPUT", "not the ID of a Platform"},
		{"garbage node id", `{ node(id: "!!") { id } }`, nil, "BAD_USER_INPUT", "not a civicmap ID"},
		{"unknown type in node id", `{ node(id: "Rm9vOjE") { id } }`, nil, "BAD_USER_INPUT", "not a civicmap ID"},
		{"negative first", `{ platforms(first: -1) { totalCount } }`, nil, "BAD_USER_INPUT", "between 0 and 500"},
		{"first over the cap", `{ platforms(first: 501) { totalCount } }`, nil, "BAD_USER_INPUT", "between 0 and 500"},
		{"nested first over the cap", `{ township(code: "350424106") { platforms(first: 1000) { totalCount } } }`, nil, "BAD_USER_INPUT", "between 0 and 500"},
		{"malformed cursor", `{ platforms(after: "nonsense") { totalCount } }`, nil, "BAD_USER_INPUT", "not a cursor of this list"},
		{"cursor of another list", `{ platforms(after: "Y291bnRpZXM6MzUwNDgx") { totalCount } }`, nil, "BAD_USER_INPUT", "not a cursor of this list"},
		{"cursor beyond any ID", `{ platforms(after: "cGxhdGZvcm1zOjk5OTk5OTk5OTk5OTk5OTk5OTk5") { totalCount } }`, nil, "BAD_USER_INPUT", "not a cursor of this list"},
		{"feed cursor beyond any change", `{ changes(after: "Y2hhbmdlczo5OTk5OTk5OTk5OTk5OTk5OTk5OQ") { pageInfo { endCursor } } }`, nil, "BAD_USER_INPUT", "not a cursor of this list"},
		{"unknown enum literal", `{ platforms(filter: {kinds: [MUSEUM]}) { totalCount } }`, nil, "BAD_USER_INPUT", "MUSEUM"},
		{"unknown enum variable", `query($k: [PlatformKind!]) { platforms(filter: {kinds: $k}) { totalCount } }`,
			map[string]any{"k": []string{"MUSEUM"}}, "BAD_USER_INPUT", "MUSEUM"},
		{"wrong argument type", `{ platforms(first: "ten") { totalCount } }`, nil, "BAD_USER_INPUT", "Int"},
		{"unknown county in filter", `{ platforms(filter: {countyCode: "350499"}) { totalCount } }`, nil, "NOT_FOUND", "filter.countyCode"},
		{"unknown township in filter", `{ platforms(filter: {townshipCode: "350499001"}) { totalCount } }`, nil, "NOT_FOUND", "filter.townshipCode"},
		{"unknown sector in filter", `{ platforms(filter: {sectorCode: "NOPE"}) { totalCount } }`, nil, "NOT_FOUND", "filter.sectorCode"},
		{"overlong search", `{ platforms(filter: {search: "` + strings.Repeat("站", 101) + `"}) { totalCount } }`, nil, "BAD_USER_INPUT", "at most 100"},
		{"unknown county in townships", `{ townships(countyCode: "350499") { totalCount } }`, nil, "NOT_FOUND", "countyCode"},
		{"unknown field", `{ platforms { colour } }`, nil, "GRAPHQL_VALIDATION_FAILED", "colour"},
		{"syntax error", `{ platforms(`, nil, "GRAPHQL_PARSE_FAILED", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, post(t, h, c.query, c.vars), c.code, "", c.message)
		})
	}
}

// wantError fails unless the first error of r has code, names field in
// extensions.field (when field is not ""), and says message; and unless the
// response is no 500 and leaks no database or Go text.
func wantError(t *testing.T, r result, code, field, message string) {
	t.Helper()
	if r.Status >= http.StatusInternalServerError {
		t.Errorf("status %d", r.Status)
	}
	if r.code() != code {
		t.Fatalf("code %q, want %q; errors %+v", r.code(), code, r.Errors)
	}
	msg := r.Errors[0].Message
	if !strings.Contains(msg, message) {
		t.Errorf("message %q does not say %q", msg, message)
	}
	if got, _ := r.Errors[0].Extensions["field"].(string); field != "" && got != field {
		t.Errorf("extensions.field %q, want %q", got, field)
	}
	for _, leak := range []string{"SQLSTATE", "pgx", "goroutine", ".go:", "ERROR:", "geom."} {
		if strings.Contains(msg, leak) {
			t.Errorf("message leaks %q: %s", leak, msg)
		}
	}
}

// TestSearchIsLiteral: LIKE wildcards in a search match themselves.
func TestSearchIsLiteral(t *testing.T) {
	h := newHandler(t, nil)
	for _, c := range []struct {
		search string
		want   func(int) bool
	}{
		{"%", func(n int) bool { return n == 0 }},
		{"_", func(n int) bool { return n == 0 }},
		{"联络组", func(n int) bool { return n == 141 }},
		{"12345", func(n int) bool { return n >= 1 }},
	} {
		var d struct{ Platforms struct{ TotalCount int } }
		data(t, h, `query($s: String) { platforms(filter: {search: $s}) { totalCount } }`, map[string]any{"s": c.search}, &d)
		if !c.want(d.Platforms.TotalCount) {
			t.Errorf("search %q: %d platforms", c.search, d.Platforms.TotalCount)
		}
	}
}

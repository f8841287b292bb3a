package server_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// TestCoverageBadInput: the coverage queries refuse bad arguments with the
// code, the field at fault and a message a person can act on.
func TestCoverageBadInput(t *testing.T) {
	h := newHandler(t, nil)
	cursor := func(list, key string) string { return base64.RawURLEncoding.EncodeToString([]byte(list + ":" + key)) }
	cases := []struct {
		name, query string
		code, field string
		message     string // a part of the message
	}{
		{"no kinds", `{ coverage(kinds: []) { totals { covered } } }`, "BAD_USER_INPUT", "kinds", "at least one kind"},
		{"no kinds in the worklist", `{ uncoveredTownships(kinds: []) { totalCount } }`, "BAD_USER_INPUT", "kinds", "at least one kind"},
		{"negative radius", `{ coverage(kinds: [WORKSTATION], radiusMetres: -1) { totals { covered } } }`,
			"BAD_USER_INPUT", "radiusMetres", "at least 0 and at most 200000"},
		{"radius over 200 km", `{ coverage(kinds: [WORKSTATION], radiusMetres: 200001) { totals { covered } } }`,
			"BAD_USER_INPUT", "radiusMetres", "at most 200000"},
		{"radius over 200 km in the worklist", `{ uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 1e9) { totalCount } }`,
			"BAD_USER_INPUT", "radiusMetres", "at most 200000"},
		{"unknown county", `{ coverage(kinds: [WORKSTATION], countyCode: "350499") { totals { covered } } }`,
			"NOT_FOUND", "", "countyCode: no county-level unit of Sanming has code 350499"},
		{"malformed county", `{ coverage(kinds: [WORKSTATION], countyCode: "宁化") { totals { covered } } }`,
			"BAD_USER_INPUT", "countyCode", "6-digit county code"},
		{"unknown county in the worklist", `{ uncoveredTownships(kinds: [WORKSTATION], countyCode: "350499") { totalCount } }`,
			"NOT_FOUND", "", "countyCode"},
		{"unknown county in the matrix", `{ sectorCoverage(countyCode: "350499") { sectors { code } } }`,
			"NOT_FOUND", "", "countyCode"},
		{"first over the cap", `{ uncoveredTownships(kinds: [WORKSTATION], first: 501) { totalCount } }`,
			"BAD_USER_INPUT", "first", "between 0 and 500"},
		{"negative first", `{ uncoveredTownships(kinds: [WORKSTATION], first: -1) { totalCount } }`,
			"BAD_USER_INPUT", "first", "between 0 and 500"},
		{"garbage cursor", `{ uncoveredTownships(kinds: [WORKSTATION], after: "nonsense") { totalCount } }`,
			"BAD_USER_INPUT", "after", "not a cursor of this list"},
		{"cursor of another list", `{ uncoveredTownships(kinds: [WORKSTATION], after: "` + cursor("townships", "350424106") + `") { totalCount } }`,
			"BAD_USER_INPUT", "after", "not a cursor of this list"},
		{"cursor without a distance key", `{ uncoveredTownships(kinds: [WORKSTATION], after: "` + cursor("uncoveredTownships", "350424106") + `") { totalCount } }`,
			"BAD_USER_INPUT", "after", "not a cursor of this list"},
		{"cursor with a bad distance", `{ uncoveredTownships(kinds: [WORKSTATION], after: "` + cursor("uncoveredTownships", "-5,350424106") + `") { totalCount } }`,
			"BAD_USER_INPUT", "after", "not a cursor of this list"},
		{"cursor with a bad code", `{ uncoveredTownships(kinds: [WORKSTATION], after: "` + cursor("uncoveredTownships", "5,x'; --") + `") { totalCount } }`,
			"BAD_USER_INPUT", "after", "not a cursor of this list"},
		{"kinds left out", `{ coverage { totals { covered } } }`, "GRAPHQL_VALIDATION_FAILED", "", "kinds"},
		{"unknown kind", `{ coverage(kinds: [MUSEUM]) { totals { covered } } }`, "BAD_USER_INPUT", "", "MUSEUM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(t, h, c.query, nil)
			if r.Status >= http.StatusInternalServerError {
				t.Errorf("status %d", r.Status)
			}
			if r.code() != c.code {
				t.Fatalf("code %q, want %q; errors %+v", r.code(), c.code, r.Errors)
			}
			e := r.Errors[0]
			if field, _ := e.Extensions["field"].(string); field != c.field {
				t.Errorf("field %q, want %q", field, c.field)
			}
			if !strings.Contains(e.Message, c.message) {
				t.Errorf("message %q does not say %q", e.Message, c.message)
			}
			for _, leak := range []string{"SQLSTATE", "pgx", "goroutine", ".go:", "ST_", "SELECT"} {
				if strings.Contains(e.Message, leak) {
					t.Errorf("message leaks %q: %s", leak, e.Message)
				}
			}
		})
	}
}

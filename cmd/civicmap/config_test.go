package main

import (
	"slices"
	"strings"
	"testing"
)

func TestCORSOriginsFlag(t *testing.T) {
	for _, c := range []struct {
		value string
		want  []string // nil: the server's default
		err   string
	}{
		{"", nil, ""},
		{"*", []string{"*"}, ""},
		{"none", []string{}, ""},
		{"https://map.example.org, http://127.0.0.1:5173", []string{"https://map.example.org", "http://127.0.0.1:5173"}, ""},
		{"https://map.example.org/", nil, `"https://map.example.org/" is not an origin`},
		{"https://Map.example.org", nil, "in lower case"},
		{"map.example.org", nil, "scheme://host[:port]"},
		{"https://*.example.org", nil, "is not an origin"},
		{"ftp://map.example.org", nil, "is not an origin"},
		{"*, https://map.example.org", nil, "* allows every origin"},
	} {
		t.Run(c.value, func(t *testing.T) {
			cfg := config{LogFormat: "text", StatementTimeout: 1, CORSOrigins: c.value}
			got, err := cfg.corsOrigins()
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || cfg.check(serverSettings) == nil {
					t.Fatalf("error %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil || cfg.check(serverSettings) != nil || !slices.Equal(got, c.want) || (got == nil) != (c.want == nil) {
				t.Fatalf("%q (%v), want %q", got, err, c.want)
			}
		})
	}
}

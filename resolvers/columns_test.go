package resolvers

import (
	"slices"
	"testing"
)

func TestPlatformColumns(t *testing.T) {
	cases := []struct {
		name string
		want map[string]bool
		cols []string
	}{
		{"no selection: every column", nil, nil},
		{"only the count", map[string]bool{}, []string{"id"}},
		{"a map's page", map[string]bool{"id": true, "kind": true, "location": true, "lat": true}, []string{"id", "kind", "lat", "lon"}},
		{"nested fields ride on their parent", map[string]bool{"township": true, "township.name": true}, []string{"county_code", "id", "township_code"}},
		{"an unknown field: every column", map[string]bool{"name": true, "colour": true}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := platformColumns(c.want)
			slices.Sort(got)
			if !slices.Equal(got, c.cols) {
				t.Errorf("platformColumns(%v) = %v, want %v", c.want, got, c.cols)
			}
		})
	}
}

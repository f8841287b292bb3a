package db

import (
	"math"
	"sort"
	"testing"
)

func TestDistanceKeyRoundTrip(t *testing.T) {
	for _, m := range []float64{0, 1, 0.1 + 0.2, 26575.71525569, math.Nextafter(200000, 0), 1e-300} {
		key := DistanceKey(&m, "350424106")
		got, code, err := ParseDistanceKey(key)
		if err != nil || got == nil || *got != m || code != "350424106" {
			t.Errorf("%v: %q parses to %v, %q, %v", m, key, got, code, err)
		}
	}
	got, code, err := ParseDistanceKey(DistanceKey(nil, "350424106"))
	if err != nil || got != nil || code != "350424106" {
		t.Errorf("no distance: parses to %v, %q, %v", got, code, err)
	}
}

func TestParseDistanceKeyRefuses(t *testing.T) {
	for _, key := range []string{"", "350424106", "12.5,", "x,350424106", "-1,350424106", "NaN,350424106", "Inf,350424106"} {
		if _, _, err := ParseDistanceKey(key); err == nil {
			t.Errorf("%q: accepted", key)
		}
	}
}

// TestFollowsIsTheWorklistOrder: sorted by the worklist's order (no distance
// first, then farthest first, then by code), each row follows every key before
// it and none after it.
func TestFollowsIsTheWorklistOrder(t *testing.T) {
	metres := func(m float64) *PlatformDistance { return &PlatformDistance{DistanceMetres: m} }
	rows := []TownshipCoverage{
		{Township: Township{Code: "350424002"}},
		{Township: Township{Code: "350424001"}},
		{Township: Township{Code: "350424003"}, Nearest: metres(500)},
		{Township: Township{Code: "350424004"}, Nearest: metres(31000.25)},
		{Township: Township{Code: "350424005"}, Nearest: metres(500)},
		{Township: Township{Code: "350424006"}, Nearest: metres(0.5)},
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].nearestMetres(), rows[j].nearestMetres()
		switch {
		case (a == nil) != (b == nil):
			return a == nil
		case a != nil && *a != *b:
			return *a > *b
		}
		return rows[i].Code < rows[j].Code
	})
	for i := range rows {
		key := rows[i]
		for j := range rows {
			if got, want := rows[j].follows(key.nearestMetres(), key.Code), j > i; got != want {
				t.Errorf("row %d (%s) follows the key of row %d: %v, want %v", j, rows[j].Code, i, got, want)
			}
		}
	}
}

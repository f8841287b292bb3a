package db

import (
	"fmt"
	"math"
	"math/rand/v2"
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

// TestWorklistLessIsTheWorklistOrder: sorted by the worklist's order (no
// distance first, then farthest first, then by code), each row comes after
// every key before it and none after it, which is how a page finds its start.
func TestWorklistLessIsTheWorklistOrder(t *testing.T) {
	type row struct {
		metres *float64
		code   string
	}
	m := func(v float64) *float64 { return &v }
	rows := []row{
		{nil, "350424002"}, {nil, "350424001"}, {m(500), "350424003"},
		{m(31000.25), "350424004"}, {m(500), "350424005"}, {m(0.5), "350424006"},
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].metres, rows[j].metres
		switch {
		case (a == nil) != (b == nil):
			return a == nil
		case a != nil && *a != *b:
			return *a > *b
		}
		return rows[i].code < rows[j].code
	})
	for i, key := range rows {
		for j, r := range rows {
			if got, want := worklistLess(key.metres, key.code, r.metres, r.code), j > i; got != want {
				t.Errorf("row %d (%s) after the key of row %d: %v, want %v", j, r.code, i, got, want)
			}
		}
	}
}

// TestSortedIsWorklistLess: the worklist that a coverage table sorts on its
// own keys is in worklistLess order, with the townships without a cell left
// out, for distances with ties, zeros and townships without a platform.
func TestSortedIsWorklistLess(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		n := 1 + rnd.IntN(200)
		geo := &geography{townships: make([]Township, n), hasCell: make([]bool, n)}
		tab := &nearestTable{geo: geo, nearest: make([]nearest, n)}
		for i := range n {
			geo.townships[i].Code = fmt.Sprintf("35%07d", rnd.IntN(1e7))
			geo.hasCell[i] = rnd.IntN(10) > 0
			if rnd.IntN(5) > 0 {
				tab.nearest[i] = nearest{id: int64(1 + rnd.IntN(50)), metres: float64(rnd.IntN(4) * 500)}
			}
		}
		got := tab.sorted()
		var cells int
		for _, c := range geo.hasCell {
			if c {
				cells++
			}
		}
		if len(got) != cells {
			t.Fatalf("%d townships with a cell, %d in the worklist", cells, len(got))
		}
		for k := 1; k < len(got); k++ {
			a, b := got[k-1], got[k]
			if worklistLess(tab.metres(b), geo.townships[b].Code, tab.metres(a), geo.townships[a].Code) {
				t.Fatalf("worklist[%d] (%s, %v) sorts before worklist[%d] (%s, %v)",
					k, geo.townships[b].Code, tab.nearest[b], k-1, geo.townships[a].Code, tab.nearest[a])
			}
		}
	}
}

package cache

import (
	"strings"
	"testing"
)

func TestByVersion(t *testing.T) {
	c := ByVersion[string]{MaxEntries: 2, MaxBytes: 10}
	steps := []struct {
		put, get   string // "version/key=value" to put; "version/key" to get
		want       string
		wantExists bool
	}{
		{put: "1.5/a=x", get: "1.5/a", want: "x", wantExists: true},
		{get: "1.6/a"}, // another version: nothing
		{put: "1.5/b=y", get: "1.5/a", want: "x", wantExists: true},
		{put: "1.5/c=z", get: "1.5/a"}, // a third entry empties it
		{get: "1.5/c", want: "z", wantExists: true},
		{put: "1.6/a=w", get: "1.5/c"}, // a new version ends the old
		{get: "1.6/a", want: "w", wantExists: true},
		{put: "/a=v", get: "/a"}, // no version, not kept
	}
	for i, s := range steps {
		if s.put != "" {
			var version, key, value string
			split(s.put, &version, &key, &value)
			c.Put(version, key, value, 1)
		}
		var version, key, value string
		split(s.get, &version, &key, &value)
		got, ok := c.Get(version, key)
		if got != s.want || ok != s.wantExists {
			t.Errorf("step %d: Get(%q) = %q, %v; want %q, %v", i, s.get, got, ok, s.want, s.wantExists)
		}
	}
	// Each step got once: a hit where it found a value.
	if got, want := c.Stats(), (Stats{Hits: 4, Misses: 4}); got != want {
		t.Errorf("after the steps: Stats() = %+v, want %+v", got, want)
	}
	c.Put("2", "big", "x", 11) // over MaxBytes on its own: kept alone
	if _, ok := c.Get("2", "big"); !ok {
		t.Error("a value bigger than MaxBytes was not kept on its own")
	}
}

// TestLatestAndOff: Latest gives the value kept at the version last put, and
// a negative MaxEntries keeps nothing.
func TestLatestAndOff(t *testing.T) {
	var c ByVersion[string]
	if v, _, ok := c.Latest("a"); ok || v != "" {
		t.Errorf("empty: Latest = %q, %v", v, ok)
	}
	c.Put("3.1", "a", "x", 1)
	c.Put("3.2", "a", "y", 1)
	if v, got, ok := c.Latest("a"); !ok || v != "3.2" || got != "y" {
		t.Errorf("Latest = %q, %q, %v; want 3.2, y, true", v, got, ok)
	}
	off := ByVersion[string]{MaxEntries: -1}
	off.Put("1", "a", "x", 1)
	if _, ok := off.Get("1", "a"); ok {
		t.Error("a cache with MaxEntries -1 kept a value")
	}
	if got, want := off.Stats(), (Stats{Misses: 1}); got != want {
		t.Errorf("off: Stats() = %+v, want %+v (a lookup of nothing kept is a miss)", got, want)
	}
}

func split(s string, version, key, value *string) {
	v, rest, _ := strings.Cut(s, "/")
	k, val, _ := strings.Cut(rest, "=")
	*version, *key, *value = v, k, val
}

// TestOlderNotKept: with Older, a value of an older version leaves the newer
// ones kept, and is not kept itself.
func TestOlderNotKept(t *testing.T) {
	c := ByVersion[string]{Older: func(a, b string) bool { return a < b }}
	c.Put("2", "a", "new", 1)
	c.Put("1", "b", "old", 1)
	if _, ok := c.Get("1", "b"); ok {
		t.Error("a value of an older version was kept")
	}
	if got, ok := c.Get("2", "a"); !ok || got != "new" {
		t.Errorf("Get(2, a) = %q, %v after an older Put; want new, true", got, ok)
	}
	c.Put("3", "c", "newer", 1)
	if _, ok := c.Get("2", "a"); ok {
		t.Error("a newer version did not end the older")
	}
}

// TestPutAgain: putting a key again at its version, as requests that missed
// together do, replaces its value without counting its size twice.
func TestPutAgain(t *testing.T) {
	c := ByVersion[string]{MaxEntries: 2, MaxBytes: 10}
	for i := range 20 {
		c.Put("1.1", "a", strings.Repeat("x", i%3), 4)
	}
	c.Put("1.1", "b", "y", 4)
	if got, ok := c.Get("1.1", "a"); !ok || got != "x" {
		t.Errorf("after 20 puts of a and one of b: Get(a) = %q, %v; want \"x\", true", got, ok)
	}
}

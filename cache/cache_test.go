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
	c.Put("2", "big", "x", 11) // over MaxBytes on its own: kept alone
	if _, ok := c.Get("2", "big"); !ok {
		t.Error("a value bigger than MaxBytes was not kept on its own")
	}
}

func split(s string, version, key, value *string) {
	v, rest, _ := strings.Cut(s, "/")
	k, val, _ := strings.Cut(rest, "=")
	*version, *key, *value = v, k, val
}

// Package cache keeps answers for as long as the data they were read from is
// current: one data version at a time, bounded in count and in size.
package cache

import "sync"

// ByVersion keeps values under a key for one data version, the one last put:
// after a write, the first value put at the new version empties it of the
// old ones, which no request can be served any more. A value is shared by
// every caller that gets it: nothing may change it after Put.
type ByVersion[T any] struct {
	// MaxEntries and MaxBytes bound what is kept; a Put past either empties
	// the cache first. Zero means no bound; a negative MaxEntries keeps
	// nothing.
	MaxEntries int
	MaxBytes   int
	// Older, when set, reports whether version a is older than b: a value
	// put at a version older than the one kept is not kept. Readers of a
	// replica a moment behind the primary would otherwise empty the cache of
	// the newer version at each answer, and it of theirs.
	Older func(a, b string) bool

	mu      sync.Mutex
	version string
	bytes   int
	values  map[string]T
	// hits and misses count Get and Latest, under mu, which they hold
	// anyway: counting costs a lookup nothing more.
	hits, misses uint64
}

// Stats counts a cache's lookups since it was made: the metrics' hit ratio.
type Stats struct {
	Hits, Misses uint64
}

// Stats returns the lookups counted so far.
func (c *ByVersion[T]) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Hits: c.hits, Misses: c.misses}
}

// count notes a lookup's result; c.mu is held.
func (c *ByVersion[T]) count(found bool) {
	if found {
		c.hits++
	} else {
		c.misses++
	}
}

// Get returns the value of key at version, and whether there is one.
func (c *ByVersion[T]) Get(version, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		c.misses++
		var zero T
		return zero, false
	}
	v, ok := c.values[key]
	c.count(ok)
	return v, ok
}

// Latest returns the value of key at the version last put, with that
// version, and whether there is one: for a caller that cannot know the
// version before it reads, and checks it after.
func (c *ByVersion[T]) Latest(key string) (string, T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.values[key]
	c.count(ok)
	return c.version, v, ok
}

// Put keeps v, of about size bytes, as the value of key at version. An
// empty version is never kept: it names no data.
func (c *ByVersion[T]) Put(version, key string, v T, size int) {
	if version == "" || c.MaxEntries < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Older != nil && c.version != "" && c.Older(version, c.version) {
		return
	}
	if _, ok := c.values[key]; ok && version == c.version {
		// Requests that missed together put the same answer: counting its
		// size again would empty the cache early.
		c.values[key] = v
		return
	}
	full := c.MaxEntries > 0 && len(c.values) >= c.MaxEntries || c.MaxBytes > 0 && c.bytes+size > c.MaxBytes
	if version != c.version || full || c.values == nil {
		c.version, c.bytes, c.values = version, 0, make(map[string]T)
	}
	c.values[key] = v
	c.bytes += size
}

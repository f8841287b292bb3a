package db

import "sync"

// coverageCacheSize bounds the answers kept for one data version: the kinds
// (7 sets), a few radii and 11 counties make a few hundred distinct questions
// on the map; a client asking for thousands of radii only empties the cache.
const coverageCacheSize = 512

// coverageCache keeps coverage answers for the current data version. Answers
// are read with the version of their snapshot and served only while the
// database still reports that version, so a cached answer is never older than
// the data, and two servers over one database agree. An answer is shared by
// the requests that get it: nothing may change it after put.
type coverageCache struct {
	mu      sync.Mutex
	version string
	answers map[string]*Coverage
}

// get returns the answer to key at version, or nil.
func (c *coverageCache) get(version, key string) *Coverage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		return nil
	}
	return c.answers[key]
}

// put keeps cov as the answer to key at version. The cache holds one version,
// the one last put: after a write, the first answer at the new version
// empties it of the old ones, which no request can be served any more.
func (c *coverageCache) put(version, key string, cov *Coverage) {
	if version == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version || len(c.answers) >= coverageCacheSize {
		c.version, c.answers = version, make(map[string]*Coverage)
	}
	c.answers[key] = cov
}

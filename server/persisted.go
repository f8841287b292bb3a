package server

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"civicmap/db"
	"civicmap/errcode"
)

// Map front ends read through persisted queries (gqlgen's automatic persisted
// queries, as Apollo clients send them): a query travels once with its
// SHA-256, and from then on as a short GET of the hash and the variables,
// which a browser or a CDN can cache. A GET answer is marked with the data
// version as the map layers are (versioned.go): its ETag, 304 while nothing
// changed, and `immutable` with ?v=<current version>.

// Persisted queries are kept, most recently used first, up to apqEntries of
// at most apqMaxQuery bytes each: anyone may register a query, so the cache
// is bounded in bytes (8 MiB) and not only in entries. A longer query still
// runs, sent whole each time.
const (
	apqEntries  = 512
	apqMaxQuery = 16 << 10
)

// apqCache is the persisted queries' cache.
type apqCache struct {
	lru *lru.LRU[string]
}

func newAPQCache() apqCache { return apqCache{lru.New[string](apqEntries)} }

func (c apqCache) Get(ctx context.Context, hash string) (string, bool) { return c.lru.Get(ctx, hash) }

// Add keeps query unless it is longer than apqMaxQuery.
func (c apqCache) Add(ctx context.Context, hash, query string) {
	if len(query) <= apqMaxQuery {
		c.lru.Add(ctx, hash, query)
	}
}

var _ graphql.Cache[string] = apqCache{}

// persistedQueries is gqlgen's automatic persisted queries, whose errors
// about a bad hash or extension get the code BAD_USER_INPUT, as every error
// has a code; its PERSISTED_QUERY_NOT_FOUND, which clients look for, stays.
type persistedQueries struct {
	extension.AutomaticPersistedQuery
}

func newPersistedQueries() persistedQueries {
	return persistedQueries{extension.AutomaticPersistedQuery{Cache: newAPQCache()}}
}

func (p persistedQueries) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	err := p.AutomaticPersistedQuery.MutateOperationParameters(ctx, raw)
	if err != nil && err.Extensions["code"] == nil {
		setCode(err, errcode.BadUserInput)
	}
	return err
}

// cacheReads answers a GET of /graphql by the data version: 304 without
// running the query when If-None-Match holds the current version, and an ETag
// and Cache-Control on an answer without errors. The version is read before
// the query runs, so an answer is never newer than its tag claims but at
// most older, which only costs a client one more fetch. A request with an
// Authorization header is not cached: what it may read depends on its key.
func (s *Server) cacheReads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, r)
			return
		}
		v, err := s.db.DataVersion(r.Context())
		if err != nil {
			next.ServeHTTP(w, r) // the query reports the database's trouble itself
			return
		}
		w.Header().Add("Vary", "Accept")
		if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, etag(v)) {
			setValidators(w, r, v)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		next.ServeHTTP(&versionedWriter{ResponseWriter: w, r: r, version: v}, r.WithContext(db.WithDataVersion(r.Context(), v)))
	})
}

// versionedWriter sets the validators of version on a 200 answer without
// errors, and forbids storing any other.
type versionedWriter struct {
	http.ResponseWriter
	r           *http.Request
	version     string
	wroteHeader bool
}

func (w *versionedWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		o := outcomeOf(w.r.Context())
		if status == http.StatusOK && o != nil && !o.failed() {
			setValidators(w.ResponseWriter, w.r, w.version)
		} else {
			w.Header().Set("Cache-Control", "no-store")
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *versionedWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *versionedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

package server

import (
	"net/http"
	"slices"
	"strings"
)

// Map front ends run on other origins than the API, so the read endpoints and
// /graphql answer cross-origin requests (CORS) from the configured origins:
// any ("*") by default. No cookie or other credential that a browser attaches
// by itself carries authority here (a key is a bearer token that a page sets
// on purpose), so allowing any origin gives a page nothing a plain client
// lacks, and credentials are never allowed.

// corsPaths are the paths that answer cross-origin requests, with the methods
// they allow: a path ending in / stands for the paths under it, but for "/"
// itself, the OGC API's landing page (and the map page), which a web client of
// the OGC API reads first.
var corsPaths = []struct{ prefix, methods string }{
	{"/", "GET"},
	{"/graphql", "GET, POST"},
	{"/tiles.json", "GET"},
	{"/tiles/", "GET"},
	{"/geojson/", "GET"},
	{"/export/", "GET"},
	{"/conformance", "GET"},
	{"/api", "GET"},
	{"/collections", "GET"},
	{"/collections/", "GET"},
}

const (
	// corsAllowHeaders are the request headers a page may send: a JSON body,
	// a key, a revalidation and a read-after token.
	corsAllowHeaders = "Authorization, Content-Type, If-None-Match, " + readAfterHeader
	// corsExposeHeaders are the response headers a page may read besides the
	// safelisted ones.
	corsExposeHeaders = "ETag, " + cursorHeader + ", " + readAfterHeader + ", " + servedByHeader
	// corsMaxAge is how long, in seconds, a browser may keep a preflight's
	// answer (Chromium keeps it 2 hours at most).
	corsMaxAge = "7200"
)

// cors answers preflight requests and marks the responses of the paths in
// corsPaths as readable by origins (Config.CORSOrigins); with no origins, it
// is next itself.
func cors(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	anyOrigin := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods, ok := corsMethods(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		if !anyOrigin {
			// The answer depends on the origin: caches must keep one per origin.
			h.Add("Vary", "Origin")
		}
		// With any origin allowed, every response says so, with an Origin
		// header or without: a shared cache may hand a response fetched
		// without one to a page.
		origin := r.Header.Get("Origin")
		allowed := anyOrigin || origin != "" && slices.Contains(origins, origin)
		if allowed {
			if anyOrigin {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
			}
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			// A preflight: answered here, so that a refused origin learns
			// nothing more than that it is refused (no Allow-* headers).
			if allowed {
				h.Set("Access-Control-Allow-Methods", methods)
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				h.Set("Access-Control-Max-Age", corsMaxAge)
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// corsMethods returns the methods that path allows across origins, and whether
// it answers cross-origin requests at all.
func corsMethods(path string) (string, bool) {
	for _, p := range corsPaths {
		if path == p.prefix || p.prefix != "/" && strings.HasSuffix(p.prefix, "/") && strings.HasPrefix(path, p.prefix) {
			return p.methods, true
		}
	}
	return "", false
}

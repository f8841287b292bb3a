package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/server"
)

func TestCORS(t *testing.T) {
	pool := dbtest.NewDB(t)
	handler := func(origins []string) http.Handler {
		cfg := server.DefaultConfig()
		cfg.CORSOrigins = origins
		return server.New(cfg, db.New(pool), slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
	}
	anyOrigin := handler(server.DefaultConfig().CORSOrigins)
	listed := handler([]string{"https://map.example.org", "http://127.0.0.1:5173"})
	off := handler(nil)

	const page = "https://map.example.org"
	preflight := map[string]string{"Origin": page, "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type, authorization"}
	for _, c := range []struct {
		name    string
		h       http.Handler
		method  string
		path    string
		headers map[string]string
		status  int
		// want are the response headers that must be exactly so ("" for absent).
		want map[string]string
	}{
		{"default: preflight of a GraphQL POST", anyOrigin, http.MethodOptions, "/graphql", preflight, http.StatusNoContent, map[string]string{
			"Access-Control-Allow-Origin":      "*",
			"Access-Control-Allow-Methods":     "GET, POST",
			"Access-Control-Allow-Headers":     "Authorization, Content-Type, If-None-Match, X-Civicmap-Read-After",
			"Access-Control-Allow-Credentials": "",
			"Vary":                             "",
		}},
		{"default: preflight of a layer", anyOrigin, http.MethodOptions, "/geojson/platforms", map[string]string{
			"Origin": page, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "if-none-match"},
			http.StatusNoContent, map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET"}},
		{"default: a layer", anyOrigin, http.MethodGet, "/geojson/townships?simplify=1000", map[string]string{"Origin": page}, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag, X-Civicmap-Cursor, X-Civicmap-Read-After, X-Civicmap-Served-By"}},
		{"default: no Origin still says *", anyOrigin, http.MethodGet, "/tiles.json", nil, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": "*"}},
		{"default: a tile", anyOrigin, http.MethodGet, "/tiles/0/0/0.mvt", map[string]string{"Origin": page}, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": "*"}},
		{"default: an export", anyOrigin, http.MethodGet, "/export/platforms.csv", map[string]string{"Origin": page}, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag, X-Civicmap-Cursor, X-Civicmap-Read-After, X-Civicmap-Served-By"}},
		{"default: a GraphQL GET", anyOrigin, http.MethodGet, "/graphql?query=%7B__typename%7D", map[string]string{"Origin": page}, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": "*"}},
		{"default: a 400 is readable too", anyOrigin, http.MethodGet, "/geojson/townships?simplify=-1", map[string]string{"Origin": page},
			http.StatusBadRequest, map[string]string{"Access-Control-Allow-Origin": "*"}},
		{"default: OPTIONS without a preflight is gqlgen's", anyOrigin, http.MethodOptions, "/graphql", nil, http.StatusOK,
			map[string]string{"Allow": "OPTIONS, GET, POST"}},
		{"default: the OGC API's landing page", anyOrigin, http.MethodGet, "/?f=json", map[string]string{"Origin": page}, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": "*"}},
		{"default: / is the landing page only, not every path", anyOrigin, http.MethodGet, "/readyz", map[string]string{"Origin": page}, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": ""}},
		{"default: health checks are not for pages", anyOrigin, http.MethodGet, "/healthz", map[string]string{"Origin": page}, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": ""}},

		{"list: a listed origin is echoed", listed, http.MethodGet, "/geojson/platforms?kinds=SECTOR_HALL", map[string]string{"Origin": page}, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": page, "Vary": "Origin", "Access-Control-Expose-Headers": "ETag, X-Civicmap-Cursor, X-Civicmap-Read-After, X-Civicmap-Served-By"}},
		{"list: preflight of a listed origin", listed, http.MethodOptions, "/graphql", map[string]string{
			"Origin": "http://127.0.0.1:5173", "Access-Control-Request-Method": "POST"}, http.StatusNoContent,
			map[string]string{"Access-Control-Allow-Origin": "http://127.0.0.1:5173", "Access-Control-Allow-Methods": "GET, POST", "Vary": "Origin"}},
		{"list: another origin is not", listed, http.MethodGet, "/geojson/platforms", map[string]string{"Origin": "https://evil.example"}, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Expose-Headers": "", "Vary": "Origin"}},
		{"list: preflight of another origin", listed, http.MethodOptions, "/graphql", map[string]string{
			"Origin": "https://map.example.org.evil.example", "Access-Control-Request-Method": "POST"}, http.StatusNoContent,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": "", "Access-Control-Allow-Headers": ""}},

		{"off: no headers", off, http.MethodGet, "/geojson/platforms", map[string]string{"Origin": page}, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Accept-Encoding"}},
		{"off: a preflight is gqlgen's OPTIONS", off, http.MethodOptions, "/graphql", preflight, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.path, nil)
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			c.h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Errorf("status %d, want %d: %.200s", rec.Code, c.status, rec.Body)
			}
			for k, want := range c.want {
				if got := strings.Join(rec.Header().Values(k), ", "); got != want && !(k == "Vary" && want != "" && strings.Contains(got, want)) {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
		})
	}
}

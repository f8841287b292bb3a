package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// site returns a site over a small fake static/, with or without the library.
func site(t *testing.T, withLibrary bool) http.Handler {
	t.Helper()
	fsys := fstest.MapFS{
		"index.html":     {Data: []byte("<!doctype html><title>map</title>")},
		"graphiql.html":  {Data: []byte("<!doctype html><title>GraphiQL</title>")},
		"app.js":         {Data: []byte(strings.Repeat("console.log('civicmap');\n", 100))},
		"lib/README.md":  {Data: []byte("not served")},
		"lib/extra.wasm": {Data: []byte("not served either")},
	}
	if withLibrary {
		for _, name := range append(libraryFiles[:len(libraryFiles):len(libraryFiles)], graphiqlFiles...) {
			fsys[name] = &fstest.MapFile{Data: []byte("/* " + name + " */")}
		}
	}
	s, err := NewFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if s.HasLibrary() != withLibrary {
		t.Fatalf("HasLibrary() = %v, want %v", s.HasLibrary(), withLibrary)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", s.Page())
	mux.Handle("GET /playground", s.GraphiQL())
	mux.Handle("GET /static/", s.Static("/static/"))
	mux.Handle("GET /glyphs/{fontstack}/{range}", Glyphs())
	return mux
}

func get(h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestStaticFiles(t *testing.T) {
	h := site(t, true)
	tests := []struct {
		name, path  string
		status      int
		contentType string
	}{
		{"page", "/", 200, "text/html; charset=utf-8"},
		{"graphiql", "/playground", 200, "text/html; charset=utf-8"},
		{"graphiql library", "/static/lib/graphiql/graphiql.min.js", 200, "text/javascript; charset=utf-8"},
		{"script", "/static/app.js", 200, "text/javascript; charset=utf-8"},
		{"module library", "/static/lib/maplibre-gl.mjs", 200, "text/javascript; charset=utf-8"},
		{"module worker", "/static/lib/maplibre-gl-worker.mjs", 200, "text/javascript; charset=utf-8"},
		{"styles", "/static/lib/maplibre-gl.css", 200, "text/css; charset=utf-8"},
		{"readme is not served", "/static/lib/README.md", 404, ""},
		{"unknown type is not served", "/static/lib/extra.wasm", 404, ""},
		{"missing", "/static/nope.js", 404, ""},
		{"directory", "/static/lib/", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(h, tt.path)
			if rec.Code != tt.status {
				t.Fatalf("GET %s: status %d, want %d", tt.path, rec.Code, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != tt.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tt.contentType)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("Cache-Control %q, want no-cache (revalidate every time, so no stale script after an upgrade)", cc)
			}
			etag := rec.Header().Get("ETag")
			if !strings.HasPrefix(etag, `"`) {
				t.Fatalf("ETag %q, want a strong ETag", etag)
			}
			again := get(h, tt.path, "If-None-Match", etag)
			if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
				t.Errorf("If-None-Match with the ETag: status %d with %d bytes, want 304 and no body", again.Code, again.Body.Len())
			}
		})
	}
}

func TestGzip(t *testing.T) {
	h := site(t, true)
	plain := get(h, "/static/app.js")
	gz := get(h, "/static/app.js", "Accept-Encoding", "gzip, br")
	if gz.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q, want gzip", gz.Header().Get("Content-Encoding"))
	}
	if gz.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Errorf("the gzipped and plain responses share ETag %s", gz.Header().Get("ETag"))
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(body, plain.Body.Bytes()) {
		t.Errorf("gunzipped body differs from the plain one (%v)", err)
	}
	if refused := get(h, "/static/app.js", "Accept-Encoding", "gzip;q=0"); refused.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0: got Content-Encoding %q", refused.Header().Get("Content-Encoding"))
	}
}

// TestPagesWithoutLibrary: a binary built before `make web` says what to run.
func TestPagesWithoutLibrary(t *testing.T) {
	for _, path := range []string{"/", "/playground"} {
		rec := get(site(t, false), path)
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make web") {
			t.Errorf("GET %s without the library: status %d, body %q; want 503 saying to run make web", path, rec.Code, rec.Body.String())
		}
	}
}

func TestGlyphs(t *testing.T) {
	h := site(t, true)
	tests := []struct {
		path   string
		status int
	}{
		{"/glyphs/Noto%20Sans%20Regular/0-255.pbf", 200},
		{"/glyphs/Noto%20Sans%20Regular/65280-65535.pbf", 200},
		{"/glyphs/Noto%20Sans%20Regular/1-256.pbf", 404},
		{"/glyphs/Noto%20Sans%20Regular/0-511.pbf", 404},
		{"/glyphs/Noto%20Sans%20Regular/65536-65791.pbf", 404},
		{"/glyphs/Noto%20Sans%20Regular/0-255", 404},
	}
	for _, tt := range tests {
		rec := get(h, tt.path)
		if rec.Code != tt.status {
			t.Errorf("GET %s: status %d, want %d", tt.path, rec.Code, tt.status)
		}
	}
	// fontstack{name "Noto Sans Regular", range "0-255"} inside glyphs.stacks.
	want := append([]byte{0x0a, 26, 0x0a, 17}, "Noto Sans Regular"...)
	want = append(append(want, 0x12, 5), "0-255"...)
	if got := get(h, "/glyphs/Noto%20Sans%20Regular/0-255.pbf").Body.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("glyph PBF % x, want % x", got, want)
	}
}

// Package web is civicmap's map page: its HTML, script and styles, and the
// MapLibre GL JS build that `make web` copies into static/lib, all embedded in
// the binary so the page needs nothing from the internet.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// files holds static/. static/lib always holds its committed README.md, so the
// pattern matches on a fresh clone before `make web` has copied the library in.
//
//go:embed static
var files embed.FS

// libraryFiles are the files `make web` copies from the maplibre-gl package into
// static/lib; the page works only when all of them are there.
var libraryFiles = []string{"lib/maplibre-gl.mjs", "lib/maplibre-gl-worker.mjs", "lib/maplibre-gl.css"}

// graphiqlFiles are the files `make web` copies from the graphiql, react and
// react-dom packages into static/lib/graphiql, for graphiql.html.
var graphiqlFiles = []string{"lib/graphiql/graphiql.min.js", "lib/graphiql/graphiql.min.css",
	"lib/graphiql/react.production.min.js", "lib/graphiql/react-dom.production.min.js"}

// contentTypes are the types of the files the site serves; anything else in
// static/ (the README) is not served. JavaScript must be text/javascript: a
// browser refuses a module script or a module worker of any other type.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// Site serves the map page, GraphiQL and their static files from an fs.FS.
type Site struct {
	files       map[string]*file // by path below static/, e.g. "app.js"
	hasLibrary  bool
	hasGraphiQL bool
}

// file is one static file with what it is served with.
type file struct {
	name        string
	data        []byte
	contentType string
	etag        string // strong: a hash of data

	gzipOnce sync.Once
	gzipped  []byte // nil when compressing does not pay
}

// New returns the site of the embedded files. Reading an embed.FS cannot fail
// at run time (the compiler has checked the pattern), so New has no error: a
// site it could not read would serve the 503 page.
func New() *Site {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		return &Site{files: map[string]*file{}}
	}
	s, err := NewFS(sub)
	if err != nil {
		return &Site{files: map[string]*file{}}
	}
	return s
}

// NewFS returns a site serving the files of fsys (laid out as static/ is):
// index.html, app.js, basemap.js, app.css and lib/.
func NewFS(fsys fs.FS) (*Site, error) {
	s := &Site{files: map[string]*file{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		s.files[name] = &file{name: name, data: data, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.hasLibrary = s.has("index.html") && s.has(libraryFiles...)
	s.hasGraphiQL = s.has("graphiql.html") && s.has(graphiqlFiles...)
	return s, nil
}

// has reports whether the site holds every one of names.
func (s *Site) has(names ...string) bool {
	for _, name := range names {
		if s.files[name] == nil {
			return false
		}
	}
	return true
}

// HasLibrary reports whether MapLibre GL JS is built in (`make web` ran before
// the binary was built).
func (s *Site) HasLibrary() bool { return s.hasLibrary }

// missingLibrary is the map page of a binary built without `make web`.
const missingLibrary = `The map page needs MapLibre GL JS, which is not built into this binary.
Run "make web" (it installs the pinned maplibre-gl with npm and copies it into web/static/lib), then rebuild,
or use "make run", which does both. The GraphQL API works without it: POST /graphql.
`

// missingGraphiQL is the GraphiQL page of a binary built without `make web`.
const missingGraphiQL = `GraphiQL is not built into this binary.
Run "make web" (it installs the pinned graphiql with npm and copies it into web/static/lib/graphiql), then
rebuild, or use "make run", which does both. The GraphQL API works without it: POST /graphql.
`

// Page serves the map page, index.html. Without the library it answers 503
// with what to run, rather than a page that fails in the browser.
func (s *Site) Page() http.Handler { return s.page("index.html", s.hasLibrary, missingLibrary) }

// GraphiQL serves GraphiQL, the GraphQL IDE, on this server's /graphql; like
// Page, it answers 503 with what to run when its library is missing.
func (s *Site) GraphiQL() http.Handler {
	return s.page("graphiql.html", s.hasGraphiQL, missingGraphiQL)
}

func (s *Site) page(name string, ok bool, missing string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ok {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(missing))
			return
		}
		s.serve(w, r, s.files[name])
	})
}

// Static serves the files below prefix (e.g. /static/app.js), 404 for any
// other path.
func (s *Site) Static(prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := s.files[strings.TrimPrefix(r.URL.Path, prefix)]
		if f == nil {
			http.NotFound(w, r)
			return
		}
		s.serve(w, r, f)
	})
}

// serve writes f, gzipped when the client takes it. Every response carries a
// strong ETag and Cache-Control: no-cache: the browser keeps its copy but asks
// each time, and gets a 304 (no body) while the file is unchanged, so a page
// never runs a stale app.js after an upgrade. The files are small except the
// library, whose revalidation costs one round trip.
func (s *Site) serve(w http.ResponseWriter, r *http.Request, f *file) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	data, etag := f.data, f.etag
	if AcceptsGzip(r) {
		if gz := f.gzip(); gz != nil {
			data = gz
			// Another representation, so another ETag (RFC 9110 8.8.3).
			etag = strings.TrimSuffix(f.etag, `"`) + `-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match with 304 and handles HEAD and Range.
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(data))
}

// gzip compresses the file once, on its first request, so a server that
// nobody opens the map on spends nothing on it.
func (f *file) gzip() []byte {
	f.gzipOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(f.data)
		zw.Close()
		if buf.Len() < len(f.data)*9/10 {
			f.gzipped = buf.Bytes()
		}
	})
	return f.gzipped
}

// AcceptsGzip reports whether the client takes a gzipped body.
func AcceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
		}
	}
	return false
}

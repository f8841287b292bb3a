package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"civicmap/errcode"
	"civicmap/web"
)

// The map's read endpoints (tiles, TileJSON, GeoJSON) answer data read at a
// data version (db.DataVersion), which changes with every committed write. The
// version is the ETag, so a client revalidates with If-None-Match and gets 304
// while nothing changed. A URL that names the current version (?v=, as
// TileJSON's tile URLs do) may be cached as immutable: once the data changes,
// the clients read a new TileJSON and so new URLs.

// versionParam is the query parameter that pins a URL to a data version.
const versionParam = "v"

// gzipAbove is the smallest body worth compressing.
const gzipAbove = 1024

// versionedRead reads a body and the data version it was read at, from one
// snapshot.
type versionedRead func(ctx context.Context) (version string, body []byte, err error)

// serveVersioned answers a GET or HEAD of a body read at a data version. It
// answers 304 without reading when the client's copy is current, and serves
// the body with serveBody: its length, ranges, and gzip for clients that
// accept it.
func (s *Server) serveVersioned(w http.ResponseWriter, r *http.Request, mediaType string, read versionedRead) {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		v, err := s.db.DataVersion(r.Context())
		if err != nil {
			s.writeError(w, r, "data version", err)
			return
		}
		if etagMatches(inm, etag(v)) {
			setValidators(w, r, v)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	v, body, err := read(r.Context())
	if err != nil {
		s.writeError(w, r, "read "+r.URL.Path, err)
		return
	}
	setValidators(w, r, v)
	serveBody(w, r, mediaType, body)
}

// serveBody answers with body, whole and known: with its Content-Length, to
// HEAD with the headers alone, and to a Range request with those bytes
// (http.ServeContent), so that GDAL's /vsicurl/ can read it. It is gzipped
// when the client accepts it and asks for no range: ranges are of the plain
// body.
func serveBody(w http.ResponseWriter, r *http.Request, mediaType string, body []byte) {
	w.Header().Set("Content-Type", mediaType)
	if len(body) >= gzipAbove && r.Header.Get("Range") == "" && web.AcceptsGzip(r) {
		body = gzipped(body)
		w.Header().Set("Content-Encoding", "gzip")
		// ServeContent leaves the length of an encoded body to the caller.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// gzipped returns body compressed at gzipLevel.
func gzipped(body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body) / 3)
	zw, _ := gzip.NewWriterLevel(&buf, gzipLevel(len(body)))
	zw.Write(body)
	zw.Close()
	return buf.Bytes()
}

// gzipLevel is the compression level for a body of n bytes. Tiles are small,
// and the default level makes a z9 tile 9.7 KB where BestSpeed makes it 16.8;
// on the full township layer (1.3 MB) it took 130 ms against 28 ms, for 391 KB
// against 463 KB, so big bodies go fast.
func gzipLevel(n int) int {
	if n > 256<<10 {
		return gzip.BestSpeed
	}
	return gzip.DefaultCompression
}

// setValidators sets the ETag, Vary and Cache-Control of an answer at version v.
func setValidators(w http.ResponseWriter, r *http.Request, v string) {
	h := w.Header()
	h.Set("ETag", etag(v))
	h.Add("Vary", "Accept-Encoding")
	if r.URL.Query().Get(versionParam) == v {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache") // keep it, but ask each time: 304 is cheap
	}
}

// etag is the entity tag of data version v. It is weak because the gzipped and
// the plain body are the same data: If-None-Match compares weakly anyway.
func etag(v string) string { return `W/"` + v + `"` }

// etagMatches reports whether an If-None-Match header holds tag, comparing
// weakly (RFC 9110, 13.1.2).
func etagMatches(header, tag string) bool {
	want := strings.TrimPrefix(tag, "W/")
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// writeError answers a failed read of a plain HTTP endpoint as JSON with the
// error's code and public message; the cause is logged.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, what string, err error) {
	err = deadlineAware(r.Context(), err)
	code := errcode.Classify(err)
	if o := outcomeOf(r.Context()); o != nil {
		o.noteError(string(code))
	}
	status := http.StatusInternalServerError
	switch code {
	case errcode.BadUserInput:
		status = http.StatusBadRequest
	case errcode.NotFound:
		status = http.StatusNotFound
	case errcode.Timeout, errcode.ServiceUnavailable:
		status = http.StatusServiceUnavailable
	}
	switch {
	case errors.Is(err, context.Canceled):
		s.log.InfoContext(r.Context(), "client disconnected before the answer", "request_id", requestID(r.Context()), "what", what)
		return
	case status >= 500:
		s.log.ErrorContext(r.Context(), what+" failed", "request_id", requestID(r.Context()), "err", err)
	}
	writeJSON(w, status, map[string]string{"error": errcode.PublicMessage(err), "code": string(code)})
}

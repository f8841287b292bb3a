package server_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"civicmap/exchange"
)

// request sends method path to h with the given headers.
func request(t *testing.T, h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestKnownBodiesServeLengthHeadAndRanges: every layer, tile and OGC API
// answer that is read whole has a Content-Length, answers HEAD with the
// headers alone and a Range with those bytes, as GDAL's /vsicurl/ needs.
func TestKnownBodiesServeLengthHeadAndRanges(t *testing.T) {
	h := newHandler(t, nil)
	for _, path := range []string{
		"/geojson/townships", "/geojson/platforms?kinds=WORKSTATION", "/tiles/9/423/217.mvt", "/tiles.json",
		"/collections/townships/items?limit=20", "/collections", "/conformance", "/api", "/?f=json",
	} {
		t.Run(path, func(t *testing.T) {
			plain := request(t, h, http.MethodGet, path)
			body := plain.Body.Bytes()
			if plain.Code != http.StatusOK || plain.Header().Get("Content-Length") != strconv.Itoa(len(body)) || len(body) < 200 {
				t.Fatalf("GET: %d, Content-Length %q for %d bytes", plain.Code, plain.Header().Get("Content-Length"), len(body))
			}
			if plain.Header().Get("Accept-Ranges") != "bytes" {
				t.Errorf("Accept-Ranges %q", plain.Header().Get("Accept-Ranges"))
			}
			head := request(t, h, http.MethodHead, path)
			if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Length") != strconv.Itoa(len(body)) ||
				head.Header().Get("ETag") != plain.Header().Get("ETag") {
				t.Errorf("HEAD: %d, %d bytes, Content-Length %q, ETag %q", head.Code, head.Body.Len(), head.Header().Get("Content-Length"), head.Header().Get("ETag"))
			}
			part := request(t, h, http.MethodGet, path, "Range", "bytes=10-109", "Accept-Encoding", "gzip")
			want := "bytes 10-109/" + strconv.Itoa(len(body))
			if part.Code != http.StatusPartialContent || !bytes.Equal(part.Body.Bytes(), body[10:110]) ||
				part.Header().Get("Content-Range") != want || part.Header().Get("Content-Encoding") != "" {
				t.Errorf("Range: %d, Content-Range %q (want %q), encoding %q, %q", part.Code, part.Header().Get("Content-Range"), want,
					part.Header().Get("Content-Encoding"), part.Body.Bytes())
			}
			if len(body) < 1024 {
				return
			}
			zipped := request(t, h, http.MethodGet, path, "Accept-Encoding", "gzip")
			size := zipped.Body.Len()
			zr, err := gzip.NewReader(zipped.Body)
			if err != nil {
				t.Fatal(err)
			}
			unzipped, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(unzipped, body) || zipped.Header().Get("Content-Length") != strconv.Itoa(size) {
				t.Errorf("gzip: %v, %d bytes unzipped of %d, Content-Length %q for %d", err, len(unzipped), len(body),
					zipped.Header().Get("Content-Length"), size)
			}
		})
	}
}

// TestExportHead: HEAD of an export answers its headers without running it;
// its length is not known before it is streamed, and it has no ranges.
func TestExportHead(t *testing.T) {
	h := newHandler(t, nil)
	for _, format := range []string{"csv", "geojson", "ndjson"} {
		path := "/export/platforms." + format
		mediaType, _ := exchange.MediaType(format)
		rec := request(t, h, http.MethodHead, path)
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != mediaType ||
			rec.Header().Get("Accept-Ranges") != "none" {
			t.Errorf("HEAD %s: %d, %d bytes, %v", path, rec.Code, rec.Body.Len(), rec.Header())
		}
	}
	if rec := request(t, h, http.MethodHead, "/export/platforms.xml"); rec.Code != http.StatusNotFound {
		t.Errorf("HEAD of an unknown export: %d", rec.Code)
	}
}

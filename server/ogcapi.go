package server

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"civicmap/errcode"
)

// OGC API – Features, Part 1: Core (OGC 17-069r4) is how QGIS, GDAL and
// ArcGIS read features from a web API. civicmap's is on the same mux as the
// rest, at the root:
//
//	/                              landing page (JSON when asked for it; the map page for a browser)
//	/conformance                   the conformance classes
//	/api                           the OpenAPI 3.0 definition (ogcopenapi.go)
//	/collections                   counties, townships, platforms, coverage (ogccollections.go)
//	/collections/{id}
//	/collections/{id}/items        a page of features (ogcitems.go)
//	/collections/{id}/items/{fid}  one feature
//
// The features are the map's GeoJSON layers, built by the same statements
// (db/geojson.go, db/features.go); the coverage collection is the township
// layer with the coverage index's answer for its kinds and radius
// (ogccoverage.go). Every answer is read with its data version and served as
// the layers are (serveVersioned): ETag, 304, Content-Length, HEAD, ranges.

// The conformance classes civicmap implements.
const (
	confCore    = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
	confGeoJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
	confOAS30   = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
)

// crs84 is the CRS the collections declare: WGS84 longitude, latitude. The
// items' own crs parameter (GCJ02, BD09) is civicmap's, not OGC API Part 2's.
const crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

// mediaOpenAPI is the media type of an OpenAPI 3.0 definition in JSON.
const mediaOpenAPI = "application/vnd.oai.openapi+json;version=3.0"

// ogcLink is a link of an OGC API document.
type ogcLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// mountOGC adds the OGC API's paths to mux; bounded gives a handler the
// request deadline.
func (s *Server) mountOGC(mux *http.ServeMux, bounded func(http.HandlerFunc) http.Handler) {
	mux.Handle("GET /conformance", bounded(s.ogcConformance))
	mux.Handle("GET /api", bounded(s.ogcOpenAPI))
	mux.Handle("GET /collections", bounded(s.ogcCollections))
	mux.Handle("GET /collections/{id}", bounded(s.ogcCollection))
	mux.Handle("GET /collections/{id}/items", bounded(s.ogcItems))
	mux.Handle("GET /collections/{id}/items/{fid}", bounded(s.ogcItem))
}

// landingOr answers the root with landing, the OGC API landing page, when
// the client asks for JSON (?f=json, or Accept: application/json before any
// HTML, as GDAL and QGIS send it), and with page otherwise.
func landingOr(landing, page http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("f") == "json" || prefersJSON(r) {
			landing.ServeHTTP(w, r)
			return
		}
		page.ServeHTTP(w, r)
	})
}

// prefersJSON reports whether the first media type of r's Accept header that
// names JSON or HTML names JSON.
func prefersJSON(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		switch {
		case mt == "text/html":
			return false
		case mt == mediaJSON || mt == mediaGeoJSON:
			return true
		}
	}
	return false
}

// ogcLanding answers the landing page: what the API is and where its parts are.
func (s *Server) ogcLanding(w http.ResponseWriter, r *http.Request) {
	if err := checkFormat(r.URL.Query(), "json"); err != nil {
		s.writeError(w, r, "ogc landing page", err)
		return
	}
	base := baseURL(r)
	s.serveOGC(w, r, mediaJSON, func(ctx context.Context) (string, any, error) {
		ts, err := s.db.TileSet(ctx)
		return ts.Version, map[string]any{
			"title": "civicmap: Sanming CPPCC platforms",
			"description": "Counties, township cells, the grassroots CPPCC (政协) platforms of Sanming City, Fujian, " +
				"and the townships' coverage by them, as OGC API – Features.",
			"attribution": ts.Attribution,
			"links": []ogcLink{
				{base + "/?f=json", "self", mediaJSON, "this document"},
				{base + "/api", "service-desc", mediaOpenAPI, "the API definition (OpenAPI 3.0)"},
				{base + "/conformance", "conformance", mediaJSON, "the conformance classes implemented"},
				{base + "/collections", "data", mediaJSON, "the collections: counties, townships, platforms, coverage"},
			},
		}, err
	})
}

// ogcConformance answers the conformance classes civicmap implements.
func (s *Server) ogcConformance(w http.ResponseWriter, r *http.Request) {
	if err := checkFormat(r.URL.Query(), "json"); err != nil {
		s.writeError(w, r, "ogc conformance", err)
		return
	}
	body, _ := json.Marshal(map[string][]string{"conformsTo": {confCore, confGeoJSON, confOAS30}})
	serveBody(w, r, mediaJSON, body)
}

// serveOGC serves the JSON of a document read at a data version, as
// serveVersioned serves the layers.
func (s *Server) serveOGC(w http.ResponseWriter, r *http.Request, mediaType string, read func(ctx context.Context) (string, any, error)) {
	s.serveVersioned(w, r, mediaType, func(ctx context.Context) (string, []byte, error) {
		v, doc, err := read(ctx)
		if err != nil {
			return "", nil, err
		}
		body, err := json.Marshal(doc)
		return v, body, err
	})
}

// checkFormat returns BAD_USER_INPUT naming f unless q's f, when given, is
// one of formats.
func checkFormat(q url.Values, formats ...string) error {
	f, ok := param(q, "f")
	if !ok {
		return nil
	}
	for _, want := range formats {
		if f == want {
			return nil
		}
	}
	return errcode.Invalid("f", "want %s, got %q: civicmap's OGC API speaks JSON and GeoJSON", strings.Join(formats, " or "), f)
}

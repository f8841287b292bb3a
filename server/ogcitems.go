package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"civicmap/crs"
	"civicmap/db"
	"civicmap/errcode"
)

// defaultLimit is the page size when a request names none, as the standard's
// examples have it; clients (GDAL, QGIS) name theirs.
const defaultLimit = 10

// itemParams are the query parameters that every collection's items take.
// A limit over db.MaxFeaturePage is read as db.MaxFeaturePage (the standard
// lets a server cap it); a datetime is checked, but selects nothing: no
// collection has a time dimension, as their extents say.
var itemParams = []ogcParam{
	{"limit", "How many features a page holds at most (1 to 1000; more is read as 1000).",
		map[string]any{"type": "integer", "minimum": 1, "maximum": db.MaxFeaturePage, "default": defaultLimit}},
	{"offset", "How many features to skip: the next links carry it.",
		map[string]any{"type": "integer", "minimum": 0, "default": 0}},
	{"bbox", "Only features whose geometry meets this box: west,south,east,north in WGS84 degrees (CRS84).",
		map[string]any{"type": "array", "minItems": 4, "maxItems": 6, "items": map[string]any{"type": "number"}}},
	{"datetime", "An RFC 3339 instant or interval; the collections have no time dimension, so it selects every feature.",
		map[string]any{"type": "string"}},
	{"f", "The format: geojson (the default) or json.", map[string]any{"type": "string", "enum": []string{"geojson", "json"}}},
	{"crs", "The coordinate system of the positions: WGS84 (the default), GCJ02 (Amap, Tencent) or BD09 (Baidu). " +
		"civicmap's own choice, as on /geojson and /export, not OGC API Part 2's crs; bbox stays WGS84.",
		map[string]any{"type": "string", "enum": []string{"WGS84", "GCJ02", "BD09"}, "default": "WGS84"}},
	{versionParam, "A data version (the ETag's): with it, the answer may be cached as immutable.", map[string]any{"type": "string"}},
}

// itemParamNames are the names of the parameters a collection's items take:
// the common ones and its own; of one item, f, v and its own.
func (c *ogcCollection) itemParamNames(one bool) []string {
	var names []string
	for _, p := range itemParams {
		if !one || p.name == "f" || p.name == "crs" || p.name == versionParam {
			names = append(names, p.name)
		}
	}
	for _, p := range c.params {
		names = append(names, p.name)
	}
	return names
}

// itemsRequest checks an items request's collection and parameters, and
// returns the collection and its reader.
func (s *Server) itemsRequest(r *http.Request, one bool) (*ogcCollection, featureReader, error) {
	c, err := ogcCollectionByID(r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	q := r.URL.Query()
	if err := checkParams(q, c.itemParamNames(one)); err != nil {
		return nil, nil, err
	}
	if err := checkFormat(q, "geojson", "json"); err != nil {
		return nil, nil, err
	}
	read, err := c.reader(s, r.Context(), q)
	return c, read, err
}

// ogcItems answers /collections/{id}/items: a page of features as a GeoJSON
// FeatureCollection with numberMatched, numberReturned and paging links.
func (s *Server) ogcItems(w http.ResponseWriter, r *http.Request) {
	c, read, err := s.itemsRequest(r, false)
	var page db.FeaturePage
	var cut featureCut
	if err == nil {
		page, err = pageParams(r.URL.Query())
	}
	if err == nil {
		cut.BBox, err = bboxParam(r.URL.Query())
	}
	if err == nil {
		err = checkDatetime(r.URL.Query())
	}
	system, err := crsParam(r.URL.Query(), err)
	if err != nil {
		s.writeError(w, r, "ogc items", err)
		return
	}
	s.serveVersioned(w, r, mediaGeoJSON, func(ctx context.Context) (string, []byte, error) {
		p, err := read(ctx, cut, page)
		if err != nil {
			return "", nil, err
		}
		doc, err := json.Marshal(featureCollectionDoc{
			Type: "FeatureCollection", Attribution: p.Attribution, CoordinateSystem: crs.WGS84, Coverage: p.coverage,
			NumberMatched: p.Matched, NumberReturned: p.Returned,
			Links: itemsLinks(r, c, page, p.Matched),
		})
		return s.inSystem(system, r.URL.RequestURI())(p.Version, appendMember(doc, "features", p.Features), err)
	})
}

// featureCollectionDoc is an items answer but its features. Attribution and
// coverage are foreign members; the rest is the standard's.
type featureCollectionDoc struct {
	Type        string `json:"type"`
	Attribution string `json:"attribution"`
	// CoordinateSystem is the system of the positions (crs.SystemMember),
	// WGS84 until inSystem converts them.
	CoordinateSystem crs.CRS        `json:"coordinateSystem"`
	Coverage         *coverageAbout `json:"coverage,omitempty"`
	NumberMatched    int            `json:"numberMatched"`
	NumberReturned   int            `json:"numberReturned"`
	Links            []ogcLink      `json:"links"`
}

// appendMember returns the JSON object obj with the member name: raw added,
// raw passed on as PostGIS wrote it. json.Marshal would scan and compact the
// megabytes of a page once more: it was half the CPU of a whole layer.
func appendMember(obj []byte, name string, raw []byte) []byte {
	out := make([]byte, 0, len(obj)+len(name)+len(raw)+4)
	out = append(out, obj[:len(obj)-1]...)
	if len(obj) > 2 {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, name...)
	out = append(out, `":`...)
	out = append(out, raw...)
	return append(out, '}')
}

// itemsLinks are an items answer's links: itself, its collection, and the
// next and previous pages where there are some.
func itemsLinks(r *http.Request, c *ogcCollection, page db.FeaturePage, matched int) []ogcLink {
	base := baseURL(r)
	at := func(offset int) string {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(offset))
		q.Set("limit", strconv.Itoa(page.Limit))
		return base + r.URL.Path + "?" + q.Encode()
	}
	self := base + r.URL.Path
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	links := []ogcLink{
		{self, "self", mediaGeoJSON, "this page"},
		{base + "/collections/" + c.id, "collection", mediaJSON, c.title},
	}
	if next := page.Offset + page.Limit; next < matched {
		links = append(links, ogcLink{at(next), "next", mediaGeoJSON, "the next page"})
	}
	if page.Offset > 0 {
		links = append(links, ogcLink{at(max(page.Offset-page.Limit, 0)), "prev", mediaGeoJSON, "the previous page"})
	}
	return links
}

// ogcItem answers /collections/{id}/items/{fid}: one feature, or NOT_FOUND.
func (s *Server) ogcItem(w http.ResponseWriter, r *http.Request) {
	c, read, err := s.itemsRequest(r, true)
	system, err := crsParam(r.URL.Query(), err)
	if err != nil {
		s.writeError(w, r, "ogc item", err)
		return
	}
	fid := r.PathValue("fid")
	s.serveVersioned(w, r, mediaGeoJSON, func(ctx context.Context) (string, []byte, error) {
		p, err := read(ctx, featureCut{ID: &fid}, db.FeaturePage{Limit: 1})
		if err != nil {
			return "", nil, err
		}
		var fs []map[string]any
		if err := json.Unmarshal(p.Features, &fs); err != nil {
			return "", nil, err
		}
		if len(fs) == 0 {
			return "", nil, errcode.Errorf(errcode.NotFound, "collection %s has no feature %q", c.id, fid)
		}
		base := baseURL(r)
		fs[0]["links"] = []ogcLink{
			{base + r.URL.Path, "self", mediaGeoJSON, "this feature"},
			{base + "/collections/" + c.id, "collection", mediaJSON, c.title},
		}
		if p.coverage != nil {
			fs[0]["coverage"] = p.coverage
		}
		fs[0][crs.SystemMember] = crs.WGS84
		body, err := json.Marshal(fs[0])
		return s.inSystem(system, r.URL.RequestURI())(p.Version, body, err)
	})
}

// checkParams returns BAD_USER_INPUT naming the first parameter of q (by
// name) that is not one of names: a misspelt filter must not quietly select
// everything.
func checkParams(q url.Values, names []string) error {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(names, k) {
			return errcode.Invalid(k, "unknown parameter %q: this request takes %s", k, strings.Join(names, ", "))
		}
	}
	return nil
}

// pageParams reads limit and offset.
func pageParams(q url.Values) (db.FeaturePage, error) {
	page := db.FeaturePage{Limit: defaultLimit}
	var err error
	if v, ok := param(q, "limit"); ok {
		if page.Limit, err = wholeNumber("limit", v, 1); err != nil {
			return page, err
		}
		page.Limit = min(page.Limit, db.MaxFeaturePage)
	}
	if v, ok := param(q, "offset"); ok {
		page.Offset, err = wholeNumber("offset", v, 0)
	}
	return page, err
}

// wholeNumber reads a whole number of at least least, or BAD_USER_INPUT
// naming field.
func wholeNumber(field, v string, least int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < least || strings.HasPrefix(v, "+") {
		return 0, errcode.Invalid(field, "want a whole number of at least %d, got %q", least, v)
	}
	return n, nil
}

// bboxParam reads bbox=west,south,east,north (or the six numbers of a box
// with heights, whose heights are ignored) in WGS84 degrees, checked as
// GraphQL's bbox is.
func bboxParam(q url.Values) (*db.BBox, error) {
	v, ok := param(q, "bbox")
	if !ok {
		return nil, nil
	}
	bad := errcode.Invalid("bbox", "want four numbers, west,south,east,north in WGS84 degrees, got %q", v)
	parts := strings.Split(v, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return nil, bad
	}
	nums := make([]float64, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, bad
		}
		nums[i] = n
	}
	if len(nums) == 6 {
		nums = []float64{nums[0], nums[1], nums[3], nums[4]}
	}
	b := db.BBox{West: nums[0], South: nums[1], East: nums[2], North: nums[3]}
	return &b, db.CheckBBox("bbox", b)
}

// checkDatetime returns BAD_USER_INPUT naming datetime unless it is absent,
// an RFC 3339 date or date-time, or an interval of two such with at most one
// end open ("..", or empty).
func checkDatetime(q url.Values) error {
	v, ok := param(q, "datetime")
	if !ok || isInstant(v) || isInterval(v) {
		return nil
	}
	return errcode.Invalid("datetime", "want an RFC 3339 date-time such as 2024-04-06T00:00:00Z, or an interval a/b of two (.. for an open end), got %q", v)
}

// isInterval reports whether v is start/end, each an instant or open, not both open.
func isInterval(v string) bool {
	start, end, ok := strings.Cut(v, "/")
	open := func(e string) bool { return e == ".." || e == "" }
	return ok && !(open(start) && open(end)) && (open(start) || isInstant(start)) && (open(end) || isInstant(end))
}

// isInstant reports whether v is an RFC 3339 date-time or date.
func isInstant(v string) bool {
	_, err := time.Parse(time.RFC3339, v)
	if err != nil {
		_, err = time.Parse(time.DateOnly, v)
	}
	return err == nil
}

package server_test

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"civicmap/db/dbtest"
	"civicmap/graph/relay"
)

// ogcBase is the host of httptest's requests, which the links carry.
const ogcBase = "http://example.com"

// ogcDoc is an OGC API document as the tests read it.
type ogcDoc struct {
	Links          []struct{ Href, Rel, Type string }
	ConformsTo     []string
	Collections    []ogcCollectionDoc
	NumberMatched  int
	NumberReturned int
	Features       []json.RawMessage
}

type ogcCollectionDoc struct {
	ID       string
	ItemType string
	CRS      []string
	Extent   struct{ Spatial struct{ BBox [][]float64 } }
	Links    []struct{ Href, Rel, Type string }
}

// link returns the href of the link with rel, "" when there is none.
func (d ogcDoc) link(rel string) string {
	for _, l := range d.Links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

// getOGC fetches path (a path, or a link's href) from h, which must answer
// 200 with the media type want, and decodes the body.
func getOGC(t *testing.T, h http.Handler, path, want string) ogcDoc {
	t.Helper()
	rec := get(t, h, strings.TrimPrefix(path, ogcBase), "Accept", "application/json")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d: %s", path, rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != want {
		t.Fatalf("GET %s: Content-Type %q, want %q", path, ct, want)
	}
	var d ogcDoc
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return d
}

// ogcFeature is a GeoJSON feature as the tests compare them.
type ogcFeature struct {
	ID         any
	Geometry   json.RawMessage
	Properties map[string]any
}

func decodeOGCFeature(t *testing.T, raw json.RawMessage) ogcFeature {
	t.Helper()
	var f ogcFeature
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// allItems follows the next links of path from h and returns every feature,
// checking numberMatched and numberReturned on each page.
func allItems(t *testing.T, h http.Handler, path string) []ogcFeature {
	t.Helper()
	var fs []ogcFeature
	matched := -1
	for next := path; next != ""; {
		d := getOGC(t, h, next, "application/geo+json")
		if matched >= 0 && d.NumberMatched != matched || d.NumberReturned != len(d.Features) {
			t.Fatalf("%s: numberMatched %d (before %d), numberReturned %d of %d features", next, d.NumberMatched, matched, d.NumberReturned, len(d.Features))
		}
		matched = d.NumberMatched
		for _, raw := range d.Features {
			fs = append(fs, decodeOGCFeature(t, raw))
		}
		next = d.link("next")
		if len(fs) > matched {
			t.Fatalf("%s: %d features past numberMatched %d", path, len(fs), matched)
		}
	}
	if len(fs) != matched {
		t.Fatalf("%s: %d features in all, numberMatched %d", path, len(fs), matched)
	}
	return fs
}

func TestOGCLandingPage(t *testing.T) {
	h := newHandler(t, nil)
	for _, accept := range []string{"application/json", "application/json, text/html;q=0.5"} {
		rec := get(t, h, "/", "Accept", accept)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("Accept %s: %d %s", accept, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	for _, accept := range []string{"text/html,application/xhtml+xml,application/json;q=0.9", "*/*", ""} {
		if rec := get(t, h, "/", "Accept", accept); strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Errorf("Accept %q: the landing page's JSON, want the map page", accept)
		}
	}
	landing := getOGC(t, h, "/?f=json", "application/json")
	for rel, want := range map[string]string{
		"self": "application/json", "service-desc": "application/vnd.oai.openapi+json;version=3.0",
		"conformance": "application/json", "data": "application/json",
	} {
		if href := landing.link(rel); href == "" {
			t.Errorf("no %s link", rel)
		} else {
			getOGC(t, h, href, want)
		}
	}
	conf := getOGC(t, h, landing.link("conformance"), "application/json")
	for _, c := range []string{"core", "geojson", "oas30"} {
		if !slices.Contains(conf.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"+c) {
			t.Errorf("conformsTo %v lacks %s", conf.ConformsTo, c)
		}
	}
}

func TestOGCAPIDefinition(t *testing.T) {
	h := newHandler(t, nil)
	rec := get(t, h, "/api")
	var api struct {
		OpenAPI string
		Paths   map[string]struct {
			Get struct {
				Parameters []struct{ Name, In string }
			}
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &api); err != nil || api.OpenAPI != "3.0.3" {
		t.Fatalf("/api: %v, openapi %q", err, api.OpenAPI)
	}
	for path, want := range map[string][]string{
		"/collections/counties/items":              {"limit", "offset", "bbox", "datetime", "f", "crs", "v", "simplify"},
		"/collections/platforms/items":             {"limit", "offset", "bbox", "datetime", "f", "crs", "v", "kinds", "status", "county"},
		"/collections/coverage/items":              {"limit", "offset", "bbox", "datetime", "f", "crs", "v", "kinds", "radius", "county", "simplify"},
		"/collections/townships/items/{featureId}": {"featureId", "f", "crs", "v", "simplify", "county"},
		"/collections/coverage/items/{featureId}":  {"featureId", "f", "crs", "v", "kinds", "radius", "county", "simplify"},
		"/collections":                             nil,
		"/collections/platforms":                   nil,
		"/conformance":                             nil,
	} {
		var got []string
		for _, p := range api.Paths[path].Get.Parameters {
			got = append(got, p.Name)
		}
		if _, ok := api.Paths[path]; !ok || !slices.Equal(got, want) {
			t.Errorf("%s: parameters %v, want %v", path, got, want)
		}
	}
}

func TestOGCCollections(t *testing.T) {
	h := newHandler(t, nil)
	all := getOGC(t, h, "/collections", "application/json")
	var ids []string
	for _, c := range all.Collections {
		ids = append(ids, c.ID)
		one := getOGC(t, h, "/collections/"+c.ID, "application/json")
		box := c.Extent.Spatial.BBox
		if len(box) != 1 || len(box[0]) != 4 || box[0][0] > 116.4 || box[0][2] < 118.6 || box[0][1] > 25.5 || box[0][3] < 27.1 ||
			c.ItemType != "feature" || !slices.Equal(c.CRS, []string{"http://www.opengis.net/def/crs/OGC/1.3/CRS84"}) {
			t.Errorf("%s: extent %v, itemType %q, crs %v", c.ID, box, c.ItemType, c.CRS)
		}
		if one.link("self") != ogcBase+"/collections/"+c.ID || one.link("items") != ogcBase+"/collections/"+c.ID+"/items" {
			t.Errorf("%s: links %+v", c.ID, one.Links)
		}
	}
	if want := []string{"counties", "townships", "platforms", "coverage"}; !slices.Equal(ids, want) {
		t.Errorf("collections %v, want %v", ids, want)
	}
}

// TestOGCItemsPaging walks every collection by its next links and finds every
// feature once, in order, as many as SQL counts.
func TestOGCItemsPaging(t *testing.T) {
	pool := dbtest.NewDB(t)
	// The seed's platforms are all ACTIVE, as the article reports them: stop
	// a few here so the status filter has something to find.
	if _, err := pool.Exec(t.Context(), `UPDATE platform SET status = CASE WHEN external_id < 'WS-0020' THEN 'SUSPENDED' ELSE 'CLOSED' END
		WHERE external_id BETWEEN 'WS-0010' AND 'WS-0029'`); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, pool)
	const located = `SELECT count(*) FROM platform p JOIN township t ON t.code = p.township_code
		WHERE p.deleted_at IS NULL AND p.location IS NOT NULL AND `
	for _, c := range []struct {
		name, path string
		count      string // SQL counting the features
	}{
		{"counties", "/collections/counties/items?limit=4", `SELECT count(*) FROM county`},
		{"townships", "/collections/townships/items?limit=50", `SELECT count(*) FROM township`},
		{"townships of a county", "/collections/townships/items?county=350481&limit=7", `SELECT count(*) FROM township WHERE county_code = '350481'`},
		{"platforms", "/collections/platforms/items?limit=60", located + `true`},
		{"platforms by kind, status and county", "/collections/platforms/items?kinds=WORKSTATION&status=ACTIVE&county=350481&limit=3",
			located + `p.kind = 'WORKSTATION' AND p.status = 'ACTIVE' AND t.county_code = '350481'`},
		{"suspended platforms", "/collections/platforms/items?status=SUSPENDED&limit=4", located + `p.status = 'SUSPENDED'`},
		{"closed platforms", "/collections/platforms/items?status=CLOSED&limit=4", located + `p.status = 'CLOSED'`},
		{"coverage", "/collections/coverage/items?kinds=WORKSTATION&radius=5000&limit=40", `SELECT count(*) FROM township`},
		{"a bbox", "/collections/townships/items?bbox=117.2,25.8,117.6,26.1&limit=9",
			`SELECT count(*) FROM township WHERE ST_Intersects(boundary, ST_MakeEnvelope(117.2, 25.8, 117.6, 26.1, 4326))`},
		{"a bbox with heights", "/collections/platforms/items?bbox=117.2,25.8,0,117.6,26.1,100&limit=1000",
			located + `ST_Intersects(p.location, ST_MakeEnvelope(117.2, 25.8, 117.6, 26.1, 4326))`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var want int
			if err := pool.QueryRow(t.Context(), c.count).Scan(&want); err != nil {
				t.Fatal(err)
			}
			fs := allItems(t, h, c.path)
			if len(fs) != want || want == 0 {
				t.Fatalf("%d features, SQL counts %d", len(fs), want)
			}
			seen := map[any]bool{}
			for _, f := range fs {
				if seen[f.ID] {
					t.Fatalf("feature %v twice", f.ID)
				}
				seen[f.ID] = true
			}
		})
	}
}

// TestOGCItemsAreTheLayers: the townships and platforms collections hold the
// GeoJSON layers' features, property for property.
func TestOGCItemsAreTheLayers(t *testing.T) {
	h := newHandler(t, nil)
	for _, c := range []struct{ layer, items string }{
		{"/geojson/townships", "/collections/townships/items?limit=1000"},
		{"/geojson/townships?simplify=100&county=350481", "/collections/townships/items?limit=1000&simplify=100&county=350481"},
		{"/geojson/platforms", "/collections/platforms/items?limit=1000"},
		{"/geojson/platforms?kinds=SECTOR_HALL", "/collections/platforms/items?limit=1000&kinds=SECTOR_HALL"},
	} {
		body, _ := getGeoJSON(t, h, c.layer)
		var layer struct{ Features []ogcFeature }
		if err := json.Unmarshal(body, &layer); err != nil {
			t.Fatal(err)
		}
		if items := allItems(t, h, c.items); !reflect.DeepEqual(items, layer.Features) {
			t.Errorf("%s: %d features differ from the layer's %d", c.items, len(items), len(layer.Features))
		}
	}
}

// TestOGCCoverageIsGraphQLs: the coverage collection answers as GraphQL's
// coverage does, township by township, and keeps every township property.
func TestOGCCoverageIsGraphQLs(t *testing.T) {
	h := newHandler(t, nil)
	_, layer := getGeoJSON(t, h, "/geojson/townships")
	for _, c := range []struct {
		query  string
		kinds  []string
		radius float64
	}{
		{"", []string{"LIAISON_GROUP", "WORKSTATION", "SECTOR_HALL"}, 0},
		{"kinds=WORKSTATION", []string{"WORKSTATION"}, 0},
		{"kinds=WORKSTATION&radius=5000", []string{"WORKSTATION"}, 5000},
		{"kinds=SECTOR_HALL,WORKSTATION&radius=20000", []string{"SECTOR_HALL", "WORKSTATION"}, 20000},
	} {
		t.Run(c.query, func(t *testing.T) {
			d := getOGC(t, h, "/collections/coverage/items?limit=1000&"+c.query, "application/geo+json")
			gql := getCoverage(t, h, c.kinds, c.radius, "")
			if len(d.Features) != len(gql.Townships) || len(d.Features) != len(layer.Features) {
				t.Fatalf("%d features, GraphQL %d townships", len(d.Features), len(gql.Townships))
			}
			var covered int
			for i, raw := range d.Features {
				f, want := decodeOGCFeature(t, raw), gql.Townships[i]
				p := f.Properties
				for k, v := range layer.Features[i].Properties {
					if !reflect.DeepEqual(p[k], v) {
						t.Fatalf("%v: %s is %v, the layer's %v", f.ID, k, p[k], v)
					}
				}
				if f.ID != want.Township.Code || p["coverage"] != want.Status ||
					want.Status != "UNKNOWN_POSITION" && p["covered"] != want.Covered {
					t.Fatalf("%v: coverage %v covered %v, GraphQL %s %s %v", f.ID, p["coverage"], p["covered"], want.Township.Code, want.Status, want.Covered)
				}
				if want.Covered {
					covered++
				}
				n := want.Nearest
				if n == nil {
					if p["nearestPlatformId"] != nil || p["nearestDistanceMetres"] != nil {
						t.Fatalf("%v: nearest %v, GraphQL none", f.ID, p["nearestPlatformId"])
					}
					continue
				}
				if p["nearestPlatformId"] != n.Platform.ID || p["nearestPlatformName"] != n.Platform.Name ||
					p["nearestPlatformKind"] != n.Platform.Kind || math.Abs(p["nearestDistanceMetres"].(float64)-n.DistanceMetres) > 1e-6 {
					t.Fatalf("%v: nearest %v %v %v, GraphQL %+v", f.ID, p["nearestPlatformId"], p["nearestPlatformName"], p["nearestDistanceMetres"], n)
				}
			}
			if covered != gql.Totals.Covered {
				t.Errorf("%d covered, GraphQL %d", covered, gql.Totals.Covered)
			}
		})
	}
}

func TestOGCSingleItems(t *testing.T) {
	h := newHandler(t, nil)
	for _, c := range []struct{ path, id, name string }{
		{"/collections/counties/items/350481", "350481", "永安市"},
		{"/collections/townships/items/350404001", "350404001", "列东街道"},
		{"/collections/townships/items/350424204", "350424204", "方田乡"},
		{"/collections/platforms/items/UGxhdGZvcm06MQ", "UGxhdGZvcm06MQ", "列东街道政协联络组"},
		{"/collections/coverage/items/350404001?kinds=WORKSTATION&radius=100", "350404001", "列东街道"},
	} {
		rec := get(t, h, c.path)
		var f struct {
			Type, ID   string
			Properties map[string]any
			Links      []struct{ Href, Rel string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &f); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %v: %s", c.path, rec.Code, err, rec.Body)
		}
		u, _ := url.Parse(c.path)
		if f.Type != "Feature" || f.ID != c.id || f.Properties["name"] != c.name || len(f.Links) != 2 || f.Links[0].Href != ogcBase+u.Path {
			t.Errorf("%s: %s %s %v %+v", c.path, f.Type, f.ID, f.Properties["name"], f.Links)
		}
	}
}

// TestOGCBadInput: every bad parameter is 400 naming it, through the same
// checks as /geojson's, and what is not there is 404.
func TestOGCBadInput(t *testing.T) {
	h := newHandler(t, nil)
	for _, c := range []struct {
		path   string
		status int
		field  string
		// same, when set, is a /geojson path that must answer the same body.
		same string
	}{
		{"/collections/platforms/items?kinds=workstation", 400, "kinds", "/geojson/platforms?kinds=workstation"},
		{"/collections/platforms/items?kinds=", 400, "kinds", "/geojson/platforms?kinds="},
		{"/collections/platforms/items?county=35048", 400, "county", "/geojson/platforms?county=35048"},
		{"/collections/townships/items?county=350499", 404, "county", "/geojson/townships?county=350499"},
		{"/collections/townships/items?simplify=5001", 400, "simplify", "/geojson/townships?simplify=5001"},
		{"/collections/counties/items?simplify=NaN", 400, "simplify", "/geojson/townships?simplify=NaN"},
		{"/collections/platforms/items?status=active", 400, "status", ""},
		{"/collections/platforms/items?crs=gcj02", 400, "crs", "/geojson/platforms?crs=gcj02"},
		{"/collections/townships/items/350404001?crs=EPSG:4326", 400, "crs", ""},
		{"/collections/coverage/items?radius=-1", 400, "radius", ""},
		{"/collections/coverage/items?radius=200001", 400, "radius", ""},
		{"/collections/coverage/items?radius=5km", 400, "radius", ""},
		{"/collections/coverage/items?kinds=HALL", 400, "kinds", ""},
		{"/collections/townships/items?limit=0", 400, "limit", ""},
		{"/collections/townships/items?limit=ten", 400, "limit", ""},
		{"/collections/townships/items?offset=-1", 400, "offset", ""},
		{"/collections/townships/items?bbox=117,26,118", 400, "bbox", ""},
		{"/collections/townships/items?bbox=118,26,117,27", 400, "bbox", ""},
		{"/collections/townships/items?bbox=117,26,118,91", 400, "bbox.north", ""},
		{"/collections/townships/items?datetime=yesterday", 400, "datetime", ""},
		{"/collections/townships/items?datetime=../..", 400, "datetime", ""},
		{"/collections/townships/items?datetime=2024-04-06/2024-05-06/2024-06-06", 400, "datetime", ""},
		{"/collections/townships/items?radius=5000", 400, "radius", ""},
		{"/collections/townships/items?f=html", 400, "f", ""},
		{"/collections/townships/items/350404001?limit=5", 400, "limit", ""},
		{"/collections/roads/items", 404, "roads", ""},
		{"/collections/roads", 404, "roads", ""},
		{"/collections/townships/items/350404999", 404, "350404999", ""},
		{"/collections/platforms/items/UGxhdGZvcm06OTk5OTk", 404, "UGxhdGZvcm06OTk5OTk", ""},
		{"/collections/platforms/items/VG93bnNoaXA6MQ", 404, "VG93bnNoaXA6MQ", ""},
	} {
		t.Run(c.path, func(t *testing.T) {
			rec := get(t, h, c.path)
			var e struct{ Error, Code string }
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || rec.Code != c.status || !strings.Contains(e.Error, c.field) {
				t.Fatalf("%d %v: %s; want %d naming %s", rec.Code, err, rec.Body, c.status, c.field)
			}
			if want := map[int]string{400: "BAD_USER_INPUT", 404: "NOT_FOUND"}[c.status]; e.Code != want {
				t.Errorf("code %s, want %s", e.Code, want)
			}
			if c.same != "" {
				if rec2 := get(t, h, c.same); rec2.Body.String() != rec.Body.String() || rec2.Code != rec.Code {
					t.Errorf("%s answers %d %s; %s %d %s", c.same, rec2.Code, rec2.Body, c.path, rec.Code, rec.Body)
				}
			}
		})
	}
	// A datetime is checked and selects every feature: no collection has time.
	for _, dt := range []string{"2024-04-06T00:00:00Z", "2024-04-06", "../2024-04-06", "2020-01-01T00:00:00Z/.."} {
		if d := getOGC(t, h, "/collections/counties/items?datetime="+url.QueryEscape(dt), "application/geo+json"); d.NumberMatched != 11 {
			t.Errorf("datetime %s: %d counties", dt, d.NumberMatched)
		}
	}
}

// TestOGCInCRS: items and single items in GCJ-02 and BD-09 say so and lie
// where /geojson puts them, 500 m to 1.3 km from WGS84 in Sanming.
func TestOGCInCRS(t *testing.T) {
	h := newHandler(t, nil)
	type doc struct {
		CoordinateSystem string
		Features         []struct {
			CoordinateSystem string
			Geometry         struct{ Coordinates []float64 }
		}
	}
	read := func(path string) doc {
		t.Helper()
		rec := get(t, h, path)
		var d doc
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %v: %.300s", path, rec.Code, err, rec.Body)
		}
		return d
	}
	wgs := read("/collections/platforms/items?limit=1")
	for _, c := range []struct {
		crs       string
		near, far float64
	}{{"WGS84", 0, 0}, {"GCJ02", 500, 700}, {"BD09", 1000, 1300}} {
		d := read("/collections/platforms/items?limit=1&crs=" + c.crs)
		if d.CoordinateSystem != c.crs || len(d.Features) != 1 {
			t.Fatalf("%s: coordinateSystem %q, %d features", c.crs, d.CoordinateSystem, len(d.Features))
		}
		a, b := wgs.Features[0].Geometry.Coordinates, d.Features[0].Geometry.Coordinates
		if m := vincentyMetres(t, a[0], a[1], b[0], b[1]); m < c.near || m > c.far {
			t.Errorf("%s: %.0f m from WGS84, want %g to %g", c.crs, m, c.near, c.far)
		}
		var one struct{ CoordinateSystem string }
		rec := get(t, h, "/collections/townships/items/350404001?crs="+c.crs)
		if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil || one.CoordinateSystem != c.crs {
			t.Errorf("single item in %s: %v, coordinateSystem %q", c.crs, err, one.CoordinateSystem)
		}
	}
}

// TestOGCCoverageFollowsWrites: a write made in SQL changes the coverage
// collection's answer and its ETag at once, as it changes GraphQL's.
func TestOGCCoverageFollowsWrites(t *testing.T) {
	pool := dbtest.NewDB(t)
	h := newHandler(t, pool)
	var code string
	for _, f := range allItems(t, h, "/collections/coverage/items?kinds=WORKSTATION&limit=1000") {
		if f.Properties["coverage"] == "UNCOVERED" {
			code = f.ID.(string)
			break
		}
	}
	path := "/collections/coverage/items/" + code + "?kinds=WORKSTATION"
	before := get(t, h, path)
	var id int64
	err := pool.QueryRow(t.Context(), `UPDATE platform SET location = (SELECT seat FROM township WHERE code = $1)
		WHERE id = (SELECT min(id) FROM platform WHERE kind = 'WORKSTATION' AND status = 'ACTIVE' AND location IS NOT NULL)
		RETURNING id`, code).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	after := get(t, h, path, "If-None-Match", before.Header().Get("ETag"))
	var f ogcFeature
	if err := json.Unmarshal(after.Body.Bytes(), &f); err != nil || after.Code != http.StatusOK {
		t.Fatalf("after the write: %d %v: %s", after.Code, err, after.Body)
	}
	p := f.Properties
	if p["coverage"] != "COVERED" || p["covered"] != true || p["nearestDistanceMetres"] != 0.0 ||
		p["nearestPlatformId"] != relay.PlatformID(id) || after.Header().Get("ETag") == before.Header().Get("ETag") {
		t.Errorf("township %s after a workstation moved to its seat: %v, ETag %s (before %s)", code, p,
			after.Header().Get("ETag"), before.Header().Get("ETag"))
	}
}

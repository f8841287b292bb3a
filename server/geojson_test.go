package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/graph/relay"
)

// collection is a GeoJSON layer as the tests read it: the features decoded
// by go-geom, and the foreign members.
type collection struct {
	Type, Attribution, Version string
	Features                   []*geojson.Feature
}

// getGeoJSON fetches path from h, which must answer 200 with GeoJSON, and
// returns the body and the decoded collection.
func getGeoJSON(t *testing.T, h http.Handler, path string) ([]byte, collection) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	var c collection
	if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil {
		t.Fatalf("GET %s: not GeoJSON: %v", path, err)
	}
	if c.Type != "FeatureCollection" || !strings.Contains(c.Attribution, "CC BY 4.0") || c.Version == "" {
		t.Errorf("GET %s: type %q, attribution %q, version %q", path, c.Type, c.Attribution, c.Version)
	}
	if etag := rec.Header().Get("ETag"); etag != `W/"`+c.Version+`"` {
		t.Errorf("GET %s: ETag %s for version %s", path, etag, c.Version)
	}
	return rec.Body.Bytes(), c
}

// sanmingBox returns the box around every county, which every position of the
// layers must lie in.
func sanmingBox(t *testing.T, pool *pgxpool.Pool) db.TileSet {
	t.Helper()
	ts, err := db.New(pool).TileSet(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// checkPositions fails unless every position of g lies in box.
func checkPositions(t *testing.T, id string, g geom.T, box db.TileSet) {
	t.Helper()
	flat, stride := g.FlatCoords(), g.Stride()
	for i := 0; i < len(flat); i += stride {
		if lon, lat := flat[i], flat[i+1]; lon < box.West || lon > box.East || lat < box.South || lat > box.North {
			t.Fatalf("feature %s: position [%v, %v] is outside Sanming %v", id, lon, lat, box)
		}
	}
}

func TestGeoJSONPlatforms(t *testing.T) {
	pool := dbtest.NewDB(t)
	h := newHandler(t, pool)
	box := sanmingBox(t, pool)
	props := []string{"countyCode", "hostName", "kind", "name", "organiserCode", "positionQuality", "provenance",
		"sectorCode", "status", "townshipCode"}
	for _, c := range []struct {
		name, query string
		// where selects the same platforms in SQL, over p and t.
		where string
	}{
		{"all", "", "true"},
		{"kinds", "?kinds=WORKSTATION,SECTOR_HALL", "p.kind IN ('WORKSTATION', 'SECTOR_HALL')"},
		{"kinds repeated", "?kinds=WORKSTATION&kinds=SECTOR_HALL", "p.kind IN ('WORKSTATION', 'SECTOR_HALL')"},
		{"county", "?county=350481", "t.county_code = '350481'"},
		{"kinds and county", "?kinds=LIAISON_GROUP&county=350424", "p.kind = 'LIAISON_GROUP' AND t.county_code = '350424'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var live, located int
			err := pool.QueryRow(t.Context(), `SELECT count(*), count(p.location) FROM platform p
				JOIN township t ON t.code = p.township_code WHERE p.deleted_at IS NULL AND `+c.where).Scan(&live, &located)
			if err != nil {
				t.Fatal(err)
			}
			if c.name == "all" && (live != 207 || located != 205) {
				t.Fatalf("the seed has %d live platforms, %d located; want 207 and 205", live, located)
			}
			_, fc := getGeoJSON(t, h, "/geojson/platforms"+c.query)
			if len(fc.Features) != located {
				t.Fatalf("%d features, want the %d of %d live platforms with a position", len(fc.Features), located, live)
			}
			var prev int64
			for _, f := range fc.Features {
				typ, key, ok := relay.ParseID(f.ID)
				id, err := strconv.ParseInt(key, 10, 64)
				if !ok || typ != "Platform" || err != nil || id <= prev {
					t.Fatalf("feature id %q: not a platform's global ID in ascending order", f.ID)
				}
				prev = id
				if _, ok := f.Geometry.(*geom.Point); !ok {
					t.Fatalf("feature %s: geometry %T, want a Point", f.ID, f.Geometry)
				}
				checkPositions(t, f.ID, f.Geometry, box)
				if got := slices.Sorted(maps.Keys(f.Properties)); !slices.Equal(got, props) {
					t.Fatalf("feature %s: properties %v, want %v", f.ID, got, props)
				}
			}
		})
	}
}

func TestGeoJSONTownships(t *testing.T) {
	pool := dbtest.NewDB(t)
	h := newHandler(t, pool)
	box := sanmingBox(t, pool)
	vertices := map[string]int{}
	for _, c := range []struct {
		name, query string
		features    int
		// fewerThan names the case whose cells have more vertices.
		fewerThan string
	}{
		{"full", "", 141, ""},
		{"zero", "?simplify=0", 141, ""},
		{"10 m", "?simplify=10", 141, "full"},
		{"100 m", "?simplify=100", 141, "10 m"},
		{"1 km", "?simplify=1000", 141, "100 m"},
		{"5 km", "?simplify=5000", 141, "1 km"},
		{"county", "?county=350481&simplify=100", 15, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, fc := getGeoJSON(t, h, "/geojson/townships"+c.query)
			if len(fc.Features) != c.features {
				t.Fatalf("%d features, want %d", len(fc.Features), c.features)
			}
			var unknown []string
			for i, f := range fc.Features {
				if i > 0 && f.ID <= fc.Features[i-1].ID || f.ID != f.Properties["code"] {
					t.Fatalf("feature %d: id %q, code %v: want codes in ascending order", i, f.ID, f.Properties["code"])
				}
				if f.Geometry == nil {
					if f.Properties["positionQuality"] != "UNKNOWN" || f.Properties["boundaryQuality"] != nil || f.Properties["lon"] != nil {
						t.Errorf("feature %s has no geometry but properties %v", f.ID, f.Properties)
					}
					unknown = append(unknown, f.Properties["name"].(string))
					continue
				}
				switch f.Geometry.(type) {
				case *geom.Polygon, *geom.MultiPolygon:
				default:
					t.Fatalf("feature %s: geometry %T, want a Polygon or MultiPolygon", f.ID, f.Geometry)
				}
				checkPositions(t, f.ID, f.Geometry, box)
				vertices[c.name] += len(f.Geometry.FlatCoords()) / f.Geometry.Stride()
			}
			if c.features == 141 && !slices.Equal(unknown, []string{"方田乡", "青水畲族乡"}) {
				t.Errorf("features without geometry: %v, want 方田乡 and 青水畲族乡", unknown)
			}
			if c.fewerThan != "" && vertices[c.name] >= vertices[c.fewerThan] {
				t.Errorf("%d vertices, not fewer than the %d of %s", vertices[c.name], vertices[c.fewerThan], c.fewerThan)
			}
			// PostGIS reads every cell back and finds it valid.
			var cells, valid int
			err := pool.QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE ST_IsValid(ST_GeomFromGeoJSON(f->>'geometry')))
				FROM json_array_elements($1::json->'features') f WHERE json_typeof(f->'geometry') = 'object'`, string(body)).Scan(&cells, &valid)
			if err != nil {
				t.Fatal(err)
			}
			if cells != c.features-len(unknown) || valid != cells {
				t.Errorf("%d cells, %d valid; want %d, all valid", cells, valid, c.features-len(unknown))
			}
			t.Logf("%d vertices, %d bytes", vertices[c.name], len(body))
		})
	}
}

// TestGeoJSONGraphQL: the GraphQL fields answer the endpoints' very bytes.
func TestGeoJSONGraphQL(t *testing.T) {
	h := newHandler(t, nil)
	for _, c := range []struct {
		name, path, query string
	}{
		{"platforms", "/geojson/platforms", `{ f: platformFeatures }`},
		{"platforms filtered", "/geojson/platforms?kinds=WORKSTATION&county=350481",
			`{ f: platformFeatures(filter: {kinds: [WORKSTATION], countyCode: "350481"}) }`},
		{"townships", "/geojson/townships", `{ f: townshipFeatures }`},
		{"townships simplified", "/geojson/townships?simplify=250&county=350424",
			`{ f: townshipFeatures(simplifyMetres: 250, countyCode: "350424") }`},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, _ := getGeoJSON(t, h, c.path)
			var d struct{ F json.RawMessage }
			data(t, h, c.query, nil, &d)
			if !bytes.Equal(d.F, body) {
				t.Errorf("GraphQL answers %d bytes that differ from the endpoint's %d", len(d.F), len(body))
			}
		})
	}
}

// TestGeoJSONCaching: the layers' ETag is the data version, which every write
// changes; If-None-Match gets 304 until then; ?v= of the current version may
// be cached as immutable; the body is gzipped for clients that accept it.
func TestGeoJSONCaching(t *testing.T) {
	pool := dbtest.NewDB(t)
	h := newHandler(t, pool)
	for _, c := range []struct{ name, path, write string }{
		{"platforms after a platform write", "/geojson/platforms", `UPDATE platform SET name = name || '（改）' WHERE id = 1`},
		{"townships after a platform write", "/geojson/townships?simplify=100", `UPDATE platform SET status = 'CLOSED' WHERE id = 2`},
		{"townships after a township write", "/geojson/townships", `UPDATE township SET name = name || '（改）' WHERE code = '350404001'`},
	} {
		t.Run(c.name, func(t *testing.T) {
			plain, fc := getGeoJSON(t, h, c.path)
			etag := `W/"` + fc.Version + `"`
			if rec := get(t, h, c.path, "If-None-Match", etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
				t.Fatalf("If-None-Match of the current version: status %d, %d bytes; want 304 and none", rec.Code, rec.Body.Len())
			}
			if cc := get(t, h, c.path).Header().Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("without ?v=: Cache-Control %q", cc)
			}
			pinned := c.path + map[bool]string{true: "&", false: "?"}[strings.Contains(c.path, "?")] + "v=" + fc.Version
			if cc := get(t, h, pinned).Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
				t.Errorf("with ?v=%s: Cache-Control %q", fc.Version, cc)
			}
			rec := get(t, h, c.path, "Accept-Encoding", "gzip")
			if rec.Header().Get("Content-Encoding") != "gzip" {
				t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", rec.Header().Get("Content-Encoding"))
			}
			zr, err := gzip.NewReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			if unzipped, err := io.ReadAll(zr); err != nil || !bytes.Equal(unzipped, plain) {
				t.Fatalf("the gzipped body (%v) is not the plain one", err)
			}

			if _, err := pool.Exec(t.Context(), c.write); err != nil {
				t.Fatal(err)
			}
			rec = get(t, h, c.path, "If-None-Match", etag)
			if rec.Code != http.StatusOK || rec.Header().Get("ETag") == etag {
				t.Fatalf("after a write, If-None-Match of the old version: status %d, ETag %s; want 200 and a new ETag", rec.Code, rec.Header().Get("ETag"))
			}
			var after collection
			if err := json.Unmarshal(rec.Body.Bytes(), &after); err != nil || `W/"`+after.Version+`"` != rec.Header().Get("ETag") {
				t.Errorf("after a write: body version %q (%v), ETag %s", after.Version, err, rec.Header().Get("ETag"))
			}
		})
	}
}

func TestGeoJSONBadInput(t *testing.T) {
	h := newHandler(t, nil)
	for _, c := range []struct{ path, message string }{
		{"/geojson/townships?simplify=-1", "simplify: a simplification tolerance in metres must be from 0 (every vertex) to 5000, got -1"},
		{"/geojson/townships?simplify=5000.5", "simplify: a simplification tolerance in metres must be from 0 (every vertex) to 5000, got 5000.5"},
		{"/geojson/townships?simplify=NaN", `got "NaN"`},
		{"/geojson/townships?simplify=Inf", `got "Inf"`},
		{"/geojson/townships?simplify=0x1p3", `got "0x1p3"`},
		{"/geojson/townships?simplify=abc", `simplify: want a tolerance in metres from 0 to 5000, got "abc"`},
		{"/geojson/townships?simplify=", `simplify: want a tolerance in metres from 0 to 5000, got ""`},
		{"/geojson/townships?county=3504", `county: "3504" is not a 6-digit county code such as 350481`},
		{"/geojson/platforms?kinds=WORKSTATION,HALL", `kinds: want LIAISON_GROUP, WORKSTATION or SECTOR_HALL, got "HALL"`},
		{"/geojson/platforms?kinds=", "kinds: no kind given"},
		// Parameters a layer does not take are refused, not ignored: a
		// coverage layer is the OGC API's coverage collection.
		{"/geojson/townships?kinds=WORKSTATION&radius=5000", `kinds: unknown parameter "kinds": this request takes simplify, county, crs, v`},
		{"/geojson/platforms?simplify=100", `simplify: unknown parameter "simplify"`},
	} {
		t.Run(c.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
			var e struct{ Error, Code string }
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("status %d, body not JSON: %s", rec.Code, rec.Body)
			}
			if rec.Code != http.StatusBadRequest || e.Code != "BAD_USER_INPUT" || !strings.Contains(e.Error, c.message) {
				t.Errorf("status %d, %s: %q; want 400, BAD_USER_INPUT: %q", rec.Code, e.Code, e.Error, c.message)
			}
		})
	}

	for _, c := range []struct{ name, query, code, field, message string }{
		{"negative", `{ townshipFeatures(simplifyMetres: -0.5) }`, "BAD_USER_INPUT", "simplifyMetres", "simplifyMetres: a simplification tolerance in metres must be from 0 (every vertex) to 5000, got -0.5"},
		{"too coarse", `{ townshipFeatures(simplifyMetres: 5001) }`, "BAD_USER_INPUT", "simplifyMetres", "got 5001"},
		{"not a number", `{ townshipFeatures(simplifyMetres: "x") }`, "BAD_USER_INPUT", "", "Float"},
		{"malformed county", `{ townshipFeatures(countyCode: "35") }`, "BAD_USER_INPUT", "countyCode", `countyCode: "35" is not a 6-digit county code`},
		{"unknown county", `{ townshipFeatures(countyCode: "350499") }`, "NOT_FOUND", "", "countyCode: no county-level unit of Sanming has code 350499"},
		{"platform filter", `{ platformFeatures(filter: {countyCode: "35"}) }`, "BAD_USER_INPUT", "filter.countyCode", `"35" is not a 6-digit county code`},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, post(t, h, c.query, nil), c.code, c.field, c.message)
		})
	}
}

package server_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"civicmap/db/dbtest"
)

// get fetches path from h with the given request headers.
func get(t testing.TB, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// fetchTile fetches and decodes tile z/x/y.
func fetchTile(t testing.TB, h http.Handler, z, x, y int) mvtTile {
	t.Helper()
	rec := get(t, h, fmt.Sprintf("/tiles/%d/%d/%d.mvt", z, x, y))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("tile %d/%d/%d: status %d, type %q: %.200s", z, x, y, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	tile, err := decodeMVT(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("tile %d/%d/%d does not decode: %v", z, x, y, err)
	}
	return tile
}

// cityTiles fetches every tile at zoom z over Sanming and merges their
// features by layer and id; a feature cut by tile edges comes once, with all
// its vertices.
func cityTiles(t testing.TB, h http.Handler, z int) mvtTile {
	t.Helper()
	x0, y0 := tileOf(z, 116.37, 27.14)
	x1, y1 := tileOf(z, 118.67, 25.47)
	merged := mvtTile{}
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			for name, l := range fetchTile(t, h, z, x, y) {
				m := merged[name]
				if m == nil {
					m = &mvtLayer{Name: name, Extent: l.Extent}
					merged[name] = m
				}
			next:
				for _, f := range l.Features {
					for i := range m.Features {
						if m.Features[i].ID == f.ID {
							m.Features[i].Points = append(m.Features[i].Points, f.Points...)
							continue next
						}
					}
					m.Features = append(m.Features, f)
				}
			}
		}
	}
	return merged
}

// TestTileLayers reads the whole city from its z10 tiles and checks every
// feature's attributes against the GraphQL API: the tiles and the API tell the
// same story.
func TestTileLayers(t *testing.T) {
	h := newHandler(t, nil)
	tile := cityTiles(t, h, 10)
	for _, name := range []string{"counties", "townships", "platforms"} {
		if tile[name] == nil {
			t.Fatalf("layer %s missing; layers: %v", name, tile)
		}
		if tile[name].Extent != 4096 {
			t.Errorf("layer %s: extent %d, want 4096", name, tile[name].Extent)
		}
	}

	var counties struct {
		Counties struct {
			Nodes []struct{ Code, Name, BoundaryQuality string }
		}
	}
	data(t, h, `{ counties { nodes { code name boundaryQuality } } }`, nil, &counties)
	if got, want := len(tile["counties"].Features), len(counties.Counties.Nodes); got != want {
		t.Errorf("counties: %d features, want %d", got, want)
	}
	for _, f := range tile["counties"].Features {
		if f.Type != 3 || strconv.FormatUint(f.ID, 10) != f.Props["code"] || f.Props["name"] == "" {
			t.Errorf("county feature %d: type %d, props %v", f.ID, f.Type, f.Props)
		}
	}

	// Townships: every cell, with counts and the default coverage flags.
	var towns struct {
		Townships struct {
			Nodes []struct {
				Code, Name, Kind, PositionQuality string
				BoundaryQuality                   *string
				County                            struct{ Code, Name string }
			}
		}
	}
	data(t, h, `{ townships(first: 500) { nodes { code name kind positionQuality boundaryQuality county { code name } } } }`, nil, &towns)
	covered := map[string]map[string]bool{} // kind → township code → covered
	for _, kind := range []string{"LIAISON_GROUP", "WORKSTATION", "SECTOR_HALL"} {
		var cov struct {
			Coverage struct {
				Townships []struct {
					Township struct{ Code string }
					Status   string
				}
			}
		}
		data(t, h, `query($k: PlatformKind!) { coverage(kinds: [$k]) { townships { township { code } status } } }`, map[string]any{"k": kind}, &cov)
		covered[kind] = map[string]bool{}
		for _, c := range cov.Coverage.Townships {
			covered[kind][c.Township.Code] = c.Status == "COVERED"
		}
	}
	var active struct {
		Platforms struct {
			Nodes []struct {
				Kind     string
				Township struct{ Code string }
			}
		}
	}
	data(t, h, `{ platforms(first: 500, filter: {status: ACTIVE}) { nodes { kind township { code } } } }`, nil, &active)
	counts := map[string]map[string]int64{}
	for _, p := range active.Platforms.Nodes {
		if counts[p.Township.Code] == nil {
			counts[p.Township.Code] = map[string]int64{}
		}
		counts[p.Township.Code][p.Kind]++
	}

	features := map[string]mvtFeature{}
	for _, f := range tile["townships"].Features {
		features[fmt.Sprint(f.Props["code"])] = f
	}
	cells, coveredWorkstation := 0, 0
	for _, tw := range towns.Townships.Nodes {
		f, ok := features[tw.Code]
		if tw.BoundaryQuality == nil { // UNKNOWN position: no cell, no feature
			if ok {
				t.Errorf("township %s (%s) has no cell but a feature", tw.Code, tw.Name)
			}
			continue
		}
		cells++
		if !ok {
			t.Errorf("township %s (%s): no feature", tw.Code, tw.Name)
			continue
		}
		want := map[string]any{
			"code": tw.Code, "name": tw.Name, "kind": townshipKinds[tw.Kind], "county_code": tw.County.Code, "county_name": tw.County.Name,
			"position_quality": tw.PositionQuality, "boundary_quality": *tw.BoundaryQuality,
			"liaison_groups": counts[tw.Code]["LIAISON_GROUP"], "workstations": counts[tw.Code]["WORKSTATION"],
			"sector_halls":          counts[tw.Code]["SECTOR_HALL"],
			"covered_liaison_group": covered["LIAISON_GROUP"][tw.Code],
			"covered_workstation":   covered["WORKSTATION"][tw.Code],
			"covered_sector_hall":   covered["SECTOR_HALL"][tw.Code],
		}
		for k, v := range want {
			if f.Props[k] != v {
				t.Errorf("township %s (%s): %s = %v (%T), want %v (%T)", tw.Code, tw.Name, k, f.Props[k], f.Props[k], v, v)
			}
		}
		if strconv.FormatUint(f.ID, 10) != tw.Code || f.Type != 3 {
			t.Errorf("township %s: feature id %d, type %d", tw.Code, f.ID, f.Type)
		}
		if f.Props["covered_workstation"] == true {
			coveredWorkstation++
		}
	}
	if cells != 139 || len(features) != cells {
		t.Errorf("%d cells, %d township features; want 139 of each", cells, len(features))
	}
	if coveredWorkstation != 46 { // the seed's figure (TestCoverage)
		t.Errorf("%d townships covered by a workstation at radius 0, want 46", coveredWorkstation)
	}

	// Platforms: every live one with a position, with its global ID.
	var plats struct {
		Platforms struct {
			Nodes []struct {
				ID, Kind, Name, Provenance, Status, PositionQuality string
				Lon, Lat                                            *float64
				Township                                            struct{ Code string }
			}
		}
	}
	data(t, h, `{ platforms(first: 500) { nodes { id kind name provenance status positionQuality lon lat township { code } } } }`, nil, &plats)
	byGID := map[string]mvtFeature{}
	for _, f := range tile["platforms"].Features {
		byGID[fmt.Sprint(f.Props["gid"])] = f
	}
	drawn := 0
	for _, p := range plats.Platforms.Nodes {
		f, ok := byGID[p.ID]
		if p.Lon == nil {
			if ok {
				t.Errorf("platform %s has no position but a feature", p.Name)
			}
			continue
		}
		drawn++
		if !ok {
			t.Errorf("platform %s (%s): no feature", p.Name, p.ID)
			continue
		}
		want := map[string]any{"kind": p.Kind, "name": p.Name, "provenance": p.Provenance, "status": p.Status,
			"position_quality": p.PositionQuality, "township_code": p.Township.Code}
		for k, v := range want {
			if f.Props[k] != v {
				t.Errorf("platform %s: %s = %v, want %v", p.Name, k, f.Props[k], v)
			}
		}
		if f.Type != 1 || len(f.Points) != 1 {
			t.Errorf("platform %s: type %d with %d points, want one point", p.Name, f.Type, len(f.Points))
		}
	}
	if drawn == 0 || len(byGID) != drawn {
		t.Errorf("%d platform features, want %d (every live platform with a position)", len(byGID), drawn)
	}
}

// townshipKinds are the kinds as tiles carry them (as stored, in Chinese), by
// their GraphQL names.
var townshipKinds = map[string]string{"SUBDISTRICT": "街道", "TOWN": "镇", "TOWNSHIP": "乡"}

// TestTileGeometry fetches tiles z8 to z14 around the city: every vertex lies in
// the tile (with its buffer of 64 units), and every platform drawn is where the
// API says it is, to within a tile unit.
func TestTileGeometry(t *testing.T) {
	h := newHandler(t, nil)
	var plats struct {
		Platforms struct {
			Nodes []struct {
				ID       string
				Lon, Lat *float64
			}
		}
	}
	data(t, h, `{ platforms(first: 500) { nodes { id lon lat } } }`, nil, &plats)
	where := map[string][2]float64{}
	for _, p := range plats.Platforms.Nodes {
		if p.Lon != nil {
			where[p.ID] = [2]float64{*p.Lon, *p.Lat}
		}
	}
	const lon, lat = 117.62, 26.26 // 三元区, the city's centre
	for z := 8; z <= 14; z++ {
		x, y := tileOf(z, lon, lat)
		tile := fetchTile(t, h, z, x, y)
		if len(tile["townships"].Features) == 0 {
			t.Errorf("z%d: no township in the tile at the city's centre", z)
		}
		for name, l := range tile {
			for _, f := range l.Features {
				for _, p := range f.Points {
					if p[0] < -64 || p[0] > l.Extent+64 || p[1] < -64 || p[1] > l.Extent+64 {
						t.Fatalf("z%d %s feature %d: vertex %v outside the tile and its buffer", z, name, f.ID, p)
					}
				}
			}
		}
		// A unit of the tile, in degrees of longitude, bounds the rounding.
		unit := 360 / float64(int(1)<<z) / 4096
		for _, f := range tile["platforms"].Features {
			want, ok := where[fmt.Sprint(f.Props["gid"])]
			if !ok {
				t.Fatalf("z%d: platform feature %v is not in the API", z, f.Props)
			}
			gotLon, gotLat := tileLonLat(z, x, y, 4096, f.Points[0])
			if math.Abs(gotLon-want[0]) > unit || math.Abs(gotLat-want[1]) > unit {
				t.Errorf("z%d platform %v: at %.6f,%.6f, want %.6f,%.6f", z, f.Props["name"], gotLon, gotLat, want[0], want[1])
			}
		}
	}
}

func TestTileBadCoordinates(t *testing.T) {
	h := newHandler(t, nil)
	cases := []struct {
		path   string
		status int
		want   string
	}{
		{"/tiles/23/0/0.mvt", 400, "zoom 23 is out of range: tiles go from 0 to 22"},
		{"/tiles/-1/0/0.mvt", 400, "zoom -1 is out of range"},
		{"/tiles/8/256/0.mvt", 400, "at zoom 8, x and y go from 0 to 255"},
		{"/tiles/8/0/-1.mvt", 400, "tile 8/0/-1 is out of range"},
		{"/tiles/8/a/1.mvt", 400, `"a" is not a whole number`},
		{"/tiles/8/+1/1.mvt", 400, `"+1" is not a whole number`},
		{"/tiles/8/1/99999999999999999999.mvt", 400, "is not a whole number"},
		{"/tiles/8/1/1.png", 404, "tiles are /tiles/{z}/{x}/{y}.mvt"},
	}
	for _, c := range cases {
		rec := get(t, h, c.path)
		var body struct{ Error, Code string }
		json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != c.status || !strings.Contains(body.Error, c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.path, rec.Code, rec.Body, c.status, c.want)
		}
	}
	// A tile in range with nothing in it is a valid empty tile.
	rec := get(t, h, "/tiles/10/0/0.mvt")
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Errorf("empty tile: %d, %d bytes, %q; want 200 and an empty tile", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Type"))
	}
}

// TestTileCaching checks the versions: ETag and 304 while nothing changes,
// immutable caching for URLs pinned to the current version, and a new version
// the moment a write commits.
func TestTileCaching(t *testing.T) {
	pool := dbtest.NewDB(t)
	h := newHandler(t, pool)
	var tj struct {
		TileJSON string   `json:"tilejson"`
		Tiles    []string `json:"tiles"`
		Bounds   []float64
		Layers   []struct{ ID string } `json:"vector_layers"`
		Attrib   string                `json:"attribution"`
	}
	rec := get(t, h, "/tiles.json")
	if err := json.Unmarshal(rec.Body.Bytes(), &tj); err != nil || rec.Code != 200 {
		t.Fatalf("tiles.json: %d %v: %s", rec.Code, err, rec.Body)
	}
	tileURL, version, ok := strings.Cut(tj.Tiles[0], "?v=")
	if tj.TileJSON != "3.0.0" || !ok || tileURL != "http://example.com/tiles/{z}/{x}/{y}.mvt" || len(tj.Layers) != 3 ||
		!strings.Contains(tj.Attrib, "CC BY 4.0") || tj.Bounds[0] > 116.4 || tj.Bounds[2] < 118.6 {
		t.Errorf("tiles.json: %+v", tj)
	}
	tag := rec.Header().Get("ETag")
	if tag != `W/"`+version+`"` {
		t.Errorf("tiles.json ETag %q, want version %q", tag, version)
	}

	path := "/tiles/8/211/108.mvt"
	rec = get(t, h, path+"?v="+version)
	if rec.Header().Get("ETag") != tag || rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("pinned tile: ETag %q, Cache-Control %q", rec.Header().Get("ETag"), rec.Header().Get("Cache-Control"))
	}
	if rec := get(t, h, path); rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("unpinned tile: Cache-Control %q, want no-cache", rec.Header().Get("Cache-Control"))
	}
	if rec := get(t, h, path, "If-None-Match", tag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match current: %d with %d bytes, want 304", rec.Code, rec.Body.Len())
	}
	plain := get(t, h, path)
	zipped := get(t, h, path, "Accept-Encoding", "gzip")
	if zipped.Header().Get("Content-Encoding") != "gzip" || zipped.Body.Len() >= plain.Body.Len() {
		t.Errorf("gzip: encoding %q, %d bytes against %d", zipped.Header().Get("Content-Encoding"), zipped.Body.Len(), plain.Body.Len())
	}

	// Any committed write, here by hand in SQL, moves the version.
	if _, err := pool.Exec(t.Context(), `UPDATE platform SET name = name || '（改）' WHERE id = (SELECT min(id) FROM platform)`); err != nil {
		t.Fatal(err)
	}
	rec = get(t, h, path, "If-None-Match", tag)
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") == tag {
		t.Errorf("after a write: %d, ETag %q; want 200 and a new ETag", rec.Code, rec.Header().Get("ETag"))
	}
	if rec := get(t, h, path+"?v="+version); rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("a stale pinned URL: Cache-Control %q, want no-cache", rec.Header().Get("Cache-Control"))
	}
	before := get(t, h, "/tiles.json").Header().Get("ETag")
	if _, err := pool.Exec(t.Context(), `UPDATE township SET source_note = source_note || '.' WHERE code = '350404001'`); err != nil {
		t.Fatal(err)
	}
	if after := get(t, h, "/tiles.json").Header().Get("ETag"); after == before {
		t.Errorf("a township edit left the version at %s", after)
	}
}

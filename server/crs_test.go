package server_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"civicmap/crs"
	"civicmap/db/dbtest"
)

// positioned is a platform or township seat with its position in the three
// systems, as GraphQL gives them.
type positioned struct {
	ID, Code, Name, Kind string
	Lon, Lat             *float64
	GcjLon, GcjLat       *float64
	BdLon, BdLat         *float64
	Location             *struct{ Coordinates []float64 }
	Township             struct{ Code string }
}

const positionsQuery = `{
	platforms(first: 500) { nodes { id name kind lon lat gcjLon: lon(crs: GCJ02) gcjLat: lat(crs: GCJ02)
		bdLon: lon(crs: BD09) bdLat: lat(crs: BD09) location(crs: BD09) township { code } } }
	townships(first: 500) { nodes { code name lon lat gcjLon: lon(crs: GCJ02) gcjLat: lat(crs: GCJ02)
		bdLon: lon(crs: BD09) bdLat: lat(crs: BD09) location: seat(crs: BD09) } } }`

func positions(t *testing.T, h http.Handler) (platforms, seats []positioned) {
	t.Helper()
	var d struct {
		Platforms, Townships struct{ Nodes []positioned }
	}
	data(t, h, positionsQuery, nil, &d)
	return d.Platforms.Nodes, d.Townships.Nodes
}

// TestPositionsInCRS: every platform's and seat's lon, lat and location in
// GCJ02 and BD09 are the conversion of its WGS84 position; the unknown stay
// null. It logs the offsets over Sanming's platforms (the README's figures).
func TestPositionsInCRS(t *testing.T) {
	h := newHandler(t, nil)
	platforms, seats := positions(t, h)
	for _, set := range []struct {
		name string
		all  []positioned
	}{{"platforms", platforms}, {"township seats", seats}} {
		known := 0
		gcj, bd := [2]float64{math.Inf(1), 0}, [2]float64{math.Inf(1), 0}
		for _, p := range set.all {
			if p.Lon == nil {
				if p.GcjLon != nil || p.BdLat != nil || p.Location != nil {
					t.Errorf("%s %s: no position in WGS84 but one in another system", set.name, p.Name)
				}
				continue
			}
			known++
			gx, gy := crs.GCJ02.FromWGS84(*p.Lon, *p.Lat)
			bx, by := crs.BD09.FromWGS84(*p.Lon, *p.Lat)
			if *p.GcjLon != gx || *p.GcjLat != gy || *p.BdLon != bx || *p.BdLat != by {
				t.Errorf("%s %s: GCJ02 %v,%v BD09 %v,%v; want %v,%v and %v,%v", set.name, p.Name, *p.GcjLon, *p.GcjLat, *p.BdLon, *p.BdLat, gx, gy, bx, by)
			}
			if c := p.Location.Coordinates; len(c) != 2 || math.Abs(c[0]-bx) > 1e-9 || math.Abs(c[1]-by) > 1e-9 {
				t.Errorf("%s %s: location(crs: BD09) %v, want [%v, %v]", set.name, p.Name, c, bx, by)
			}
			g, b := vincentyMetres(t, *p.Lon, *p.Lat, gx, gy), vincentyMetres(t, *p.Lon, *p.Lat, bx, by)
			gcj = [2]float64{min(gcj[0], g), max(gcj[1], g)}
			bd = [2]float64{min(bd[0], b), max(bd[1], b)}
		}
		t.Logf("%d %s with a position: GCJ-02 %.0f–%.0f m from WGS84, BD-09 %.0f–%.0f m", known, set.name, gcj[0], gcj[1], bd[0], bd[1])
		if known == 0 || gcj[0] < 500 || gcj[1] > 700 || bd[0] < 1000 || bd[1] > 1300 {
			t.Errorf("%s: offsets GCJ-02 %v, BD-09 %v; want about 0.6 and 1.2 km", set.name, gcj, bd)
		}
	}
}

// TestBoundaryInCRS: a county's boundary in GCJ02 has the same vertices,
// each converted.
func TestBoundaryInCRS(t *testing.T) {
	h := newHandler(t, nil)
	type polygons struct{ Coordinates [][][][]float64 }
	var d struct{ County struct{ W, G polygons } }
	data(t, h, `{ county(code: "350481") { w: boundary g: boundary(crs: GCJ02) } }`, nil, &d)
	w, g := d.County.W.Coordinates, d.County.G.Coordinates
	if len(w) == 0 || len(w) != len(g) || len(w[0][0]) != len(g[0][0]) {
		t.Fatalf("%d and %d polygons", len(w), len(g))
	}
	for i, pos := range w[0][0] {
		x, y := crs.GCJ02.FromWGS84(pos[0], pos[1])
		if got := g[0][0][i]; math.Abs(got[0]-x) > 1e-9 || math.Abs(got[1]-y) > 1e-9 {
			t.Fatalf("vertex %d: %v, want [%v, %v]", i, got, x, y)
		}
	}
}

// TestQuestionsInCRS: a click on an Amap or Baidu map where a liaison group
// stands (its position in GCJ02 or BD09) is answered with that liaison
// group, 0 m away, by locate, nearestPlatforms, near, bbox and within; the
// same numbers taken for WGS84 land about 600 m (GCJ-02) or 1.2 km (BD-09)
// off, the error civicmap made before.
func TestQuestionsInCRS(t *testing.T) {
	h := newHandler(t, nil)
	platforms, _ := positions(t, h)
	var groups []positioned
	for _, p := range platforms {
		if p.Kind == "LIAISON_GROUP" && p.Lon != nil && len(groups) < 6 {
			groups = append(groups, p)
		}
	}
	const query = `query($lon: Float!, $lat: Float!, $crs: CRS!, $near: NearInput, $bbox: BBoxInput, $within: GeoJSON) {
		locate(lon: $lon, lat: $lat, crs: $crs) { lon lat asked: lon(crs: $crs) township { code }
			nearest { distanceMetres platform { id } } }
		nearestPlatforms(lon: $lon, lat: $lat, crs: $crs, kinds: [LIAISON_GROUP], limit: 1) { distanceMetres platform { id } }
		near: platforms(near: $near, crs: $crs, filter: {kinds: [LIAISON_GROUP]}, first: 1) { edges { distanceMetres node { id } } }
		box: platforms(bbox: $bbox, crs: $crs, filter: {kinds: [LIAISON_GROUP]}) { nodes { id } }
		area: platforms(within: $within, crs: $crs, filter: {kinds: [LIAISON_GROUP]}) { nodes { id } } }`
	type answer struct {
		Locate struct {
			Lon, Lat, Asked float64
			Township        *struct{ Code string }
			Nearest         []struct {
				DistanceMetres float64
				Platform       struct{ ID string }
			}
		}
		NearestPlatforms []struct {
			DistanceMetres float64
			Platform       struct{ ID string }
		}
		Near struct {
			Edges []struct {
				DistanceMetres float64
				Node           struct{ ID string }
			}
		}
		Box, Area struct{ Nodes []struct{ ID string } }
	}
	// About 50 m around the point: a liaison group's neighbours are kilometres away.
	const d = 0.0005
	for _, g := range groups {
		for _, c := range []struct {
			crs      crs.CRS
			lon, lat float64
		}{{crs.GCJ02, *g.GcjLon, *g.GcjLat}, {crs.BD09, *g.BdLon, *g.BdLat}} {
			t.Run(g.Name+"/"+string(c.crs), func(t *testing.T) {
				ring := [][]float64{{c.lon - d, c.lat - d}, {c.lon + d, c.lat - d}, {c.lon + d, c.lat + d}, {c.lon - d, c.lat + d}, {c.lon - d, c.lat - d}}
				vars := map[string]any{"lon": c.lon, "lat": c.lat, "crs": c.crs,
					"near":   map[string]any{"lon": c.lon, "lat": c.lat, "radiusMetres": 100},
					"bbox":   map[string]any{"west": c.lon - d, "south": c.lat - d, "east": c.lon + d, "north": c.lat + d},
					"within": map[string]any{"type": "Polygon", "coordinates": [][][]float64{ring}}}
				var a answer
				data(t, h, query, vars, &a)
				l := a.Locate
				if l.Township == nil || l.Township.Code != g.Township.Code || l.Nearest[0].Platform.ID != g.ID || l.Nearest[0].DistanceMetres > 0.5 {
					t.Errorf("locate: township %v, nearest %+v; want %s and %s within 0.5 m", l.Township, l.Nearest, g.Township.Code, g.ID)
				}
				if vincentyMetres(t, l.Lon, l.Lat, *g.Lon, *g.Lat) > 0.5 || math.Abs(l.Asked-c.lon) > 1e-9 {
					t.Errorf("locate: lon, lat %v, %v (asked %v); want the WGS84 %v, %v and the %s lon asked", l.Lon, l.Lat, l.Asked, *g.Lon, *g.Lat, c.crs)
				}
				if n := a.NearestPlatforms; len(n) != 1 || n[0].Platform.ID != g.ID || n[0].DistanceMetres > 0.5 {
					t.Errorf("nearestPlatforms: %+v", n)
				}
				if e := a.Near.Edges; len(e) != 1 || e[0].Node.ID != g.ID || e[0].DistanceMetres > 0.5 {
					t.Errorf("near: %+v", e)
				}
				for name, got := range map[string][]struct{ ID string }{"bbox": a.Box.Nodes, "within": a.Area.Nodes} {
					if len(got) != 1 || got[0].ID != g.ID {
						t.Errorf("%s: %+v, want %s only", name, got, g.ID)
					}
				}
				// The same numbers as WGS84: what an app that ignores the datum gets.
				vars["crs"] = crs.WGS84
				var wrong answer
				data(t, h, query, vars, &wrong)
				if m := wrong.NearestPlatforms[0].DistanceMetres; wrong.NearestPlatforms[0].Platform.ID == g.ID && m < 500 {
					t.Errorf("taken for WGS84, the %s point is %.0f m from the group; want the datum's offset", c.crs, m)
				}
				if len(wrong.Box.Nodes)+len(wrong.Area.Nodes)+len(wrong.Near.Edges) != 0 {
					t.Errorf("taken for WGS84, the %s box, area or circle found %+v %+v %+v", c.crs, wrong.Box, wrong.Area, wrong.Near)
				}
			})
		}
	}
}

// TestCRSBadInput: an unknown system is BAD_USER_INPUT naming the variable
// in GraphQL, and 400 naming the parameter on every REST path that takes
// one; never read as WGS84.
func TestCRSBadInput(t *testing.T) {
	h := newHandler(t, nil)
	for _, c := range []struct{ name, query, value, field string }{
		{"locate", `query($c: CRS!) { locate(lon: 117.6, lat: 26.2, crs: $c) { message } }`, "gcj02", "c"},
		{"nearest", `query($c: CRS!) { nearestPlatforms(lon: 117.6, lat: 26.2, crs: $c) { distanceMetres } }`, "GCJ-02", "c"},
		{"platforms", `query($c: CRS!) { platforms(crs: $c) { totalCount } }`, "EPSG:4326", "c"},
		{"near", `query($c: CRS!) { platforms(near: {lon: 117.6, lat: 26.2, radiusMetres: 100}, crs: $c) { totalCount } }`, "", "c"},
		{"lon", `query($c: CRS!) { platforms(first: 1) { nodes { lon(crs: $c) } } }`, "bd09", "c"},
		{"layer", `query($c: CRS!) { townshipFeatures(crs: $c) }`, "Wgs84", "c"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, post(t, h, c.query, map[string]any{"c": c.value}), "BAD_USER_INPUT", c.field, c.value)
		})
	}
	if r := post(t, h, `{ locate(lon: 117.6, lat: 26.2, crs: gcj02) { message } }`, nil); r.code() == "" {
		t.Errorf("a literal gcj02 was accepted: %s", r.Data)
	}
	for _, path := range []string{"/geojson/platforms?crs=gcj02", "/geojson/townships?simplify=100&crs=", "/export/platforms.csv?crs=EPSG:4326",
		"/export/platforms.geojson?crs=BD-09", "/export/uncovered.csv?kinds=WORKSTATION&crs=wgs84", "/tiles/8/211/108.mvt?crs=gcj02"} {
		t.Run(path, func(t *testing.T) {
			rec := get(t, h, path)
			var e struct{ Error, Code string }
			json.Unmarshal(rec.Body.Bytes(), &e)
			if rec.Code != http.StatusBadRequest || e.Code != "BAD_USER_INPUT" || !strings.HasPrefix(e.Error, "crs: want WGS84, GCJ02 or BD09") {
				t.Errorf("status %d, %s %q; want 400, BAD_USER_INPUT, crs: want WGS84, GCJ02 or BD09", rec.Code, e.Code, e.Error)
			}
		})
	}
}

// TestTilesStayWebMercator: tiles in another system are refused with the way
// to draw on an Amap or Baidu basemap; crs=WGS84 is what they are.
func TestTilesStayWebMercator(t *testing.T) {
	h := newHandler(t, nil)
	for _, path := range []string{"/tiles/8/211/108.mvt?crs=GCJ02", "/tiles.json?crs=BD09"} {
		rec := get(t, h, path)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "vector tiles are WGS84 in Web Mercator only") {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
	if rec := get(t, h, "/tiles/8/211/108.mvt?crs=WGS84"); rec.Code != http.StatusOK {
		t.Errorf("crs=WGS84: status %d", rec.Code)
	}
}

// TestLayersInCRS: /geojson/platforms and /geojson/townships in GCJ02 and
// BD09 say so, carry each position converted (to 6 decimals, as PostGIS
// writes them) and are the bytes GraphQL's platformFeatures and
// townshipFeatures give.
func TestLayersInCRS(t *testing.T) {
	h := newHandler(t, nil)
	type layer struct {
		CoordinateSystem string
		Features         []struct {
			ID       any
			Geometry *struct {
				Type        string
				Coordinates json.RawMessage
			}
			Properties struct{ Lon, Lat *float64 }
		}
	}
	read := func(path string) (layer, string) {
		rec := get(t, h, path)
		var l layer
		if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %v", path, rec.Code, err)
		}
		return l, rec.Body.String()
	}
	for _, c := range []struct {
		path, field string
		crs         crs.CRS
	}{
		{"/geojson/platforms?kinds=WORKSTATION", "platformFeatures(filter: {kinds: [WORKSTATION]}, crs: GCJ02)", crs.GCJ02},
		{"/geojson/townships?simplify=200", "townshipFeatures(simplifyMetres: 200, crs: BD09)", crs.BD09},
	} {
		t.Run(c.path, func(t *testing.T) {
			w, _ := read(c.path)
			o, body := read(c.path + "&crs=" + string(c.crs))
			if w.CoordinateSystem != "WGS84" || o.CoordinateSystem != string(c.crs) || len(w.Features) != len(o.Features) {
				t.Fatalf("systems %q and %q, %d and %d features", w.CoordinateSystem, o.CoordinateSystem, len(w.Features), len(o.Features))
			}
			for i, f := range w.Features {
				g := o.Features[i]
				if f.Properties.Lon != nil {
					x, y := c.crs.FromWGS84(*f.Properties.Lon, *f.Properties.Lat)
					if math.Abs(*g.Properties.Lon-x) > 1e-6 || math.Abs(*g.Properties.Lat-y) > 1e-6 {
						t.Errorf("feature %v: seat %v, %v; want %v, %v", f.ID, *g.Properties.Lon, *g.Properties.Lat, x, y)
					}
				}
				if f.Geometry == nil {
					continue
				}
				wf, of := firstPosition(t, f.Geometry.Coordinates), firstPosition(t, g.Geometry.Coordinates)
				x, y := c.crs.FromWGS84(wf[0], wf[1])
				if math.Abs(of[0]-x) > 1.5e-6 || math.Abs(of[1]-y) > 1.5e-6 {
					t.Errorf("feature %v: first position %v, want [%v, %v]", f.ID, of, x, y)
				}
			}
			var d map[string]json.RawMessage
			data(t, h, "{ layer: "+c.field+" }", nil, &d)
			if string(d["layer"]) != strings.TrimSpace(body) {
				t.Errorf("GraphQL's %s differs from %s", c.field, c.path)
			}
		})
	}
}

// firstPosition returns the first position of a GeoJSON coordinates value.
func firstPosition(t *testing.T, raw json.RawMessage) []float64 {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	for {
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			t.Fatalf("no position in %s", raw)
		}
		if _, isNumber := arr[0].(float64); isNumber {
			return []float64{arr[0].(float64), arr[1].(float64)}
		}
		v = arr[0]
	}
}

// TestConvertedLayerFollowsWrites: a layer kept converted is converted again
// once a write changes the data version.
func TestConvertedLayerFollowsWrites(t *testing.T) {
	pool := dbtest.NewDB(t)
	h := newHandler(t, pool)
	const path = "/geojson/platforms?kinds=WORKSTATION&crs=GCJ02"
	before := get(t, h, path).Body.String()
	if again := get(t, h, path).Body.String(); again != before {
		t.Fatal("two reads at one version differ")
	}
	if _, err := pool.Exec(t.Context(), `UPDATE platform SET location = ST_SetSRID(ST_MakePoint(117.7, 26.3), 4326)
		WHERE id = (SELECT min(id) FROM platform WHERE kind = 'WORKSTATION')`); err != nil {
		t.Fatal(err)
	}
	after := get(t, h, path).Body.String()
	x, y := crs.GCJ02.FromWGS84(117.7, 26.3)
	want := fmt.Sprintf(`"coordinates":[%s,%s]`, strconv.FormatFloat(math.Round(x*1e6)/1e6, 'f', -1, 64), strconv.FormatFloat(math.Round(y*1e6)/1e6, 'f', -1, 64))
	if after == before || !strings.Contains(after, want) {
		t.Errorf("after the move, the layer lacks %s", want)
	}
}

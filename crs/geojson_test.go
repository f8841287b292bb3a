package crs

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
)

// TestFromWGS84GeoJSON: positions in coordinates and a seat's lon/lat are
// converted, the system member is set, nulls and everything else are kept in
// their order.
func TestFromWGS84GeoJSON(t *testing.T) {
	const src = `{"type":"FeatureCollection","coordinateSystem":"WGS84","attribution":"© Amap","version":"3.1","features":[` +
		`{"type":"Feature","id":"350402001","geometry":{"type":"Polygon","coordinates":[[[117.6,26.2],[117.7,26.2],[117.7,26.3],[117.6,26.2]]]},"properties":{"name":"列东街道","lon":117.65,"lat":26.25}},` +
		`{"type":"Feature","id":"x","geometry":null,"properties":{"name":"方田乡","lon":null,"lat":null}},` +
		`{"type":"Feature","id":"p","geometry":{"type":"Point","coordinates":[117.6,26.2,300]},"properties":{"kind":"WORKSTATION","count":3,"real":true}}]}`
	got, err := GCJ02.FromWGS84GeoJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	x, y := GCJ02.FromWGS84(117.6, 26.2)
	sx, sy := GCJ02.FromWGS84(117.65, 26.25)
	for _, want := range []string{
		`{"type":"FeatureCollection","coordinateSystem":"GCJ02","attribution":"© Amap","version":"3.1","features":[`,
		`"coordinates":[[[` + string(formatDegrees(x)) + `,` + string(formatDegrees(y)) + `],`,
		`"properties":{"name":"列东街道","lon":` + string(formatDegrees(sx)) + `,"lat":` + string(formatDegrees(sy)) + `}`,
		`"properties":{"name":"方田乡","lon":null,"lat":null}`,
		`"coordinates":[` + string(formatDegrees(x)) + `,` + string(formatDegrees(y)) + `,300]`,
		`"properties":{"kind":"WORKSTATION","count":3,"real":true}`,
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("want %s in\n%s", want, got)
		}
	}
	if !json.Valid(got) {
		t.Errorf("not JSON: %s", got)
	}
	if same, _ := WGS84.FromWGS84GeoJSON([]byte(src)); string(same) != src {
		t.Errorf("WGS84 changed the text: %s", same)
	}
	if _, err := BD09.FromWGS84GeoJSON([]byte(`{"coordinates":["a"]}`)); err == nil {
		t.Error("a position of strings: no error")
	}
}

// TestGeometry: a polygon goes to GCJ-02 and back within a millimetre, and
// the original is untouched.
func TestGeometry(t *testing.T) {
	ring := []float64{117.6, 26.2, 117.7, 26.2, 117.7, 26.3, 117.6, 26.2}
	orig := geom.NewPolygonFlat(geom.XY, append([]float64(nil), ring...), []int{len(ring)})
	out, err := GCJ02.FromWGS84Geometry(orig)
	if err != nil {
		t.Fatal(err)
	}
	back, err := GCJ02.ToWGS84Geometry(out)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(ring); i += 2 {
		if orig.FlatCoords()[i] != ring[i] {
			t.Fatalf("the original changed: %v", orig.FlatCoords())
		}
		o := out.FlatCoords()
		if d := metres(ring[i], ring[i+1], o[i], o[i+1]); d < 500 {
			t.Errorf("vertex %d moved %.1f m, want GCJ-02's offset", i/2, d)
		}
		b := back.FlatCoords()
		if d := metres(ring[i], ring[i+1], b[i], b[i+1]); d > 0.001 {
			t.Errorf("vertex %d back %.4f m off", i/2, d)
		}
	}
	if g, err := BD09.FromWGS84Geometry(nil); g != nil || err != nil {
		t.Errorf("nil: %v, %v", g, err)
	}
}

// FuzzFromWGS84GeoJSON: any JSON text converts without a panic into JSON
// text, or is refused with an error.
func FuzzFromWGS84GeoJSON(f *testing.F) {
	f.Add([]byte(`{"type":"Point","coordinates":[117.6,26.2]}`))
	f.Add([]byte(`{"type":"FeatureCollection","coordinateSystem":"WGS84","features":[{"geometry":null,"properties":{"lon":1,"lat":null}}]}`))
	f.Add([]byte(`{"coordinates":[[[117.6,26.2,5],[1e400,2]]]}`))
	f.Add([]byte(`{"coordinates":[[],[[]]],"lon":"x","lat":2}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		if !json.Valid(src) {
			return
		}
		out, err := BD09.FromWGS84GeoJSON(src)
		if err == nil && !json.Valid(out) {
			t.Errorf("%s became %s, not JSON", src, out)
		}
	})
}

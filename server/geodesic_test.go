package server_test

import (
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"testing"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"
)

// The spatial tests check PostGIS against computations in Go that share no code
// with it: Vincenty's geodesic distance on the WGS84 ellipsoid and an even-odd
// point-in-polygon test.

// vincentyMetres is the geodesic distance between two points on the WGS84
// ellipsoid, by Vincenty's inverse formula: within a millimetre of PostGIS's
// spheroid distance, where the haversine on a sphere is off by up to 0.5%. It
// does not converge for nearly antipodal points, which the tests do not use.
func vincentyMetres(t *testing.T, lon1, lat1, lon2, lat2 float64) float64 {
	t.Helper()
	const (
		a = 6378137.0
		f = 1 / 298.257223563
		b = a * (1 - f)
	)
	rad := func(deg float64) float64 { return deg * math.Pi / 180 }
	l := rad(lon2 - lon1)
	sinU1, cosU1 := math.Sincos(math.Atan((1 - f) * math.Tan(rad(lat1))))
	sinU2, cosU2 := math.Sincos(math.Atan((1 - f) * math.Tan(rad(lat2))))
	lambda := l
	for range 200 {
		sinL, cosL := math.Sincos(lambda)
		sinSigma := math.Hypot(cosU2*sinL, cosU1*sinU2-sinU1*cosU2*cosL)
		if sinSigma == 0 {
			return 0 // the same point
		}
		cosSigma := sinU1*sinU2 + cosU1*cosU2*cosL
		sigma := math.Atan2(sinSigma, cosSigma)
		sinAlpha := cosU1 * cosU2 * sinL / sinSigma
		cos2Alpha := 1 - sinAlpha*sinAlpha
		cos2SigmaM := 0.0 // on the equator
		if cos2Alpha != 0 {
			cos2SigmaM = cosSigma - 2*sinU1*sinU2/cos2Alpha
		}
		c := f / 16 * cos2Alpha * (4 + f*(4-3*cos2Alpha))
		prev := lambda
		lambda = l + (1-c)*f*sinAlpha*(sigma+c*sinSigma*(cos2SigmaM+c*cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)))
		if math.Abs(lambda-prev) < 1e-12 {
			u2 := cos2Alpha * (a*a - b*b) / (b * b)
			bigA := 1 + u2/16384*(4096+u2*(-768+u2*(320-175*u2)))
			bigB := u2 / 1024 * (256 + u2*(-128+u2*(74-47*u2)))
			deltaSigma := bigB * sinSigma * (cos2SigmaM + bigB/4*(cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)-
				bigB/6*cos2SigmaM*(-3+4*sinSigma*sinSigma)*(-3+4*cos2SigmaM*cos2SigmaM)))
			return b * bigA * (sigma - deltaSigma)
		}
	}
	t.Fatalf("Vincenty does not converge from [%v, %v] to [%v, %v]", lon1, lat1, lon2, lat2)
	return 0
}

// TestVincenty pins the test's distance to published geodesics, so that the
// spatial tests do not compare PostGIS with a wrong reference.
func TestVincenty(t *testing.T) {
	for _, c := range []struct {
		lon1, lat1, lon2, lat2, metres float64
	}{
		// Flinders Peak to Buninyong, Vincenty (1975) and Geoscience Australia.
		{144.42486788888889, -37.95103341666667, 143.92649552777777, -37.65282113888889, 54972.271},
		// One degree of longitude on the equator: a × π / 180.
		{0, 0, 1, 0, 111319.491},
		// One degree of latitude from the equator (meridian arc, WGS84).
		{0, 0, 0, 1, 110574.389},
	} {
		if got := vincentyMetres(t, c.lon1, c.lat1, c.lon2, c.lat2); math.Abs(got-c.metres) > 0.01 {
			t.Errorf("[%v, %v] to [%v, %v]: %.3f m, want %.3f", c.lon1, c.lat1, c.lon2, c.lat2, got, c.metres)
		}
	}
}

// sitedPlatform is a platform with its position, as the API lists it.
type sitedPlatform struct {
	ID, Kind, Status string
	Lon, Lat         *float64
	County           struct{ Code string }
}

// allPlatforms fetches every platform once, with its position.
func allPlatforms(t *testing.T, h http.Handler) []sitedPlatform {
	t.Helper()
	var d struct {
		Platforms struct{ Nodes []sitedPlatform }
	}
	data(t, h, `{ platforms(first: 500) { nodes { id kind status lon lat county { code } } } }`, nil, &d)
	if len(d.Platforms.Nodes) != 207 {
		t.Fatalf("%d platforms, want 207", len(d.Platforms.Nodes))
	}
	return d.Platforms.Nodes
}

// hit is a platform found at a distance.
type hit struct {
	ID     string
	Metres float64
}

// nearestInGo returns the platforms that keep, with their Vincenty distances
// from [lon, lat], nearest first, then by ID as the API orders them.
func nearestInGo(t *testing.T, all []sitedPlatform, lon, lat float64, keep func(*sitedPlatform) bool) []hit {
	t.Helper()
	var hits []hit
	for i := range all {
		p := &all[i]
		if p.Lon != nil && keep(p) {
			hits = append(hits, hit{p.ID, vincentyMetres(t, lon, lat, *p.Lon, *p.Lat)})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].Metres < hits[j].Metres })
	return hits
}

// sameHits fails unless got lists the first n platforms of want, the whole
// ordered list, in its order, each distance within a metre of Vincenty's. Two
// platforms whose distances differ by less than a metre may swap places, also
// across the cut at n.
func sameHits(t *testing.T, what string, got, want []hit, n int) {
	t.Helper()
	n = min(n, len(want))
	if len(got) != n {
		t.Errorf("%s: %d platforms, want %d\ngot  %v\nwant %v", what, len(got), n, got, want[:n])
		return
	}
	dist := map[string]float64{}
	for _, w := range want {
		dist[w.ID] = w.Metres
	}
	for i, g := range got {
		w, ok := dist[g.ID]
		switch {
		case !ok:
			t.Errorf("%s: #%d %s is not among the platforms expected", what, i, g.ID)
		case math.Abs(g.Metres-w) > 1:
			t.Errorf("%s: #%d %s is %.3f m away, Vincenty says %.3f m", what, i, g.ID, g.Metres, w)
		case g.ID != want[i].ID && math.Abs(w-want[i].Metres) > 1:
			t.Errorf("%s: #%d is %s at %.3f m, want %s at %.3f m", what, i, g.ID, w, want[i].ID, want[i].Metres)
		}
		if i > 0 && g.Metres < got[i-1].Metres {
			t.Errorf("%s: #%d is nearer than #%d", what, i, i-1)
		}
	}
}

// withoutEdge leaves out of got and want the platforms that Vincenty puts
// within a metre of radiusMetres: whether they are inside depends on rounding.
func withoutEdge(got, want []hit, radiusMetres float64) (gotIn, wantIn []hit) {
	edge := map[string]bool{}
	for _, w := range want {
		edge[w.ID] = math.Abs(w.Metres-radiusMetres) <= 1
	}
	for _, g := range got {
		if !edge[g.ID] {
			gotIn = append(gotIn, g)
		}
	}
	for _, w := range want {
		if !edge[w.ID] && w.Metres <= radiusMetres {
			wantIn = append(wantIn, w)
		}
	}
	return gotIn, wantIn
}

// area is a GeoJSON Polygon or MultiPolygon, also as polygons of rings of
// [lon, lat] positions for the Go point-in-polygon test.
type area struct {
	GeoJSON  json.RawMessage
	polygons [][][]geom.Coord
}

func newArea(t *testing.T, geoJSON string) area {
	t.Helper()
	var g geom.T
	if err := geojson.Unmarshal([]byte(geoJSON), &g); err != nil {
		t.Fatalf("area %s: %v", geoJSON, err)
	}
	a := area{GeoJSON: json.RawMessage(geoJSON)}
	switch g := g.(type) {
	case *geom.Polygon:
		a.polygons = [][][]geom.Coord{g.Coords()}
	case *geom.MultiPolygon:
		a.polygons = g.Coords()
	default:
		t.Fatalf("area %s is a %T", geoJSON, g)
	}
	return a
}

// contains reports whether [lon, lat] is inside the area: inside a polygon by
// the even-odd rule over all its rings, so that holes are outside.
func (a area) contains(lon, lat float64) bool {
	for _, rings := range a.polygons {
		in := false
		for _, ring := range rings {
			for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
				p, q := ring[i], ring[j]
				if (p[1] > lat) != (q[1] > lat) && lon < (q[0]-p[0])*(lat-p[1])/(q[1]-p[1])+p[0] {
					in = !in
				}
			}
		}
		if in {
			return true
		}
	}
	return false
}

// box is a bbox argument.
type box struct{ West, South, East, North float64 }

func (b box) contains(lon, lat float64) bool {
	return b.West <= lon && lon <= b.East && b.South <= lat && lat <= b.North
}

func (b box) vars() map[string]any {
	return map[string]any{"west": b.West, "south": b.South, "east": b.East, "north": b.North}
}

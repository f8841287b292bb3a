package crs

import (
	"errors"
	"math"
	"testing"

	"civicmap/errcode"
)

// metres is the great-circle distance between two positions, accurate to
// well under a millimetre at the distances compared here.
func metres(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371008.8
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// TestReferencePairs: the conversions give the published pairs of the
// widely used coordtransform library's own test (Beijing, 116.404, 39.915).
// Its forward formulas are the ones this package implements, so they agree
// to the last digits; its inverses are one-step approximations, which this
// package's iteration improves on, so they agree to within its error.
func TestReferencePairs(t *testing.T) {
	const lon, lat = 116.404, 39.915
	tests := []struct {
		name             string
		convert          func(lon, lat float64) (float64, float64)
		wantLon, wantLat float64
		withinMetres     float64
	}{
		{"WGS84 to GCJ02", GCJ02.FromWGS84, 116.41024449916938, 39.91640428150164, 1e-6},
		{"GCJ02 to BD09", gcjToBD, 116.41036949371029, 39.92133699351021, 1e-6},
		{"GCJ02 to WGS84", GCJ02.ToWGS84, 116.39775550083061, 39.91359571849836, 3},
		{"BD09 to GCJ02", func(lon, lat float64) (float64, float64) { return invert(gcjToBD, lon, lat) },
			116.39762729119315, 39.90865673957631, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotLon, gotLat := tt.convert(lon, lat)
			if d := metres(gotLon, gotLat, tt.wantLon, tt.wantLat); d > tt.withinMetres {
				t.Errorf("got %.14f, %.14f; want %.14f, %.14f (%.3f m apart, at most %g)",
					gotLon, gotLat, tt.wantLon, tt.wantLat, d, tt.withinMetres)
			}
		})
	}
}

// sanmingGrid calls f at every point of a 0.02° grid over Sanming's extent
// (116.3–118.7°E, 25.4–27.2°N): 121 × 91 points.
func sanmingGrid(f func(lon, lat float64)) {
	for i := 0; i <= 120; i++ {
		for j := 0; j <= 90; j++ {
			f(116.3+float64(i)*0.02, 25.4+float64(j)*0.02)
		}
	}
}

// TestRoundTripAcrossSanming: WGS84 → c → WGS84 returns within 0.5 m (in
// fact within a millimetre) everywhere in Sanming, and the offset there is
// what Amap and Baidu users see: about 0.6 km and 1.2 km.
func TestRoundTripAcrossSanming(t *testing.T) {
	for _, c := range []CRS{GCJ02, BD09} {
		t.Run(string(c), func(t *testing.T) {
			worst, minOff, maxOff := 0.0, math.Inf(1), 0.0
			sanmingGrid(func(lon, lat float64) {
				x, y := c.FromWGS84(lon, lat)
				off := metres(lon, lat, x, y)
				minOff, maxOff = min(minOff, off), max(maxOff, off)
				bx, by := c.ToWGS84(x, y)
				worst = max(worst, metres(lon, lat, bx, by))
			})
			if worst > 0.5 {
				t.Errorf("round trip off by up to %.4f m, want at most 0.5", worst)
			}
			t.Logf("%s over Sanming: offset %.0f–%.0f m, round trip within %.2g m", c, minOff, maxOff, worst)
			want := map[CRS][2]float64{GCJ02: {450, 750}, BD09: {900, 1400}}[c]
			if minOff < want[0] || maxOff > want[1] {
				t.Errorf("offset %.0f–%.0f m, want within %v", minOff, maxOff, want)
			}
		})
	}
}

// TestOutsideChinaNoOffset: outside the formula's box around China, both
// systems are WGS84, in and out.
func TestOutsideChinaNoOffset(t *testing.T) {
	places := []struct {
		name     string
		lon, lat float64
	}{
		{"Greenwich", 0, 51.4779},
		{"Tokyo", 139.6917, 35.6895},
		{"Singapore", 103.8198, 0.5},
		{"Moscow", 37.6173, 55.7558},
		{"Sydney", 151.2093, -33.8688},
	}
	for _, p := range places {
		for _, c := range All {
			t.Run(p.name+"/"+string(c), func(t *testing.T) {
				if x, y := c.FromWGS84(p.lon, p.lat); x != p.lon || y != p.lat {
					t.Errorf("FromWGS84 = %v, %v; want no offset", x, y)
				}
				if x, y := c.ToWGS84(p.lon, p.lat); x != p.lon || y != p.lat {
					t.Errorf("ToWGS84 = %v, %v; want no offset", x, y)
				}
			})
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want CRS
	}{
		{"WGS84", WGS84}, {"GCJ02", GCJ02}, {"BD09", BD09},
		{"gcj02", ""}, {"GCJ-02", ""}, {"EPSG:4326", ""}, {"", ""}, {" WGS84", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse("crs", tt.in)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("Parse(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			var e *errcode.Error
			if !errors.As(err, &e) || e.Code != errcode.BadUserInput || e.Field != "crs" {
				t.Fatalf("Parse(%q) = %q, %v; want BAD_USER_INPUT naming crs", tt.in, got, err)
			}
		})
	}
}

// Package crs converts positions between WGS84, in which civicmap stores and
// measures everything, and the two datums of Chinese web maps: GCJ-02 (the
// national "offset" datum of Amap/高德, Tencent and Google's China tiles) and
// BD-09 (Baidu's, a further offset of GCJ-02). Conversions happen at the
// edges, in and out, and are never stored.
//
// GCJ-02 is the published polynomial shift of GB offset software; BD-09 is
// Baidu's published rotation and shift of GCJ-02. Neither has a closed-form
// inverse: ToWGS84 solves the forward formula by fixed-point iteration, to
// about a millimetre. Outside China's bounding box (the algorithm's own test)
// both datums equal WGS84.
package crs

import (
	"math"

	"civicmap/errcode"
)

// CRS names a coordinate reference system of longitude/latitude in degrees.
type CRS string

// The systems civicmap speaks, as the GraphQL enum CRS and the crs parameter
// of the REST paths spell them.
const (
	WGS84 CRS = "WGS84" // GPS, OpenStreetMap, Tianditu (CGCS2000, within a metre of it), GeoJSON
	GCJ02 CRS = "GCJ02" // Amap/高德, Tencent, Google's China tiles
	BD09  CRS = "BD09"  // Baidu (bd09ll)
)

// All lists the systems in the schema's order.
var All = []CRS{WGS84, GCJ02, BD09}

// Parse returns the system s names, spelt exactly as the schema spells it, or
// BAD_USER_INPUT naming field: an unknown value is never taken for WGS84.
// The empty string, a parameter given without a value, is unknown too.
func Parse(field, s string) (CRS, error) {
	for _, c := range All {
		if string(c) == s {
			return c, nil
		}
	}
	return "", errcode.Invalid(field, "want WGS84, GCJ02 or BD09 (case as written), got %q", s)
}

// IsValid reports whether c is one of All; gqlgen's enum binding uses it.
func (c CRS) IsValid() bool {
	for _, k := range All {
		if c == k {
			return true
		}
	}
	return false
}

// FromWGS84 returns the position in c of the WGS84 position lon, lat.
func (c CRS) FromWGS84(lon, lat float64) (float64, float64) {
	switch c {
	case GCJ02:
		return wgsToGCJ(lon, lat)
	case BD09:
		return gcjToBD(wgsToGCJ(lon, lat))
	}
	return lon, lat
}

// FromWGS84Optional is FromWGS84 for a position that may be unknown: nil, nil
// when either coordinate is nil.
func (c CRS) FromWGS84Optional(lon, lat *float64) (*float64, *float64) {
	if lon == nil || lat == nil {
		return nil, nil
	}
	x, y := c.FromWGS84(*lon, *lat)
	return &x, &y
}

// ToWGS84 returns the WGS84 position of lon, lat given in c.
func (c CRS) ToWGS84(lon, lat float64) (float64, float64) {
	if c == WGS84 || c == "" {
		return lon, lat
	}
	return invert(c.FromWGS84, lon, lat)
}

// Inversion: the offsets change by under a metre per kilometre, so each step
// of x ← x − (f(x) − target) shrinks the error about a thousandfold; 1e-9
// degrees is about 0.1 mm.
const (
	inverseTolerance = 1e-9
	inverseSteps     = 10
)

// invert returns the position x with f(x) = (lon, lat).
func invert(f func(lon, lat float64) (float64, float64), lon, lat float64) (float64, float64) {
	x, y := lon, lat
	for range inverseSteps {
		fx, fy := f(x, y)
		dx, dy := fx-lon, fy-lat
		x, y = x-dx, y-dy
		if math.Abs(dx) < inverseTolerance && math.Abs(dy) < inverseTolerance {
			break
		}
	}
	return x, y
}

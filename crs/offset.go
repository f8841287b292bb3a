package crs

import "math"

// The constants of the GCJ-02 formula: the Krasovsky 1940 ellipsoid's semi-major
// axis (metres) and first eccentricity squared.
const (
	krasovskyA  = 6378245.0
	krasovskyE2 = 0.00669342162296594323
)

// outsideChina is the formula's own test: a box around China, outside which
// GCJ-02 applies no offset.
func outsideChina(lon, lat float64) bool {
	return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

// wgsToGCJ applies GCJ-02's offset to a WGS84 position.
func wgsToGCJ(lon, lat float64) (float64, float64) {
	if outsideChina(lon, lat) {
		return lon, lat
	}
	x, y := lon-105, lat-35
	dLat, dLon := shiftLat(x, y), shiftLon(x, y)
	radLat := lat * math.Pi / 180
	s := math.Sin(radLat)
	m := 1 - krasovskyE2*s*s
	sm := math.Sqrt(m)
	dLat = dLat * 180 / (krasovskyA * (1 - krasovskyE2) / (m * sm) * math.Pi)
	dLon = dLon * 180 / (krasovskyA / sm * math.Cos(radLat) * math.Pi)
	return lon + dLon, lat + dLat
}

// waves is the periodic part both shifts share.
func waves(x float64) float64 {
	return (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
}

// shiftLat is the northward shift before it is scaled to degrees, at x
// degrees east of 105°E and y degrees north of 35°N.
func shiftLat(x, y float64) float64 {
	r := -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += waves(x)
	r += (20*math.Sin(y*math.Pi) + 40*math.Sin(y/3*math.Pi)) * 2 / 3
	r += (160*math.Sin(y/12*math.Pi) + 320*math.Sin(y*math.Pi/30)) * 2 / 3
	return r
}

// shiftLon is the eastward counterpart of shiftLat.
func shiftLon(x, y float64) float64 {
	r := 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += waves(x)
	r += (20*math.Sin(x*math.Pi) + 40*math.Sin(x/3*math.Pi)) * 2 / 3
	r += (150*math.Sin(x/12*math.Pi) + 300*math.Sin(x/30*math.Pi)) * 2 / 3
	return r
}

// bdRate is BD-09's angular constant: π·3000/180.
const bdRate = math.Pi * 3000 / 180

// gcjToBD applies BD-09's rotation and shift to a GCJ-02 position. Outside
// China it applies none, as GCJ-02 does not.
func gcjToBD(lon, lat float64) (float64, float64) {
	if outsideChina(lon, lat) {
		return lon, lat
	}
	z := math.Sqrt(lon*lon+lat*lat) + 0.00002*math.Sin(lat*bdRate)
	theta := math.Atan2(lat, lon) + 0.000003*math.Cos(lon*bdRate)
	return z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006
}

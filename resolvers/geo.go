package resolvers

import (
	"math"

	"github.com/twpayne/go-geom"

	"civicmap/errcode"
	"civicmap/graph/scalar"
)

// maxRadiusMetres bounds every radius: 200 km spans Sanming several times over,
// and a larger circle only costs the database time.
const maxRadiusMetres = 200_000

// checkLonLat refuses a point off the globe, or not a number; field names the
// argument or input object the point came from ("" for top-level lon and lat).
func checkLonLat(field string, lon, lat float64) error {
	if math.IsNaN(lon) || lon < -180 || lon > 180 {
		return errcode.Invalid(join(field, "lon"), "longitude must be in [-180, 180], got %v; coordinates are [lon, lat] WGS84", lon)
	}
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		return errcode.Invalid(join(field, "lat"), "latitude must be in [-90, 90], got %v; coordinates are [lon, lat] WGS84", lat)
	}
	return nil
}

// checkRadius refuses a radius outside (0, 200 km], or [0, 200 km] when zero
// has a meaning (coverage: inside the cell only).
func checkRadius(field string, metres float64, zeroAllowed bool) error {
	low := "more than 0"
	if zeroAllowed {
		low = "at least 0"
	}
	if math.IsNaN(metres) || metres > maxRadiusMetres || metres < 0 || metres == 0 && !zeroAllowed {
		return errcode.Invalid(field, "a radius in metres must be %s and at most %d (200 km), got %v", low, maxRadiusMetres, metres)
	}
	return nil
}

// geometry wraps a geometry for gqlgen (see scalar.Geometry); nil stays nil.
func geometry(g geom.T, err error) (*scalar.Geometry, error) {
	if err != nil || g == nil {
		return nil, err
	}
	return &scalar.Geometry{T: g}, nil
}

// join names a field inside an input object: join("near", "lon") = "near.lon".
func join(parent, field string) string {
	if parent == "" {
		return field
	}
	return parent + "." + field
}

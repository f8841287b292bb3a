package resolvers

import (
	"context"
	"fmt"
	"strings"

	"github.com/twpayne/go-geom"

	"civicmap/crs"
	"civicmap/db"
	"civicmap/errcode"
	"civicmap/graph/scalar"
)

// maxVertices bounds an area: a county's boundary has a few thousand vertices,
// and every one more costs time to check and to test points against.
const maxVertices = 10_000

// checkLonLat refuses a point off the globe, or not a number; field names the
// argument or input object the point came from ("" for top-level lon and lat).
func checkLonLat(field string, lon, lat float64) error {
	if err := db.CheckLon(join(field, "lon"), lon); err != nil {
		return err
	}
	return db.CheckLat(join(field, "lat"), lat)
}

// checkNear refuses a circle off the globe or with a radius out of bounds.
func checkNear(field string, n db.Near) error {
	if err := checkLonLat(field, n.Lon, n.Lat); err != nil {
		return err
	}
	return db.CheckRadiusMetres(join(field, "radiusMetres"), n.RadiusMetres, false)
}

// checkArea refuses an area that is not a Polygon or MultiPolygon on the globe
// with at most maxVertices vertices, closed rings, and validity in PostGIS's
// eyes (no self-intersections, holes inside their shells), whose reason it
// passes on. The rings are checked here because PostGIS reads an unclosed
// ring without complaint and then says little about it.
func (r *Resolver) checkArea(ctx context.Context, field string, g geom.T) error {
	switch g.(type) {
	case *geom.Polygon, *geom.MultiPolygon:
	default:
		// go-geom's type names are GeoJSON's.
		return errcode.Invalid(field, "must be a GeoJSON Polygon or MultiPolygon, got a %s", strings.TrimPrefix(fmt.Sprintf("%T", g), "*geom."))
	}
	flat, stride := g.FlatCoords(), g.Stride()
	if len(flat) == 0 {
		return errcode.Invalid(field, "the area is empty: give at least one ring of [lon, lat] positions")
	}
	if n := len(flat) / stride; n > maxVertices {
		return errcode.Invalid(field, "the area has %d vertices; at most %d are allowed: simplify it", n, maxVertices)
	}
	for i := 0; i < len(flat); i += stride {
		if lon, lat := flat[i], flat[i+1]; lon < -180 || lon > 180 || lat < -90 || lat > 90 {
			return errcode.Invalid(field, "position %d, [%v, %v], is off the globe: longitude must be in [-180, 180] and latitude in [-90, 90]; coordinates are [lon, lat] WGS84", i/stride+1, lon, lat)
		}
	}
	if err := checkRings(field, flat, stride, ringEnds(g)); err != nil {
		return err
	}
	valid, reason, err := r.DB.AreaValidity(ctx, g)
	if err != nil {
		return err
	}
	if !valid {
		return errcode.Invalid(field, "not a valid polygon: %s; a ring must not cross itself or another ring, and holes must lie inside their outer ring", reason)
	}
	return nil
}

// checkRings refuses a ring of fewer than four positions or whose last position
// does not repeat its first (RFC 7946, 3.1.6). ends are the rings' end offsets
// in flat.
func checkRings(field string, flat []float64, stride int, ends []int) error {
	start := 0
	for i, end := range ends {
		ring := flat[start:end]
		if n := len(ring) / stride; n < 4 {
			return errcode.Invalid(field, "ring %d has %d positions; a ring needs at least 4, the last repeating the first", i+1, n)
		}
		first, last := ring[:stride], ring[len(ring)-stride:]
		for j := range first {
			if first[j] != last[j] {
				return errcode.Invalid(field, "ring %d is not closed: its last position %v must repeat its first %v", i+1, last, first)
			}
		}
		start = end
	}
	return nil
}

// ringEnds returns the end offsets in FlatCoords of every ring of a Polygon or
// MultiPolygon.
func ringEnds(g geom.T) []int {
	mp, ok := g.(*geom.MultiPolygon)
	if !ok {
		return g.Ends()
	}
	var ends []int
	for _, e := range mp.Endss() {
		ends = append(ends, e...)
	}
	return ends
}

// geometry wraps a geometry for gqlgen (see scalar.Geometry); nil stays nil.
func geometry(g geom.T, err error) (*scalar.Geometry, error) {
	if err != nil || g == nil {
		return nil, err
	}
	return &scalar.Geometry{T: g}, nil
}

// geometryIn is geometry for a geometry converted from WGS84 to c.
func geometryIn(c crs.CRS) func(g geom.T, err error) (*scalar.Geometry, error) {
	return func(g geom.T, err error) (*scalar.Geometry, error) {
		if err != nil || g == nil {
			return nil, err
		}
		return geometry(c.FromWGS84Geometry(g))
	}
}

// join names a field inside an input object: join("near", "lon") = "near.lon".
func join(parent, field string) string {
	if parent == "" {
		return field
	}
	return parent + "." + field
}

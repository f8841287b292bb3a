package resolvers

import (
	"errors"
	"math"
	"testing"

	"civicmap/db"
	"civicmap/errcode"
)

// TestChecksRefuseNotANumber: NaN and infinities cannot come in JSON, but the
// checks refuse them all the same, naming the field.
func TestChecksRefuseNotANumber(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		field string
		err   error
	}{
		{"lon", checkLonLat("", nan, 26)},
		{"lat", checkLonLat("", 117, nan)},
		{"near.lon", checkNear("near", db.Near{Lon: -inf, Lat: 26, RadiusMetres: 10})},
		{"near.radiusMetres", checkNear("near", db.Near{Lon: 117, Lat: 26, RadiusMetres: nan})},
		{"near.radiusMetres", checkNear("near", db.Near{Lon: 117, Lat: 26, RadiusMetres: inf})},
		{"bbox.east", db.CheckBBox("bbox", db.BBox{West: 116, South: 25, East: nan, North: 27})},
		{"bbox.south", db.CheckBBox("bbox", db.BBox{West: 116, South: nan, East: 117, North: 27})},
	} {
		var e *errcode.Error
		if !errors.As(c.err, &e) || e.Code != errcode.BadUserInput || e.Field != c.field {
			t.Errorf("%s: got %v, want BAD_USER_INPUT naming %s", c.field, c.err, c.field)
		}
	}
}

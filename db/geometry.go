package db

import (
	"fmt"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
)

// point returns a WGS84 point, or nil when the position is unknown.
func point(lon, lat *float64) geom.T {
	if lon == nil || lat == nil {
		return nil
	}
	return geom.NewPointFlat(geom.XY, []float64{*lon, *lat}).SetSRID(4326)
}

// decodeEWKB decodes geometry read with ST_AsEWKB; NULL gives nil.
func decodeEWKB(b []byte) (geom.T, error) {
	if b == nil {
		return nil, nil
	}
	g, err := ewkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode geometry: %w", err)
	}
	return g, nil
}

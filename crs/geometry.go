package crs

import (
	"fmt"

	"github.com/twpayne/go-geom"
)

// FromWGS84Geometry returns the WGS84 geometry g in c: a copy, g itself for
// WGS84 (a county's boundary is a megabyte, and shared by every alias that
// asks for it). g is left as it is; a nil geometry stays nil.
func (c CRS) FromWGS84Geometry(g geom.T) (geom.T, error) {
	if c == WGS84 {
		return g, nil
	}
	return mapGeometry(g, c.FromWGS84)
}

// ToWGS84Geometry returns in WGS84 the geometry g given in c: a copy, g
// itself when c is WGS84.
func (c CRS) ToWGS84Geometry(g geom.T) (geom.T, error) {
	if c == WGS84 {
		return g, nil
	}
	return mapGeometry(g, c.ToWGS84)
}

// mapGeometry returns a copy of g with f applied to each position. A
// straight edge stays straight in the copy: at the scale of a township the
// offsets vary by centimetres along an edge.
func mapGeometry(g geom.T, f func(lon, lat float64) (float64, float64)) (geom.T, error) {
	if g == nil {
		return nil, nil
	}
	out, err := clone(g)
	if err != nil {
		return nil, err
	}
	flat, stride := out.FlatCoords(), out.Stride()
	for i := 0; i+1 < len(flat); i += stride {
		flat[i], flat[i+1] = f(flat[i], flat[i+1])
	}
	return out, nil
}

// clone returns a deep copy of g, whose positions may then be changed in
// place. Geometry collections are not supported: civicmap has none.
func clone(g geom.T) (geom.T, error) {
	switch g := g.(type) {
	case *geom.Point:
		return g.Clone(), nil
	case *geom.LineString:
		return g.Clone(), nil
	case *geom.Polygon:
		return g.Clone(), nil
	case *geom.MultiPoint:
		return g.Clone(), nil
	case *geom.MultiLineString:
		return g.Clone(), nil
	case *geom.MultiPolygon:
		return g.Clone(), nil
	}
	return nil, fmt.Errorf("convert geometry: unsupported type %T", g)
}

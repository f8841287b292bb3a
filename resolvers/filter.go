package resolvers

import (
	"context"
	"unicode/utf8"

	"github.com/twpayne/go-geom"

	"civicmap/crs"
	"civicmap/db"
	"civicmap/errcode"
	"civicmap/graph/scalar"
)

// maxSearch bounds the name search: names are short, and a long pattern only
// costs the database time.
const maxSearch = 100

// platformFilter checks the arguments of `platforms` and combines those that
// select platforms into one filter, in WGS84; near, which also orders them, is
// checked and converted to WGS84 here, in place, and passed on by the caller.
// c is the system near, within and bbox are given in. The checks that need
// no database go first.
func (r *Resolver) platformFilter(ctx context.Context, filter *db.PlatformFilter, near *db.Near, within *scalar.Geometry, bbox *db.BBox, c crs.CRS) (db.PlatformFilter, error) {
	var f db.PlatformFilter
	if near != nil {
		if err := checkNear("near", *near); err != nil {
			return f, err
		}
		near.Lon, near.Lat = c.ToWGS84(near.Lon, near.Lat)
	}
	if bbox != nil {
		if err := db.CheckBBox("bbox", *bbox); err != nil {
			return f, err
		}
	}
	if within != nil {
		if err := r.checkArea(ctx, "within", within.T); err != nil {
			return f, err
		}
	}
	if filter != nil {
		if err := r.checkFilter(ctx, *filter); err != nil {
			return f, err
		}
		f = *filter
	}
	var err error
	if within != nil {
		if f.Within, err = c.ToWGS84Geometry(within.T); err != nil {
			return f, err
		}
	}
	if bbox != nil && c != crs.WGS84 {
		f.BBoxArea, err = c.ToWGS84Geometry(boxPolygon(*bbox))
		return f, err
	}
	f.BBox = bbox
	return f, nil
}

// checkFilter refuses codes that name nothing, so that a typo gives NOT_FOUND
// instead of a quietly empty list.
func (r *Resolver) checkFilter(ctx context.Context, f db.PlatformFilter) error {
	if f.Search != nil && utf8.RuneCountInString(*f.Search) > maxSearch {
		return errcode.Invalid("filter.search", "at most %d characters, got %d", maxSearch, utf8.RuneCountInString(*f.Search))
	}
	if f.CountyCode != nil {
		if _, err := r.countyByCode(ctx, "filter.countyCode", *f.CountyCode); err != nil {
			return err
		}
	}
	if f.TownshipCode != nil {
		if _, err := r.townshipByCode(ctx, "filter.townshipCode", *f.TownshipCode); err != nil {
			return err
		}
	}
	if f.SectorCode != nil {
		if _, err := r.sectorByCode(ctx, "filter.sectorCode", *f.SectorCode); err != nil {
			return err
		}
	}
	return nil
}

// boxEdgeSteps is how many segments each edge of a box is cut into before it
// is converted: the offsets change by under a metre per kilometre, and
// smoothly, so a sixteenth of a box's edge is straight enough in either system.
const boxEdgeSteps = 16

// boxPolygon returns the box as a closed ring of 4 × boxEdgeSteps segments,
// anticlockwise from the south-west corner.
func boxPolygon(b db.BBox) *geom.Polygon {
	corners := [][2]float64{{b.West, b.South}, {b.East, b.South}, {b.East, b.North}, {b.West, b.North}, {b.West, b.South}}
	flat := make([]float64, 0, 2*(4*boxEdgeSteps+1))
	for i := range 4 {
		from, to := corners[i], corners[i+1]
		for s := range boxEdgeSteps {
			t := float64(s) / boxEdgeSteps
			flat = append(flat, from[0]+t*(to[0]-from[0]), from[1]+t*(to[1]-from[1]))
		}
	}
	flat = append(flat, b.West, b.South)
	return geom.NewPolygonFlat(geom.XY, flat, []int{len(flat)})
}

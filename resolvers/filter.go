package resolvers

import (
	"context"
	"unicode/utf8"

	"civicmap/db"
	"civicmap/errcode"
	"civicmap/graph/scalar"
)

// maxSearch bounds the name search: names are short, and a long pattern only
// costs the database time.
const maxSearch = 100

// platformFilter checks the arguments of `platforms` and combines those that
// select platforms into one filter; near, which also orders them, is checked
// here and passed on by the caller. The checks that need no database go first.
func (r *Resolver) platformFilter(ctx context.Context, filter *db.PlatformFilter, near *db.Near, within *scalar.Geometry, bbox *db.BBox) (db.PlatformFilter, error) {
	var f db.PlatformFilter
	if near != nil {
		if err := checkNear("near", *near); err != nil {
			return f, err
		}
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
	if within != nil {
		f.Within = within.T
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

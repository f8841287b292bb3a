package resolvers

import (
	"context"
	"unicode/utf8"

	"civicmap/db"
	"civicmap/errcode"
)

// maxSearch bounds the name search: names are short, and a long pattern only
// costs the database time.
const maxSearch = 100

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

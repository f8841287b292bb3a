package resolvers

import (
	"context"

	"civicmap/db"
	"civicmap/errcode"
)

// sitingCounties reads the counties a siting question names, by countyCode
// or countyCodes; nil for every county.
func (r *Resolver) sitingCounties(ctx context.Context, one *string, many []string) ([]db.County, error) {
	switch {
	case one != nil && many != nil:
		return nil, errcode.Invalid("countyCodes", "give countyCode or countyCodes, not both")
	case one != nil:
		c, err := r.countyByCode(ctx, "countyCode", *one)
		if err != nil {
			return nil, err
		}
		return []db.County{*c}, nil
	case many != nil:
		return r.DB.CountyList(ctx, "countyCodes", many, db.MaxSiteCounties)
	}
	return nil, nil
}

// primeSites hands the loaders the counties of the suggestions' townships,
// which the geography already holds, so that `township { county }` costs no
// query.
func (r *Resolver) primeSites(ctx context.Context, s *db.SiteSuggestions) {
	l := r.load(ctx)
	for i := range s.Suggestions {
		if c := s.Suggestions[i].County; c != nil {
			l.county.Prime(c.Code, c)
		}
	}
}

package resolvers

import (
	"context"

	"civicmap/db"
)

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

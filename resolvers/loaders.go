package resolvers

import (
	"context"
	"time"

	"github.com/twpayne/go-geom"
	"github.com/vikstrous/dataloadgen"

	"civicmap/db"
)

// batchWait is how long a loader collects keys before it queries. gqlgen resolves
// the elements of a list concurrently, so one short window gathers a whole page.
const batchWait = 5 * time.Millisecond

// loaders batch the nested fields of one request into one query per field, so
// that a page of platforms with their townships and counties costs a constant
// number of round trips. They cache for the request only.
type loaders struct {
	county            *dataloadgen.Loader[string, *db.County]
	township          *dataloadgen.Loader[string, *db.Township]
	organiser         *dataloadgen.Loader[string, *db.Organiser]
	sector            *dataloadgen.Loader[string, *db.Sector]
	platform          *dataloadgen.Loader[int64, *db.Platform]
	countyBoundary    *dataloadgen.Loader[string, geom.T]
	townshipBoundary  *dataloadgen.Loader[string, geom.T]
	countyTownships   *dataloadgen.Loader[string, []db.Township]
	townshipPlatforms *dataloadgen.Loader[string, []db.Platform]
}

func newLoaders(d *db.DB) *loaders {
	wait := dataloadgen.WithWait(batchWait)
	return &loaders{
		county: dataloadgen.NewMappedLoader(
			byKey(d.CountiesByCode, func(c *db.County) string { return c.Code }), wait),
		township: dataloadgen.NewMappedLoader(
			byKey(d.TownshipsByCode, func(t *db.Township) string { return t.Code }), wait),
		organiser: dataloadgen.NewMappedLoader(
			byKey(d.OrganisersByCode, func(o *db.Organiser) string { return o.Code }), wait),
		sector: dataloadgen.NewMappedLoader(
			byKey(d.SectorsByCode, func(s *db.Sector) string { return s.Code }), wait),
		platform: dataloadgen.NewMappedLoader(
			byKey(d.PlatformsByID, func(p *db.Platform) int64 { return p.ID }), wait),
		countyBoundary:    dataloadgen.NewMappedLoader(d.CountyBoundaries, wait),
		townshipBoundary:  dataloadgen.NewMappedLoader(d.TownshipBoundaries, wait),
		countyTownships:   dataloadgen.NewLoader(groupBy(d.TownshipsOfCounties, func(t *db.Township) string { return t.CountyCode }), wait),
		townshipPlatforms: dataloadgen.NewLoader(groupBy(d.PlatformsOfTownships, func(p *db.Platform) string { return p.TownshipCode }), wait),
	}
}

// byKey turns a "rows with these keys" query into a loader's fetch. Keys with no
// row are reported by dataloadgen as ErrNotFound.
func byKey[K comparable, V any](fetch func(context.Context, []K) ([]V, error), key func(*V) K) func(context.Context, []K) (map[K]*V, error) {
	return func(ctx context.Context, keys []K) (map[K]*V, error) {
		rows, err := fetch(ctx, keys)
		if err != nil {
			return nil, err
		}
		m := make(map[K]*V, len(rows))
		for i := range rows {
			m[key(&rows[i])] = &rows[i]
		}
		return m, nil
	}
}

// groupBy turns a "rows belonging to these parents" query into a loader's fetch
// that gives each parent its rows, in the query's order (empty when none).
func groupBy[K comparable, V any](fetch func(context.Context, []K) ([]V, error), parent func(*V) K) func(context.Context, []K) ([][]V, []error) {
	return func(ctx context.Context, keys []K) ([][]V, []error) {
		rows, err := fetch(ctx, keys)
		if err != nil {
			return nil, []error{err}
		}
		groups := make(map[K][]V, len(keys))
		for _, r := range rows {
			k := parent(&r)
			groups[k] = append(groups[k], r)
		}
		out := make([][]V, len(keys))
		for i, k := range keys {
			out[i] = groups[k]
		}
		return out, nil
	}
}

type loadersKey struct{}

// WithLoaders returns ctx carrying a fresh set of loaders for one request.
func (r *Resolver) WithLoaders(ctx context.Context) context.Context {
	return context.WithValue(ctx, loadersKey{}, newLoaders(r.DB))
}

// load returns the request's loaders. A context without them (a caller that
// skipped WithLoaders) gets a fresh set, which is correct, only slower.
func (r *Resolver) load(ctx context.Context) *loaders {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l
	}
	return newLoaders(r.DB)
}

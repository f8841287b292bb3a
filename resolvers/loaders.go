package resolvers

import (
	"context"
	"errors"
	"sync"
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
	county            loader[string, *db.County]
	township          loader[string, *db.Township]
	organiser         loader[string, *db.Organiser]
	sector            loader[string, *db.Sector]
	countyBoundary    loader[string, geom.T]
	townshipBoundary  loader[string, geom.T]
	countyTownships   loader[string, []db.Township]
	townshipPlatforms loader[string, []db.Platform]
}

func newLoaders(d *db.DB) *loaders {
	return &loaders{
		county:            newLoader(byKey(d.CountiesByCode, func(c *db.County) string { return c.Code })),
		township:          newLoader(byKey(d.TownshipsByCode, func(t *db.Township) string { return t.Code })),
		organiser:         newLoader(byKey(d.OrganisersByCode, func(o *db.Organiser) string { return o.Code })),
		sector:            newLoader(byKey(d.SectorsByCode, func(s *db.Sector) string { return s.Code })),
		countyBoundary:    newLoader(fromMap(d.CountyBoundaries)),
		townshipBoundary:  newLoader(fromMap(d.TownshipBoundaries)),
		countyTownships:   newLoader(groupBy(d.TownshipsOfCounties, func(t *db.Township) string { return t.CountyCode })),
		townshipPlatforms: newLoader(groupBy(d.PlatformsOfTownships, func(p *db.Platform) string { return p.TownshipCode })),
	}
}

// fetchFunc answers a batch of keys: one value (or error) per key, in order, or
// a single error for all.
type fetchFunc[K comparable, V any] func(ctx context.Context, keys []K) ([]V, []error)

// loader is a dataloader that can also be told all its keys at once.
type loader[K comparable, V any] struct {
	*dataloadgen.Loader[K, V]
	fetch fetchFunc[K, V]
}

func newLoader[K comparable, V any](fetch fetchFunc[K, V]) loader[K, V] {
	return loader[K, V]{dataloadgen.NewLoader(fetch, dataloadgen.WithWait(batchWait)), fetch}
}

// prefetch queries keys now, in one round trip, and keeps the results for
// Load, so that fields resolved later find them without waiting for a batch.
// A failed prefetch keeps nothing: each Load then asks again and reports.
func (l loader[K, V]) prefetch(ctx context.Context, keys []K) {
	if len(keys) == 0 {
		return
	}
	vals, errs := l.fetch(ctx, keys)
	if len(vals) != len(keys) {
		return
	}
	for i, k := range keys {
		if errs == nil || errs[i] == nil {
			l.Prime(k, vals[i])
		}
	}
}

// errMissing is a loader's answer for a key with no row. The schema's foreign
// keys make it a bug, not a client's mistake.
var errMissing = errors.New("no row for key")

// byKey turns a "rows with these keys" query into a fetch.
func byKey[K comparable, V any](query func(context.Context, []K) ([]V, error), key func(*V) K) fetchFunc[K, *V] {
	return fromMap(func(ctx context.Context, keys []K) (map[K]*V, error) {
		rows, err := query(ctx, keys)
		if err != nil {
			return nil, err
		}
		m := make(map[K]*V, len(rows))
		for i := range rows {
			m[key(&rows[i])] = &rows[i]
		}
		return m, nil
	})
}

// fromMap turns a query that answers with a map into a fetch.
func fromMap[K comparable, V any](query func(context.Context, []K) (map[K]V, error)) fetchFunc[K, V] {
	return func(ctx context.Context, keys []K) ([]V, []error) {
		m, err := query(ctx, keys)
		if err != nil {
			return nil, []error{err}
		}
		vals := make([]V, len(keys))
		errs := make([]error, len(keys))
		for i, k := range keys {
			v, ok := m[k]
			vals[i] = v
			if !ok {
				errs[i] = errMissing
			}
		}
		return vals, errs
	}
}

// groupBy turns a "rows belonging to these parents" query into a fetch that
// gives each parent its rows, in the query's order (empty when none).
func groupBy[K comparable, V any](query func(context.Context, []K) ([]V, error), parent func(*V) K) fetchFunc[K, []V] {
	return func(ctx context.Context, keys []K) ([][]V, []error) {
		rows, err := query(ctx, keys)
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

// requestLoaders are one request's loaders, made when it first needs them:
// making all eight was a tenth of the cost of a request that needs none, as
// { __typename } or a list written flat (pprof).
type requestLoaders struct {
	once sync.Once
	l    *loaders
}

// WithLoaders returns ctx carrying a fresh set of loaders for one request.
func (r *Resolver) WithLoaders(ctx context.Context) context.Context {
	return context.WithValue(ctx, loadersKey{}, &requestLoaders{})
}

// load returns the request's loaders. A context without them (a caller that
// skipped WithLoaders) gets a fresh set, which is correct, only slower.
func (r *Resolver) load(ctx context.Context) *loaders {
	rl, ok := ctx.Value(loadersKey{}).(*requestLoaders)
	if !ok {
		return newLoaders(r.DB)
	}
	rl.once.Do(func() { rl.l = newLoaders(r.DB) })
	return rl.l
}

package resolvers

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"civicmap/db"
)

// Loaders batch the keys that arrive within one short window. The nested
// fields of a long page are resolved in many goroutines and, on a busy machine,
// not all of them ask in time, so a page would cost a few queries more than it
// should, and every level would wait for its window. The list resolvers
// therefore look ahead: from the rows of the page they already hold, they fetch
// what the selected nested fields will ask for, one query per field, and prime
// the loaders with it.

// selected returns the dotted paths (e.g. "township", "township.county") of the
// fields selected, two levels deep, under the nodes of the connection being
// resolved (its `nodes` and `edges { node }`), or under the `platform` of the
// list of PlatformDistance being resolved.
func selected(ctx context.Context, typ string) map[string]bool {
	sets := selectionsAt(ctx, "nodes")
	sets = append(sets, selectionsAt(ctx, "edges", "node")...)
	sets = append(sets, selectionsAt(ctx, "platform")...)
	return selectedAt(ctx, typ, sets)
}

// selectedAt returns the dotted paths of the fields selected, two levels deep,
// in sets, which select on objects of type typ.
func selectedAt(ctx context.Context, typ string, sets []ast.SelectionSet) map[string]bool {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	op := graphql.GetOperationContext(ctx)
	out := map[string]bool{}
	var walk func(set ast.SelectionSet, satisfies []string, prefix string, depth int)
	walk = func(set ast.SelectionSet, satisfies []string, prefix string, depth int) {
		for _, f := range graphql.CollectFields(op, set, satisfies) {
			out[prefix+f.Name] = true
			if depth > 1 && f.Definition != nil {
				walk(f.Selections, []string{f.Definition.Type.Name()}, prefix+f.Name+".", depth-1)
			}
		}
	}
	for _, set := range sets {
		walk(set, []string{typ}, "", 2)
	}
	return out
}

// selectionsAt returns the selection sets of the fields at path (e.g. "edges",
// "node") below the field being resolved, aliases and fragments included; none
// when nothing is selected there.
func selectionsAt(ctx context.Context, path ...string) []ast.SelectionSet {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return nil
	}
	op := graphql.GetOperationContext(ctx)
	sets := []ast.SelectionSet{fc.Field.Selections}
	for _, name := range path {
		var next []ast.SelectionSet
		for _, set := range sets {
			for _, f := range graphql.CollectFields(op, set, nil) {
				if f.Name == name {
					next = append(next, f.Selections)
				}
			}
		}
		sets = next
	}
	return sets
}

// selects reports whether the field being resolved selects a field called
// name, through aliases and fragments; true when it cannot tell (no operation).
func selects(ctx context.Context, name string) bool {
	if graphql.GetFieldContext(ctx) == nil || !graphql.HasOperationContext(ctx) {
		return true
	}
	return len(selectionsAt(ctx, name)) > 0
}

// prefetchPlatforms fetches what the wanted fields (selected(ctx,
// "Platform"), which the caller has for the columns too) of a page of
// platforms will load, one query per field.
func (r *Resolver) prefetchPlatforms(ctx context.Context, ps []db.Platform, want map[string]bool) {
	if !slices.ContainsFunc(platformLoads, func(f string) bool { return want[f] }) {
		return // only the platforms' own columns: nothing to load
	}
	var k platformKeys
	for i := range ps {
		k.add(&ps[i])
	}
	r.prefetchPlatformKeys(ctx, &k, want)
}

// platformLoads are the selected fields of a platform (see selected) that
// prefetchPlatformKeys fetches for.
var platformLoads = []string{"township", "township.platforms", "county", "township.county", "organiser", "sector"}

// platformKeys are the keys that the nested fields of some platforms load, one
// set per loader.
type platformKeys struct {
	townships, townshipPlatforms, counties, organisers, sectors keys
}

func (k *platformKeys) add(p *db.Platform) {
	k.townships.add(p.TownshipCode)
	k.townshipPlatforms.add(p.TownshipCode)
	k.counties.add(p.CountyCode)
	k.organisers.add(p.OrganiserCode)
	if p.SectorCode != nil {
		k.sectors.add(*p.SectorCode)
	}
}

// prefetchPlatformKeys fetches what the wanted fields of platforms (see
// selected) will load, one query per field.
func (r *Resolver) prefetchPlatformKeys(ctx context.Context, k *platformKeys, want map[string]bool) {
	l := r.load(ctx)
	if want["township"] {
		l.township.prefetch(ctx, k.townships.list)
	}
	if want["township.platforms"] {
		l.townshipPlatforms.prefetch(ctx, k.townshipPlatforms.list)
	}
	if want["county"] || want["township.county"] {
		l.county.prefetch(ctx, k.counties.list)
	}
	if want["organiser"] {
		l.organiser.prefetch(ctx, k.organisers.list)
	}
	if want["sector"] {
		l.sector.prefetch(ctx, k.sectors.list)
	}
}

// prefetchTownships fetches what the selected fields of a page of townships
// will load, one query per field.
func (r *Resolver) prefetchTownships(ctx context.Context, ts []db.Township) {
	want := selected(ctx, "Township")
	if len(want) == 0 {
		return
	}
	var codes, counties, cells keys
	for i := range ts {
		codes.add(ts[i].Code)
		counties.add(ts[i].CountyCode)
		if ts[i].BoundaryQuality != nil {
			cells.add(ts[i].Code)
		}
	}
	l := r.load(ctx)
	if want["county"] {
		l.county.prefetch(ctx, counties.list)
	}
	if want["platforms"] {
		l.townshipPlatforms.prefetch(ctx, codes.list)
	}
	if want["boundary"] {
		l.townshipBoundary.prefetch(ctx, cells.list)
	}
}

// keys collects distinct keys in the order first seen.
type keys struct {
	list []string
	seen map[string]bool
}

func (k *keys) add(key string) {
	if !k.known(key) {
		k.list = append(k.list, key)
	}
}

// known reports whether key was seen before, and marks it seen: a key that
// the loader already holds is marked this way, so that add leaves it out.
func (k *keys) known(key string) bool {
	if k.seen == nil {
		k.seen = map[string]bool{}
	}
	seen := k.seen[key]
	k.seen[key] = true
	return seen
}

package resolvers

import (
	"context"

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
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
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
	for _, f := range graphql.CollectFields(op, fc.Field.Selections, nil) {
		switch f.Name {
		case "nodes", "platform":
			walk(f.Selections, []string{typ}, "", 2)
		case "edges":
			for _, e := range graphql.CollectFields(op, f.Selections, nil) {
				if e.Name == "node" {
					walk(e.Selections, []string{typ}, "", 2)
				}
			}
		}
	}
	return out
}

// prefetchPlatforms fetches what the selected fields of a page of platforms
// will load, one query per field.
func (r *Resolver) prefetchPlatforms(ctx context.Context, ps []db.Platform) {
	want := selected(ctx, "Platform")
	if len(want) == 0 {
		return
	}
	var townships, counties, organisers, sectors keys
	for i := range ps {
		p := &ps[i]
		townships.add(p.TownshipCode)
		counties.add(p.CountyCode)
		organisers.add(p.OrganiserCode)
		if p.SectorCode != nil {
			sectors.add(*p.SectorCode)
		}
	}
	l := r.load(ctx)
	if want["township"] {
		l.township.prefetch(ctx, townships.list)
	}
	if want["township.platforms"] {
		l.townshipPlatforms.prefetch(ctx, townships.list)
	}
	if want["county"] || want["township.county"] {
		l.county.prefetch(ctx, counties.list)
	}
	if want["organiser"] {
		l.organiser.prefetch(ctx, organisers.list)
	}
	if want["sector"] {
		l.sector.prefetch(ctx, sectors.list)
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
	if k.seen == nil {
		k.seen = map[string]bool{}
	}
	if !k.seen[key] {
		k.seen[key] = true
		k.list = append(k.list, key)
	}
}

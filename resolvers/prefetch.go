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
// should. The list resolvers therefore look ahead: from the rows of the page
// they already hold, they queue every key the selected nested fields will ask
// for, in one go, so each nested field costs one query whatever the page size.

// selected returns the dotted paths (e.g. "township", "township.county") of the
// fields selected, two levels deep, under the nodes of the connection being
// resolved (its `nodes` and `edges { node }`).
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
		case "nodes":
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

// prefetchPlatforms queues the keys that the selected fields of a page of
// platforms will load.
func (r *Resolver) prefetchPlatforms(ctx context.Context, ps []db.Platform) {
	want := selected(ctx, "Platform")
	if len(want) == 0 {
		return
	}
	l := r.load(ctx)
	for i := range ps {
		p := &ps[i]
		if want["township"] {
			l.township.LoadThunk(ctx, p.TownshipCode)
		}
		if want["township.platforms"] {
			l.townshipPlatforms.LoadThunk(ctx, p.TownshipCode)
		}
		if want["county"] || want["township.county"] {
			l.county.LoadThunk(ctx, p.CountyCode)
		}
		if want["organiser"] {
			l.organiser.LoadThunk(ctx, p.OrganiserCode)
		}
		if want["sector"] && p.SectorCode != nil {
			l.sector.LoadThunk(ctx, *p.SectorCode)
		}
	}
}

// prefetchTownships queues the keys that the selected fields of a page of
// townships will load.
func (r *Resolver) prefetchTownships(ctx context.Context, ts []db.Township) {
	want := selected(ctx, "Township")
	if len(want) == 0 {
		return
	}
	l := r.load(ctx)
	for i := range ts {
		t := &ts[i]
		if want["county"] {
			l.county.LoadThunk(ctx, t.CountyCode)
		}
		if want["platforms"] {
			l.townshipPlatforms.LoadThunk(ctx, t.Code)
		}
		if want["boundary"] && t.BoundaryQuality != nil {
			l.townshipBoundary.LoadThunk(ctx, t.Code)
		}
	}
}

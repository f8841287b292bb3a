package server

import (
	"context"
	"reflect"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/twpayne/go-geom"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"civicmap/errcode"
	"civicmap/graph/scalar"
)

// A response's size is bounded while gqlgen builds it, not only once it is
// whole: every field, as it resolves, charges about the bytes it will write
// to the response's budget, and once the budget is spent the fields still to
// resolve fail at once, without running, and those that resolved are dropped.
// Without this, 160 aliases of every county's boundary, cheap by cost (the
// boundaries are read once and shared), built a 210 MB response before the
// bound on the finished response refused it.

// budget is what one response may still write, in bytes.
type budget struct {
	left atomic.Int64
	max  int
}

type budgetKey struct{}

// withBudget gives ctx a budget of max bytes.
func withBudget(ctx context.Context, max int) (context.Context, *budget) {
	b := &budget{max: max}
	b.left.Store(int64(max))
	return context.WithValue(ctx, budgetKey{}, b), b
}

// spent reports whether the response has gone over its budget.
func (b *budget) spent() bool { return b.left.Load() < 0 }

// chargeFields is the field middleware that charges each field's value to
// its response's budget.
func chargeFields(ctx context.Context, next graphql.Resolver) (any, error) {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b == nil {
		return next(ctx)
	}
	if b.spent() {
		return nil, errOverBudget
	}
	v, err := next(ctx)
	if err != nil {
		return v, err
	}
	if b.left.Add(-int64(keyBytes+jsonBytes(v))) < 0 {
		return nil, errOverBudget
	}
	return v, nil
}

// keyBytes is what a field's name takes in the response, about: the field's
// context, which has it, costs a walk up the context's chain to find.
const keyBytes = 16

// errOverBudget fails the fields of a response over its budget; boundResponse
// replaces the whole response.
var errOverBudget = errcode.Errorf(errcode.QueryTooComplex, "the response is over its size limit")

// jsonBytes is about how many bytes v, a field's value, takes in the
// response. The objects in a list are charged as their fields resolve.
func jsonBytes(v any) int {
	switch x := v.(type) {
	case nil:
		return 4
	case string:
		return len(x) + 2
	case *string:
		if x != nil {
			return len(*x) + 2
		}
	case scalar.FeatureCollection:
		return len(x)
	case rawJSON:
		return len(x)
	case *scalar.Geometry:
		if x != nil {
			return geometryBytes(x.T)
		}
	case scalar.Geometry:
		return geometryBytes(x.T)
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice {
		return 2 + 8*rv.Len()
	}
	return 8
}

// geometryBytes is about the length of g as GeoJSON: go-geom writes each
// coordinate with up to 17 digits.
func geometryBytes(g geom.T) int {
	if g == nil {
		return 4
	}
	return 40 + 20*len(g.FlatCoords())
}

// boundResponse gives each response a budget of max bytes (chargeFields), and
// replaces one that went over it, or whose data came out over max all the
// same, by a QUERY_TOO_COMPLEX error, so that one request can neither build
// nor send gigabytes. The cost limit keeps most such queries from running at
// all.
func boundResponse(max int) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if max <= 0 {
			return next(ctx)
		}
		ctx, b := withBudget(ctx, max)
		resp := next(ctx)
		if resp == nil || (!b.spent() && len(resp.Data) <= max) {
			return resp
		}
		e := tooComplex("the response is over the limit of %.1f MiB: ask for smaller pages (`first`), fewer fields or fewer aliases",
			float64(max)/(1<<20))
		e.Path = ast.Path{}
		return &graphql.Response{Data: []byte("null"), Errors: gqlerror.List{e}, Extensions: resp.Extensions}
	}
}

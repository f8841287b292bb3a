package server

import (
	"context"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"civicmap/db"
	"civicmap/errcode"
	"civicmap/graph"
)

// limits refuses operations that are too deep, select too many fields (aliases
// included) or cost too much, before any resolver runs.
type limits struct {
	maxDepth      int
	maxFields     int
	maxComplexity int
	schema        graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &limits{}

func (l limits) ExtensionName() string { return "civicmap limits" }

func (l *limits) Validate(schema graphql.ExecutableSchema) error {
	l.schema = schema
	return nil
}

func (l limits) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	o := op.Doc.Operations.ForName(op.OperationName)
	if o == nil {
		return nil
	}
	depth, fields := measure(o.SelectionSet, 1, l.maxFields)
	switch {
	case depth > l.maxDepth:
		return tooComplex("the query is %d levels deep; the limit is %d: split it into several queries", depth, l.maxDepth)
	case fields > l.maxFields:
		return tooComplex("the query selects more than %d fields (aliases count each time); the limit is %d: split it into several queries", l.maxFields, l.maxFields)
	}
	if c := complexity.Calculate(ctx, l.schema, o, op.Variables); c > l.maxComplexity {
		return tooComplex("the query's cost is %d; the limit is %d: ask for smaller pages (`first`) or fewer nested lists", c, l.maxComplexity)
	}
	return nil
}

func tooComplex(format string, args ...any) *gqlerror.Error {
	e := gqlerror.Errorf(format, args...)
	setCode(e, errcode.QueryTooComplex)
	return e
}

// measure returns the depth of a selection set and the number of fields in it,
// following fragments. It stops counting past limit, so a hostile query costs
// little to refuse.
func measure(set ast.SelectionSet, level, limit int) (depth, fields int) {
	depth = level - 1
	for _, sel := range set {
		var d, n int
		switch s := sel.(type) {
		case *ast.Field:
			n = 1
			if len(s.SelectionSet) > 0 {
				d, n2 := measure(s.SelectionSet, level+1, limit)
				depth = max(depth, d)
				n += n2
			} else {
				d = level
			}
		case *ast.InlineFragment:
			d, n = measure(s.SelectionSet, level, limit)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d, n = measure(s.Definition.SelectionSet, level, limit)
			}
		}
		depth = max(depth, d)
		fields += n
		if fields > limit {
			return depth, fields
		}
	}
	return depth, fields
}

// setComplexity makes a connection cost its page size times what each node
// costs, so a nested list of lists is priced as what it would return.
func setComplexity(c *graph.ComplexityRoot) {
	c.Query.Platforms = func(child int, _ *db.PlatformFilter, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.Counties = func(child int, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.Townships = func(child int, _ *string, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.Sectors = func(child int, first *int, _ *string) int { return pageCost(child, first) }
	c.County.Townships = func(child int, first *int, _ *string) int { return pageCost(child, first) }
	c.Township.Platforms = func(child int, _ []db.PlatformKind, first *int, _ *string) int { return pageCost(child, first) }
}

func pageCost(child int, first *int) int {
	n := defaultPage
	if first != nil && *first > 0 {
		n = *first
	}
	return 1 + n*child
}

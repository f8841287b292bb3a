package server

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"civicmap/cache"
	"civicmap/db"
)

// Whole answers of costly queries are kept by data version: a map page asks
// the same coverage and worklist again and again, and even from the coverage
// cache gqlgen's executor spent a millisecond resolving every node of a
// worklist of 57 townships, most of a repeated request's cost.
const (
	// maxAnswer is the largest answer kept: the map page's are a few KB;
	// layers of megabytes are cached by HTTP instead (ETag).
	maxAnswer = 256 << 10
	// maxAnswers bounds the memory all kept answers may take.
	maxAnswers = 32 << 20
)

// answers is a gqlgen extension that answers a query costing minCost or more
// (a coverage, a worklist) from memory while the data version holds: the same
// document, operation and variables get the same data, for the cost of
// reading the version, one round trip. Cheaper queries pay nothing for it.
// The version is read before the query runs, so a kept answer is never older
// than the version it is kept under. Only answers without errors are kept, and
// only of queries: no answer depends on the caller's key, which only writes
// use.
type answers struct {
	db      *db.DB
	minCost int
	kept    cache.ByVersion[*graphql.Response]
}

var _ graphql.OperationInterceptor = (*answers)(nil)

func newAnswers(d *db.DB, minCost int) *answers {
	return &answers{db: d, minCost: minCost, kept: cache.ByVersion[*graphql.Response]{MaxBytes: maxAnswers, Older: db.VersionOlder}}
}

func (*answers) ExtensionName() string                   { return "AnswersByDataVersion" }
func (*answers) Validate(graphql.ExecutableSchema) error { return nil }

func (a *answers) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx)
	cost, _ := op.Stats.GetExtension(costStat).(int)
	if op.Operation == nil || op.Operation.Operation != ast.Query || cost < a.minCost {
		return next(ctx)
	}
	key := operationKey(op)
	if key == "" {
		return next(ctx)
	}
	version, err := a.db.DataVersion(ctx)
	if err != nil {
		return next(ctx) // the query reports the database's trouble itself
	}
	if r, ok := a.kept.Get(version, key); ok {
		return graphql.OneShot(r)
	}
	rh := next(db.WithDataVersion(ctx, version))
	return func(ctx context.Context) *graphql.Response {
		r := rh(ctx)
		if r != nil && len(r.Errors) == 0 && len(r.Data) <= maxAnswer {
			a.kept.Put(version, key, r, len(r.Data)+len(key))
		}
		return r
	}
}

package server

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"civicmap/crs"
	"civicmap/db"
	"civicmap/errcode"
	"civicmap/graph"
	"civicmap/graph/scalar"
	"civicmap/resolvers"
)

// limits refuses operations that are too deep, select too many fields (aliases
// included) or cost too much, before any resolver runs.
type limits struct {
	maxDepth      int
	maxFields     int
	maxComplexity int
	// heavyCost is the cost from which an operation runs on the database's
	// heavy pool (db.WithHeavy), so that costly queries share a bounded part
	// of the connections and cheap ones always find one.
	heavyCost int
	// heavy holds a token for each heavy operation running: more wait, up
	// to their deadline. A heavy query's work is in Go as much as in the
	// database (13 MB of layers to write), so its share of the connections
	// alone would not keep it from taking every core.
	heavy  chan struct{}
	schema graphql.ExecutableSchema
	// cache is the executor's query cache: a document in it has passed
	// validation once and need not be measured before validation again.
	cache graphql.Cache[*ast.QueryDocument]
	// costs keeps the cost of operations that passed the limits, by
	// operationKey: pricing walks the document and decodes each field's
	// arguments again, a tenth of a cached worklist's work in process
	// (pprof), and map pages send the same few operations again and again.
	costs graphql.Cache[int]
}

// maxCostKey is the longest operationKey whose cost is kept: a map page's
// queries are a few hundred bytes, and 1000 keys of this size are 8 MB.
const maxCostKey = 8 << 10

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
	graphql.OperationInterceptor
} = &limits{}

// costStat is the name under which MutateOperationContext notes an
// operation's cost for InterceptOperation.
const costStat = "civicmapCost"

func (l limits) ExtensionName() string { return "civicmap limits" }

func (l *limits) Validate(schema graphql.ExecutableSchema) error {
	l.schema = schema
	if err := resolvers.CheckLookAhead(schema.Schema()); err != nil {
		return err
	}
	return checkCostNames(schema.Schema())
}

// MutateOperationParameters refuses a document that is too deep or holds too
// many fields as written, before gqlparser validates it. Validation costs far
// more than parsing: OverlappingFieldsCanBeMerged compares every pair of fields
// that share a response name, so 5000 copies of `a: __typename` took 9 s to
// validate before MutateOperationContext could refuse them. Fragments are not
// expanded here (validation resolves spreads), so a document of one operation
// whose fragments are all used measures at most what MutateOperationContext
// measures: nothing that passes there is refused here. The fields of all the
// operations of a document count together.
func (l limits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if l.cache != nil {
		if _, ok := l.cache.Get(ctx, p.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: p.Query})
	if err != nil {
		return nil // the executor parses it again and reports the error
	}
	var depth, fields int
	measureSet := func(set ast.SelectionSet) {
		d, n := measure(set, 1, l.maxFields-fields)
		depth = max(depth, d)
		fields += n
	}
	for _, op := range doc.Operations {
		measureSet(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		measureSet(f.SelectionSet)
	}
	return l.check(depth, fields)
}

// check refuses a depth or a number of fields over the limits.
func (l limits) check(depth, fields int) *gqlerror.Error {
	switch {
	case depth > l.maxDepth:
		return tooComplex("the query is %d levels deep; the limit is %d: split it into several queries", depth, l.maxDepth)
	case fields > l.maxFields:
		return tooComplex("the query selects more than %d fields (aliases count each time); the limit is %d: split it into several queries", l.maxFields, l.maxFields)
	}
	return nil
}

func (l limits) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	o := op.Doc.Operations.ForName(op.OperationName)
	if o == nil {
		return nil
	}
	key := operationKey(op)
	keep := l.costs != nil && key != "" && len(key) <= maxCostKey
	if keep {
		if c, ok := l.costs.Get(ctx, key); ok {
			op.Stats.SetExtension(costStat, c)
			return nil
		}
	}
	if err := l.check(measure(o.SelectionSet, 1, l.maxFields)); err != nil {
		return err
	}
	c := operationCost(ctx, l.schema, o, op.Variables, l.maxComplexity)
	if c > l.maxComplexity {
		return tooComplex("the query's cost is over %d; the limit is %d: ask for smaller pages (`first`), fewer nested lists, "+
			"a smaller radius or polygon, or fewer aliases of a costly field", l.maxComplexity, l.maxComplexity)
	}
	if keep {
		l.costs.Add(ctx, key, c)
	}
	op.Stats.SetExtension(costStat, c)
	return nil
}

// keyStat is the name under which operationKey keeps an operation's key.
const keyStat = "civicmapKey"

// operationKey names op's document, operation and variables: the same key
// has the same cost and, at one data version, the same answer. It is made
// once per operation; "" when the variables cannot be written as JSON.
func operationKey(op *graphql.OperationContext) string {
	if k, ok := op.Stats.GetExtension(keyStat).(string); ok {
		return k
	}
	var key string
	// encoding/json writes a map's keys in order: equal variables, equal text.
	if vars, err := json.Marshal(op.Variables); err == nil {
		key = op.RawQuery + "\x00" + op.OperationName + "\x00" + string(vars)
	}
	op.Stats.SetExtension(keyStat, key)
	return key
}

// InterceptOperation runs an operation that costs heavyCost or more on the
// heavy pool, once one of the heavy slots is free.
func (l limits) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	c, _ := graphql.GetOperationContext(ctx).Stats.GetExtension(costStat).(int)
	if l.heavyCost <= 0 || c < l.heavyCost || l.heavy == nil {
		return timeoutOnDeadline(next(ctx))
	}
	select {
	case l.heavy <- struct{}{}:
	case <-ctx.Done():
		return graphql.OneShot(timeoutResponse(ctx, ": every slot for costly queries stayed busy"))
	}
	var once sync.Once
	release := func() { once.Do(func() { <-l.heavy }) }
	rh := timeoutOnDeadline(next(db.WithHeavy(ctx)))
	return func(ctx context.Context) *graphql.Response {
		// A query or mutation answers once; its slot is free after it.
		defer release()
		return rh(ctx)
	}
}

// timeoutOnDeadline answers TIMEOUT where gqlgen answers nothing: its
// executor ends a response whose context is done before it starts, and a
// request whose deadline passed while it was parsed, validated and priced (a
// 10,000-vertex polygon on a busy machine) was answered with a body of null.
func timeoutOnDeadline(rh graphql.ResponseHandler) graphql.ResponseHandler {
	return func(ctx context.Context) *graphql.Response {
		resp := rh(ctx)
		if resp == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return timeoutResponse(ctx, "")
		}
		return resp
	}
}

// timeoutResponse is a response of one TIMEOUT error, its message followed by
// detail. It is made past gqlgen's response middleware, so it notes itself
// for the request log and the metrics.
func timeoutResponse(ctx context.Context, detail string) *graphql.Response {
	e := gqlerror.Errorf("%s%s", errcode.PublicMessage(errcode.TimedOut(ctx.Err())), detail)
	setCode(e, errcode.Timeout)
	if id := requestID(ctx); id != "" {
		e.Extensions["requestId"] = id
	}
	resp := &graphql.Response{Errors: gqlerror.List{e}}
	note(ctx, resp)
	return resp
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

// setComplexity makes a list cost its length times what each element costs,
// so a nested list of lists is priced as what it would return.
func setComplexity(c *graph.ComplexityRoot) {
	// The walker (cost.go) adds a polygon's vertices.
	c.Query.Platforms = func(child int, _ *db.PlatformFilter, _ *db.Near, _ *scalar.Geometry, _ *db.BBox, _ crs.CRS, first *int, _ *string) int {
		return pageCost(child, first)
	}
	c.Query.Counties = func(child int, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.Townships = func(child int, _ *string, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.Sectors = func(child int, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.Changes = func(child int, _ *string, first *int) int { return pageCost(child, first) }
	c.County.Townships = func(child int, first *int, _ *string) int { return pageCost(child, first) }
	c.Township.Platforms = func(child int, _ []db.PlatformKind, first *int, _ *string) int { return pageCost(child, first) }
	// Each coverage or worklist reads the coverage index over every township;
	// the walker (cost.go) prices coveredBy, which is measured, by the radius.
	// Hypothetical platforms are measured on request (hypotheticalCost).
	c.Query.Coverage = func(child int, _ []db.PlatformKind, _ *float64, _ *string, h []db.HypotheticalPlatform) int {
		return satAdd(satAdd(coverageCost, hypotheticalCost(len(h))), child)
	}
	c.Query.UncoveredTownships = func(child int, _ []db.PlatformKind, _ *float64, _ *string, h []db.HypotheticalPlatform, first *int, _ *string) int {
		return satAdd(satAdd(coverageCost, hypotheticalCost(len(h))), pageCost(child, first))
	}
	// Siting reads the index and measures every candidate against the cells
	// within its reach (sitingMeasureCost); its suggestions are a list of
	// count, each listing the townships it newly covers.
	c.Query.SuggestSites = func(child int, _ []db.PlatformKind, radiusMetres float64, count int, _ *string, _ []string, cs []db.Position) int {
		return satAdd(satAdd(sitingCost, sitingMeasureCost(cs, radiusMetres)), listCost(child, min(max(count, 1), db.MaxSiteCount)))
	}
	c.SiteSuggestion.NewlyCovered = func(child int) int { return listCost(child, allTownships) }
	c.Coverage.Townships = func(child int) int { return listCost(child, allTownships) }
	c.Coverage.Counties = func(child int) int { return listCost(child, allCounties) }
	c.SectorCoverage.Sectors = func(child int) int { return listCost(child, allSectors) }
	c.SectorCoverage.Counties = func(child int) int { return listCost(child, allCounties) }
	c.CountySectors.Sectors = func(child int) int { return listCost(child, allSectors) }
	c.SectorService.Halls = func(child int) int { return listCost(child, hallsPerSector) }
	// The data-quality report tests every platform against its cell; its
	// items come a page at a time.
	c.Query.DataQuality = func(child int) int { return satAdd(qualityCost, child) }
	c.DataQuality.Items = func(child int, _ []db.QualityReason, first *int, _ *string) int { return pageCost(child, first) }
	c.DataQuality.Counts = func(child int) int { return listCost(child, len(db.QualityReasons)) }
	c.Query.NearestPlatforms = func(child int, _, _ float64, _ crs.CRS, _ []db.PlatformKind, limit *int) int {
		return listCost(child, orDefault(limit, resolvers.DefaultNearest))
	}
	// One nearest platform of each of the three kinds.
	c.Location.Nearest = func(child int) int { return listCost(child, 3) }
	c.Query.PlatformFeatures = func(int, *db.PlatformFilter, crs.CRS) int { return layerCost }
	c.Query.TownshipFeatures = func(int, *float64, *string, crs.CRS) int { return layerCost }
}

// The lists that are not pages cost the most they hold in Sanming, with room
// to grow.
const (
	allTownships = 200 // 141 townships
	allCounties  = 20  // 11 counties
	allSectors   = 50  // 30 sectors
	allPlatforms = 300 // 207 platforms
	// A township's covering platforms: about 20 at 20 km for every kind, the
	// least coveredBy is priced at; coveredByAt grows it with the radius.
	coveredByPlatforms    = 20
	coveredByRadiusMetres = 20_000
	// A coverage or a worklist: one read of the coverage index over every
	// township (a few milliseconds on Sanming, answered from memory when asked
	// again). It stays below the heavy pool's threshold with a page of 200
	// townships, and about 28 fit in one query under the default limit. They
	// measured every township at 0.1 to 0.7 s each before the index.
	coverageCost = 7_000
	// The data-quality report: one snapshot reading every platform and
	// township, each located platform tested against its own cell in its UTM
	// zone (20 ms on Sanming, 2 s for a directory of all China), then kept
	// by data version. Priced at the heavy pool's threshold, so that the
	// read runs there and never holds a connection cheap reads need.
	qualityCost = 10_000
	// One hypothetical platform of a what-if coverage: a statement measures
	// it from every cell within its reach, and the answer is kept nowhere.
	// A hundred (the most one question may name) take a coverage past the
	// heavy pool's threshold.
	hypotheticalPlatformCost = 50
	// Siting suggestions: a coverage's index read, then one statement
	// measuring candidates × the cells in their reach. Priced at the heavy
	// pool's threshold at least, so that it runs there.
	sitingCost = 10_000
	// A Sanming township's cell is about 162 km² (141 over 22,900 km²): the
	// cells within a radius of a point are about those whose area fits in a
	// circle of the radius plus half a cell's width (7 km).
	townshipKm2    = 162
	halfCellMetres = 7_000
	// The halls of one sector serving one county: the county's and the city's.
	hallsPerSector = 5
	// A GeoJSON layer (platformFeatures, townshipFeatures) is a scalar, but
	// it is a statement and up to 1.3 MB of its own, as every alias of it is:
	// ten in a query under the default limit. Priced as the page of features
	// it holds (11 fields × 200 townships), the township layer could be asked
	// for 90 times at once: 120 MB, 4 s.
	layerCost = 20_000
)

// hypotheticalCost prices n hypothetical platforms. More than the most a
// question may name are priced as that most: the resolver refuses them with
// BAD_USER_INPUT naming the argument, which says more than the cost limit.
func hypotheticalCost(n int) int {
	return hypotheticalPlatformCost * min(n, db.MaxHypothetical)
}

// sitingMeasureCost prices measuring candidates cs (nil: the seats, priced
// as every township) against the cells within radiusMetres of each. More
// than the most a question may name are priced as that most: the resolver
// refuses them with BAD_USER_INPUT naming the argument.
func sitingMeasureCost(cs []db.Position, radiusMetres float64) int {
	n := allTownships
	if cs != nil {
		n = min(len(cs), db.MaxSiteCandidates)
	}
	return n * cellsInReach(radiusMetres)
}

// cellsInReach is about how many township cells lie within radiusMetres of
// a point, from 1 up to every township.
func cellsInReach(radiusMetres float64) int {
	km := (max(radiusMetres, 0) + halfCellMetres) / 1000
	n := math.Pi * km * km / townshipKm2
	if math.IsNaN(n) {
		return allTownships
	}
	return int(min(max(n, 1), allTownships))
}

func pageCost(child int, first *int) int {
	return listCost(child, orDefault(first, resolvers.DefaultFirst))
}

// orDefault is the length a list argument asks for: n, or def when n is not given.
func orDefault(n *int, def int) int {
	if n != nil && *n > 0 {
		return *n
	}
	return def
}

// listCost is the cost of a list of n elements that each cost child.
func listCost(child, n int) int {
	if child > 0 && n > (math.MaxInt-1)/child {
		return math.MaxInt
	}
	return 1 + n*child
}

package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"civicmap/db"
)

// The fields the cost walker prices by name, beyond setComplexity's
// functions: a coverage's radius sets how long each of its townships'
// coveredBy lists may be. checkCostNames makes sure they still exist.
const (
	geoJSONScalar              = "GeoJSON"
	coveredByType              = "TownshipCoverage"
	coveredByField             = "coveredBy"
	coveredByHypotheticalField = "coveredByHypothetical"
	radiusArg                  = "radiusMetres"
	hypotheticalArg            = "hypothetical"
)

// radiusFields are the Query fields whose radiusMetres bounds the coveredBy
// lists beneath them, and whose hypothetical platforms the
// coveredByHypothetical lists.
var radiusFields = []string{"coverage", "uncoveredTownships"}

// costWalker prices an operation as gqlgen's complexity.Calculate does, field
// by field with setComplexity's functions, and adds what those functions
// cannot see: the radius of the coverage above a coveredBy list. It stops
// once the cost is over limit, so a hostile query costs little to refuse.
type costWalker struct {
	ctx    context.Context
	es     graphql.ExecutableSchema
	schema *ast.Schema
	vars   map[string]any
	limit  int
}

// operationCost returns the cost of op with vars, or a number over limit as
// soon as it is sure to be over.
func operationCost(ctx context.Context, es graphql.ExecutableSchema, op *ast.OperationDefinition, vars map[string]any, limit int) int {
	w := costWalker{ctx: ctx, es: es, schema: es.Schema(), vars: vars, limit: limit}
	return w.set(op.SelectionSet, coverageScope{})
}

// coverageScope is what the coverage above a field asks: its radius and how
// many hypothetical platforms it names.
type coverageScope struct {
	radius       float64
	hypothetical int
}

func (w costWalker) set(set ast.SelectionSet, scope coverageScope) int {
	var total int
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = satAdd(total, w.field(s, scope))
		case *ast.FragmentSpread:
			total = satAdd(total, w.set(s.Definition.SelectionSet, scope))
		case *ast.InlineFragment:
			total = satAdd(total, w.set(s.SelectionSet, scope))
		}
		if total > w.limit {
			return total
		}
	}
	return total
}

func (w costWalker) field(f *ast.Field, scope coverageScope) int {
	typ := w.schema.Types[f.Definition.Type.Name()]
	if typ.Name == "__Schema" {
		return 0 // introspection is priced by the depth and field limits
	}
	args := f.ArgumentMap(w.vars)
	vertices := w.geometries(f, args)
	if f.ObjectDefinition.Name == "Query" && isRadiusField(f.Name) {
		list, _ := args[hypotheticalArg].([]any)
		scope = coverageScope{radius: number(args[radiusArg]), hypothetical: len(list)}
	}
	var child int
	switch typ.Kind {
	case ast.Object, ast.Interface, ast.Union:
		child = w.set(f.SelectionSet, scope)
	}
	if f.ObjectDefinition.Name == coveredByType && f.Name == coveredByField {
		return listCost(child, coveredByAt(scope.radius))
	}
	if f.ObjectDefinition.Name == coveredByType && f.Name == coveredByHypotheticalField {
		return listCost(child, min(scope.hypothetical, db.MaxHypothetical))
	}
	// A field of an interface costs what it costs on the dearest type.
	owners := []*ast.Definition{f.ObjectDefinition}
	if f.ObjectDefinition.Kind == ast.Interface {
		owners = w.schema.GetPossibleTypes(f.ObjectDefinition)
	}
	var c int
	for _, o := range owners {
		c = max(c, w.fieldCost(o.Name, f.Name, child, args))
	}
	return satAdd(c, vertices)
}

// geometries prices the GeoJSON arguments of f: each costs its vertices, for
// every alias that passes it, as PostGIS checks and tests it vertex by vertex.
// They are counted in the raw value and taken out of args: the complexity
// functions would decode them again for every alias (a 10,000-vertex polygon
// in 249 aliases took 0.65 s to price that way).
func (w costWalker) geometries(f *ast.Field, args map[string]any) int {
	var n int
	for _, a := range f.Definition.Arguments {
		if v, ok := args[a.Name]; ok && a.Type.Name() == geoJSONScalar {
			n = satAdd(n, positions(v))
			delete(args, a.Name)
		}
	}
	return n
}

// positions counts the positions in a GeoJSON value as a request gives it: an
// object, or the object as a JSON string.
func positions(v any) int {
	switch x := v.(type) {
	case string:
		var decoded any
		if json.Unmarshal([]byte(x), &decoded) != nil {
			return 0 // the scalar refuses it
		}
		return positions(decoded)
	case map[string]any:
		var n int
		for _, member := range x {
			n = satAdd(n, positions(member))
		}
		return n
	case []any:
		if len(x) > 0 && isNumber(x[0]) {
			return 1 // a position: [lon, lat]
		}
		var n int
		for _, e := range x {
			n = satAdd(n, positions(e))
		}
		return n
	}
	return 0
}

func isNumber(v any) bool {
	switch v.(type) {
	case float64, int64, int, json.Number:
		return true
	}
	return false
}

// fieldCost is setComplexity's price for a field, or 1 plus its children's.
func (w costWalker) fieldCost(typeName, field string, child int, args map[string]any) int {
	if c, ok := w.es.Complexity(w.ctx, typeName, field, child, args); ok && c >= 1 {
		return c
	}
	return satAdd(1, child)
}

func isRadiusField(name string) bool {
	for _, f := range radiusFields {
		if f == name {
			return true
		}
	}
	return false
}

// number reads an argument's value as gqlparser gives it: a literal, a
// variable's JSON number or a default. Anything else is 0.
func number(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int64:
		return float64(n)
	case int:
		return float64(n)
	case json.Number:
		f, _ := n.Float64()
		return f
	}
	return 0
}

// coveredByAt is the most platforms a township's coveredBy list is priced at
// for a radius: about 20 at 20 km, growing with the circle's area, up to every
// platform. At 200 km every township has all 206; priced at 20 as before, 45
// aliases of it passed the limits, ran 34 s and took 1.6 GB.
func coveredByAt(radiusMetres float64) int {
	n := coveredByPlatforms * math.Pow(radiusMetres/coveredByRadiusMetres, 2)
	if math.IsNaN(n) {
		return allPlatforms
	}
	return int(min(max(n, coveredByPlatforms), allPlatforms))
}

// satAdd adds two costs without overflowing.
func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// checkCostNames fails when a field or argument that the cost walker prices
// by name is gone from the schema: a rename must fail the server's start and
// every test, not make coveredBy cheap again in silence.
func checkCostNames(schema *ast.Schema) error {
	if schema.Types[geoJSONScalar] == nil {
		return fmt.Errorf("cost: the schema has no scalar %s", geoJSONScalar)
	}
	t := schema.Types[coveredByType]
	for _, field := range []string{coveredByField, coveredByHypotheticalField} {
		if t == nil || t.Fields.ForName(field) == nil {
			return fmt.Errorf("cost: the schema has no %s.%s", coveredByType, field)
		}
	}
	for _, name := range radiusFields {
		f := schema.Query.Fields.ForName(name)
		for _, arg := range []string{radiusArg, hypotheticalArg} {
			if f == nil || f.Arguments.ForName(arg) == nil {
				return fmt.Errorf("cost: the schema has no Query.%s(%s)", name, arg)
			}
		}
	}
	return nil
}

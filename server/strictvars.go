package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"civicmap/errcode"
)

// strictVariables refuses a variable holding a value the schema does not
// define, which gqlparser and gqlgen would otherwise coerce into something
// else. gqlparser checks enum literals exactly but enum values in variables
// without regard to case, and gqlgen's lookup for enums bound to db's
// constants turns a name it lacks into the zero value: "workstation" became
// an empty kind that matched nothing, and coverage answered a false map with
// no error. Likewise a string in an Int or Float variable ("10", "NaN",
// "Infinity") was parsed into a number. This checks every variable, in lists
// and input objects at any depth, after gqlparser has coerced them and before
// any resolver runs.
type strictVariables struct {
	schema *ast.Schema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &strictVariables{}

func (*strictVariables) ExtensionName() string { return "civicmap strict variables" }

func (s *strictVariables) Validate(schema graphql.ExecutableSchema) error {
	s.schema = schema.Schema()
	return nil
}

func (s *strictVariables) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	o := op.Doc.Operations.ForName(op.OperationName)
	if o == nil {
		return nil
	}
	for _, def := range o.VariableDefinitions {
		if v, ok := op.Variables[def.Variable]; ok {
			if err := s.check(def.Type, v, def.Variable); err != nil {
				return err
			}
		}
	}
	return nil
}

// check checks the enum values in v, a variable's value of type typ, at path
// (e.g. "k[0]", "filter.kinds[1]").
func (s *strictVariables) check(typ *ast.Type, v any, path string) *gqlerror.Error {
	if v == nil {
		return nil
	}
	if typ.Elem != nil {
		list := reflect.ValueOf(v)
		if list.Kind() != reflect.Slice { // a single value where a list is expected: coerced to a list of one
			return s.check(typ.Elem, v, path)
		}
		seen := map[any]bool{}
		for i := range list.Len() {
			item, itemPath := list.Index(i).Interface(), fmt.Sprintf("%s[%d]", path, i)
			if err := s.check(typ.Elem, item, itemPath); err != nil {
				return err
			}
			if err := s.once(typ.Elem, item, itemPath, seen); err != nil {
				return err
			}
		}
		return nil
	}
	def := s.schema.Types[typ.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		if name, ok := v.(string); !ok || def.EnumValues.ForName(name) == nil {
			return badEnum(def, v, path)
		}
	case ast.Scalar:
		return checkNumber(typ.NamedType, v, path)
	case ast.InputObject:
		fields, _ := v.(map[string]any)
		for _, f := range def.Fields {
			if err := s.check(f.Type, fields[f.Name], path+"."+f.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// once refuses an enum value that a list gives twice: every list of enums
// here is a set (kinds), and 10,000 copies of one kind would be read as one.
func (s *strictVariables) once(typ *ast.Type, v any, path string, seen map[any]bool) *gqlerror.Error {
	if def := s.schema.Types[typ.NamedType]; def == nil || def.Kind != ast.Enum {
		return nil
	}
	if seen[v] {
		e := gqlerror.Errorf("variable $%s: %v is given twice: give each value once", path, v)
		setCode(e, errcode.BadUserInput)
		e.Extensions["field"] = path
		return e
	}
	seen[v] = true
	return nil
}

// checkNumber refuses what is not a finite JSON number in an Int or Float
// variable, and in an Int what is not a 32-bit integer: GraphQL's input
// coercion takes no strings for them, and JSON has no NaN or infinity.
func checkNumber(scalar string, v any, path string) *gqlerror.Error {
	if scalar != "Int" && scalar != "Float" {
		return nil
	}
	var f float64
	switch n := v.(type) {
	case int:
		f = float64(n)
	case int32:
		return nil
	case int64:
		f = float64(n)
	case float64:
		f = n
	case json.Number:
		var err error
		if f, err = n.Float64(); err != nil {
			return badNumber(scalar, v, path)
		}
	default:
		return badNumber(scalar, v, path)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return badNumber(scalar, v, path)
	}
	if scalar == "Int" && (f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32) {
		return badInt(v, path)
	}
	return nil
}

// badInt is the error for a number that GraphQL's Int, a signed 32-bit
// integer, cannot hold: gqlgen's Go int took 1e12 as a version.
func badInt(v any, path string) *gqlerror.Error {
	e := gqlerror.Errorf("variable $%s: want an integer from %d to %d for Int, got %v", path, math.MinInt32, math.MaxInt32, v)
	setCode(e, errcode.BadUserInput)
	e.Extensions["field"] = path
	return e
}

func badNumber(scalar string, v any, path string) *gqlerror.Error {
	e := gqlerror.Errorf("variable $%s: want a finite JSON number for %s, got %s", path, scalar, describe(v))
	setCode(e, errcode.BadUserInput)
	e.Extensions["field"] = path
	return e
}

// describe names a JSON value for a message: a string quoted, other values by
// their JSON type.
func describe(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("the string %q", s)
	}
	return fmt.Sprintf("%v", v)
}

// badEnum is the error for a value an enum does not define: it names the
// variable, the value and the values allowed.
func badEnum(def *ast.Definition, v any, path string) *gqlerror.Error {
	names := make([]string, len(def.EnumValues))
	for i, ev := range def.EnumValues {
		names[i] = ev.Name
	}
	e := gqlerror.Errorf("variable $%s: %q is not a %s: use one of %s (enum values are case-sensitive)",
		path, fmt.Sprint(v), def.Name, strings.Join(names, ", "))
	setCode(e, errcode.BadUserInput)
	e.Extensions["field"] = path
	return e
}

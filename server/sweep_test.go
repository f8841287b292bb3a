package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"civicmap/graph"
	"civicmap/graph/relay"
)

// goodArgs are valid values for the arguments the sweep does not spoil, by
// field and argument name, then by argument name alone; others get a value of
// their type (goodValue).
var goodArgs = map[string]any{
	"county.code":   "350481",
	"township.code": "350424106",
	"id":            relay.PlatformID(1),
	"kinds":         []string{"WORKSTATION"},
	"lon":           117.6,
	"lat":           26.2,
}

// goodValue is a valid value of type t for argument arg of field.
func goodValue(schema *ast.Schema, field, arg string, t *ast.Type) any {
	if v, ok := goodArgs[field+"."+arg]; ok {
		return v
	}
	if v, ok := goodArgs[arg]; ok {
		return v
	}
	if t.Elem != nil {
		return []any{goodValue(schema, field, arg, t.Elem)}
	}
	def := schema.Types[t.NamedType]
	switch {
	case def.Kind == ast.Enum:
		return def.EnumValues[0].Name
	case def.Kind == ast.InputObject:
		return map[string]any{}
	case t.NamedType == "Int":
		return 1
	case t.NamedType == "Float":
		return 1.0
	case t.NamedType == "Boolean":
		return true
	}
	return "x"
}

// badValues are the spoiled values for an argument of type t: wrong types,
// out-of-range and non-finite numbers, wrong-case enums, null where null is
// not allowed, a list of 10,000 and deep nesting.
func badValues(schema *ast.Schema, field, arg string, t *ast.Type) map[string]any {
	def := schema.Types[t.Name()]
	deep := any("x")
	for range 200 {
		deep = []any{deep}
	}
	bad := map[string]any{
		"an object":        map[string]any{"nested": map[string]any{"deeper": true}},
		"nesting 200 deep": deep,
		"the string NaN":   "NaN",
		"the string 1e999": "1e999",
	}
	if t.Elem != nil {
		bad["a 10,000-long list"] = slices.Repeat([]any{goodValue(schema, field, "", t.Elem)}, 10_000)
	}
	if t.NonNull {
		bad["null"] = nil
	}
	switch {
	case def.Kind == ast.Enum:
		bad["lower case"] = strings.ToLower(def.EnumValues[0].Name)
		bad["mixed case"] = strings.ToUpper(def.EnumValues[0].Name[:1]) + strings.ToLower(def.EnumValues[0].Name[1:])
		bad["a number"] = 1
	case t.Name() == "Int":
		bad["out of range"] = 1e12
		bad["a fraction"] = 1.5
		bad["a negative"] = -7
		bad["the string 10"] = "10"
	case t.Name() == "Float":
		bad["the string Infinity"] = "Infinity"
		bad["1e308"] = 1e308
		bad["-1e308"] = -1e308
	case t.Name() == "String" || t.Name() == "ID":
		bad["a boolean"] = true
		bad["10,000 characters"] = strings.Repeat("站", 10_000)
	}
	return bad
}

// TestBadInputSweep: every argument of every query field, given each bad
// value, gets an error with a code: never a silent answer, never a 5xx,
// never more than a second. The other arguments get valid values.
func TestBadInputSweep(t *testing.T) {
	h := newHandler(t, nil)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, f := range schema.Query.Fields {
		if strings.HasPrefix(f.Name, "__") || len(f.Arguments) == 0 {
			continue
		}
		for _, spoilt := range f.Arguments {
			for name, bad := range badValues(schema, f.Name, spoilt.Name, spoilt.Type) {
				t.Run(f.Name+"/"+spoilt.Name+"/"+name, func(t *testing.T) {
					query, vars := sweepQuery(schema, f, spoilt, bad)
					wantRefused(t, func() result { return post(t, h, query, vars) })
				})
			}
		}
	}
}

// wantRefused fails unless send's answer is an error with a code, no 5xx,
// within a second.
func wantRefused(t *testing.T, send func() result) {
	t.Helper()
	start := time.Now()
	r := send()
	took := time.Since(start)
	t.Logf("%s: %.120s", r.code(), firstMessage(r))
	switch {
	case r.Status >= http.StatusInternalServerError:
		t.Errorf("status %d: %+v", r.Status, r.Errors)
	case r.code() == "":
		t.Errorf("answered with no error: %.200s", r.Data)
	case took > time.Second:
		t.Errorf("took %s", took)
	}
}

// sweepQuery is a query of field f with every argument a variable: spoilt
// holds bad, the others valid values.
func sweepQuery(schema *ast.Schema, f *ast.FieldDefinition, spoilt *ast.ArgumentDefinition, bad any) (string, map[string]any) {
	vars := map[string]any{}
	for _, a := range f.Arguments {
		if a == spoilt || a.Type.NonNull {
			vars[a.Name] = goodValue(schema, f.Name, a.Name, a.Type)
		}
	}
	vars[spoilt.Name] = bad
	return sweepDocument(schema, "query", f, vars), vars
}

// sweepDocument is an operation calling field f with a variable for each of
// its arguments in vars, selecting __typename of an object it returns.
func sweepDocument(schema *ast.Schema, operation string, f *ast.FieldDefinition, vars map[string]any) string {
	var params, args []string
	for _, a := range f.Arguments {
		if _, ok := vars[a.Name]; ok {
			params = append(params, fmt.Sprintf("$%s: %s", a.Name, a.Type.String()))
			args = append(args, fmt.Sprintf("%s: $%s", a.Name, a.Name))
		}
	}
	sel := ""
	if k := schema.Types[f.Type.Name()].Kind; k == ast.Object || k == ast.Interface {
		sel = " { __typename }"
	}
	return fmt.Sprintf("%s(%s) { %s(%s)%s }", operation, strings.Join(params, ", "), f.Name, strings.Join(args, ", "), sel)
}

func firstMessage(r result) string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Message
}

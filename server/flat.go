package server

import (
	"bytes"
	"context"
	"io"
	"math"
	"reflect"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/twpayne/go-geom"
	"github.com/vektah/gqlparser/v2/ast"

	"civicmap/crs"
	"civicmap/db"
	"civicmap/graph/relay"
	"civicmap/graph/scalar"
)

// Lists are what map front ends and planners ask for most, and gqlgen
// resolves each field of each element on its own: a goroutine per element,
// and per field a context, a field context, the middleware chain and, for a
// position, the map of its arguments. For a list of platforms `{ id kind name
// lon lat }` that was about 80 allocations a platform, most of the list's
// cost (pprof, issue 12). When a field's selection asks its objects only for
// values they hold (no resolver that reads the database), writeFlat writes
// them at once, with the marshalers gqlgen's generated code uses, so the bytes
// are the same (TestFlatSameBytes). Any other selection takes gqlgen's path.

// flatType is how to write the objects of one GraphQL type flat: the values
// they hold and the objects within them, which are written flat in turn.
type flatType struct {
	// implementors are what a fragment on the type may name, as in the
	// generated code.
	implementors []string
	values       map[string]flatValue
	children     map[string]flatChild
	// write writes v, a T, *T or []T, by plan; false when v is none of them.
	write func(b *bytes.Buffer, v any, plan []flatField) bool
}

// flatValue writes one value an object holds; c is the coordinate system of
// the field's crs argument, for the positions.
type flatValue func(w *bytes.Buffer, obj any, c crs.CRS)

// flatChild is an object, or a list of them, within an object.
type flatChild struct {
	typ *flatType
	get func(obj any) any
}

// childOf is an object within a T: its type, and how to get it from a T.
type childOf[T any] struct {
	typ *flatType
	get func(*T) any
}

// newFlatType returns the flatType of objects held as T.
func newFlatType[T any](implementors []string, values map[string]func(*bytes.Buffer, *T, crs.CRS), children map[string]childOf[T]) *flatType {
	t := &flatType{implementors: implementors, values: map[string]flatValue{}, children: map[string]flatChild{}, write: writeObjects[T]}
	for name, f := range values {
		t.values[name] = func(w *bytes.Buffer, obj any, c crs.CRS) { f(w, obj.(*T), c) }
	}
	for name, c := range children {
		t.children[name] = flatChild{typ: c.typ, get: func(obj any) any { return c.get(obj.(*T)) }}
	}
	return t
}

// writeObjects writes v, a T, *T or []T, as gqlgen writes an object or a
// list of them; a nil *T is null.
func writeObjects[T any](b *bytes.Buffer, v any, plan []flatField) bool {
	switch x := v.(type) {
	case []T:
		// About what a field takes: a list grows its buffer once or twice,
		// not a dozen times from 64 bytes.
		b.Grow(len(x) * len(plan) * 24)
		b.WriteByte('[')
		for i := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeObject(b, &x[i], plan)
		}
		b.WriteByte(']')
	case *T:
		if x == nil {
			graphql.Null.MarshalGQL(b)
			return true
		}
		writeObject(b, x, plan)
	case T:
		writeObject(b, &x, plan)
	default:
		return false
	}
	return true
}

// flatField is one field of a flat selection: its key in the response, and
// either a value with the system of its crs argument, or an object within
// written by its own plan.
type flatField struct {
	// key is the field's key in the response as JSON, with its colon.
	key   []byte
	value flatValue
	crs   crs.CRS
	child flatChild
	plan  []flatField
}

// writeObject writes obj's fields as gqlgen writes an object.
func writeObject(b *bytes.Buffer, obj any, plan []flatField) {
	b.WriteByte('{')
	for i, f := range plan {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(f.key)
		if f.value != nil {
			f.value(b, obj, f.crs)
		} else {
			f.child.typ.write(b, f.child.get(obj), f.plan)
		}
	}
	b.WriteByte('}')
}

// plan returns the fields sel asks t's objects for, or false when one of
// them is neither a value nor an object t writes flat, or its crs argument is
// not one that gqlgen would take (gqlgen's path then reports the error).
func (t *flatType) plan(oc *graphql.OperationContext, sel ast.SelectionSet) ([]flatField, bool) {
	fields := graphql.CollectFields(oc, sel, t.implementors)
	out := make([]flatField, len(fields))
	for i, f := range fields {
		var key bytes.Buffer
		writeString(&key, f.Alias)
		key.WriteByte(':')
		out[i] = flatField{key: key.Bytes(), crs: crs.WGS84}
		if child, ok := t.children[f.Name]; ok {
			plan, ok := child.typ.plan(oc, f.Selections)
			if !ok {
				return nil, false
			}
			out[i].child, out[i].plan = child, plan
			continue
		}
		value, ok := t.values[f.Name]
		if !ok {
			return nil, false
		}
		out[i].value = value
		if len(f.Definition.Arguments) == 0 {
			continue
		}
		c, ok := f.ArgumentMap(oc.Variables)["crs"].(string)
		if !ok || !crs.CRS(c).IsValid() {
			return nil, false
		}
		out[i].crs = crs.CRS(c)
	}
	return out, true
}

// writeFlat is the field middleware that writes a field whose type is in
// flatTypes whole, as JSON, when its selection can be written flat (plan).
// The budget (chargeFields, outside it) is charged for the bytes written.
func writeFlat(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return next(ctx)
	}
	t := flatTypes[fc.Field.Definition.Type.Name()]
	if t == nil {
		return next(ctx)
	}
	plan, ok := t.plan(graphql.GetOperationContext(ctx), fc.Field.Selections)
	if !ok {
		return next(ctx)
	}
	v, err := next(ctx)
	if err != nil || isNilPointer(v) {
		return v, err // gqlgen's path: null, or the error of a non-null field
	}
	var b bytes.Buffer
	if !t.write(&b, v, plan) {
		return v, nil
	}
	return rawJSON(b.Bytes()), nil
}

// isNilPointer reports whether v is a nil pointer.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// rawJSON is a field's value written already.
type rawJSON []byte

func (r rawJSON) MarshalGQL(w io.Writer) { w.Write(r) }

// flatTypes are the types writeFlat writes, by GraphQL name.
var flatTypes = map[string]*flatType{
	"Platform":         platformFlat,
	"PlatformDistance": platformDistanceFlat,
	"Township":         townshipFlat,
	"TownshipCoverage": townshipCoverageFlat,
}

// The values of each type below are the fields of the schema that an object
// holds, marshalled as graph/generated.go marshals them. An enum is written as
// its Go value, which is its GraphQL name for all but Township.kind (stored in
// Chinese, and named by gqlgen.yml's enum_values): that one is left to gqlgen.

var platformFlat = newFlatType([]string{"Platform", "Node"}, map[string]func(*bytes.Buffer, *db.Platform, crs.CRS){
	"__typename":      func(w *bytes.Buffer, _ *db.Platform, _ crs.CRS) { writeString(w, "Platform") },
	"id":              func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { writeString(w, relay.PlatformID(p.ID)) },
	"externalId":      func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { writeString(w, p.ExternalID) },
	"kind":            func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { writeString(w, string(p.Kind)) },
	"name":            func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { writeString(w, p.Name) },
	"hostName":        func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { writeString(w, p.HostName) },
	"hostType":        func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { writeString(w, string(p.HostType)) },
	"address":         func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { writeOptionalString(w, p.Address) },
	"location":        func(w *bytes.Buffer, p *db.Platform, c crs.CRS) { writeGeoJSON(w, p.LocationIn(c)) },
	"lon":             func(w *bytes.Buffer, p *db.Platform, c crs.CRS) { writeOptionalFloat(w, p.LonIn(c)) },
	"lat":             func(w *bytes.Buffer, p *db.Platform, c crs.CRS) { writeOptionalFloat(w, p.LatIn(c)) },
	"positionQuality": func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { writeString(w, string(p.PositionQuality)) },
	"establishedOn": func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) {
		if p.EstablishedOn == nil {
			graphql.Null.MarshalGQL(w)
			return
		}
		scalar.MarshalDate(*p.EstablishedOn).MarshalGQL(w)
	},
	"status":     func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { writeString(w, string(p.Status)) },
	"provenance": func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { writeString(w, string(p.Provenance)) },
	"sourceNote": func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { writeString(w, p.SourceNote) },
	"createdAt":  func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { scalar.MarshalDateTime(p.CreatedAt).MarshalGQL(w) },
	"updatedAt":  func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { scalar.MarshalDateTime(p.UpdatedAt).MarshalGQL(w) },
	"version":    func(w *bytes.Buffer, p *db.Platform, _ crs.CRS) { graphql.MarshalInt(p.Version).MarshalGQL(w) },
}, nil)

var platformDistanceFlat = newFlatType([]string{"PlatformDistance"}, map[string]func(*bytes.Buffer, *db.PlatformDistance, crs.CRS){
	"__typename": func(w *bytes.Buffer, _ *db.PlatformDistance, _ crs.CRS) { writeString(w, "PlatformDistance") },
	"distanceMetres": func(w *bytes.Buffer, d *db.PlatformDistance, _ crs.CRS) {
		writeFloat(w, d.DistanceMetres)
	},
}, map[string]childOf[db.PlatformDistance]{
	"platform": {platformFlat, func(d *db.PlatformDistance) any { return &d.Platform }},
})

var townshipFlat = newFlatType([]string{"Township", "Node"}, map[string]func(*bytes.Buffer, *db.Township, crs.CRS){
	"__typename":      func(w *bytes.Buffer, _ *db.Township, _ crs.CRS) { writeString(w, "Township") },
	"id":              func(w *bytes.Buffer, t *db.Township, _ crs.CRS) { writeString(w, relay.ID(relay.TownshipType, t.Code)) },
	"code":            func(w *bytes.Buffer, t *db.Township, _ crs.CRS) { writeString(w, t.Code) },
	"code12":          func(w *bytes.Buffer, t *db.Township, _ crs.CRS) { writeString(w, t.Code12()) },
	"name":            func(w *bytes.Buffer, t *db.Township, _ crs.CRS) { writeString(w, t.Name) },
	"seat":            func(w *bytes.Buffer, t *db.Township, c crs.CRS) { writeGeoJSON(w, t.SeatIn(c)) },
	"lon":             func(w *bytes.Buffer, t *db.Township, c crs.CRS) { writeOptionalFloat(w, t.LonIn(c)) },
	"lat":             func(w *bytes.Buffer, t *db.Township, c crs.CRS) { writeOptionalFloat(w, t.LatIn(c)) },
	"positionQuality": func(w *bytes.Buffer, t *db.Township, _ crs.CRS) { writeString(w, string(t.PositionQuality)) },
	"boundaryQuality": func(w *bytes.Buffer, t *db.Township, _ crs.CRS) { writeOptionalString(w, (*string)(t.BoundaryQuality)) },
	"sourceNote":      func(w *bytes.Buffer, t *db.Township, _ crs.CRS) { writeString(w, t.SourceNote) },
}, nil)

var townshipCoverageFlat = newFlatType([]string{"TownshipCoverage"}, map[string]func(*bytes.Buffer, *db.TownshipCoverage, crs.CRS){
	"__typename": func(w *bytes.Buffer, _ *db.TownshipCoverage, _ crs.CRS) { writeString(w, "TownshipCoverage") },
	"status":     func(w *bytes.Buffer, t *db.TownshipCoverage, _ crs.CRS) { writeString(w, string(t.Status)) },
	"covered": func(w *bytes.Buffer, t *db.TownshipCoverage, _ crs.CRS) {
		graphql.MarshalBoolean(t.Covered()).MarshalGQL(w)
	},
	"positionQuality": func(w *bytes.Buffer, t *db.TownshipCoverage, _ crs.CRS) { writeString(w, string(t.PositionQuality)) },
	"boundaryQuality": func(w *bytes.Buffer, t *db.TownshipCoverage, _ crs.CRS) {
		writeOptionalString(w, (*string)(t.BoundaryQuality))
	},
}, map[string]childOf[db.TownshipCoverage]{
	"township":  {townshipFlat, func(t *db.TownshipCoverage) any { return &t.Township }},
	"nearest":   {platformDistanceFlat, func(t *db.TownshipCoverage) any { return t.Nearest }},
	"coveredBy": {platformDistanceFlat, func(t *db.TownshipCoverage) any { return t.CoveredBy }},
})

// writeString writes s as gqlgen's MarshalString does. gqlgen decodes each
// rune to find the few bytes JSON escapes (below 0x20, the quote and the
// backslash), none of which is ever part of a multi-byte UTF-8 sequence; most
// strings have none, and are written at once.
func writeString(w *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			graphql.MarshalString(s).MarshalGQL(w)
			return
		}
	}
	w.WriteByte('"')
	w.WriteString(s)
	w.WriteByte('"')
}

func writeOptionalString(w *bytes.Buffer, s *string) {
	if s == nil {
		graphql.Null.MarshalGQL(w)
		return
	}
	writeString(w, *s)
}

// writeFloat writes f as scalar.MarshalFloat does, without its string.
func writeFloat(w *bytes.Buffer, f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		graphql.Null.MarshalGQL(w)
		return
	}
	w.Write(strconv.AppendFloat(w.AvailableBuffer(), f, 'f', -1, 64))
}

func writeOptionalFloat(w *bytes.Buffer, f *float64) {
	if f == nil {
		graphql.Null.MarshalGQL(w)
		return
	}
	writeFloat(w, *f)
}

func writeGeoJSON(w *bytes.Buffer, g geom.T) {
	if g == nil {
		graphql.Null.MarshalGQL(w)
		return
	}
	scalar.MarshalGeoJSON(g).MarshalGQL(w)
}

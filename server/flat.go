package server

import (
	"bytes"
	"context"
	"io"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"civicmap/crs"
	"civicmap/db"
	"civicmap/graph/relay"
	"civicmap/graph/scalar"
)

// Lists of platforms are what map front ends ask for most, and gqlgen
// resolves each field of each element on its own: a goroutine per element,
// and per field a context, a field context, the middleware chain and, for a
// position, the map of its arguments. For `{ id kind name lon lat }` that was
// about 80 allocations a platform, most of a list's cost (pprof, issue 12).
// When a field's selection asks a platform only for the platform's own values,
// writePlatforms writes them at once, with the marshalers gqlgen's generated
// code uses, so the bytes are the same (TestFlatPlatformsSameBytes). Anything
// else (a township, a county, a value this table lacks) takes gqlgen's path.

// platformValue writes one of a platform's own values; c is the coordinate
// system of the field's crs argument, for the positions.
type platformValue func(w io.Writer, p *db.Platform, c crs.CRS)

// platformValues are the fields of Platform that writePlatforms writes,
// marshalled as graph/generated.go marshals them.
var platformValues = map[string]platformValue{
	"__typename": func(w io.Writer, _ *db.Platform, _ crs.CRS) { graphql.MarshalString("Platform").MarshalGQL(w) },
	"id":         func(w io.Writer, p *db.Platform, _ crs.CRS) { graphql.MarshalID(relay.PlatformID(p.ID)).MarshalGQL(w) },
	"externalId": func(w io.Writer, p *db.Platform, _ crs.CRS) { graphql.MarshalString(p.ExternalID).MarshalGQL(w) },
	"kind":       func(w io.Writer, p *db.Platform, _ crs.CRS) { graphql.MarshalString(string(p.Kind)).MarshalGQL(w) },
	"name":       func(w io.Writer, p *db.Platform, _ crs.CRS) { graphql.MarshalString(p.Name).MarshalGQL(w) },
	"hostName":   func(w io.Writer, p *db.Platform, _ crs.CRS) { graphql.MarshalString(p.HostName).MarshalGQL(w) },
	"hostType":   func(w io.Writer, p *db.Platform, _ crs.CRS) { graphql.MarshalString(string(p.HostType)).MarshalGQL(w) },
	"address": func(w io.Writer, p *db.Platform, _ crs.CRS) {
		if p.Address == nil {
			graphql.Null.MarshalGQL(w)
			return
		}
		graphql.MarshalString(*p.Address).MarshalGQL(w)
	},
	"location": func(w io.Writer, p *db.Platform, c crs.CRS) {
		if g := p.LocationIn(c); g != nil {
			scalar.MarshalGeoJSON(g).MarshalGQL(w)
			return
		}
		graphql.Null.MarshalGQL(w)
	},
	"lon": func(w io.Writer, p *db.Platform, c crs.CRS) { writeOptionalFloat(w, p.LonIn(c)) },
	"lat": func(w io.Writer, p *db.Platform, c crs.CRS) { writeOptionalFloat(w, p.LatIn(c)) },
	"positionQuality": func(w io.Writer, p *db.Platform, _ crs.CRS) {
		graphql.MarshalString(string(p.PositionQuality)).MarshalGQL(w)
	},
	"establishedOn": func(w io.Writer, p *db.Platform, _ crs.CRS) {
		if p.EstablishedOn == nil {
			graphql.Null.MarshalGQL(w)
			return
		}
		scalar.MarshalDate(*p.EstablishedOn).MarshalGQL(w)
	},
	"status": func(w io.Writer, p *db.Platform, _ crs.CRS) { graphql.MarshalString(string(p.Status)).MarshalGQL(w) },
	"provenance": func(w io.Writer, p *db.Platform, _ crs.CRS) {
		graphql.MarshalString(string(p.Provenance)).MarshalGQL(w)
	},
	"sourceNote": func(w io.Writer, p *db.Platform, _ crs.CRS) { graphql.MarshalString(p.SourceNote).MarshalGQL(w) },
	"createdAt":  func(w io.Writer, p *db.Platform, _ crs.CRS) { scalar.MarshalDateTime(p.CreatedAt).MarshalGQL(w) },
	"updatedAt":  func(w io.Writer, p *db.Platform, _ crs.CRS) { scalar.MarshalDateTime(p.UpdatedAt).MarshalGQL(w) },
	"version":    func(w io.Writer, p *db.Platform, _ crs.CRS) { graphql.MarshalInt(p.Version).MarshalGQL(w) },
}

func writeOptionalFloat(w io.Writer, f *float64) {
	if f == nil {
		graphql.Null.MarshalGQL(w)
		return
	}
	scalar.MarshalFloat(*f).MarshalGQL(w)
}

// platformImplementors are what a fragment on a platform may name, as the
// generated code's platformImplementors.
var platformImplementors = []string{"Platform", "Node"}

// flatField is one field of a selection on platforms: its key in the
// response, how to write its value and, for a position, in which system.
type flatField struct {
	key   string
	value platformValue
	crs   crs.CRS
}

// flatSelection returns the fields sel asks each platform for, or false when
// one of them is not in platformValues, or its crs argument is not one that
// gqlgen would take (gqlgen's path then reports the error).
func flatSelection(oc *graphql.OperationContext, sel ast.SelectionSet) ([]flatField, bool) {
	fields := graphql.CollectFields(oc, sel, platformImplementors)
	out := make([]flatField, len(fields))
	for i, f := range fields {
		value, ok := platformValues[f.Name]
		if !ok {
			return nil, false
		}
		out[i] = flatField{key: f.Alias, value: value, crs: crs.WGS84}
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

// writePlatforms is the field middleware that writes a field of type Platform
// or [Platform!] whole, as JSON, when its selection asks only for the
// platforms' own values (flatSelection). The budget (chargeFields, outside
// it) is charged for the bytes written.
func writePlatforms(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil || fc.Field.Definition.Type.Name() != "Platform" {
		return next(ctx)
	}
	fields, ok := flatSelection(graphql.GetOperationContext(ctx), fc.Field.Selections)
	if !ok {
		return next(ctx)
	}
	v, err := next(ctx)
	if err != nil {
		return v, err
	}
	var b bytes.Buffer
	switch x := v.(type) {
	case []db.Platform:
		b.WriteByte('[')
		for i := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writePlatform(&b, &x[i], fields)
		}
		b.WriteByte(']')
	case *db.Platform:
		if x == nil {
			return v, nil // gqlgen's path: null, or the error of a non-null field
		}
		writePlatform(&b, x, fields)
	case db.Platform:
		writePlatform(&b, &x, fields)
	default:
		return v, nil
	}
	return rawJSON(b.Bytes()), nil
}

// writePlatform writes p's fields as gqlgen writes an object.
func writePlatform(b *bytes.Buffer, p *db.Platform, fields []flatField) {
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		graphql.MarshalString(f.key).MarshalGQL(b)
		b.WriteByte(':')
		f.value(b, p, f.crs)
	}
	b.WriteByte('}')
}

// rawJSON is a field's value written already.
type rawJSON []byte

func (r rawJSON) MarshalGQL(w io.Writer) { w.Write(r) }

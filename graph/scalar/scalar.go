// Package scalar holds the hand-written GraphQL scalars: GeoJSON, Date and
// DateTime. It lives apart from graph/, which is gqlgen's output only.
package scalar

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"

	"civicmap/errcode"
)

// MarshalGeoJSON writes g as an RFC 7946 GeoJSON geometry, or null when g is nil.
func MarshalGeoJSON(g geom.T) graphql.Marshaler {
	if g == nil {
		return graphql.Null
	}
	b, err := geojson.Marshal(g)
	return graphql.WriterFunc(func(w io.Writer) {
		if err != nil {
			// A stored geometry that go-geom cannot encode is a bug, not a
			// client's fault; null keeps the rest of the response usable.
			io.WriteString(w, "null")
			return
		}
		w.Write(b)
	})
}

// UnmarshalGeoJSON reads a GeoJSON geometry given as an object or a JSON string.
// Its errors are the client's: BAD_USER_INPUT, which the error presenter
// attributes to the argument being read.
func UnmarshalGeoJSON(v any) (geom.T, error) {
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, notGeoJSON(err)
		}
	}
	var g geom.T
	if err := geojson.Unmarshal(b, &g); err != nil {
		return nil, notGeoJSON(err)
	}
	if g == nil { // the string "null"
		return nil, notGeoJSON(errors.New("null"))
	}
	return g, nil
}

// notGeoJSON says what is wrong in words for the document's author: a JSON
// type error would name Go types instead.
func notGeoJSON(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return errcode.Errorf(errcode.BadUserInput, "not a GeoJSON geometry (RFC 7946): unexpected JSON %s; "+
			"coordinates are [lon, lat] positions, nested in arrays as the geometry's type requires", typeErr.Value)
	}
	return errcode.Errorf(errcode.BadUserInput, "not a GeoJSON geometry (RFC 7946): %v", err)
}

const dateLayout = "2006-01-02"

// MarshalDate writes a date as "YYYY-MM-DD".
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.Format(dateLayout)))
	})
}

// UnmarshalDate reads a "YYYY-MM-DD" date.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("Date: want a string YYYY-MM-DD, got %T", v)
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("Date: want YYYY-MM-DD, got %q", s)
	}
	return t, nil
}

// MarshalDateTime writes an instant as RFC 3339 in UTC.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalDateTime reads an RFC 3339 instant with a time zone.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("DateTime: want an RFC 3339 string, got %T", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("DateTime: want RFC 3339 with a time zone (2026-11-25T08:00:00Z), got %q", s)
	}
	// 9999-12-31T23:59:59-23:59 is 10000-01-01 in UTC, which RFC 3339 cannot
	// write: it would be answered as a time no client reads back (found by
	// FuzzDateTime).
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("DateTime: %q is outside RFC 3339's years 0000 to 9999 in UTC", s)
	}
	return t, nil
}

// Geometry is a GeoJSON geometry where gqlgen itself holds the value: in
// arguments and in what resolvers return. gqlgen converts a nullable argument
// with a plain type assertion, which panics on a nil interface such as geom.T;
// a struct, passed by pointer when nullable, is nil-safe.
type Geometry struct{ geom.T }

// MarshalGQL writes the geometry as MarshalGeoJSON does.
func (g Geometry) MarshalGQL(w io.Writer) { MarshalGeoJSON(g.T).MarshalGQL(w) }

// UnmarshalGQL reads the geometry as UnmarshalGeoJSON does.
func (g *Geometry) UnmarshalGQL(v any) error {
	t, err := UnmarshalGeoJSON(v)
	g.T = t
	return err
}

// MarshalFloat writes a Float in plain decimal notation, the shortest that
// reads back to the same float64: a distance of 1,427 km is 1427241.79961753,
// not gqlgen's 1.42724179961753e+06. JSON has no NaN or infinity; no field
// here produces them, and they would be written as null.
func MarshalFloat(f float64) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if math.IsInf(f, 0) || math.IsNaN(f) {
			io.WriteString(w, "null")
			return
		}
		io.WriteString(w, strconv.FormatFloat(f, 'f', -1, 64))
	})
}

// UnmarshalFloat reads a Float as gqlgen does.
func UnmarshalFloat(v any) (float64, error) { return graphql.UnmarshalFloat(v) }

// FeatureCollection is a GeoJSON FeatureCollection as JSON bytes that PostGIS
// built: they go into the response as they are, never decoded and encoded
// again. It is output only.
type FeatureCollection []byte

// MarshalGQL writes the collection's bytes.
func (c FeatureCollection) MarshalGQL(w io.Writer) { w.Write(c) }

// UnmarshalGQL refuses every value: no argument takes a FeatureCollection.
func (c *FeatureCollection) UnmarshalGQL(any) error {
	return errcode.Errorf(errcode.BadUserInput, "a FeatureCollection is only returned, never taken as an argument")
}

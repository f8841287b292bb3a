package scalar

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"civicmap/errcode"
)

// FuzzUnmarshalGeoJSON: any text given as the GeoJSON scalar either reads as
// a geometry that writes back as valid JSON, or fails with BAD_USER_INPUT;
// it never panics.
func FuzzUnmarshalGeoJSON(f *testing.F) {
	f.Add(`{"type":"Point","coordinates":[117.6,26.2]}`)
	f.Add(`{"type":"Polygon","coordinates":[[[117,26],[118,26],[118,27],[117,26]]]}`)
	f.Add(`{"type":"MultiPolygon","coordinates":[]}`)
	f.Add(`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2,3,4]}]}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, s string) {
		g, err := UnmarshalGeoJSON(s)
		if err != nil {
			var e *errcode.Error
			if !errors.As(err, &e) || e.Code != errcode.BadUserInput {
				t.Fatalf("error %v is not BAD_USER_INPUT", err)
			}
			return
		}
		var b bytes.Buffer
		MarshalGeoJSON(g).MarshalGQL(&b)
		if !json.Valid(b.Bytes()) {
			t.Fatalf("%q read as a geometry that writes as invalid JSON %q", s, b.String())
		}
	})
}

// FuzzDate: a Date that reads writes back as it was given.
func FuzzDate(f *testing.F) {
	f.Add("2026-11-25")
	f.Add("1987-02-29")
	f.Add("0000-01-01")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := UnmarshalDate(s)
		if err != nil {
			return
		}
		var b bytes.Buffer
		MarshalDate(d).MarshalGQL(&b)
		if b.String() != `"`+s+`"` {
			t.Fatalf("%q reads as %v and writes as %s", s, d, b.String())
		}
	})
}

// FuzzDateTime: a DateTime that reads writes back as the same instant.
func FuzzDateTime(f *testing.F) {
	f.Add("2026-11-25T08:00:00Z")
	f.Add("2026-11-25T16:00:00.123456789+08:00")
	f.Add("9999-12-31T23:59:59-23:59")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := UnmarshalDateTime(s)
		if err != nil {
			return
		}
		var b bytes.Buffer
		MarshalDateTime(d).MarshalGQL(&b)
		var back string
		if err := json.Unmarshal(b.Bytes(), &back); err != nil {
			t.Fatalf("%q writes as invalid JSON %s", s, b.String())
		}
		if again, err := time.Parse(time.RFC3339Nano, back); err != nil || !again.Equal(d) {
			t.Fatalf("%q writes as %s, which reads as %v (%v)", s, back, again, err)
		}
	})
}

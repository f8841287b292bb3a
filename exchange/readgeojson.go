package exchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"civicmap/db"
)

// readGeoJSON reads a FeatureCollection as the export writes it: one feature
// per platform, its geometry a Point or null (position unknown), its record in
// the properties. The geometry is the position; properties lon and lat, which
// the export writes too, may be left out, and must agree with it when given.
// The features are decoded one at a time, so a big file is never held whole.
func readGeoJSON(r io.Reader, each func(db.ImportRow) error) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{', "the file"); err != nil {
		return err
	}
	sawType, sawFeatures := false, false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return jsonError("the FeatureCollection", err)
		}
		switch key {
		case "type":
			var t string
			if err := dec.Decode(&t); err != nil || t != "FeatureCollection" {
				return readError("the file", "type", "want a GeoJSON FeatureCollection, got type %q", t)
			}
			sawType = true
		case "features":
			if err := readFeatures(dec, each); err != nil {
				return err
			}
			sawFeatures = true
		default: // cursor, bbox, name, …
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return jsonError("the FeatureCollection", err)
			}
		}
	}
	if !sawType || !sawFeatures {
		return readError("the file", "", `want a GeoJSON FeatureCollection: {"type": "FeatureCollection", "features": [...]}`)
	}
	if _, err := dec.Token(); err != nil {
		return jsonError("the FeatureCollection", err)
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim, where string) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonError(where, err)
	}
	if tok != want {
		return readError(where, "", "want JSON %q, got %v", want, tok)
	}
	return nil
}

// geoFeature is a GeoJSON feature as read.
type geoFeature struct {
	Type       string          `json:"type"`
	ID         any             `json:"id"`
	Geometry   *geoGeometry    `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
	BBox       []float64       `json:"bbox"`
}

type geoGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

func readFeatures(dec *json.Decoder, each func(db.ImportRow) error) error {
	if err := expectDelim(dec, '[', "features"); err != nil {
		return err
	}
	for n := 1; dec.More(); n++ {
		where := fmt.Sprintf("feature %d", n)
		var f geoFeature
		if err := dec.Decode(&f); err != nil {
			return jsonError(where, err)
		}
		row, err := featureRow(where, &f)
		if err != nil {
			return err
		}
		if err := each(row); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

// featureRow is the import row of one feature.
func featureRow(where string, f *geoFeature) (db.ImportRow, error) {
	if f.Type != "Feature" {
		return db.ImportRow{}, readError(where, "type", "want a Feature, got %q", f.Type)
	}
	if len(f.Properties) == 0 || string(f.Properties) == "null" {
		return db.ImportRow{}, readError(where, "properties", "a feature carries its platform in its properties")
	}
	rec, err := decodeRecord(where, f.Properties)
	var re *ReadError
	if errors.As(err, &re) {
		re.Field = prefixed("properties", re.Field)
		return db.ImportRow{}, err
	}
	lon, lat, err := pointOf(where, f.Geometry)
	if err != nil {
		return db.ImportRow{}, err
	}
	if !agree(rec.Lon, lon) || !agree(rec.Lat, lat) {
		return db.ImportRow{}, readError(where, "properties.lon", "lon and lat (%s, %s) differ from the geometry's coordinates (%s, %s): the geometry is the position (GeoJSON coordinates are [lon, lat]); leave lon and lat out or make them agree",
			show(rec.Lon), show(rec.Lat), show(lon), show(lat))
	}
	rec.Lon, rec.Lat = lon, lat
	return rec.importRow(where)
}

// pointOf returns the coordinates of a Point geometry; none for null.
func pointOf(where string, g *geoGeometry) (lon, lat *float64, err error) {
	if g == nil {
		return nil, nil, nil
	}
	if g.Type != "Point" {
		return nil, nil, readError(where, "geometry", "want a Point (or null for an unknown position), got %s: a platform is a place", g.Type)
	}
	var c []float64
	if json.Unmarshal(g.Coordinates, &c) != nil || len(c) != 2 {
		return nil, nil, readError(where, "geometry.coordinates", "want [lon, lat], got %s", bytes.TrimSpace(g.Coordinates))
	}
	return &c[0], &c[1], nil
}

// agree reports whether a property's coordinate is absent or the geometry's.
func agree(prop, geometry *float64) bool {
	return prop == nil || (geometry != nil && *prop == *geometry)
}

func show(f *float64) string {
	if f == nil {
		return "null"
	}
	return fmt.Sprint(*f)
}

func prefixed(prefix, field string) string {
	if field == "" {
		return prefix
	}
	return prefix + "." + field
}

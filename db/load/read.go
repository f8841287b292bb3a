package load

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// The files Run reads from Options.DataDir (see the data's PROVENANCE.md).
const (
	countiesGeoJSONFile = "sanming_counties.geojson"
	countiesCSVFile     = "sanming_counties.csv"
	townshipsCSVFile    = "sanming_townships.csv"
)

// FileError says which file, row and field of the input data is wrong. Row is
// the line for CSV files and the 1-based feature number for GeoJSON.
type FileError struct {
	File  string
	Row   int
	Field string
	Err   error
}

// Error returns "file row N field F: cause".
func (e *FileError) Error() string {
	switch {
	case e.Row == 0:
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	case e.Field == "":
		return fmt.Sprintf("%s row %d: %v", e.File, e.Row, e.Err)
	}
	return fmt.Sprintf("%s row %d field %s: %v", e.File, e.Row, e.Field, e.Err)
}

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// countyRow is one county, merged from the GeoJSON (geometry, seat) and the CSV (kind).
type countyRow struct {
	row        int // feature number, for errors raised by PostGIS
	code, name string
	kind       string
	seatLon    *float64
	seatLat    *float64
	geometry   string // GeoJSON geometry object, parsed by PostGIS
	areaKm2    float64
	sourceNote string
}

// townshipRow is one row of sanming_townships.csv.
type townshipRow struct {
	line             int
	code, name, kind string
	countyCode       string
	lon, lat         *float64
	positionQuality  string
	sourceNote       string
}

var (
	countyCodeRe   = regexp.MustCompile(`^[0-9]{6}$`)
	townshipCodeRe = regexp.MustCompile(`^[0-9]{9}$`)
	// point_type in the data → township.position_quality.
	positionQuality = map[string]string{"seat_geocode": "REAL", "approx_village_mean": "APPROXIMATE", "missing": "UNKNOWN"}
	townshipKinds   = map[string]bool{"街道": true, "镇": true, "乡": true}
)

type featureCollection struct {
	Features []struct {
		Properties struct {
			Code     string   `json:"code"`
			Name     string   `json:"name"`
			AreaKm2  float64  `json:"area_km2"`
			SeatLon  *float64 `json:"seat_lon"`
			SeatLat  *float64 `json:"seat_lat"`
			SeatNote string   `json:"seat_note"`
			Source   string   `json:"source"`
		} `json:"properties"`
		Geometry json.RawMessage `json:"geometry"`
	} `json:"features"`
}

// readCounties reads the county polygons and takes each county's kind from the CSV.
func readCounties(dir string) ([]countyRow, error) {
	kinds := map[string]string{}
	err := readCSV(dir, countiesCSVFile, []string{"code", "kind"}, func(line int, get func(string) string) error {
		if !countyCodeRe.MatchString(get("code")) {
			return &FileError{countiesCSVFile, line, "code", errors.New("want 6 digits")}
		}
		kinds[get("code")] = get("kind")
		return nil
	})
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, countiesGeoJSONFile))
	if err != nil {
		return nil, &FileError{File: countiesGeoJSONFile, Err: err}
	}
	var fc featureCollection
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, &FileError{File: countiesGeoJSONFile, Err: err}
	}
	if len(fc.Features) == 0 {
		return nil, &FileError{File: countiesGeoJSONFile, Err: errors.New("no features")}
	}
	var out []countyRow
	for i, f := range fc.Features {
		p, row := f.Properties, i+1
		fail := func(field string, err error) error { return &FileError{countiesGeoJSONFile, row, field, err} }
		switch {
		case !countyCodeRe.MatchString(p.Code):
			return nil, fail("code", errors.New("want 6 digits"))
		case kinds[p.Code] == "":
			return nil, fail("code", fmt.Errorf("county %s has no kind in %s", p.Code, countiesCSVFile))
		case p.Name == "":
			return nil, fail("name", errors.New("empty"))
		case p.AreaKm2 <= 0:
			return nil, fail("area_km2", errors.New("must be positive"))
		case (p.SeatLon == nil) != (p.SeatLat == nil):
			return nil, fail("seat_lon", errors.New("seat_lon and seat_lat must both be given or both be null"))
		case p.SeatLon != nil && !validLonLat(*p.SeatLon, *p.SeatLat):
			return nil, fail("seat_lon", errors.New("seat outside lon [-180,180] / lat [-90,90]"))
		case len(f.Geometry) == 0 || string(f.Geometry) == "null":
			return nil, fail("geometry", errors.New("missing"))
		}
		note := p.Source
		if p.SeatNote != "" {
			note += "; seat: " + p.SeatNote
		}
		out = append(out, countyRow{row: row, code: p.Code, name: p.Name, kind: kinds[p.Code],
			seatLon: p.SeatLon, seatLat: p.SeatLat, geometry: string(f.Geometry), areaKm2: p.AreaKm2, sourceNote: note})
	}
	return out, nil
}

// readTownships reads sanming_townships.csv and checks every field it loads.
func readTownships(dir string, counties map[string]bool) ([]townshipRow, error) {
	var out []townshipRow
	seen := map[string]bool{}
	cols := []string{"code", "name", "kind", "county_code", "lon", "lat", "source", "point_type", "note"}
	err := readCSV(dir, townshipsCSVFile, cols, func(line int, get func(string) string) error {
		fail := func(field string, err error) error { return &FileError{townshipsCSVFile, line, field, err} }
		t := townshipRow{line: line, code: get("code"), name: get("name"), kind: get("kind"), countyCode: get("county_code")}
		switch {
		case !townshipCodeRe.MatchString(t.code):
			return fail("code", errors.New("want 9 digits"))
		case seen[t.code]:
			return fail("code", errors.New("duplicate code"))
		case t.name == "":
			return fail("name", errors.New("empty"))
		case !townshipKinds[t.kind]:
			return fail("kind", fmt.Errorf("unknown kind %q", t.kind))
		case !counties[t.countyCode]:
			return fail("county_code", fmt.Errorf("county %q is not in %s", t.countyCode, countiesGeoJSONFile))
		}
		q, ok := positionQuality[get("point_type")]
		if !ok {
			return fail("point_type", fmt.Errorf("unknown point type %q", get("point_type")))
		}
		t.positionQuality = q
		if q != "UNKNOWN" {
			lon, err := strconv.ParseFloat(get("lon"), 64)
			if err != nil || lon < -180 || lon > 180 {
				return fail("lon", fmt.Errorf("want a longitude in [-180, 180], got %q", get("lon")))
			}
			lat, err := strconv.ParseFloat(get("lat"), 64)
			if err != nil || lat < -90 || lat > 90 {
				return fail("lat", fmt.Errorf("want a latitude in [-90, 90], got %q", get("lat")))
			}
			t.lon, t.lat = &lon, &lat
		} else if get("lon") != "" || get("lat") != "" {
			return fail("lon", errors.New("point_type missing but lon/lat given"))
		}
		t.sourceNote = get("source")
		if n := get("note"); n != "" {
			t.sourceNote += "; " + n
		}
		seen[t.code] = true
		out = append(out, t)
		return nil
	})
	return out, err
}

func validLonLat(lon, lat float64) bool { return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90 }

// readCSV opens dir/name, checks that the header has the columns in need and
// calls fn with each data row's line number and a field getter.
func readCSV(dir, name string, need []string, fn func(line int, get func(string) string) error) error {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return &FileError{File: name, Err: err}
	}
	defer f.Close()
	cr := csv.NewReader(f)
	header, err := cr.Read()
	if err != nil {
		return &FileError{File: name, Row: 1, Err: fmt.Errorf("header: %w", err)}
	}
	cr.FieldsPerRecord = len(header)
	index := map[string]int{}
	for i, h := range header {
		index[h] = i
	}
	for _, c := range need {
		if _, ok := index[c]; !ok {
			return &FileError{File: name, Row: 1, Field: c, Err: errors.New("missing column")}
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return &FileError{File: name, Row: line, Err: err}
		}
		if err := fn(line, func(c string) string { return rec[index[c]] }); err != nil {
			return err
		}
	}
}

package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"civicmap/db"
	"civicmap/db/rowfile"
)

// The files Run reads from Options.DataDir (see the data's PROVENANCE.md).
const (
	countiesGeoJSONFile = "sanming_counties.geojson"
	countiesCSVFile     = "sanming_counties.csv"
	townshipsCSVFile    = "sanming_townships.csv"
)

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
	err := readCSV(dir, countiesCSVFile, []string{"code", "kind"}, func(r rowfile.Row) error {
		if !db.IsCountyCode(r.Get("code")) {
			return r.Fail("code", errors.New("want 6 digits"))
		}
		kinds[r.Get("code")] = r.Get("kind")
		return nil
	})
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, countiesGeoJSONFile))
	if err != nil {
		return nil, &rowfile.Error{File: countiesGeoJSONFile, Err: err}
	}
	var fc featureCollection
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, &rowfile.Error{File: countiesGeoJSONFile, Err: err}
	}
	if len(fc.Features) == 0 {
		return nil, &rowfile.Error{File: countiesGeoJSONFile, Err: errors.New("no features")}
	}
	var out []countyRow
	for i, f := range fc.Features {
		p, row := f.Properties, i+1
		fail := func(field string, err error) error {
			return &rowfile.Error{File: countiesGeoJSONFile, Row: row, Field: field, Err: err}
		}
		switch {
		case !db.IsCountyCode(p.Code):
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
	err := readCSV(dir, townshipsCSVFile, cols, func(r rowfile.Row) error {
		t := townshipRow{line: r.Line, code: r.Get("code"), name: r.Get("name"), kind: r.Get("kind"), countyCode: r.Get("county_code")}
		switch {
		case !townshipCodeRe.MatchString(t.code):
			return r.Fail("code", errors.New("want 9 digits"))
		case seen[t.code]:
			return r.Fail("code", errors.New("duplicate code"))
		case t.name == "":
			return r.Fail("name", errors.New("empty"))
		case !townshipKinds[t.kind]:
			return r.Fail("kind", fmt.Errorf("unknown kind %q", t.kind))
		case !counties[t.countyCode]:
			return r.Fail("county_code", fmt.Errorf("county %q is not in %s", t.countyCode, countiesGeoJSONFile))
		}
		q, ok := positionQuality[r.Get("point_type")]
		if !ok {
			return r.Fail("point_type", fmt.Errorf("unknown point type %q", r.Get("point_type")))
		}
		t.positionQuality = q
		if q != "UNKNOWN" {
			lon, err := strconv.ParseFloat(r.Get("lon"), 64)
			if err != nil || lon < -180 || lon > 180 {
				return r.Fail("lon", fmt.Errorf("want a longitude in [-180, 180], got %q", r.Get("lon")))
			}
			lat, err := strconv.ParseFloat(r.Get("lat"), 64)
			if err != nil || lat < -90 || lat > 90 {
				return r.Fail("lat", fmt.Errorf("want a latitude in [-90, 90], got %q", r.Get("lat")))
			}
			t.lon, t.lat = &lon, &lat
		} else if r.Get("lon") != "" || r.Get("lat") != "" {
			return r.Fail("lon", errors.New("point_type missing but lon/lat given"))
		}
		t.sourceNote = r.Get("source")
		if n := r.Get("note"); n != "" {
			t.sourceNote += "; " + n
		}
		seen[t.code] = true
		out = append(out, t)
		return nil
	})
	return out, err
}

func validLonLat(lon, lat float64) bool { return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90 }

// readCSV opens dir/name and reads it with rowfile.ReadCSV.
func readCSV(dir, name string, need []string, fn func(rowfile.Row) error) error {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return &rowfile.Error{File: name, Err: err}
	}
	defer f.Close()
	return rowfile.ReadCSV(name, f, need, fn)
}

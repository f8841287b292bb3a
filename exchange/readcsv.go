package exchange

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"civicmap/db"
)

// readCSV reads a header row naming the columns, in any order, then one
// record per row. The columns are csvHeader's; a file written by hand may
// leave out those an import ignores and those whose value is empty. An empty
// cell of an optional column (sectorCode, address, lon, lat, establishedOn,
// positionQuality, createdAt, updatedAt, version) is no value; so is an
// empty coordinateSystem, which is WGS84. townshipName and countyName are
// for people, and ignored.
func readCSV(r io.Reader, each func(db.ImportRow) error) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return readError("line 1", "", "the file is empty: want a header row naming the columns")
	}
	if err != nil {
		return csvError(err)
	}
	cols, err := csvColumns(header)
	if err != nil {
		return err
	}
	for {
		cells, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(err)
		}
		line, _ := cr.FieldPos(0)
		where := fmt.Sprintf("line %d", line)
		rec, err := csvRecord(where, cols, cells)
		if err != nil {
			return err
		}
		if err := rec.emit(where, each); err != nil {
			return err
		}
	}
}

// csvError names the line of a CSV syntax error: a bad quote, or a row whose
// number of cells differs from the header's.
func csvError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	where := fmt.Sprintf("line %d", pe.Line)
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return readError(where, "", "a row has as many cells as the header has columns; this one does not (a comma inside a value needs the value in double quotes)")
	}
	return readError(where, "", "not valid CSV at column %d: %v (a value with a comma, a quote or a line break goes in double quotes, a quote inside doubled)", pe.Column, pe.Err)
}

// requiredColumns are those a CSV import cannot do without.
var requiredColumns = []string{"externalId", "kind", "name", "organiserCode", "townshipCode", "hostName", "hostType",
	"status", "provenance", "sourceNote"}

// csvColumns maps each column name of header to its index.
func csvColumns(header []string) (map[string]int, error) {
	cols := map[string]int{}
	for i, name := range header {
		if i == 0 {
			name = trimBOM(name)
		}
		switch _, seen := cols[name]; {
		case !slices.Contains(csvHeader, name):
			return nil, readError("line 1", name, "not a column of platforms; the columns are those of an export: %v", csvHeader)
		case seen:
			return nil, readError("line 1", name, "the column comes twice")
		}
		cols[name] = i
	}
	for _, name := range requiredColumns {
		if _, ok := cols[name]; !ok {
			return nil, readError("line 1", name, "the header lacks this column, which every platform needs")
		}
	}
	return cols, nil
}

func trimBOM(s string) string {
	if len(s) >= 3 && s[:3] == "\ufeff" {
		return s[3:]
	}
	return s
}

// csvRecord reads the record of one row.
func csvRecord(where string, cols map[string]int, cells []string) (Record, error) {
	get := func(name string) string {
		if i, ok := cols[name]; ok {
			return cells[i]
		}
		return ""
	}
	rec := Record{ExternalID: get("externalId"), Kind: db.PlatformKind(get("kind")), Name: get("name"),
		OrganiserCode: get("organiserCode"), TownshipCode: get("townshipCode"), HostName: get("hostName"),
		HostType: db.HostType(get("hostType")), SectorCode: optional(get("sectorCode")), Address: optional(get("address")),
		PositionQuality: db.PositionQuality(get("positionQuality")), EstablishedOn: optional(get("establishedOn")),
		Status: db.PlatformStatus(get("status")), Provenance: db.Provenance(get("provenance")), SourceNote: get("sourceNote"),
		CoordinateSystem: get("coordinateSystem")}
	var err error
	if rec.Lon, err = csvNumber(where, "lon", get("lon")); err != nil {
		return rec, err
	}
	if rec.Lat, err = csvNumber(where, "lat", get("lat")); err != nil {
		return rec, err
	}
	if rec.CreatedAt, err = csvTime(where, "createdAt", get("createdAt")); err != nil {
		return rec, err
	}
	if rec.UpdatedAt, err = csvTime(where, "updatedAt", get("updatedAt")); err != nil {
		return rec, err
	}
	if v := get("version"); v != "" {
		if rec.Version, err = strconv.Atoi(v); err != nil || rec.Version < 0 {
			return rec, readError(where, "version", "want a whole number, got %q", v)
		}
	}
	return rec, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// csvNumber reads a coordinate: empty is none.
func csvNumber(where, field, s string) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, readError(where, field, "want a number in decimal degrees, got %q", s)
	}
	return &f, nil
}

// csvTime reads a timestamp as the export writes it: empty is none, the zero
// time.
func csvTime(where, field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, readError(where, field, "want a time like 2024-05-01T08:30:00Z, got %q", s)
	}
	return t, nil
}

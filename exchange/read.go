package exchange

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"civicmap/crs"
	"civicmap/db"
)

// Limits of one import file. A record is well under 4 KB; an export of the
// whole directory is a few hundred KB. MaxBytes keeps a wrong file (or a
// hostile one) from filling memory: the rows read are held until the import's
// transaction takes them.
const (
	maxLine  = 64 << 10
	MaxBytes = 64 << 20
)

// ReadError says where a file cannot be read as platform records: the line
// (NDJSON, CSV) or feature (GeoJSON), the field when one is at fault, and why.
type ReadError struct {
	Where  string // "line 3", "feature 12"
	Field  string // "lon", "geometry"; "" for the record as a whole
	Reason string
}

func (e *ReadError) Error() string {
	if e.Field == "" {
		return e.Where + ": " + e.Reason
	}
	return e.Where + ": " + e.Field + ": " + e.Reason
}

func readError(where, field, format string, args ...any) *ReadError {
	return &ReadError{Where: where, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ErrUnknownFormat is Read's error for a format it does not read.
var ErrUnknownFormat = errors.New("unknown import format")

// Read reads an import file of format (ndjson, csv or geojson, as an export
// writes them) and calls each with every row in turn. Every record becomes a
// row whose expected version is the record's version, so that importing an
// edited export refuses to overwrite a platform changed since. A record's
// createdAt and updatedAt become its row's, kept by a platform the import
// creates; its id and countyCode are ignored. The file is read as a
// stream; more than db.MaxImportRows rows or MaxBytes bytes is an error.
// Errors are *ReadError, or the reader's.
func Read(format string, r io.Reader, each func(db.ImportRow) error) error {
	// A byte past the limit tells a file of exactly MaxBytes from a longer one,
	// which is cut there and refused below whatever the cut did to its parse.
	lr := &countingReader{r: io.LimitReader(r, MaxBytes+1)}
	n := 0
	count := func(row db.ImportRow) error {
		if n++; n > db.MaxImportRows {
			return readError(row.Where, "", "more than %d rows in one file: split it", db.MaxImportRows)
		}
		return each(row)
	}
	var err error
	switch format {
	case "ndjson":
		err = readNDJSON(lr, count)
	case "csv":
		err = readCSV(lr, count)
	case "geojson":
		err = readGeoJSON(lr, count)
	default:
		return fmt.Errorf("%w %q: want ndjson, csv or geojson", ErrUnknownFormat, format)
	}
	if lr.n > MaxBytes {
		return readError(fmt.Sprintf("byte %d", MaxBytes), "", "the file is over %d MiB: split it", MaxBytes>>20)
	}
	return err
}

// ReadAll reads a whole import file into rows; see Read.
func ReadAll(format string, r io.Reader) ([]db.ImportRow, error) {
	var rows []db.ImportRow
	err := Read(format, r, func(row db.ImportRow) error {
		rows = append(rows, row)
		return nil
	})
	return rows, err
}

// Sniff names the format of a file from its first bytes: a JSON object that
// is a FeatureCollection is GeoJSON, another JSON object NDJSON, anything
// else CSV.
func Sniff(head []byte) string {
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	switch {
	case len(head) == 0 || head[0] != '{':
		return "csv"
	case bytes.Contains(head, []byte(`"FeatureCollection"`)):
		return "geojson"
	}
	return "ndjson"
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readNDJSON reads one record per line. Blank lines and the export's last
// line ({"cursor": …}) are skipped.
func readNDJSON(r io.Reader, each func(db.ImportRow) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || bytes.HasPrefix(b, []byte(`{"cursor":`)) {
			continue
		}
		where := fmt.Sprintf("line %d", line)
		rec, err := decodeRecord(where, b)
		if err != nil {
			return err
		}
		if err := rec.emit(where, each); err != nil {
			return err
		}
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return readError(fmt.Sprintf("line %d", line+1), "", "longer than %d KiB: not a platform record", maxLine>>10)
	case err != nil:
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}

// decodeRecord decodes one JSON record; a misspelt field is an error rather
// than dropped quietly.
func decodeRecord(where string, b []byte) (Record, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var rec Record
	if err := dec.Decode(&rec); err != nil {
		return rec, jsonError(where, err)
	}
	if dec.More() {
		return rec, readError(where, "", "more than one JSON value")
	}
	return rec, nil
}

// jsonError names the field of a JSON decoding error, when it has one.
func jsonError(where string, err error) *ReadError {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return readError(where, typeErr.Field, "want a %s, got a JSON %s", typeErr.Type, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return readError(where, "", "not valid JSON: %v (at byte %d)", syntaxErr, syntaxErr.Offset)
	}
	return readError(where, "", "not a platform record: %v", err)
}

// emit hands rec, read at where, to each as an import row.
func (rec *Record) emit(where string, each func(db.ImportRow) error) error {
	row, err := rec.importRow(where)
	if err != nil {
		return err
	}
	return each(row)
}

// toWGS84 converts the record's position to WGS84 from the system its
// coordinateSystem names; empty is WGS84.
func (rec *Record) toWGS84(where string) error {
	if rec.CoordinateSystem == "" {
		return nil
	}
	c, err := crs.Parse("coordinateSystem", rec.CoordinateSystem)
	if err != nil {
		return readError(where, "coordinateSystem", "want WGS84, GCJ02 or BD09 (case as written), got %q", rec.CoordinateSystem)
	}
	if rec.Lon != nil && rec.Lat != nil {
		lon, lat := c.ToWGS84(*rec.Lon, *rec.Lat)
		rec.Lon, rec.Lat = &lon, &lat
	}
	return nil
}

// importRow is the import row of the record, read at where.
func (rec *Record) importRow(where string) (db.ImportRow, error) {
	ext, quality := rec.ExternalID, rec.PositionQuality
	if err := rec.toWGS84(where); err != nil {
		return db.ImportRow{}, err
	}
	in := db.PlatformInput{ExternalID: &ext, Kind: rec.Kind, Name: rec.Name, OrganiserCode: rec.OrganiserCode,
		TownshipCode: rec.TownshipCode, HostName: rec.HostName, HostType: rec.HostType, SectorCode: rec.SectorCode,
		Address: rec.Address, Lon: rec.Lon, Lat: rec.Lat, Status: rec.Status, Provenance: rec.Provenance,
		SourceNote: rec.SourceNote}
	if quality != "" {
		in.PositionQuality = &quality
	}
	if rec.EstablishedOn != nil {
		d, err := time.Parse(dateLayout, *rec.EstablishedOn)
		if err != nil {
			return db.ImportRow{}, readError(where, "establishedOn", "want YYYY-MM-DD, got %q", *rec.EstablishedOn)
		}
		in.EstablishedOn = &d
	}
	row := db.ImportRow{Platform: in, Where: where}
	if !rec.CreatedAt.IsZero() {
		row.CreatedAt = &rec.CreatedAt
	}
	if !rec.UpdatedAt.IsZero() {
		row.UpdatedAt = &rec.UpdatedAt
	}
	if rec.Version > 0 {
		v := rec.Version
		row.ExpectedVersion = &v
	}
	return row, nil
}

package exchange

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"civicmap/db"
)

// maxLine bounds one NDJSON line: a record is well under 4 KB.
const maxLine = 64 << 10

// ReadNDJSON reads an NDJSON file of records, as an export writes it, into
// import rows: each record's version becomes the row's expected version, so
// that importing an edited export refuses to overwrite a platform changed
// since. Blank lines and the export's last line ({"cursor": …}) are skipped;
// a record's id, countyCode, createdAt and updatedAt are ignored. Errors name
// the line.
func ReadNDJSON(r io.Reader) ([]db.ImportRow, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var rows []db.ImportRow
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || bytes.HasPrefix(b, []byte(`{"cursor":`)) {
			continue
		}
		row, err := decodeRow(b)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", len(rows)+1, err)
	}
	return rows, nil
}

func decodeRow(b []byte) (db.ImportRow, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // a misspelt field must not be dropped quietly
	var rec Record
	if err := dec.Decode(&rec); err != nil {
		return db.ImportRow{}, fmt.Errorf("not a platform record: %w", err)
	}
	ext, quality := rec.ExternalID, rec.PositionQuality
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
			return db.ImportRow{}, fmt.Errorf("establishedOn: want YYYY-MM-DD, got %q", *rec.EstablishedOn)
		}
		in.EstablishedOn = &d
	}
	row := db.ImportRow{Platform: in}
	if rec.Version > 0 {
		v := rec.Version
		row.ExpectedVersion = &v
	}
	return row, nil
}

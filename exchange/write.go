package exchange

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"

	"civicmap/crs"
	"civicmap/db"
)

// Formats and their media types.
var mediaTypes = map[string]string{
	"ndjson":  "application/x-ndjson",
	"csv":     "text/csv; charset=utf-8",
	"geojson": "application/geo+json",
	"shp.zip": "application/zip",
}

// MediaType returns the media type of format, and false for an unknown format.
func MediaType(format string) (string, bool) {
	t, ok := mediaTypes[format]
	return t, ok
}

// Writer writes platforms in one format, as they come: the output is streamed.
type Writer interface {
	Write(*db.ExportedPlatform) error
	// Close ends the output. Until it has, the output is incomplete: NDJSON
	// lacks its cursor line and GeoJSON does not parse.
	Close() error
}

// NewWriter returns a Writer of format to w, for a snapshot whose change feed
// cursor is cursor, with positions in c. Every record names c in its
// coordinateSystem (crs.SystemMember), and its township and county by name
// beside their codes:
//
//   - ndjson: one record per line, then a last line {"cursor": "…"}; a stream
//     without that line was cut short.
//   - csv: a UTF-8 byte order mark, by which Excel knows the encoding (without
//     it, a Chinese-locale Excel reads GBK), a header row, then one row per
//     record; the cursor travels only in the HTTP header.
//   - geojson: a FeatureCollection with "coordinateSystem" and "cursor"
//     members before its features, one Point feature per platform (a null
//     geometry when the position is UNKNOWN), the record's other fields as
//     properties.
//   - shp.zip: a zipped Point Shapefile with a .cpg saying UTF-8 (see
//     shapefileWriter), written whole at Close.
func NewWriter(format string, w io.Writer, cursor string, c crs.CRS) (Writer, error) {
	switch format {
	case "ndjson":
		return &ndjsonWriter{enc: json.NewEncoder(w), cursor: cursor, crs: c}, nil
	case "csv":
		// The mark goes in the first header cell, which needs no quotes, so
		// that it stays in csv.Writer's buffer with the header: an export
		// that fails before its first row has then written nothing.
		cw := &csvWriter{w: csv.NewWriter(w), crs: c}
		return cw, cw.w.Write(slices.Concat([]string{utf8BOM + csvHeader[0]}, csvHeader[1:]))
	case "shp.zip":
		return &shapefileWriter{w: w, crs: c}, nil
	case "geojson":
		_, err := fmt.Fprintf(w, `{"type":"FeatureCollection",%q:%q,"cursor":%s,"features":[`, crs.SystemMember, c, strconv.Quote(cursor))
		return &geojsonWriter{w: w, crs: c}, err
	}
	return nil, fmt.Errorf("unknown export format %q: want ndjson, csv, geojson or shp.zip", format)
}

// utf8BOM opens a CSV file for spreadsheets.
const utf8BOM = "\ufeff"

type ndjsonWriter struct {
	enc    *json.Encoder
	cursor string
	crs    crs.CRS
}

func (n *ndjsonWriter) Write(p *db.ExportedPlatform) error {
	return n.enc.Encode(FromExported(p, n.crs))
}

func (n *ndjsonWriter) Close() error {
	return n.enc.Encode(struct {
		Cursor string `json:"cursor"`
	}{n.cursor})
}

// csvHeader names the columns of csvRow.
var csvHeader = []string{"id", "externalId", "kind", "name", "organiserCode", "townshipCode", "townshipName",
	"countyCode", "countyName", "hostName", "hostType", "sectorCode", "address", "lon", "lat", "coordinateSystem",
	"positionQuality", "establishedOn", "status", "provenance", "sourceNote", "createdAt", "updatedAt", "version"}

type csvWriter struct {
	w   *csv.Writer
	crs crs.CRS
}

func (c *csvWriter) Write(p *db.ExportedPlatform) error {
	r := FromExported(p, c.crs)
	return c.w.Write([]string{r.ID, r.ExternalID, string(r.Kind), r.Name, r.OrganiserCode, r.TownshipCode,
		r.TownshipName, r.CountyCode, r.CountyName, r.HostName, string(r.HostType), text(r.SectorCode),
		text(r.Address), number(r.Lon), number(r.Lat), r.CoordinateSystem, string(r.PositionQuality),
		text(r.EstablishedOn), string(r.Status), string(r.Provenance), r.SourceNote, r.CreatedAt.Format(timeLayout),
		r.UpdatedAt.Format(timeLayout), strconv.Itoa(r.Version)})
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}

// timeLayout is the DateTime scalar's.
const timeLayout = "2006-01-02T15:04:05.999999999Z07:00"

func text(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func number(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

type geojsonWriter struct {
	w   io.Writer
	n   int
	crs crs.CRS
}

// feature is a GeoJSON Feature of one record.
type feature struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Geometry   *point `json:"geometry"`
	Properties Record `json:"properties"`
}

type point struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

func (g *geojsonWriter) Write(p *db.ExportedPlatform) error {
	f := feature{Type: "Feature", ID: p.ExternalID, Properties: FromExported(p, g.crs)}
	if lon, lat := f.Properties.Lon, f.Properties.Lat; lon != nil && lat != nil {
		f.Geometry = &point{Type: "Point", Coordinates: [2]float64{*lon, *lat}}
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if g.n > 0 {
		b = append([]byte{','}, b...)
	}
	g.n++
	_, err = g.w.Write(b)
	return err
}

func (g *geojsonWriter) Close() error {
	_, err := io.WriteString(g.w, "]}\n")
	return err
}

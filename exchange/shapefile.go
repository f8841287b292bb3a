package exchange

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"civicmap/crs"
	"civicmap/db"
)

// A zipped ESRI Shapefile of Point features, for desktop GIS: .shp (the
// points), .shx (their index), .dbf (the attributes, UTF-8), .cpg (which says
// UTF-8, so that QGIS and ogr2ogr read the Chinese names without being told)
// and, in WGS84, .prj. A Shapefile's headers hold its sizes, so the records
// are kept until Close; an export holds a few hundred.

// shpName is the name of the files in the zip, before their extensions.
const shpName = "platforms"

// wgs84PRJ is the ESRI well-known text of WGS84 that .prj files carry.
const wgs84PRJ = `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`

// dbfField is an attribute column: a dBase name of at most 10 characters and
// the record field it holds.
type dbfField struct {
	name  string
	value func(r *Record) string
}

// dbfFields are the record's fields as dBase columns, all text (type C).
var dbfFields = []dbfField{
	{"id", func(r *Record) string { return r.ID }},
	{"externalId", func(r *Record) string { return r.ExternalID }},
	{"kind", func(r *Record) string { return string(r.Kind) }},
	{"name", func(r *Record) string { return r.Name }},
	{"organiser", func(r *Record) string { return r.OrganiserCode }},
	{"township", func(r *Record) string { return r.TownshipCode }},
	{"townshipNm", func(r *Record) string { return r.TownshipName }},
	{"county", func(r *Record) string { return r.CountyCode }},
	{"countyName", func(r *Record) string { return r.CountyName }},
	{"hostName", func(r *Record) string { return r.HostName }},
	{"hostType", func(r *Record) string { return string(r.HostType) }},
	{"sectorCode", func(r *Record) string { return text(r.SectorCode) }},
	{"address", func(r *Record) string { return text(r.Address) }},
	{"coordSys", func(r *Record) string { return r.CoordinateSystem }},
	{"position", func(r *Record) string { return string(r.PositionQuality) }},
	{"establish", func(r *Record) string { return text(r.EstablishedOn) }},
	{"status", func(r *Record) string { return string(r.Status) }},
	{"provenance", func(r *Record) string { return string(r.Provenance) }},
	{"sourceNote", func(r *Record) string { return r.SourceNote }},
	{"createdAt", func(r *Record) string { return r.CreatedAt.Format(timeLayout) }},
	{"updatedAt", func(r *Record) string { return r.UpdatedAt.Format(timeLayout) }},
	{"version", func(r *Record) string { return strconv.Itoa(r.Version) }},
}

// dbfMaxText is the longest text a dBase column holds, in bytes.
const dbfMaxText = 254

type shapefileWriter struct {
	w       io.Writer
	crs     crs.CRS
	records []Record
}

func (s *shapefileWriter) Write(p *db.ExportedPlatform) error {
	s.records = append(s.records, FromExported(p, s.crs))
	return nil
}

// Close writes the zip.
func (s *shapefileWriter) Close() error {
	shp, shx := shapes(s.records)
	files := []struct {
		ext  string
		body []byte
	}{{"shp", shp}, {"shx", shx}, {"dbf", attributes(s.records)}, {"cpg", []byte("UTF-8")}}
	if s.crs == crs.WGS84 {
		files = append(files, struct {
			ext  string
			body []byte
		}{"prj", []byte(wgs84PRJ)})
	}
	zw := zip.NewWriter(s.w)
	for _, f := range files {
		fw, err := zw.Create(shpName + "." + f.ext)
		if err != nil {
			return fmt.Errorf("write shapefile: %w", err)
		}
		if _, err := fw.Write(f.body); err != nil {
			return fmt.Errorf("write shapefile: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write shapefile: %w", err)
	}
	return nil
}

// Shape types and sizes of the .shp format, whose lengths count 16-bit words.
const (
	shpHeaderBytes = 100
	shpNull        = 0
	shpPoint       = 1
	pointWords     = 10 // shape type and two doubles
	nullWords      = 2  // shape type
)

// shapes returns the .shp and .shx of the records' points; a record with no
// position is a null shape, so that rows of the .dbf and shapes pair up.
func shapes(records []Record) (shp, shx []byte) {
	var body, index bytes.Buffer
	box := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	offset := shpHeaderBytes / 2
	for i, r := range records {
		words := nullWords
		if r.Lon != nil && r.Lat != nil {
			words = pointWords
		}
		binary.Write(&body, binary.BigEndian, [2]int32{int32(i + 1), int32(words)})
		binary.Write(&index, binary.BigEndian, [2]int32{int32(offset), int32(words)})
		if words == nullWords {
			binary.Write(&body, binary.LittleEndian, int32(shpNull))
		} else {
			binary.Write(&body, binary.LittleEndian, int32(shpPoint))
			binary.Write(&body, binary.LittleEndian, [2]float64{*r.Lon, *r.Lat})
			box = [4]float64{min(box[0], *r.Lon), min(box[1], *r.Lat), max(box[2], *r.Lon), max(box[3], *r.Lat)}
		}
		offset += 4 + words // the record header is 4 words
	}
	if math.IsInf(box[0], 0) {
		box = [4]float64{}
	}
	shp = append(shpHeader(shpHeaderBytes+body.Len(), box), body.Bytes()...)
	shx = append(shpHeader(shpHeaderBytes+index.Len(), box), index.Bytes()...)
	return shp, shx
}

// shpHeader is the 100-byte header of a .shp or .shx of size bytes.
func shpHeader(size int, box [4]float64) []byte {
	h := make([]byte, shpHeaderBytes)
	binary.BigEndian.PutUint32(h[0:], 9994) // the file code
	binary.BigEndian.PutUint32(h[24:], uint32(size/2))
	binary.LittleEndian.PutUint32(h[28:], 1000) // the version
	binary.LittleEndian.PutUint32(h[32:], shpPoint)
	for i, v := range box {
		binary.LittleEndian.PutUint64(h[36+8*i:], math.Float64bits(v))
	}
	return h
}

// attributes returns the .dbf (dBase III) of the records: a text column per
// dbfField, as wide as its longest value.
func attributes(records []Record) []byte {
	cells := make([][]string, len(records))
	widths := make([]int, len(dbfFields))
	for i := range records {
		cells[i] = make([]string, len(dbfFields))
		for j, f := range dbfFields {
			v := truncateUTF8(f.value(&records[i]), dbfMaxText)
			cells[i][j] = v
			widths[j] = max(widths[j], len(v), 1)
		}
	}
	var b bytes.Buffer
	b.Write(dbfHeader(len(records), widths))
	for _, row := range cells {
		b.WriteByte(' ') // not deleted
		for j, v := range row {
			b.WriteString(v)
			b.Write(bytes.Repeat([]byte{' '}, widths[j]-len(v)))
		}
	}
	b.WriteByte(0x1A) // end of file
	return b.Bytes()
}

// dbfHeader is the header and column descriptors of a .dbf of n records.
func dbfHeader(n int, widths []int) []byte {
	h := make([]byte, 32, 32+32*len(widths)+1)
	h[0] = 0x03 // dBase III, no memo
	y, m, d := time.Now().UTC().Date()
	h[1], h[2], h[3] = byte(y-1900), byte(m), byte(d)
	binary.LittleEndian.PutUint32(h[4:], uint32(n))
	binary.LittleEndian.PutUint16(h[8:], uint16(32+32*len(widths)+1))
	recordSize := 1
	for _, w := range widths {
		recordSize += w
	}
	binary.LittleEndian.PutUint16(h[10:], uint16(recordSize))
	for j, f := range dbfFields {
		desc := make([]byte, 32)
		copy(desc, f.name)
		desc[11] = 'C'
		desc[16] = byte(widths[j])
		h = append(h, desc...)
	}
	return append(h, 0x0D) // end of the descriptors
}

// truncateUTF8 cuts s to at most n bytes, at a character's boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

package exchange

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"civicmap/crs"
	"civicmap/db"
)

func TestTruncateUTF8(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 2, "ab"},
		{"列东街道", 12, "列东街道"},
		{"列东街道", 11, "列东街"}, // never half a character
		{"列东街道", 7, "列东"},
		{"a列", 2, "a"},
	}
	for _, tt := range tests {
		if got := truncateUTF8(tt.in, tt.n); got != tt.want {
			t.Errorf("truncateUTF8(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// TestShapefileZip: the zip holds a .shp, .shx, .dbf and a .cpg saying UTF-8
// (a .prj only in WGS84); the .dbf holds each record's text in UTF-8, cut to
// 254 bytes at a character's boundary, and the .shp a point per positioned
// platform and a null shape per other, in the .dbf's order.
func TestShapefileZip(t *testing.T) {
	lon, lat := 117.63, 26.27
	ps := []db.ExportedPlatform{
		{Platform: db.Platform{ID: 1, ExternalID: "LG-1", Kind: db.LiaisonGroup, Name: "列东街道政协联络组", Lon: &lon, Lat: &lat,
			SourceNote: strings.Repeat("注", 100), CreatedAt: time.Unix(0, 0), UpdatedAt: time.Unix(0, 0), Version: 1},
			TownshipName: "列东街道", CountyName: "三元区"},
		{Platform: db.Platform{ID: 2, ExternalID: "LG-2", Kind: db.LiaisonGroup, Name: "方田乡政协联络组"}, TownshipName: "方田乡"},
	}
	for _, c := range []crs.CRS{crs.WGS84, crs.GCJ02} {
		t.Run(string(c), func(t *testing.T) {
			files := writeZip(t, ps, c)
			if string(files["platforms.cpg"]) != "UTF-8" {
				t.Errorf(".cpg %q", files["platforms.cpg"])
			}
			if _, ok := files["platforms.prj"]; ok != (c == crs.WGS84) {
				t.Errorf(".prj present: %v", ok)
			}
			rows := readDBF(t, files["platforms.dbf"])
			if len(rows) != 2 || rows[0]["name"] != "列东街道政协联络组" || rows[0]["townshipNm"] != "列东街道" ||
				rows[0]["countyName"] != "三元区" || rows[1]["townshipNm"] != "方田乡" || rows[0]["coordSys"] != string(c) {
				t.Errorf("attributes %v", rows)
			}
			if note := rows[0]["sourceNote"]; len(note) != 252 || note != strings.Repeat("注", 84) {
				t.Errorf("sourceNote of %d bytes: want 84 characters, 252 bytes", len(note))
			}
			shp := files["platforms.shp"]
			x, y := c.FromWGS84(lon, lat)
			first := shp[100+8:]
			if binary.LittleEndian.Uint32(first) != 1 || math.Float64frombits(binary.LittleEndian.Uint64(first[4:])) != x ||
				math.Float64frombits(binary.LittleEndian.Uint64(first[12:])) != y {
				t.Errorf("first shape %x", first[:20])
			}
			if second := shp[100+8+20+8:]; len(second) != 4 || binary.LittleEndian.Uint32(second) != 0 {
				t.Errorf("second shape %x, want a null shape", second)
			}
			if got := int(binary.BigEndian.Uint32(shp[24:])) * 2; got != len(shp) {
				t.Errorf(".shp says %d bytes, has %d", got, len(shp))
			}
			if shx := files["platforms.shx"]; len(shx) != 100+2*8 || binary.BigEndian.Uint32(shx[108:]) != (100+8+20)/2 {
				t.Errorf(".shx %x", shx[100:])
			}
		})
	}
}

// writeZip writes ps as a zipped Shapefile in c and returns its files.
func writeZip(t *testing.T, ps []db.ExportedPlatform, c crs.CRS) map[string][]byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter("shp.zip", &buf, "cursor", c)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ps {
		if err := w.Write(&ps[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return files
}

// readDBF reads a dBase III file of text columns into rows by column name.
func readDBF(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(b[4:]))
	headerSize, recordSize := int(binary.LittleEndian.Uint16(b[8:])), int(binary.LittleEndian.Uint16(b[10:]))
	type col struct {
		name  string
		width int
	}
	var cols []col
	for off := 32; b[off] != 0x0D; off += 32 {
		cols = append(cols, col{strings.TrimRight(string(b[off:off+11]), "\x00"), int(b[off+16])})
	}
	var rows []map[string]string
	for i := range n {
		rec := b[headerSize+i*recordSize:]
		row, at := map[string]string{}, 1
		for _, c := range cols {
			row[c.name] = strings.TrimRight(string(rec[at:at+c.width]), " ")
			at += c.width
		}
		rows = append(rows, row)
	}
	if b[len(b)-1] != 0x1A || len(b) != headerSize+n*recordSize+1 {
		t.Errorf("%d bytes, want %d and the end-of-file mark", len(b), headerSize+n*recordSize+1)
	}
	return rows
}

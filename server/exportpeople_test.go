package server_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"civicmap/crs"
	"civicmap/exchange"
)

const utf8BOM = "\ufeff"

// TestExportCSVForPeople: the platforms' CSV starts with a UTF-8 byte order
// mark (Excel's sign of UTF-8) and carries each township's and county's name
// beside its code, as GraphQL names them.
func TestExportCSVForPeople(t *testing.T) {
	h := newHandler(t, nil)
	_, body := export(t, h, "csv")
	if !bytes.HasPrefix(body, []byte(utf8BOM+"id,externalId,")) {
		t.Fatalf("the CSV starts %q, want the byte order mark and the header", body[:min(20, len(body))])
	}
	rows, err := csv.NewReader(bytes.NewReader(body[len(utf8BOM):])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	var d struct {
		Townships struct {
			Nodes []struct {
				Code, Name string
				County     struct{ Name string }
			}
		}
	}
	data(t, h, `{ townships(first: 500) { nodes { code name county { name } } } }`, nil, &d)
	names := map[string][2]string{}
	for _, n := range d.Townships.Nodes {
		names[n.Code] = [2]string{n.Name, n.County.Name}
	}
	for _, r := range rows[1:] {
		want := names[r[col["townshipCode"]]]
		if got := [2]string{r[col["townshipName"]], r[col["countyName"]]}; got != want || want[0] == "" {
			t.Errorf("%s: names %v, want %v", r[col["externalId"]], got, want)
		}
		if r[col["coordinateSystem"]] != "WGS84" {
			t.Errorf("%s: coordinateSystem %q", r[col["externalId"]], r[col["coordinateSystem"]])
		}
	}
}

// TestExportInCRS: an export in GCJ02 or BD09 says so in every record and
// carries the converted positions; read back by the importer, each position
// is the WGS84 one again, within a millimetre.
func TestExportInCRS(t *testing.T) {
	h := newHandler(t, nil)
	_, body := export(t, h, "ndjson")
	wgs, _ := readNDJSON(t, body)
	for _, format := range []string{"ndjson", "csv", "geojson"} {
		for _, c := range []crs.CRS{crs.GCJ02, crs.BD09} {
			t.Run(format+"/"+string(c), func(t *testing.T) {
				rec := get(t, h, "/export/platforms."+format+"?crs="+string(c))
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				if format == "geojson" && !strings.Contains(rec.Body.String(), `"coordinateSystem":"`+string(c)+`"`) {
					t.Error("the collection does not say its system")
				}
				rows, err := exchange.ReadAll(format, rec.Body)
				if err != nil || len(rows) != len(wgs) {
					t.Fatalf("%d rows (%v), want %d", len(rows), err, len(wgs))
				}
				for i, r := range rows {
					w := wgs[i]
					if w.Lon == nil {
						if r.Platform.Lon != nil {
							t.Errorf("%s: a position from nowhere", w.ExternalID)
						}
						continue
					}
					if m := vincentyMetres(t, *w.Lon, *w.Lat, *r.Platform.Lon, *r.Platform.Lat); m > 0.001 {
						t.Errorf("%s: back %.4f m from its WGS84 position", w.ExternalID, m)
					}
				}
			})
		}
	}
}

// worklistQuery is GraphQL's worklist, whole, with what the exports carry.
const worklistQuery = `query($kinds: [PlatformKind!]!, $r: Float, $county: String) {
	uncoveredTownships(kinds: $kinds, radiusMetres: $r, countyCode: $county, first: 500) {
		nodes { township { code name lon lat county { code name } } nearest { distanceMetres platform { id name kind } } } } }`

// TestUncoveredExport: /export/uncovered.csv and .xlsx answer what GraphQL's
// uncoveredTownships answers, in its order, with names, the nearest platform
// and its distance, under a first row that defines coverage.
func TestUncoveredExport(t *testing.T) {
	h := newHandler(t, nil)
	for _, c := range []struct {
		name, params string
		kinds        []string
		radius       float64
		county       string
	}{
		{"workstations inside the cell", "kinds=WORKSTATION", []string{"WORKSTATION"}, 0, ""},
		{"workstations and halls within 5 km", "kinds=WORKSTATION,SECTOR_HALL&radius=5000", []string{"WORKSTATION", "SECTOR_HALL"}, 5000, ""},
		{"halls of 永安市 within 2.5 km", "kinds=SECTOR_HALL&radius=2500&county=350481", []string{"SECTOR_HALL"}, 2500, "350481"},
		{"liaison groups: none", "kinds=LIAISON_GROUP", []string{"LIAISON_GROUP"}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d struct {
				UncoveredTownships struct {
					Nodes []struct {
						Township struct {
							Code, Name string
							Lon, Lat   float64
							County     struct{ Code, Name string }
						}
						Nearest *platformDistance
					}
				}
			}
			data(t, h, worklistQuery, map[string]any{"kinds": c.kinds, "r": c.radius, "county": orNull(c.county)}, &d)
			var want [][]string
			for i, n := range d.UncoveredTownships.Nodes {
				row := []string{strconv.Itoa(i + 1), n.Township.Code, n.Township.Name, n.Township.County.Code, n.Township.County.Name}
				if p := n.Nearest; p != nil {
					row = append(row, p.Platform.ID, p.Platform.Name, p.Platform.Kind, fmt.Sprintf("%.1f", p.DistanceMetres))
				} else {
					row = append(row, "", "", "", "")
				}
				want = append(want, row)
			}
			for _, format := range []string{"csv", "xlsx"} {
				got := worklistRows(t, h, "/export/uncovered."+format+"?"+c.params, format)
				if def := got[0][0]; !strings.HasPrefix(def, "A township is covered when an ACTIVE platform ("+strings.Join(c.kinds, ", ")+")") {
					t.Errorf("%s: first row %q, want the coverage definition", format, def)
				}
				if c.county != "" && !strings.Contains(got[0][0], "("+c.county+")") {
					t.Errorf("%s: first row %q does not name the county", format, got[0][0])
				}
				if len(got)-2 != len(want) {
					t.Fatalf("%s: %d townships, GraphQL lists %d", format, len(got)-2, len(want))
				}
				for i, r := range got[2:] {
					if g := slicesOf(r); g != fmt.Sprint(want[i]) {
						t.Errorf("%s row %d: %s, want %v", format, i+1, g, want[i])
					}
				}
			}
		})
	}
}

// worklistRows fetches a worklist export and returns its rows as text: the
// definition, the column names, then the townships.
func worklistRows(t *testing.T, h http.Handler, path, format string) [][]string {
	t.Helper()
	rec := get(t, h, path)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
	}
	if format == "xlsx" {
		f, err := excelize.OpenReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("uncovered")
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	body := rec.Body.Bytes()
	if !bytes.HasPrefix(body, []byte(utf8BOM)) {
		t.Fatal("the CSV does not start with a byte order mark")
	}
	r := csv.NewReader(bytes.NewReader(body[len(utf8BOM):]))
	r.FieldsPerRecord = -1 // the definition is one cell
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// slicesOf returns the cells of a worklist row that GraphQL's answer holds
// (rank, township and county, the nearest platform and its distance), with
// the distance to 0.1 m, as text.
func slicesOf(r []string) string {
	for len(r) < 12 {
		r = append(r, "") // a spreadsheet drops empty trailing cells
	}
	dist := r[11]
	if dist != "" {
		m, _ := strconv.ParseFloat(dist, 64)
		dist = fmt.Sprintf("%.1f", math.Round(m*10)/10)
	}
	return fmt.Sprint([]string{r[0], r[1], r[2], r[3], r[4], r[8], r[9], r[10], dist})
}

// TestUncoveredExportBadInput: the worklist's parameters are checked as the
// other REST paths' and GraphQL's coverage arguments are, with the same
// messages.
func TestUncoveredExportBadInput(t *testing.T) {
	h := newHandler(t, nil)
	for _, c := range []struct {
		path    string
		status  int
		code    string
		message string
	}{
		{"/export/uncovered.csv", 400, "BAD_USER_INPUT", "kinds: name at least one kind of platform"},
		{"/export/uncovered.xlsx?kinds=", 400, "BAD_USER_INPUT", "kinds: no kind given"},
		{"/export/uncovered.csv?kinds=workstation", 400, "BAD_USER_INPUT", `kinds: want LIAISON_GROUP, WORKSTATION or SECTOR_HALL, got "workstation"`},
		{"/export/uncovered.csv?kinds=WORKSTATION&radius=-1", 400, "BAD_USER_INPUT", "radius: a radius in metres must be at least 0 and at most 200000"},
		{"/export/uncovered.csv?kinds=WORKSTATION&radius=200001", 400, "BAD_USER_INPUT", "radius: a radius in metres must be"},
		{"/export/uncovered.csv?kinds=WORKSTATION&radius=NaN", 400, "BAD_USER_INPUT", `got "NaN"`},
		{"/export/uncovered.csv?kinds=WORKSTATION&radius=5km", 400, "BAD_USER_INPUT", `radius: want a radius in metres from 0 to 200000, got "5km"`},
		{"/export/uncovered.xlsx?kinds=WORKSTATION&county=3504", 400, "BAD_USER_INPUT", `county: "3504" is not a 6-digit county code`},
		{"/export/uncovered.csv?kinds=WORKSTATION&county=350499", 404, "NOT_FOUND", "county: no county-level unit of Sanming has code 350499"},
	} {
		t.Run(c.path, func(t *testing.T) {
			rec := get(t, h, c.path)
			var e struct{ Error, Code string }
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("status %d, body not JSON: %s", rec.Code, rec.Body)
			}
			if rec.Code != c.status || e.Code != c.code || !strings.Contains(e.Error, c.message) {
				t.Errorf("status %d, %s: %q; want %d, %s: %q", rec.Code, e.Code, e.Error, c.status, c.code, c.message)
			}
		})
	}
	if rec := get(t, h, "/export/uncovered.pdf?kinds=WORKSTATION"); rec.Code != http.StatusNotFound {
		t.Errorf("an unknown format: status %d, want 404", rec.Code)
	}
}

// TestExportShapefile: /export/platforms.shp.zip is a zip of a Shapefile of
// every platform whose .cpg says UTF-8, so desktop GIS reads the names.
func TestExportShapefile(t *testing.T) {
	h := newHandler(t, nil)
	rec := get(t, h, "/export/platforms.shp.zip")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("status %d, %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	dbf := files["platforms.dbf"]
	if string(files["platforms.cpg"]) != "UTF-8" || len(dbf) < 8 || binary.LittleEndian.Uint32(dbf[4:]) != 207 ||
		!bytes.Contains(dbf, []byte("永安市政协民盟界别议政厅")) {
		t.Errorf("files %v: want a .cpg saying UTF-8 and 207 records in the .dbf, names in UTF-8", slices.Sorted(maps.Keys(files)))
	}
}

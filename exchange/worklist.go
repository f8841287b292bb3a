package exchange

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"civicmap/crs"
	"civicmap/db"
	"civicmap/graph/relay"
)

// Worklist is the planners' worklist as a file carries it: what "covered"
// means, then a row per uncovered township, farthest from a platform of the
// kinds first (GraphQL's uncoveredTownships, in its order).
type Worklist struct {
	// Definition is the coverage definition, with the county asked about;
	// the file's first row.
	Definition string
	Rows       []WorklistRow
}

// WorklistRow is one uncovered township with its nearest platform of the
// kinds; the platform's fields are empty when no such platform exists.
type WorklistRow struct {
	Rank             int
	TownshipCode     string
	TownshipName     string
	CountyCode       string
	CountyName       string
	Lon, Lat         *float64 // the seat, in CoordinateSystem
	CoordinateSystem crs.CRS
	PlatformID       string // the global ID
	PlatformName     string
	PlatformKind     db.PlatformKind
	DistanceMetres   *float64 // to 0.1 m
}

// worklistHeader names the columns of a WorklistRow.
var worklistHeader = []string{"rank", "townshipCode", "townshipName", "countyCode", "countyName", "lon", "lat",
	"coordinateSystem", "nearestPlatformId", "nearestPlatformName", "nearestPlatformKind", "nearestDistanceMetres"}

// NewWorklist returns the worklist of cov, whose uncovered townships are
// rows, read with their platforms whole, with the seats in c.
func NewWorklist(cov *db.Coverage, rows []db.TownshipCoverage, c crs.CRS) Worklist {
	names := map[string]string{}
	for _, cc := range cov.Counties {
		names[cc.County.Code] = cc.County.Name
	}
	wl := Worklist{Definition: cov.Definition() + " " + scope(cov)}
	for i, t := range rows {
		r := WorklistRow{Rank: i + 1, TownshipCode: t.Code, TownshipName: t.Name, CountyCode: t.CountyCode,
			CountyName: names[t.CountyCode], CoordinateSystem: c}
		r.Lon, r.Lat = c.FromWGS84Optional(t.Lon, t.Lat)
		if n := t.Nearest; n != nil {
			d := math.Round(n.DistanceMetres*10) / 10
			r.PlatformID, r.PlatformName, r.PlatformKind, r.DistanceMetres = relay.PlatformID(n.Platform.ID), n.Platform.Name, n.Platform.Kind, &d
		}
		wl.Rows = append(wl.Rows, r)
	}
	return wl
}

// scope says which townships a coverage counts, and how many it leaves out.
func scope(cov *db.Coverage) string {
	where := "Sanming (350400)"
	if len(cov.Counties) == 1 {
		where = fmt.Sprintf("%s (%s)", cov.Counties[0].County.Name, cov.Counties[0].County.Code)
	}
	return fmt.Sprintf("Townships of %s: %d, of which %d uncovered (listed below, farthest first), %d covered, %d of unknown position.",
		where, cov.Totals.Townships, cov.Totals.Uncovered, cov.Totals.Covered, cov.Totals.UnknownPosition)
}

// cells returns the row's cells as text.
func (r WorklistRow) cells() []string {
	return []string{strconv.Itoa(r.Rank), r.TownshipCode, r.TownshipName, r.CountyCode, r.CountyName, number(r.Lon),
		number(r.Lat), string(r.CoordinateSystem), r.PlatformID, r.PlatformName, string(r.PlatformKind), number(r.DistanceMetres)}
}

// WriteCSV writes the worklist as CSV for spreadsheets: a UTF-8 byte order
// mark, the definition alone in the first row, the column names in the
// second, then the townships.
func (wl Worklist) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return fmt.Errorf("write worklist: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{wl.Definition})
	cw.Write(worklistHeader)
	for _, r := range wl.Rows {
		cw.Write(r.cells())
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write worklist: %w", err)
	}
	return nil
}

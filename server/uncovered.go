package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"civicmap/db"
	"civicmap/exchange"
)

// The worklist's file formats and their media types.
var worklistMediaTypes = map[string]string{
	"csv":  "text/csv; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// exportFile answers GET /export/{file}: the platforms
// (platforms.ndjson, .csv, .geojson) or the planners' worklist
// (uncovered.csv, .xlsx).
func (s *Server) exportFile(w http.ResponseWriter, r *http.Request) {
	if format, ok := strings.CutPrefix(r.PathValue("file"), "uncovered."); ok {
		s.exportUncovered(w, r, format)
		return
	}
	s.exportPlatforms(w, r)
}

// exportUncovered answers /export/uncovered.csv and .xlsx?kinds=…[&radius=
// <metres>][&county=<code>][&crs=…]: the townships that platforms of kinds
// leave uncovered at radius, farthest first, as GraphQL's uncoveredTownships
// lists them, read from the same kept coverage answer.
func (s *Server) exportUncovered(w http.ResponseWriter, r *http.Request, format string) {
	mediaType, ok := worklistMediaTypes[format]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "the worklist exports are /export/uncovered.csv and .xlsx"})
		return
	}
	q := r.URL.Query()
	cq, err := s.coverageParams(r.Context(), q)
	c, err := crsParam(q, err)
	if err != nil {
		s.writeError(w, r, "export uncovered", err)
		return
	}
	// A coverage question is costly when not kept: it goes on the pool
	// of heavy work, as GraphQL's does.
	ctx := db.WithHeavy(r.Context())
	cov, err := s.db.Coverage(ctx, cq)
	if err != nil {
		s.writeError(w, r, "export uncovered", err)
		return
	}
	cq.Platforms = true // the nearest platforms' names, of the rows only
	list, err := s.db.UncoveredTownships(ctx, cq, db.Page{First: cov.Totals.Uncovered})
	if err != nil {
		s.writeError(w, r, "export uncovered", err)
		return
	}
	wl := exchange.NewWorklist(cov, list.Rows, c)
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Disposition", `attachment; filename="uncovered.`+format+`"`)
	if format == "xlsx" {
		err = wl.WriteXLSX(w)
	} else {
		err = wl.WriteCSV(w)
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "export uncovered failed", "format", format, "err", err)
	}
}

// coverageParams reads the coverage question of ?kinds=A,B&radius=<metres>
// &county=<code>, with the checks of GraphQL's coverage arguments (db's):
// kinds is required, radius is 0 when absent.
func (s *Server) coverageParams(ctx context.Context, q url.Values) (db.CoverageQuery, error) {
	var cq db.CoverageQuery
	var err error
	if cq.Kinds, err = kindsParam(q); err != nil {
		return cq, err
	}
	if err := db.CheckCoverageKinds("kinds", cq.Kinds); err != nil {
		return cq, err
	}
	if cq.RadiusMetres, err = radiusParam(q); err != nil {
		return cq, err
	}
	cq.CountyCode, err = s.countyParam(ctx, q)
	return cq, err
}

// radiusParam reads ?radius=<metres>: 0 when absent, BAD_USER_INPUT unless a
// number that db.CheckRadiusMetres takes for a coverage radius.
func radiusParam(q url.Values) (float64, error) {
	metres, err := decimalParam(q, "radius", fmt.Sprintf("a radius in metres from 0 to %d", db.MaxRadiusMetres))
	if err != nil {
		return 0, err
	}
	return metres, db.CheckRadiusMetres("radius", metres, true)
}

package server

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"

	"civicmap/crs"
	"civicmap/db"
	"civicmap/errcode"
)

const (
	mediaMVT      = "application/vnd.mapbox-vector-tile"
	mediaTileJSON = "application/json"
	// tileJSONMaxZoom is the deepest zoom TileJSON offers; map libraries
	// overzoom beyond it.
	tileJSONMaxZoom = 14
)

// tileLayers describes the tiles' layers and their fields for TileJSON's
// vector_layers: it is the tiles' documentation for map apps.
var tileLayers = []tileLayer{
	{ID: "counties", Description: "The 11 county-level units of Sanming. Feature id: the county code.", Fields: map[string]string{
		"code":             "6-digit county code",
		"name":             "name (Chinese)",
		"boundary_quality": "OFFICIAL or APPROXIMATE",
	}},
	{ID: "townships", Description: "Township cells: APPROXIMATE Voronoi cells of the township seats unless an official " +
		"boundary was imported. Townships whose position is UNKNOWN have no cell and no feature. Feature id: the township code. " +
		"The covered_* flags follow the default coverage definition, coverage(kinds: [kind]) with radiusMetres 0: " +
		"an ACTIVE platform of the kind lies in the cell.", Fields: map[string]string{
		"code":                  "9-digit township code",
		"name":                  "name (Chinese)",
		"kind":                  "街道, 镇 or 乡",
		"county_code":           "6-digit code of its county",
		"county_name":           "name of its county (Chinese)",
		"position_quality":      "REAL, APPROXIMATE or UNKNOWN: how well the seat is known",
		"boundary_quality":      "OFFICIAL or APPROXIMATE: how well the cell is known",
		"liaison_groups":        "ACTIVE liaison groups (乡镇联络组) registered to the township",
		"workstations":          "ACTIVE member workstations (委员工作站) registered to the township",
		"sector_halls":          "ACTIVE sector deliberation halls (界别议政厅) registered to the township",
		"covered_liaison_group": "an ACTIVE liaison group lies in the cell",
		"covered_workstation":   "an ACTIVE workstation lies in the cell",
		"covered_sector_hall":   "an ACTIVE sector hall lies in the cell",
	}},
	{ID: "platforms", Description: "Live platforms with a known position. Feature id: the platform's database id.", Fields: map[string]string{
		"gid":              "the GraphQL global ID, for platform(id:)",
		"kind":             db.PlatformKindNames(),
		"name":             "name (Chinese)",
		"provenance":       "REAL, or ILLUSTRATIVE: written by the project, not a real record",
		"status":           "ACTIVE, SUSPENDED or CLOSED",
		"position_quality": "REAL or APPROXIMATE",
		"township_code":    "9-digit code of the township it is registered to",
	}},
}

type tileLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// tileJSON answers /tiles.json, a TileJSON 3.0.0 document whose tile URLs
// carry the data version, so that tiles can be cached as immutable.
func (s *Server) tileJSON(w http.ResponseWriter, r *http.Request) {
	if err := tilesInWebMercator(r); err != nil {
		s.writeError(w, r, "tilejson", err)
		return
	}
	s.serveVersioned(w, r, mediaTileJSON, func(ctx context.Context) (string, []byte, error) {
		ts, err := s.db.TileSet(ctx)
		if err != nil {
			return "", nil, err
		}
		layers := make([]tileLayer, len(tileLayers))
		for i, l := range tileLayers {
			l.MaxZoom = tileJSONMaxZoom
			layers[i] = l
		}
		body, err := json.Marshal(map[string]any{
			"tilejson":      "3.0.0",
			"name":          "civicmap: Sanming CPPCC platforms",
			"description":   "Counties, township cells and the grassroots CPPCC (政协) platforms of Sanming City, Fujian.",
			"version":       "1.0.0",
			"attribution":   html.EscapeString(ts.Attribution),
			"scheme":        "xyz",
			"tiles":         []string{baseURL(r) + "/tiles/{z}/{x}/{y}.mvt?" + versionParam + "=" + ts.Version},
			"minzoom":       0,
			"maxzoom":       tileJSONMaxZoom,
			"bounds":        []float64{ts.West, ts.South, ts.East, ts.North},
			"center":        []float64{(ts.West + ts.East) / 2, (ts.South + ts.North) / 2, 8},
			"vector_layers": layers,
		})
		return ts.Version, body, err
	})
}

// tile answers /tiles/{z}/{x}/{y}.mvt.
func (s *Server) tile(w http.ResponseWriter, r *http.Request) {
	z, x, y, err := tileCoords(r)
	if err == nil {
		err = tilesInWebMercator(r)
	}
	if err != nil {
		s.writeError(w, r, "tile", err)
		return
	}
	s.serveVersioned(w, r, mediaMVT, func(ctx context.Context) (string, []byte, error) {
		return s.db.Tile(ctx, z, x, y)
	})
}

// tilesInWebMercator refuses a crs other than WGS84 for the vector tiles,
// which are Web Mercator over WGS84 as every MVT client expects: a GCJ02 or
// BD09 tile pyramid would not line up with anything. Any crs value is read by
// crsParam, so a typo is refused too.
func tilesInWebMercator(r *http.Request) error {
	c, err := crsParam(r.URL.Query(), nil)
	if err == nil && c != crs.WGS84 {
		err = errcode.Invalid("crs", "vector tiles are WGS84 in Web Mercator only, got %s; on an Amap or Baidu basemap, "+
			"draw the GeoJSON layers (/geojson/…?crs=%s) instead, or convert the basemap", c, c)
	}
	return err
}

// tileCoords reads z, x and y from the path, or says what is wrong with them.
func tileCoords(r *http.Request) (z, x, y int, err error) {
	ys, ok := strings.CutSuffix(r.PathValue("y"), ".mvt")
	if !ok {
		return 0, 0, 0, errcode.Errorf(errcode.NotFound, "tiles are /tiles/{z}/{x}/{y}.mvt")
	}
	var coords [3]int
	for i, s := range []string{r.PathValue("z"), r.PathValue("x"), ys} {
		n, err := strconv.Atoi(s)
		if err != nil || strings.HasPrefix(s, "+") {
			return 0, 0, 0, errcode.Errorf(errcode.BadUserInput, "tile %s/%s/%s: %q is not a whole number",
				r.PathValue("z"), r.PathValue("x"), ys, s)
		}
		coords[i] = n
	}
	z, x, y = coords[0], coords[1], coords[2]
	return z, x, y, db.CheckTile(z, x, y)
}

// baseURL is the scheme and host the client used to reach the server.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s", scheme, r.Host)
}

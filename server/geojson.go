package server

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"civicmap/db"
	"civicmap/errcode"
)

// mediaGeoJSON is GeoJSON's media type (RFC 7946, 12).
const mediaGeoJSON = "application/geo+json"

// geoJSONPlatforms answers /geojson/platforms[?kinds=WORKSTATION,SECTOR_HALL][&county=350481]:
// the live platforms with a known position as Point features.
func (s *Server) geoJSONPlatforms(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f db.PlatformFilter
	kinds, err := kindsParam(q)
	if err == nil {
		f.Kinds = kinds
		f.CountyCode, err = s.countyParam(r.Context(), q)
	}
	if err != nil {
		s.writeError(w, r, "geojson platforms", err)
		return
	}
	s.serveVersioned(w, r, mediaGeoJSON, func(ctx context.Context) (string, []byte, error) {
		return s.db.PlatformFeatures(ctx, f)
	})
}

// geoJSONTownships answers /geojson/townships[?simplify=<metres>][&county=350481]:
// every township as a (Multi)Polygon feature, or with a null geometry where
// its position is UNKNOWN.
func (s *Server) geoJSONTownships(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f db.TownshipFeatureFilter
	var err error
	f.SimplifyMetres, err = simplifyParam(q)
	if err == nil {
		f.CountyCode, err = s.countyParam(r.Context(), q)
	}
	if err != nil {
		s.writeError(w, r, "geojson townships", err)
		return
	}
	s.serveVersioned(w, r, mediaGeoJSON, func(ctx context.Context) (string, []byte, error) {
		return s.db.TownshipFeatures(ctx, f)
	})
}

// param returns the query parameter name, and whether it is given at all.
func param(q url.Values, name string) (string, bool) {
	if _, ok := q[name]; !ok {
		return "", false
	}
	return q.Get(name), true
}

// decimalPattern is a number as JSON and GraphQL write one: no hex, no "+",
// no ".5", no "Inf", which strconv.ParseFloat would take.
var decimalPattern = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// simplifyParam reads ?simplify=<metres>: 0 when absent, BAD_USER_INPUT
// unless a decimal number from 0 to db.MaxSimplifyMetres, as GraphQL's
// simplifyMetres.
func simplifyParam(q url.Values) (float64, error) {
	v, ok := param(q, "simplify")
	if !ok {
		return 0, nil
	}
	metres, err := strconv.ParseFloat(v, 64)
	if err != nil || !decimalPattern.MatchString(v) {
		return 0, errcode.Invalid("simplify", "want a tolerance in metres from 0 to %d, got %q", db.MaxSimplifyMetres, v)
	}
	return metres, db.CheckSimplifyMetres("simplify", metres)
}

// kindsParam reads ?kinds=A,B (or kinds=A&kinds=B): nil when absent,
// BAD_USER_INPUT when empty or naming no kind.
func kindsParam(q url.Values) ([]db.PlatformKind, error) {
	vals, ok := q["kinds"]
	if !ok {
		return nil, nil
	}
	var kinds []db.PlatformKind
	for _, v := range vals {
		for k := range strings.SplitSeq(v, ",") {
			if k = strings.TrimSpace(k); k == "" {
				continue
			}
			kind, err := db.ParsePlatformKind("kinds", k)
			if err != nil {
				return nil, err
			}
			kinds = append(kinds, kind)
		}
	}
	if len(kinds) == 0 {
		return nil, errcode.Invalid("kinds", "no kind given: want %s, comma-separated, or leave kinds out for every kind", db.PlatformKindNames())
	}
	return kinds, nil
}

// countyParam reads ?county=<6-digit code>: nil when absent, BAD_USER_INPUT
// when malformed and NOT_FOUND when naming no county of Sanming (a quietly
// empty collection would hide the typo), as GraphQL's countyCode arguments.
func (s *Server) countyParam(ctx context.Context, q url.Values) (*string, error) {
	code, err := countyCodeParam(q)
	if code == nil || err != nil {
		return nil, err
	}
	if _, err := s.db.County(ctx, "county", *code); err != nil {
		return nil, err
	}
	return code, nil
}

// countyCodeParam reads ?county=<6-digit code>: nil when absent,
// BAD_USER_INPUT when malformed.
func countyCodeParam(q url.Values) (*string, error) {
	code, ok := param(q, "county")
	if !ok {
		return nil, nil
	}
	if err := db.CheckCountyCode("county", code); err != nil {
		return nil, err
	}
	return &code, nil
}

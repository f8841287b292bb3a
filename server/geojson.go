package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"civicmap/crs"
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
	err := checkParams(q, []string{"kinds", "county", "crs", versionParam})
	var kinds []db.PlatformKind
	if err == nil {
		kinds, err = kindsParam(q)
	}
	if err == nil {
		f.Kinds = kinds
		f.CountyCode, err = s.countyParam(r.Context(), q)
	}
	c, err := crsParam(q, err)
	if err != nil {
		s.writeError(w, r, "geojson platforms", err)
		return
	}
	s.serveVersioned(w, r, mediaGeoJSON, func(ctx context.Context) (string, []byte, error) {
		return s.inSystem(c, r.URL.RequestURI())(s.db.PlatformFeatures(ctx, f))
	})
}

// geoJSONTownships answers /geojson/townships[?simplify=<metres>][&county=350481]:
// every township as a (Multi)Polygon feature, or with a null geometry where
// its position is UNKNOWN.
func (s *Server) geoJSONTownships(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f db.TownshipFeatureFilter
	err := checkParams(q, []string{"simplify", "county", "crs", versionParam})
	if err == nil {
		f.SimplifyMetres, err = simplifyParam(q)
	}
	if err == nil {
		f.CountyCode, err = s.countyParam(r.Context(), q)
	}
	c, err := crsParam(q, err)
	if err != nil {
		s.writeError(w, r, "geojson townships", err)
		return
	}
	s.serveVersioned(w, r, mediaGeoJSON, func(ctx context.Context) (string, []byte, error) {
		return s.inSystem(c, r.URL.RequestURI())(s.db.TownshipFeatures(ctx, f))
	})
}

// crsParam reads ?crs=WGS84|GCJ02|BD09 (crs.Parse, the one parser of the
// choice): WGS84 when absent, BAD_USER_INPUT for any other value, an empty
// one included. It passes an earlier parameter's error on unchanged, so that
// a handler reports its parameters in order.
func crsParam(q url.Values, earlier error) (crs.CRS, error) {
	if earlier != nil {
		return "", earlier
	}
	v, ok := param(q, "crs")
	if !ok {
		return crs.WGS84, nil
	}
	return crs.Parse("crs", v)
}

// inSystem converts a GeoJSON layer read in WGS84 to c, and keeps the result
// under key (the request's path and query) for as long as its data version is
// current. The full township layer took 35 ms to read and 80 ms more to
// convert; kept, a repeat costs the read alone.
func (s *Server) inSystem(c crs.CRS, key string) func(version string, body []byte, err error) (string, []byte, error) {
	return func(version string, body []byte, err error) (string, []byte, error) {
		if err != nil || c == crs.WGS84 {
			return version, body, err
		}
		if kept, ok := s.converted.Get(version, key); ok {
			return version, kept, nil
		}
		if body, err = c.FromWGS84GeoJSON(body); err != nil {
			return "", nil, err
		}
		s.converted.Put(version, key, body, len(body))
		return version, body, nil
	}
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
	metres, err := decimalParam(q, "simplify", fmt.Sprintf("a tolerance in metres from 0 to %d", db.MaxSimplifyMetres))
	if err != nil {
		return 0, err
	}
	return metres, db.CheckSimplifyMetres("simplify", metres)
}

// decimalParam reads ?name= as a decimal number (decimalPattern): 0 when
// absent, BAD_USER_INPUT saying want when not such a number.
func decimalParam(q url.Values, name, want string) (float64, error) {
	v, ok := param(q, name)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || !decimalPattern.MatchString(v) {
		return 0, errcode.Invalid(name, "want %s, got %q", want, v)
	}
	return n, nil
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

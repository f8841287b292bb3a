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

// countyCodeRE is the form of a county code.
var countyCodeRE = regexp.MustCompile(`^[0-9]{6}$`)

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
	if v, ok := param(q, "simplify"); ok {
		f.SimplifyMetres, err = strconv.ParseFloat(v, 64)
		if err != nil {
			err = errcode.Invalid("simplify", "want a tolerance in metres from 0 to %d, got %q", db.MaxSimplifyMetres, v)
		} else {
			err = db.CheckSimplifyMetres("simplify", f.SimplifyMetres)
		}
	}
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

// kindsParam reads ?kinds=A,B (or kinds=A&kinds=B): nil when absent,
// BAD_USER_INPUT when empty or naming no kind.
func kindsParam(q url.Values) ([]db.PlatformKind, error) {
	vals, ok := q["kinds"]
	if !ok {
		return nil, nil
	}
	const want = "LIAISON_GROUP, WORKSTATION or SECTOR_HALL, comma-separated"
	var kinds []db.PlatformKind
	for _, v := range vals {
		for k := range strings.SplitSeq(v, ",") {
			switch kind := db.PlatformKind(strings.TrimSpace(k)); kind {
			case db.LiaisonGroup, db.Workstation, db.SectorHall:
				kinds = append(kinds, kind)
			case "":
			default:
				return nil, errcode.Invalid("kinds", "%q is not a platform kind: want %s", k, want)
			}
		}
	}
	if len(kinds) == 0 {
		return nil, errcode.Invalid("kinds", "no kind given: want %s, or leave kinds out for every kind", want)
	}
	return kinds, nil
}

// countyParam reads ?county=<6-digit code>: nil when absent, BAD_USER_INPUT
// when malformed or naming no county of Sanming (a quietly empty collection
// would hide the typo).
func (s *Server) countyParam(ctx context.Context, q url.Values) (*string, error) {
	code, ok := param(q, "county")
	if !ok {
		return nil, nil
	}
	if !countyCodeRE.MatchString(code) {
		return nil, errcode.Invalid("county", "%q is not a 6-digit county code such as 350481", code)
	}
	cs, err := s.db.CountiesByCode(ctx, []string{code})
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, errcode.Invalid("county", "no county-level unit of Sanming has code %s", code)
	}
	return &code, nil
}

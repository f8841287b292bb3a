package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"civicmap/db"
	"civicmap/errcode"
	"civicmap/graph/relay"
)

// The coverage collection is parameterised, as pg_featureserv's function
// collections are: its features are the township layer's, each with its
// coverage for the request's kinds and radius added to its properties. The
// coverage is GraphQL's (db.Coverage): read from the coverage index and kept
// in memory by data version, so a page costs the township page and, for a new
// question, one read of the index.

// coverageAbout says what the coverage features answer; it is a foreign
// member of the coverage collection's items.
type coverageAbout struct {
	Kinds        []db.PlatformKind `json:"kinds"`
	RadiusMetres float64           `json:"radiusMetres"`
	Definition   string            `json:"definition"`
}

// coverageReads bounds how often a page is read again because a write fell
// between the coverage and the cells: each read is a few milliseconds.
const coverageReads = 3

func coverageReader(s *Server, ctx context.Context, q url.Values) (featureReader, error) {
	f, err := s.townshipFilter(ctx, q)
	if err != nil {
		return nil, err
	}
	cq, err := ogcCoverageParams(q)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, cut featureCut, page db.FeaturePage) (ogcPage, error) {
		f.Code, f.BBox = cut.ID, cut.BBox
		return s.coveragePage(ctx, cq, f, page)
	}, nil
}

// ogcCoverageParams reads kinds (every kind when absent) and radius (metres,
// 0 when absent), checked as GraphQL's coverage checks kinds and radiusMetres.
func ogcCoverageParams(q url.Values) (db.CoverageQuery, error) {
	cq := db.CoverageQuery{Kinds: db.PlatformKinds, Townships: true, Platforms: true}
	kinds, err := kindsParam(q)
	if err != nil {
		return cq, err
	}
	if kinds != nil {
		cq.Kinds = kinds
	}
	cq.RadiusMetres, err = radiusParam(q)
	return cq, err
}

// coveragePage reads a page of the township layer cut by f, with the coverage
// of cq, both at the same data version.
func (s *Server) coveragePage(ctx context.Context, cq db.CoverageQuery, f db.TownshipFeatureFilter, page db.FeaturePage) (ogcPage, error) {
	for range coverageReads {
		cov, err := s.db.Coverage(ctx, cq)
		if err != nil {
			return ogcPage{}, err
		}
		set, err := s.db.TownshipFeaturePage(ctx, f, page)
		if err != nil {
			return ogcPage{}, err
		}
		if set.Version != cov.Version {
			continue // a write came between the two reads
		}
		if set.Features, err = withCoverage(set.Features, cov); err != nil {
			return ogcPage{}, fmt.Errorf("coverage features: %w", err)
		}
		about := &coverageAbout{Kinds: cq.Kinds, RadiusMetres: cq.RadiusMetres, Definition: cov.Definition()}
		return ogcPage{FeatureSet: set, coverage: about}, nil
	}
	return ogcPage{}, errcode.Errorf(errcode.ServiceUnavailable, "the data changed %d times while the coverage was read: try again", coverageReads)
}

// townshipFeature is a township feature but its geometry, its properties
// open to additions.
type townshipFeature struct {
	Type       string                     `json:"type"`
	ID         string                     `json:"id"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// withCoverage adds to each township feature of features (a JSON array) its
// coverage in cov: coverage (COVERED, UNCOVERED or UNKNOWN_POSITION), covered
// (null when the position is UNKNOWN), and the nearest platform's id, name,
// kind and distance in metres (null when there is none). The geometries are
// passed on as PostGIS wrote them (appendMember).
func withCoverage(features []byte, cov *db.Coverage) ([]byte, error) {
	var fs []struct {
		townshipFeature
		Geometry json.RawMessage `json:"geometry"`
	}
	if err := json.Unmarshal(features, &fs); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(features)+len(fs)*256)
	out = append(out, '[')
	for i := range fs {
		f := &fs[i].townshipFeature
		at, ok := slices.BinarySearchFunc(cov.Townships, f.ID, func(t db.TownshipCoverage, code string) int {
			return strings.Compare(t.Code, code)
		})
		if !ok {
			return nil, fmt.Errorf("township %s has no coverage", f.ID)
		}
		for k, v := range coverageProperties(&cov.Townships[at]) {
			raw, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			f.Properties[k] = raw
		}
		obj, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, appendMember(obj, "geometry", fs[i].Geometry)...)
	}
	return append(out, ']'), nil
}

// coverageProperties are the properties that say how t is covered.
func coverageProperties(t *db.TownshipCoverage) map[string]any {
	props := map[string]any{"coverage": t.Status, "covered": nil, "nearestPlatformId": nil,
		"nearestPlatformName": nil, "nearestPlatformKind": nil, "nearestDistanceMetres": nil}
	if t.Status != db.CoverageUnknownPosition {
		props["covered"] = t.Covered()
	}
	if n := t.Nearest; n != nil {
		props["nearestPlatformId"] = relay.PlatformID(n.Platform.ID)
		props["nearestPlatformName"] = n.Platform.Name
		props["nearestPlatformKind"] = n.Platform.Kind
		props["nearestDistanceMetres"] = n.DistanceMetres
	}
	return props
}

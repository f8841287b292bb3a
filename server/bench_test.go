package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkQueries measures whole GraphQL requests through the handler, on the
// loaded Sanming data: what a map front end asks for most.
func BenchmarkQueries(b *testing.B) {
	h := newHandler(b, nil)
	cases := []struct{ name, query string }{
		{"platform_by_county", `{ platforms(filter: {countyCode: "350481"}) { totalCount nodes { id name kind lon lat } } }`},
		{"all_platforms_nested", `{ platforms(first: 500) { nodes { id name kind provenance location
			township { name positionQuality county { name } } organiser { name } sector { name } } } }`},
		{"township_cells", `{ townships(first: 500) { nodes { code name positionQuality boundaryQuality boundary } } }`},
		{"county_boundaries", `{ counties { nodes { code name boundary } } }`},
		{"search", `{ platforms(filter: {search: "工作站"}) { totalCount nodes { name } } }`},
		// The planners' view of the whole city (BenchmarkSpatial has one county
		// on both datasets).
		{"coverage_city", `{ coverage(kinds: [WORKSTATION], radiusMetres: 5000) { totals { covered uncovered ratio }
			counties { totals { covered uncovered } } townships { status nearest { distanceMetres platform { name } } } } }`},
		{"covered_area_city", `{ coverage(kinds: [WORKSTATION], radiusMetres: 5000) { counties { areaRatio coveredAreaKm2 } } }`},
		{"uncovered_city", `{ uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 5000, first: 500) {
			totalCount nodes { township { name county { name } } nearest { distanceMetres platform { name } } } } }`},
		{"township_layer", `{ townshipFeatures(simplifyMetres: 100) }`},
		{"sector_matrix_city", `{ sectorCoverage { counties { county { name } servedCount sectors { served halls { name } } } } }`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { benchQuery(b, h, c.query, nil) })
	}
}

// BenchmarkSpatial measures the spatial and coverage queries on Sanming and on
// the nationwide synthetic dataset (about 2,800 counties, 40,000 townships and
// 60,000 platforms), at the same point, to show how their cost grows.
func BenchmarkSpatial(b *testing.B) {
	datasets := []struct {
		name   string
		h      http.Handler
		county string
	}{
		{"sanming", newHandler(b, nil), "350404"},
		{"nationwide", newHandler(b, nationwide(b)), nationwideCounty},
	}
	for _, d := range datasets {
		for _, q := range spatialQueries {
			b.Run(d.name+"/"+q.name, func(b *testing.B) {
				benchQuery(b, d.h, q.query, map[string]any{"county": d.county})
			})
		}
	}
}

// benchQuery posts query to h in a loop; any error fails the benchmark. It
// reports the response size.
func benchQuery(b *testing.B, h http.Handler, query string, vars map[string]any) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		b.Fatal(err)
	}
	var size int
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
			b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "resp_bytes")
}

// BenchmarkGeoJSON measures the GeoJSON layers through the handler, plain and
// gzipped as a browser asks for them, and reports the bytes sent.
func BenchmarkGeoJSON(b *testing.B) {
	h := newHandler(b, nil)
	for _, path := range []string{
		"/geojson/platforms",
		"/geojson/townships",
		"/geojson/townships?simplify=100",
		"/geojson/townships?simplify=500",
	} {
		for _, enc := range []string{"identity", "gzip"} {
			b.Run(strings.TrimPrefix(path, "/geojson/")+"/"+enc, func(b *testing.B) {
				var size int
				for b.Loop() {
					req := httptest.NewRequest(http.MethodGet, path, nil)
					req.Header.Set("Accept-Encoding", enc)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
					}
					size = rec.Body.Len()
				}
				b.ReportMetric(float64(size), "resp_bytes")
			})
		}
	}
}

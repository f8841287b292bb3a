package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"civicmap/db/dbtest"
)

// BenchmarkQueries measures whole GraphQL requests through the handler, on the
// loaded Sanming data: what a map front end asks for most.
func BenchmarkQueries(b *testing.B) {
	h := newHandler(b, nil)
	cases := []struct{ name, query string }{
		// The server's per-request floor: no resolver, no SQL.
		{"typename", `{ __typename }`},
		{"platform_by_county", `{ platforms(filter: {countyCode: "350481"}) { totalCount nodes { id name kind lon lat } } }`},
		{"all_platforms_nested", `{ platforms(first: 500) { nodes { id name kind provenance location
			township { name positionQuality county { name } } organiser { name } sector { name } } } }`},
		{"township_cells", `{ townships(first: 500) { nodes { code name positionQuality boundaryQuality boundary } } }`},
		{"county_boundaries", `{ counties { nodes { code name boundary } } }`},
		{"search", `{ platforms(filter: {search: "工作站"}) { totalCount nodes { name } } }`},
		// The reads of the load harness (cmd/benchload), at one place: profile
		// them with -cpuprofile and -memprofile.
		{"list100", `{ platforms(first: 100) { nodes { id kind name lon lat } } }`},
		{"nearest5", `{ nearestPlatforms(lon: 117.62, lat: 26.26, limit: 5) { distanceMetres platform { id kind name lon lat } } }`},
		{"bbox200", `{ platforms(bbox: {west: 117.5, south: 26.2, east: 117.7, north: 26.38}, first: 200) { nodes { id kind name lon lat } } }`},
		// The planners' view of the whole city (BenchmarkSpatial has one county
		// on both datasets).
		{"coverage_city", `{ coverage(kinds: [WORKSTATION], radiusMetres: 5000) { totals { covered uncovered ratio }
			counties { totals { covered uncovered } } townships { status nearest { distanceMetres platform { name } } } } }`},
		{"covered_area_city", `{ coverage(kinds: [WORKSTATION], radiusMetres: 5000) { counties { areaRatio coveredAreaKm2 } } }`},
		{"uncovered_city", `{ uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 5000, first: 500) {
			totalCount nodes { township { name county { name } } nearest { distanceMetres platform { name } } } } }`},
		// The issue 11 worklist, answered from the coverage cache after the first.
		{"worklist", `{ uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 5000, first: 200) {
			totalCount nodes { township { code name } } } }`},
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
		size = benchPost(b, h, body)
	}
	b.ReportMetric(float64(size), "resp_bytes")
}

// BenchmarkTiles measures vector tiles at zooms 8 to 14 over the city's centre
// (三元区), as a map shows them: whole HTTP requests, reporting the tile's size
// plain and gzipped.
func BenchmarkTiles(b *testing.B) {
	h := newHandler(b, nil)
	for z := 8; z <= 14; z++ {
		x, y := tileOf(z, 117.62, 26.26)
		path := fmt.Sprintf("/tiles/%d/%d/%d.mvt", z, x, y)
		b.Run(fmt.Sprintf("z%d", z), func(b *testing.B) {
			var plain, zipped int
			for b.Loop() {
				rec := get(b, h, path, "Accept-Encoding", "gzip")
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
				}
				zipped = rec.Body.Len()
			}
			plain = get(b, h, path).Body.Len()
			b.ReportMetric(float64(plain), "tile_bytes")
			b.ReportMetric(float64(zipped), "gzip_bytes")
		})
	}
}

// BenchmarkTilesLoopback is a load run: clients on parallel goroutines fetch
// the tiles a map shows over the city at zooms 8 to 14 (every tile of z8-z10
// over Sanming and a block of 3x3 around the centre deeper down), through real
// HTTP on loopback with gzip, as a browser would without its cache.
func BenchmarkTilesLoopback(b *testing.B) {
	srv := httptest.NewServer(newHandler(b, nil))
	defer srv.Close()
	var paths []string
	for z := 8; z <= 14; z++ {
		x0, y0 := tileOf(z, 116.37, 27.14)
		x1, y1 := tileOf(z, 118.67, 25.47)
		if z > 10 {
			cx, cy := tileOf(z, 117.62, 26.26)
			x0, y0, x1, y1 = cx-1, cy-1, cx+1, cy+1
		}
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				paths = append(paths, fmt.Sprintf("%s/tiles/%d/%d/%d.mvt", srv.URL, z, x, y))
			}
		}
	}
	var next atomic.Int64
	b.SetParallelism(4) // 4 clients per core, as a few browsers at once
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			path := paths[int(next.Add(1))%len(paths)]
			resp, err := srv.Client().Get(path) // the transport asks for gzip and unpacks it
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("%s: status %d", path, resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(len(paths)), "tiles")
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

// BenchmarkOGCItems measures pages of the OGC API's collections through the
// handler, plain, and reports the bytes sent. coverage/fresh asks a radius
// not asked before every time, so the coverage is read from the index.
func BenchmarkOGCItems(b *testing.B) {
	h := newHandler(b, nil)
	for _, c := range []struct{ name, path string }{
		{"townships/10", "/collections/townships/items?limit=10"},
		{"townships/all", "/collections/townships/items?limit=1000"},
		{"platforms/all", "/collections/platforms/items?limit=1000"},
		{"counties/all", "/collections/counties/items?limit=1000"},
		{"coverage/10", "/collections/coverage/items?limit=10&kinds=WORKSTATION&radius=5000"},
		{"coverage/all", "/collections/coverage/items?limit=1000&kinds=WORKSTATION&radius=5000"},
		{"coverage/fresh", "/collections/coverage/items?limit=10&kinds=WORKSTATION&radius="},
	} {
		b.Run(c.name, func(b *testing.B) {
			var size, n int
			for b.Loop() {
				path := c.path
				if strings.HasSuffix(path, "=") {
					n++
					path += strconv.Itoa(n)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "resp_bytes")
		})
	}
}

// BenchmarkCoverageWholeCountry asks for the coverage of every township of
// each dataset, from the coverage index: the totals alone, and with every
// county's totals. Each is asked the same again (an answer kept while the
// data version holds), with a new radius every time (cut from the index as
// read at this version), and with a new radius of a server that keeps no
// answers (the index read every time).
func BenchmarkCoverageWholeCountry(b *testing.B) {
	const totals = `totals { townships covered uncovered unknownPosition ratio }`
	queries := []struct{ name, query string }{
		{"totals", `query($r: Float) { coverage(kinds: [WORKSTATION, SECTOR_HALL], radiusMetres: $r) { ` + totals + ` } }`},
		{"counties", `query($r: Float) { coverage(kinds: [WORKSTATION, SECTOR_HALL], radiusMetres: $r) { ` + totals + `
			counties { totals { covered uncovered } } } }`},
	}
	sanming, nationwide := dbtest.NewDB(b), nationwide(b)
	for _, d := range []struct {
		name        string
		h, uncached http.Handler
	}{
		{"sanming", newHandler(b, sanming), uncachedHandler(b, sanming)},
		{"nationwide", newHandler(b, nationwide), uncachedHandler(b, nationwide)},
	} {
		for _, q := range queries {
			name := d.name + "/" + q.name
			b.Run(name+"/cached", func(b *testing.B) { benchQuery(b, d.h, q.query, map[string]any{"r": 5000}) })
			b.Run(name+"/fresh_radius", func(b *testing.B) { benchRadii(b, d.h, q.query) })
			b.Run(name+"/uncached", func(b *testing.B) { benchRadii(b, d.uncached, q.query) })
		}
	}
}

// BenchmarkWorklist is the planners' worklist on Sanming (cmd/benchload's
// worklist queries): the same again, a new radius each time, and a new
// radius on a server that keeps nothing.
func BenchmarkWorklist(b *testing.B) {
	const query = `query($r: Float!) { uncoveredTownships(kinds: [WORKSTATION], radiusMetres: $r, first: 200) {
		totalCount nodes { township { code name } } } }`
	pool := dbtest.NewDB(b)
	h := newHandler(b, pool)
	b.Run("cached", func(b *testing.B) { benchQuery(b, h, query, map[string]any{"r": 5000}) })
	b.Run("fresh_radius", func(b *testing.B) { benchRadii(b, h, query) })
	b.Run("uncached", func(b *testing.B) { benchRadii(b, uncachedHandler(b, pool), query) })
}

// benchRadii posts query to h in a loop with a radius $r not asked for just
// before; any error fails the benchmark.
func benchRadii(b *testing.B, h http.Handler, query string) {
	r := 0
	for b.Loop() {
		r = (r + 7919) % 50000
		body, err := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"r": r}})
		if err != nil {
			b.Fatal(err)
		}
		benchPost(b, h, body)
	}
}

// benchPost posts body to h's /graphql and returns the answer's size; an
// error fails the benchmark.
func benchPost(b *testing.B, h http.Handler, body []byte) int {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
		b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
	}
	return rec.Body.Len()
}

// BenchmarkCoverageWrite measures what the coverage index adds to one
// platform write at nationwide size: a workstation moved 1 km and back, in a
// transaction that is rolled back at the end, with the index's triggers and
// without them (disabled inside that transaction, so no other test sees it).
func BenchmarkCoverageWrite(b *testing.B) {
	pool := nationwide(b)
	for _, c := range []struct {
		name  string
		setup string
	}{
		{"with_index", ""},
		{"without_index", `ALTER TABLE platform DISABLE TRIGGER platform_coverage_update, DISABLE TRIGGER platform_lock_coverage`},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := b.Context()
			tx, err := pool.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if c.setup != "" {
				if _, err := tx.Exec(ctx, c.setup); err != nil {
					b.Fatal(err)
				}
			}
			var id int64
			if err := tx.QueryRow(ctx, `SELECT min(id) FROM platform WHERE kind = 'WORKSTATION' AND status = 'ACTIVE'`).Scan(&id); err != nil {
				b.Fatal(err)
			}
			step := 0.01
			for b.Loop() {
				if _, err := tx.Exec(ctx, `UPDATE platform SET location = ST_Translate(location, $2, 0) WHERE id = $1`, id, step); err != nil {
					b.Fatal(err)
				}
				step = -step
			}
		})
	}
}

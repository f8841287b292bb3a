package server_test

import (
	"maps"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"civicmap/db/dbtest"
)

// GDAL's own client reads civicmap as QGIS does (QGIS uses GDAL for OGC API
// and /vsicurl/ alike): ogrinfo and ogr2ogr from Debian's gdal-bin, which
// `make test` installs (`make gdal`).

// gdal runs a GDAL tool with args and returns its output, failing t when the
// tool is missing or fails.
func gdal(t *testing.T, tool string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s is not installed: run `make gdal` (Debian's gdal-bin)", tool)
	}
	cmd := exec.CommandContext(t.Context(), tool, args...)
	// No proxy between GDAL and the test server; GDAL's messages in English.
	cmd.Env = append(cmd.Environ(), "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1", "LC_ALL=C.UTF-8", "CPL_DEBUG=OFF")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "ERROR") {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// featureCounts reads ogrinfo -so's "Layer name" and "Feature Count" lines.
func featureCounts(t *testing.T, out string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	re := regexp.MustCompile(`(?m)^Layer name: (\S+)$[\s\S]*?^Feature Count: (\d+)$`)
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[2])
		counts[m[1]] = n
	}
	return counts
}

// sqlValues runs SQL on a GDAL dataset and returns the values of column, one
// per feature.
func sqlValues(t *testing.T, dataset, sql, column string) []string {
	t.Helper()
	out := gdal(t, "ogrinfo", "-ro", "-q", "-sql", sql, dataset)
	re := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(column) + ` \([A-Za-z0-9()]+\) = (.*)$`)
	var vals []string
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		vals = append(vals, m[1])
	}
	return vals
}

func TestGDALReadsOGCAPI(t *testing.T) {
	pool := dbtest.NewDB(t)
	// The seed's platforms are all ACTIVE, as the article reports them: the
	// status filter below reads the one this test suspends.
	if _, err := pool.Exec(t.Context(), `UPDATE platform SET status = 'SUSPENDED' WHERE external_id = 'WS-0039'`); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(t, pool))
	t.Cleanup(srv.Close)
	root := "OAPIF:" + srv.URL + "/"

	out := gdal(t, "ogrinfo", "-ro", "-so", "-al", root)
	want := map[string]int{"counties": 11, "townships": 141, "platforms": 205, "coverage": 141}
	if got := featureCounts(t, out); !maps.Equal(got, want) {
		t.Fatalf("ogrinfo %s: feature counts %v, want %v\n%s", root, got, want, out)
	}

	gpkg := filepath.Join(t.TempDir(), "sanming.gpkg")
	gdal(t, "ogr2ogr", "-f", "GPKG", gpkg, root)
	for _, c := range []struct{ sql, column, want string }{
		{"SELECT name FROM counties WHERE id = '350481'", "name", "永安市"},
		{"SELECT name FROM townships WHERE code = '350404001'", "name", "列东街道"},
		{"SELECT countyName FROM townships WHERE code = '350404001'", "countyName", "三元区"},
		{"SELECT name FROM townships WHERE code = '350424204'", "name", "方田乡"},
		{"SELECT name FROM platforms WHERE name LIKE '%12345%'", "name", "三明市12345便民服务热线中心政协委员工作站"},
		{"SELECT count(*) AS n FROM platforms", "n", "205"},
		{"SELECT count(*) AS n FROM townships WHERE positionQuality = 'UNKNOWN'", "n", "2"},
	} {
		if got := sqlValues(t, gpkg, c.sql, c.column); len(got) != 1 || got[0] != c.want {
			t.Errorf("%s: %q, want %q", c.sql, got, c.want)
		}
	}

	// The coverage collection, with its parameters in the URL as a QGIS or
	// GDAL user gives them; GDAL sends them with every request it makes.
	var covered, uncovered int
	err := pool.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE m <= 5000), count(*) FILTER (WHERE m > 5000 OR m IS NULL)
		FROM township t LEFT JOIN LATERAL (SELECT min(metres) AS m FROM township_nearest n
			WHERE n.township_code = t.code AND n.kind = 'WORKSTATION') n ON true
		WHERE t.boundary IS NOT NULL`).Scan(&covered, &uncovered)
	if err != nil {
		t.Fatal(err)
	}
	cov := filepath.Join(t.TempDir(), "coverage.gpkg")
	gdal(t, "ogr2ogr", "-f", "GPKG", cov, "OAPIF:"+srv.URL+"/collections/coverage?kinds=WORKSTATION&radius=5000")
	for status, want := range map[string]int{"COVERED": covered, "UNCOVERED": uncovered, "UNKNOWN_POSITION": 2} {
		sql := "SELECT count(*) AS n FROM coverage WHERE coverage = '" + status + "'"
		if got := sqlValues(t, cov, sql, "n"); len(got) != 1 || got[0] != strconv.Itoa(want) {
			t.Errorf("%s: %v, want %d", sql, got, want)
		}
	}
	if got := sqlValues(t, cov, "SELECT nearestPlatformName FROM coverage WHERE code = '350404001'", "nearestPlatformName"); len(got) != 1 ||
		got[0] != "三明市12345便民服务热线中心政协委员工作站" {
		t.Errorf("列东街道's nearest workstation: %q", got)
	}

	// The same page as a plain GeoJSON source, as QGIS's Add Vector Layer
	// opens it (the README's way to a coverage question in QGIS).
	items := srv.URL + "/collections/coverage/items?kinds=WORKSTATION&radius=5000&limit=1000"
	if n := featureCounts(t, gdal(t, "ogrinfo", "-ro", "-so", "-al", items))["OGRGeoJSON"]; n != 141 {
		t.Errorf("%s as GeoJSON: %d features, want 141", items, n)
	}

	// A spatial filter goes to the server as bbox; an attribute filter on
	// status as its query parameter (the API definition lists it).
	out = gdal(t, "ogrinfo", "-ro", "-so", "-spat", "117.2", "25.8", "117.6", "26.1", root, "townships")
	if n := featureCounts(t, out)["townships"]; n == 0 || n >= 141 {
		t.Errorf("townships in a box: %d", n)
	}
	out = gdal(t, "ogrinfo", "-ro", "-q", "-where", "status = 'SUSPENDED'", root, "platforms")
	if n := strings.Count(out, "OGRFeature(platforms)"); n != 1 {
		t.Errorf("SUSPENDED platforms: %d, want 1\n%s", n, out)
	}
}

// TestGDALReadsLayersThroughVSICurl: /vsicurl/ reads a file over HTTP by
// ranges after a HEAD for its length, as GDAL does for cloud files; the
// layers and tiles, answered with a Content-Length and ranges, open in it.
func TestGDALReadsLayersThroughVSICurl(t *testing.T) {
	srv := httptest.NewServer(newHandler(t, nil))
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		path string
		want map[string]int
	}{
		{"/geojson/townships", map[string]int{"townships": 141}},
		{"/geojson/townships?simplify=100&county=350481", map[string]int{"townships?simplify=100&county=350481": 15}},
		{"/geojson/platforms", map[string]int{"platforms": 205}},
		// A z9 tile over the city (19 KB), read by GDAL's MVT driver.
		{"/tiles/9/423/217.mvt", map[string]int{"counties": 6, "townships": 43, "platforms": 53}},
	} {
		t.Run(c.path, func(t *testing.T) {
			out := gdal(t, "ogrinfo", "-ro", "-so", "-al", "/vsicurl/"+srv.URL+c.path)
			if got := featureCounts(t, out); !maps.Equal(got, c.want) {
				t.Errorf("feature counts %v, want %v\n%s", got, c.want, out)
			}
		})
	}
}

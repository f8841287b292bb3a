package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"civicmap/db"
)

// webDir holds the map page's node packages (MapLibre GL JS, playwright-core)
// and its browser test, relative to this package's directory.
const webDir = "../../web"

// mapArtefacts is where TestMapPage leaves its screenshots (gitignored).
const mapArtefacts = "../../testdata/artefacts"

// TestMapPage drives the map page at / in headless Debian chromium against a
// whole server on a loopback port (web/e2e/map.mjs): no console errors or
// failed requests, township cells and platforms rendered, the uncovered count
// equal to GraphQL's as the radius changes, a click on the first gap flying
// there, clicks on a platform and on a cell showing their details, an edit
// through the API showing without a reload; the planner's tools (search in
// Chinese and pinyin initials, the share link and hash edits, the worklist as
// CSV, the A4 print layout, what-if platforms, the data-quality panel, the
// basemap off by default and on from ?basemap=, an Amap-style GCJ-02 basemap
// lined up by basemapCrs=GCJ02 to the pixel, lang="zh", the attribution
// said once); a phone-width layout, and GraphiQL.
// It saves screenshots in testdata/artefacts. It never skips: without node,
// chromium, the node packages or the built-in map library it fails and says
// what to install.
func TestMapPage(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (%v): run `make test`, which checks for it, or install Node.js 20", err)
	}
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("chromium is missing (%v): run `make browser` (apt-get install chromium fonts-wqy-zenhei)", err)
	}
	if _, err := os.Stat(filepath.Join(webDir, "node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatalf("the map test's node packages are missing (%v): run `make web` in the repository root", err)
	}
	if _, err := os.Stat(filepath.Join(webDir, "static", "lib", "maplibre-gl.mjs")); err != nil {
		t.Fatalf("MapLibre GL JS is not in web/static/lib (%v), so this binary serves no map: run `make web`, then test again", err)
	}
	out, err := filepath.Abs(mapArtefacts)
	if err != nil {
		t.Fatal(err)
	}

	app := startApp(t, nil)
	// An admin key lets the script edit the directory, as an editor elsewhere
	// would, and see the page follow.
	_, key, err := db.New(app.pool).CreateKey(t.Context(), "map e2e", db.RoleAdmin, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The script needs about 40 s here; headless WebGL on two busy cores can
	// take several times that, and a hung browser must not hold the test until
	// go test's own timeout.
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(webDir, "e2e", "map.mjs"), app.URL, out)
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium, "CIVICMAP_E2E_KEY="+key)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	start := time.Now()
	runErr := cmd.Run()
	if runErr != nil || !strings.Contains(buf.String(), "map e2e: passed") {
		t.Fatalf("the map page's browser test failed (%v):\n%s", runErr, buf.String())
	}
	t.Logf("map page passed in %s; screenshots in %s (map.png, map-gap.png, map-platform.png, map-search.png, map-share.png, map-hashchange.png, map-print.png, map-print.pdf, map-whatif.png, map-quality.png, map-basemap.png, map-basemap-gcj02.png, map-phone.png, map-phone-full.png, graphiql.png)", time.Since(start).Round(100*time.Millisecond), out)
	if testing.Verbose() {
		t.Logf("browser test output:\n%s", buf.String())
	}
}

package server_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/exchange"
	"civicmap/graph/relay"
	"civicmap/server"
)

// export fetches /export/platforms.<format> and returns its cursor header and body.
func export(t *testing.T, h http.Handler, format string) (string, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/export/platforms."+format, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("export %s: status %d: %s", format, rec.Code, rec.Body)
	}
	cursor := rec.Header().Get("X-Civicmap-Cursor")
	if _, ok := relay.ParseCursor("changes", cursor); !ok {
		t.Fatalf("export %s: cursor header %q", format, cursor)
	}
	return cursor, rec.Body.Bytes()
}

// readNDJSON splits an NDJSON export into its records and its last line's cursor.
func readNDJSON(t *testing.T, body []byte) ([]exchange.Record, string) {
	t.Helper()
	var recs []exchange.Record
	var last struct{ Cursor string }
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if last.Cursor != "" {
			t.Fatalf("a line after the cursor line: %s", sc.Text())
		}
		if strings.HasPrefix(sc.Text(), `{"cursor":`) {
			if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var r exchange.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs, last.Cursor
}

// TestExportFormats: each format holds the 207 platforms and the cursor.
func TestExportFormats(t *testing.T) {
	h := newHandler(t, nil)
	t.Run("ndjson", func(t *testing.T) {
		cursor, body := export(t, h, "ndjson")
		recs, last := readNDJSON(t, body)
		if len(recs) != 207 || last != cursor {
			t.Fatalf("%d records, last line cursor %q (header %q); want 207 and the same cursor", len(recs), last, cursor)
		}
		if r := recs[0]; r.ExternalID == "" || r.Kind == "" || r.TownshipCode == "" || r.CountyCode == "" || r.Version != 1 {
			t.Errorf("first record: %+v", r)
		}
	})
	t.Run("csv", func(t *testing.T) {
		_, body := export(t, h, "csv")
		rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil || len(rows) != 208 || rows[0][1] != "externalId" {
			t.Fatalf("%d rows (%v), header %v; want a header and 207 rows", len(rows), err, rows[0])
		}
	})
	t.Run("geojson", func(t *testing.T) {
		cursor, body := export(t, h, "geojson")
		var fc struct {
			Type, Cursor string
			Features     []struct {
				Type     string
				Geometry *struct {
					Type        string
					Coordinates []float64
				}
				Properties exchange.Record
			}
		}
		if err := json.Unmarshal(body, &fc); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		unknown := 0
		for _, f := range fc.Features {
			if f.Geometry == nil {
				unknown++
			} else if f.Geometry.Type != "Point" || len(f.Geometry.Coordinates) != 2 {
				t.Errorf("%s: geometry %+v", f.Properties.ExternalID, f.Geometry)
			}
		}
		if fc.Type != "FeatureCollection" || fc.Cursor != cursor || len(fc.Features) != 207 || unknown != 2 {
			t.Errorf("type %q, cursor %q (header %q), %d features, %d without position; want 207 and the 2 liaison groups of townships without a seat",
				fc.Type, fc.Cursor, cursor, len(fc.Features), unknown)
		}
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/export/platforms.xml", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("an unknown format: status %d, want 404", rec.Code)
	}
}

// TestExportContinuesIntoTheFeed: exports taken while a writer updates and
// deletes platforms, brought up to date with the changes after their cursor,
// equal the export taken once the writer has stopped: nothing is lost or
// counted twice between a snapshot and the feed.
func TestExportContinuesIntoTheFeed(t *testing.T) {
	f := newSyncFixture(t)
	ctx := t.Context()
	keys, err := f.db.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := keys[0].Writer() // the fixture's admin
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := f.db.Platforms(ctx, db.PlatformFilter{}, db.Page{First: 500})
	if err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, p := range loaded.Rows {
			select {
			case <-stop:
				return
			default:
			}
			var err error
			if i%5 == 0 {
				_, err = f.db.DeletePlatform(ctx, admin, p.ID, p.Version)
			} else {
				ext, q := p.ExternalID, p.PositionQuality
				_, err = f.db.UpdatePlatform(ctx, admin, p.ID, db.PlatformInput{ExternalID: &ext, Kind: p.Kind,
					Name: p.Name + " *", OrganiserCode: p.OrganiserCode, TownshipCode: p.TownshipCode, HostName: p.HostName,
					HostType: p.HostType, SectorCode: p.SectorCode, Address: p.Address, Lon: p.Lon, Lat: p.Lat,
					PositionQuality: &q, EstablishedOn: p.EstablishedOn, Status: p.Status, Provenance: p.Provenance,
					SourceNote: p.SourceNote}, p.Version)
			}
			if err != nil {
				t.Errorf("write %s: %v", p.ExternalID, err)
				return
			}
		}
	}()
	type snapshot struct {
		cursor   string
		versions map[string]int // externalId → version of the live platforms
	}
	var snaps []snapshot
	for range 20 {
		cursor, body := export(t, f.h, "ndjson")
		recs, _ := readNDJSON(t, body)
		s := snapshot{cursor, map[string]int{}}
		for _, r := range recs {
			s.versions[r.ExternalID] = r.Version
		}
		snaps = append(snaps, s)
	}
	close(stop)
	wg.Wait()

	_, body := export(t, f.h, "ndjson")
	recs, _ := readNDJSON(t, body)
	final := map[string]int{}
	for _, r := range recs {
		final[r.ExternalID] = r.Version
	}
	distinct := map[int]bool{}
	for i, s := range snaps {
		distinct[len(s.versions)] = true
		after, _ := relay.ParseCursor("changes", s.cursor)
		for {
			rows, hasNext, err := f.db.Changes(ctx, db.Page{First: 500, After: after})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range rows {
				if c.DeletedAt != nil {
					delete(s.versions, c.ExternalID)
				} else {
					s.versions[c.ExternalID] = c.Version
				}
				after = strconv.FormatInt(c.Seq, 10)
			}
			if !hasNext {
				break
			}
		}
		if len(s.versions) != len(final) {
			t.Fatalf("export %d brought up to date holds %d platforms, the final export %d", i, len(s.versions), len(final))
		}
		for ext, v := range final {
			if s.versions[ext] != v {
				t.Fatalf("export %d brought up to date has %s at version %d, the final export %d", i, ext, s.versions[ext], v)
			}
		}
	}
	t.Logf("%d exports during the writes, of %d different sizes", len(snaps), len(distinct))
}

// TestExportToAStalledClient: an export to a client that stops reading ends
// once a write has waited ExportWriteTimeout, and gives back its database
// connection and its snapshot.
func TestExportToAStalledClient(t *testing.T) {
	pool := dbtest.NewDB(t)
	// About 19,000 platforms, some megabytes of NDJSON: more than the socket
	// buffers hold.
	if _, err := pool.Exec(t.Context(), `INSERT INTO platform (external_id, kind, name, organiser_code,
		township_code, host_name, host_type, sector_code, address, location, position_quality, established_on,
		status, provenance, source_note)
		SELECT external_id || '-' || g, kind, name, organiser_code, township_code, host_name, host_type,
			sector_code, address, location, position_quality, established_on, status, provenance, source_note
		FROM platform, generate_series(1, 100) g WHERE kind <> 'LIAISON_GROUP'`); err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.ExportWriteTimeout = 500 * time.Millisecond
	srv := httptest.NewServer(server.New(cfg, db.New(pool), slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	if _, err := io.WriteString(conn, "GET /export/platforms.ndjson HTTP/1.1\r\nHost: civicmap\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// The client never reads.

	exporting := func() int {
		var n int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
			AND query LIKE '%ORDER BY p.id'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor := func(what string, within time.Duration, done func() bool) {
		t.Helper()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for deadline := time.After(within); !done(); {
			select {
			case <-tick.C:
			case <-deadline:
				t.Fatalf("not %s within %s (%d connections acquired, %d exports active)",
					what, within, pool.Stat().AcquiredConns(), exporting())
			}
		}
	}
	waitFor("exporting", 5*time.Second, func() bool { return exporting() == 1 })
	waitFor("done with the stalled export", 5*time.Second, func() bool {
		return exporting() == 0 && pool.Stat().AcquiredConns() == 0
	})
}

// TestExportFailingBeforeItsFirstRow: an export whose query fails before it
// has written anything answers a JSON error, not a cut connection.
func TestExportFailingBeforeItsFirstRow(t *testing.T) {
	pool := dbtest.NewDB(t)
	srv := httptest.NewServer(newHandler(t, pool))
	defer srv.Close()
	// The snapshot's cursor is still read; the platforms' query, which joins
	// township, fails.
	if _, err := pool.Exec(t.Context(), `ALTER TABLE township RENAME TO township_away`); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"ndjson", "csv"} {
		resp, err := http.Get(srv.URL + "/export/platforms." + format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		var body struct{ Error, Code string }
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError || err != nil || body.Code != "INTERNAL_SERVER_ERROR" {
			t.Errorf("%s: status %d, body %+v (%v); want 500 and a JSON error", format, resp.StatusCode, body, err)
		}
		if h := resp.Header; h.Get("Content-Type") != "application/json" || h.Get("X-Civicmap-Cursor") != "" || h.Get("Content-Disposition") != "" {
			t.Errorf("%s: headers %v: want those of a JSON error, not of an export", format, h)
		}
	}
}

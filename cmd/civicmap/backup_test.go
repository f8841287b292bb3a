package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/db/pgcluster"
	"civicmap/graph/relay"
)

// The PostgreSQL client programs the README's backup section runs.
var (
	pgDump    = filepath.Join(pgcluster.DefaultBinDir, "pg_dump")
	pgRestore = filepath.Join(pgcluster.DefaultBinDir, "pg_restore")
)

// feedQuery reads a page of the change feed after $after.
const feedQuery = `query($after: String) { changes(after: $after, first: 500) {
	pageInfo { endCursor hasNextPage }
	edges { cursor node { operation externalId version platform { name status } tombstone { externalId version } } } } }`

// feedEdge is one change as feedQuery reads it.
type feedEdge struct {
	Cursor string
	Node   struct {
		Operation  string
		ExternalID string `json:"externalId"`
		Version    int
	}
	Raw json.RawMessage
}

// backupClient writes and reads one server as a client of the API does.
type backupClient struct {
	t      *testing.T
	http   *http.Client
	url    string
	auth   string // Authorization header of an admin key
	inputs map[string]map[string]any
}

// gql posts query with vars and returns its data, failing the test on any error.
func (c *backupClient) gql(query string, vars map[string]any, out any) json.RawMessage {
	c.t.Helper()
	res, err := postGraphQLAs(c.http, c.url, c.auth, query, vars)
	if err != nil || res.Status != http.StatusOK || len(res.Errors) > 0 || !res.hasData() {
		c.t.Fatalf("%s: %v, status %d, body %s", query, err, res.Status, res.Body)
	}
	if out != nil {
		if err := json.Unmarshal(res.Data, out); err != nil {
			c.t.Fatal(err)
		}
	}
	return res.Data
}

// create creates workstation ext in township (its seat, moved 100 m or so)
// and returns its global ID.
func (c *backupClient) create(ext, township string, seat [2]float64) string {
	c.t.Helper()
	in := map[string]any{"externalId": ext, "kind": "WORKSTATION", "name": "备份测试工作站 " + ext,
		"organiserCode": "350400", "townshipCode": township, "hostName": "测试单位", "hostType": "PUBLIC_UNIT",
		"lon": seat[0] + 0.001, "lat": seat[1], "sourceNote": "written by the backup test"}
	c.inputs[ext] = in
	var d struct{ CreatePlatform struct{ ID string } }
	c.gql(`mutation($in: PlatformInput!) { createPlatform(input: $in) { id } }`, map[string]any{"in": in}, &d)
	return d.CreatePlatform.ID
}

// rename updates platform id (ext, now at version v) to a new name.
func (c *backupClient) rename(id, ext string, v int, name string) {
	c.t.Helper()
	c.inputs[ext]["name"] = name
	c.gql(`mutation($id: ID!, $in: PlatformInput!, $v: Int!) { updatePlatform(id: $id, input: $in, expectedVersion: $v) { version } }`,
		map[string]any{"id": id, "in": c.inputs[ext], "v": v}, nil)
}

// delete deletes platform id at version v.
func (c *backupClient) delete(id string, v int) {
	c.t.Helper()
	c.gql(`mutation($id: ID!, $v: Int!) { deletePlatform(id: $id, expectedVersion: $v) { version } }`,
		map[string]any{"id": id, "v": v}, nil)
}

// feedAfter returns every change after cursor ("" for the beginning), page by
// page as a syncing client reads them, and the cursor to poll with next.
func (c *backupClient) feedAfter(cursor string) ([]feedEdge, string) {
	c.t.Helper()
	var all []feedEdge
	for {
		var after any
		if cursor != "" {
			after = cursor
		}
		var d struct {
			Changes struct {
				PageInfo struct {
					EndCursor   string
					HasNextPage bool
				}
				Edges []json.RawMessage
			}
		}
		c.gql(feedQuery, map[string]any{"after": after}, &d)
		for _, raw := range d.Changes.Edges {
			e := feedEdge{Raw: raw}
			if err := json.Unmarshal(raw, &e); err != nil {
				c.t.Fatal(err)
			}
			all = append(all, e)
		}
		cursor = d.Changes.PageInfo.EndCursor
		if !d.Changes.PageInfo.HasNextPage {
			return all, cursor
		}
	}
}

// get returns the body and the headers of GET path.
func (c *backupClient) get(path string) (string, http.Header) {
	c.t.Helper()
	resp, err := c.http.Get(c.url + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: %d, %v", path, resp.StatusCode, err)
	}
	return string(body), resp.Header
}

// backupReads are the reads that must answer the same from a restored backup.
var backupReads = []string{
	`{ platforms(first: 500) { totalCount nodes { id externalId name version status kind lon lat createdAt updatedAt township { code } organiser { code } } } }`,
	`{ coverage(kinds: [WORKSTATION], radiusMetres: 5000) { totals { townships covered uncovered unknownPosition ratio } counties { county { code } totals { covered uncovered } areaRatio } } }`,
	`{ uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 5000, first: 200) { totalCount nodes { township { code } nearest { distanceMetres platform { externalId } } } } }`,
	`{ nearestPlatforms(lon: 117.36, lat: 25.94, kinds: [WORKSTATION], limit: 5) { distanceMetres platform { externalId name } } }`,
	`{ dataset { attribution licence loadedAt } counties { nodes { code name } } }`,
	`{ changes(first: 500) { pageInfo { endCursor } edges { cursor node { operation externalId version changedAt } } } }`,
}

// TestBackupAndRestore is the README's backup story on the real tools: pg_dump
// of a live database, pg_restore into a fresh cluster, the feed advanced past
// what clients may have seen, a server on the copy. The copy answers reads as
// the original did, the API key still writes, and the feed continues from the
// cursors clients held before the dump, with no change missed or repeated.
func TestBackupAndRestore(t *testing.T) {
	src := startApp(t, nil)
	_, token, err := db.New(src.pool).CreateKey(t.Context(), "backup test", db.RoleAdmin, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := func(url string) *backupClient {
		return &backupClient{t: t, http: newClient(), url: url, auth: "Bearer " + token, inputs: map[string]map[string]any{}}
	}
	a := client(src.URL)
	seats := townshipSeats(t, src.Config.DatabaseURL, 3)

	// Writes a client has synced: it holds the feed's end, cursor A.
	id1 := a.create("BK-1", seats[0].code, seats[0].seat)
	_, cursorA := a.feedAfter("")
	// More, then an integrator's export: cursor B, its X-Civicmap-Cursor.
	id2 := a.create("BK-2", seats[1].code, seats[1].seat)
	a.rename(id1, "BK-1", 1, "备份测试工作站 BK-1 改名")
	_, h := a.get("/export/platforms.ndjson")
	cursorB := h.Get("X-Civicmap-Cursor")
	// And more that no client has read yet.
	a.delete(id2, 1)
	id3 := a.create("BK-3", seats[2].code, seats[2].seat)

	// The backup, of the database the server is serving, and what the server
	// answered at that point.
	dump := filepath.Join(t.TempDir(), "civicmap.dump")
	start := time.Now()
	runTool(t, pgDump, "-Fc", "-f", dump, "-d", src.Config.DatabaseURL)
	if fi, err := os.Stat(dump); err == nil {
		t.Logf("pg_dump: %d bytes in %s", fi.Size(), time.Since(start).Round(time.Millisecond))
	}
	var answers []string
	for _, q := range backupReads {
		answers = append(answers, string(a.gql(q, nil, nil)))
	}
	export, exportHeader := a.get("/export/platforms.ndjson")
	layer, layerHeader := a.get("/geojson/platforms")
	feed, _ := a.feedAfter("")

	// A change after the dump, which a client read: lost with the primary.
	a.rename(id1, "BK-1", 2, "备份之后的改动")
	_, cursorLate := a.feedAfter(cursorA)

	// Restore into a fresh cluster, as the README says.
	dst := dbtest.NewCluster(t)
	execSQL(t, dst.ConnString("postgres"), "CREATE DATABASE civicmap")
	url := dst.ConnString("civicmap")
	start = time.Now()
	runTool(t, pgRestore, "--exit-on-error", "-d", url, dump)
	t.Logf("pg_restore: %s", time.Since(start).Round(time.Millisecond))
	execSQL(t, url, advanceFeedSQL)
	b := client(startApp(t, nil, onDatabase(url)).URL)

	for i, q := range backupReads {
		if got := string(b.gql(q, nil, nil)); got != answers[i] {
			t.Errorf("%s\nrestored: %.400s\noriginal: %.400s", q, got, answers[i])
		}
	}
	// The layers' ETag is the data version: the copy's is the original's at
	// the dump, as its data is, so what caches hold stays right.
	for _, c := range []struct {
		path, header, body string
		h                  http.Header
	}{
		{"/export/platforms.ndjson", "X-Civicmap-Cursor", export, exportHeader},
		{"/geojson/platforms", "ETag", layer, layerHeader},
	} {
		body, h := b.get(c.path)
		if body != c.body || h.Get(c.header) != c.h.Get(c.header) || c.h.Get(c.header) == "" {
			t.Errorf("%s: %s %q, want %q; body %.300s\nwant %.300s", c.path, c.header, h.Get(c.header), c.h.Get(c.header), body, c.body)
		}
	}
	if got, _ := b.feedAfter(""); !slices.EqualFunc(got, feed, func(x, y feedEdge) bool { return string(x.Raw) == string(y.Raw) }) {
		t.Fatalf("the restored feed has %d changes, the original had %d at the dump, or they differ", len(got), len(feed))
	}

	// Writes on the copy, with the key made before the backup.
	b.inputs = a.inputs
	b.rename(id3, "BK-3", 1, "恢复之后的改动")
	b.create("BK-4", seats[1].code, seats[1].seat)

	for _, c := range []struct {
		name, cursor string
		want         []string // operation externalId version, in order
	}{
		{"client at A", cursorA, []string{"CREATE BK-2 1", "UPDATE BK-1 2", "DELETE BK-2 2", "CREATE BK-3 1", "UPDATE BK-3 2", "CREATE BK-4 1"}},
		{"export at B", cursorB, []string{"DELETE BK-2 2", "CREATE BK-3 1", "UPDATE BK-3 2", "CREATE BK-4 1"}},
		// It read a change the restore lost: it must export again to see
		// the data as restored, but it misses none of the changes made since.
		{"client past the dump", cursorLate, []string{"UPDATE BK-3 2", "CREATE BK-4 1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			edges, _ := b.feedAfter(c.cursor)
			var got []string
			for i, e := range edges {
				got = append(got, fmt.Sprintf("%s %s %d", e.Node.Operation, e.Node.ExternalID, e.Node.Version))
				if i > 0 && changeSeq(t, e.Cursor) <= changeSeq(t, edges[i-1].Cursor) {
					t.Errorf("cursor %s after %s: not in increasing order", e.Cursor, edges[i-1].Cursor)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("changes after the cursor: %q, want %q", got, c.want)
			}
		})
	}
}

// advanceFeedSQL moves the change feed's numbers past any that the lost
// primary may have given after the dump (README, Back up and restore): a
// number given twice would let a client that read the first skip the second.
const advanceFeedSQL = `SELECT setval('platform_change_seq', (SELECT last_value FROM platform_change_seq) + 1000000)`

// changeSeq is the number of the change a feed cursor points to.
func changeSeq(t *testing.T, cursor string) int64 {
	t.Helper()
	key, ok := relay.ParseCursor("changes", cursor)
	n, err := strconv.ParseInt(key, 10, 64)
	if !ok || err != nil {
		t.Fatalf("cursor %q is not the feed's", cursor)
	}
	return n
}

// townshipSeat is a township's code and seat.
type townshipSeat struct {
	code string
	seat [2]float64
}

// townshipSeats returns n townships of Yong'an with a known seat.
func townshipSeats(t *testing.T, url string, n int) []townshipSeat {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rows, err := conn.Query(t.Context(), `SELECT code, ST_X(seat), ST_Y(seat) FROM township
		WHERE county_code = '350481' AND seat IS NOT NULL ORDER BY code LIMIT $1`, n)
	if err != nil {
		t.Fatal(err)
	}
	var out []townshipSeat
	for rows.Next() {
		var s townshipSeat
		if err := rows.Scan(&s.code, &s.seat[0], &s.seat[1]); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if rows.Err() != nil || len(out) != n {
		t.Fatalf("%d townships (%v), want %d", len(out), rows.Err(), n)
	}
	return out
}

// runTool runs a PostgreSQL client program and fails the test with its output.
func runTool(t *testing.T, bin string, args ...string) {
	t.Helper()
	if out, err := exec.CommandContext(t.Context(), bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(bin), err, out)
	}
}

// execSQL runs one statement on url.
func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

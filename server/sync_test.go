package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/graph/relay"
	"civicmap/server"
)

// The mutations, each selecting what the tests look at.
const (
	createMutation  = `mutation($in: PlatformInput!) { createPlatform(input: $in) { id externalId version name county { code } } }`
	updateMutation  = `mutation($id: ID!, $in: PlatformInput!, $v: Int!) { updatePlatform(id: $id, input: $in, expectedVersion: $v) { id version name } }`
	deleteMutation  = `mutation($id: ID!, $v: Int!) { deletePlatform(id: $id, expectedVersion: $v) { id externalId deletedAt version } }`
	restoreMutation = `mutation($id: ID!, $v: Int!) { restorePlatform(id: $id, expectedVersion: $v) { id version } }`
)

// syncFixture is a fresh loaded database with a handler and one key of each kind.
type syncFixture struct {
	pool *pgxpool.Pool
	db   *db.DB
	h    http.Handler
	// Authorization header values.
	admin, yongan, city, reader, revoked string
}

func newSyncFixture(t *testing.T) *syncFixture {
	t.Helper()
	pool := dbtest.NewDB(t)
	d := db.New(pool)
	f := &syncFixture{pool: pool, db: d,
		h: server.New(server.DefaultConfig(), d, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()}
	f.admin = f.key(t, "admin", db.RoleAdmin, "")
	f.yongan = f.key(t, "永安 editor", db.RoleEditor, "350481")
	f.city = f.key(t, "city editor", db.RoleEditor, "350400")
	f.reader = f.key(t, "reader", db.RoleReader, "")
	f.revoked = f.key(t, "revoked", db.RoleAdmin, "")
	keys, err := d.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.RevokeKey(t.Context(), keys[len(keys)-1].ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// key creates a key and returns its Authorization header value.
func (f *syncFixture) key(t *testing.T, name string, role db.Role, scope string) string {
	t.Helper()
	var s *string
	if scope != "" {
		s = &scope
	}
	_, token, err := f.db.CreateKey(t.Context(), name, role, s)
	if err != nil {
		t.Fatalf("create key %s: %v", name, err)
	}
	return "Bearer " + token
}

// platform is what the tests read of a platform, and its input for an update.
type platform struct {
	ID      string
	Version int
	Input   map[string]any
}

// platformByExternalID reads a live platform and the input that reproduces it.
func (f *syncFixture) platformByExternalID(t *testing.T, externalID string) platform {
	t.Helper()
	var id int64
	if err := f.pool.QueryRow(t.Context(), `SELECT id FROM platform WHERE external_id = $1`, externalID).Scan(&id); err != nil {
		t.Fatalf("platform %s: %v", externalID, err)
	}
	gid := globalID(id)
	var d struct {
		Platform struct {
			Version                                 int
			ExternalID                              string `json:"externalId"`
			Kind, Name, HostName, HostType, Status  string
			Provenance, SourceNote, PositionQuality string
			Address                                 *string
			Lon, Lat                                *float64
			EstablishedOn                           *string
			Organiser, Township                     struct{ Code string }
			Sector                                  *struct{ Code string }
		}
	}
	data(t, f.h, `query($id: ID!) { platform(id: $id) { version externalId kind name hostName hostType status provenance
		sourceNote positionQuality address lon lat establishedOn organiser { code } township { code } sector { code } } }`,
		map[string]any{"id": gid}, &d)
	p := d.Platform
	in := map[string]any{"externalId": p.ExternalID, "kind": p.Kind, "name": p.Name, "organiserCode": p.Organiser.Code,
		"townshipCode": p.Township.Code, "hostName": p.HostName, "hostType": p.HostType, "status": p.Status,
		"provenance": p.Provenance, "sourceNote": p.SourceNote, "positionQuality": p.PositionQuality,
		"address": p.Address, "lon": p.Lon, "lat": p.Lat, "establishedOn": p.EstablishedOn}
	if p.Sector != nil {
		in["sectorCode"] = p.Sector.Code
	}
	return platform{ID: gid, Version: p.Version, Input: in}
}

func globalID(id int64) string { return relay.ID("Platform", strconv.FormatInt(id, 10)) }

// workstation is a valid input for a new workstation 100 m or so from the seat
// of a township.
func (f *syncFixture) workstation(t *testing.T, externalID, townshipCode, organiserCode string) map[string]any {
	t.Helper()
	var lon, lat float64
	if err := f.pool.QueryRow(t.Context(), `SELECT ST_X(seat), ST_Y(seat) FROM township WHERE code = $1`, townshipCode).Scan(&lon, &lat); err != nil {
		t.Fatalf("seat of %s: %v", townshipCode, err)
	}
	return map[string]any{"externalId": externalID, "kind": "WORKSTATION", "name": "测试委员工作站 " + externalID,
		"organiserCode": organiserCode, "townshipCode": townshipCode, "hostName": "测试单位", "hostType": "PUBLIC_UNIT",
		"lon": lon + 0.001, "lat": lat, "sourceNote": "written by a test"}
}

// counts is the number of platforms (deleted included) and of feed rows.
type counts struct{ platforms, changes int }

func (f *syncFixture) counts(t *testing.T) counts {
	t.Helper()
	var c counts
	if err := f.pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM platform), (SELECT count(*) FROM platform_change)`).Scan(&c.platforms, &c.changes); err != nil {
		t.Fatal(err)
	}
	return c
}

// rowState is a platform's row as text, to show that a refused write left it alone.
func (f *syncFixture) rowState(t *testing.T, externalID string) string {
	t.Helper()
	var s string
	if err := f.pool.QueryRow(t.Context(), `SELECT to_jsonb(p)::text FROM platform p WHERE external_id = $1`, externalID).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// with returns a copy of m with the given entries set (a nil value removes one).
func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// TestMutationsNeedAuthority: every mutation, without a key, with a bad,
// malformed or revoked one, a reader key or an editor key outside its scope,
// answers UNAUTHENTICATED or FORBIDDEN and writes nothing.
func TestMutationsNeedAuthority(t *testing.T) {
	f := newSyncFixture(t)
	// Targets in 宁化县 (350424), outside the 永安 editor's scope.
	group := f.platformByExternalID(t, "LG-350424100")
	hall := f.platformByExternalID(t, "SH-0008")
	var tomb struct{ DeletePlatform struct{ Version int } }
	data2(t, f.h, f.admin, deleteMutation, map[string]any{"id": hall.ID, "v": hall.Version}, &tomb)
	// The group's row of a CSV export, edited, as a file to import.
	_, csv := export(t, f.h, "csv")
	lines := strings.SplitAfter(string(csv), "\n")
	var file string
	for _, l := range lines {
		if strings.HasPrefix(l, "LG-350424100,") || strings.Contains(l, ",LG-350424100,") {
			file = lines[0] + strings.Replace(l, ",ACTIVE,", ",SUSPENDED,", 1)
		}
	}
	if file == "" {
		t.Fatal("LG-350424100 is not in the CSV export")
	}

	mutations := []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"create", createMutation, map[string]any{"in": f.workstation(t, "WS-T1", "350424100", "350424")}},
		{"update", updateMutation, map[string]any{"id": group.ID, "v": group.Version, "in": with(group.Input, "name", "改名")}},
		{"delete", deleteMutation, map[string]any{"id": group.ID, "v": group.Version}},
		{"restore", restoreMutation, map[string]any{"id": hall.ID, "v": tomb.DeletePlatform.Version}},
		{"import rows", importMutation, map[string]any{"dry": false, "rows": []map[string]any{
			{"platform": with(group.Input, "name", "改名"), "expectedVersion": group.Version}}}},
		{"import file", importFileMutation, map[string]any{"format": "CSV", "data": file, "dry": false}},
	}
	callers := []struct {
		name, auth, code string
	}{
		{"no key", "", "UNAUTHENTICATED"},
		{"unknown key", "Bearer cmk_thisisnotakey", "UNAUTHENTICATED"},
		{"not a bearer token", "Basic dXNlcjpwYXNz", "UNAUTHENTICATED"},
		{"revoked key", f.revoked, "UNAUTHENTICATED"},
		{"reader key", f.reader, "FORBIDDEN"},
		{"editor out of scope", f.yongan, "FORBIDDEN"},
	}
	before, groupBefore := f.counts(t), f.rowState(t, "LG-350424100")
	for _, m := range mutations {
		for _, c := range callers {
			t.Run(m.name+"/"+c.name, func(t *testing.T) {
				r := postAuth(t, f.h, c.auth, m.query, m.vars)
				if r.code() != c.code {
					t.Fatalf("code %q, want %q: %+v", r.code(), c.code, r.Errors)
				}
				if got := f.counts(t); got != before {
					t.Errorf("counts %+v after a refused write, want %+v", got, before)
				}
			})
		}
	}
	if got := f.rowState(t, "LG-350424100"); got != groupBefore {
		t.Errorf("the target changed:\n%s\nwas\n%s", got, groupBefore)
	}
}

// data2 posts with an Authorization header; the request must succeed.
func data2(t *testing.T, h http.Handler, auth, query string, vars map[string]any, v any) {
	t.Helper()
	r := postAuth(t, h, auth, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("request failed: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data: %v: %s", err, r.Data)
	}
}

// TestWriteLifecycle: an admin and an editor in its scope create, update,
// delete and restore a platform; each write bumps the version, shows in reads
// as it should, and enters the change feed and the audit log under the key.
func TestWriteLifecycle(t *testing.T) {
	f := newSyncFixture(t)
	for _, c := range []struct {
		name, auth, township, organiser string
	}{
		{"admin", f.admin, "350424100", "350424"},
		{"county editor", f.yongan, "350481100", "350481"},
		{"county editor, city organiser", f.yongan, "350481100", "350400"},
		{"city editor", f.city, "350424101", "350400"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ext := "WS-T-" + c.township + "-" + c.organiser
			var created struct {
				CreatePlatform struct {
					ID, ExternalID, Name string
					Version              int
					County               struct{ Code string }
				}
			}
			in := f.workstation(t, ext, c.township, c.organiser)
			data2(t, f.h, c.auth, createMutation, map[string]any{"in": in}, &created)
			p := created.CreatePlatform
			if p.Version != 1 || p.ExternalID != ext || p.County.Code != c.township[:6] {
				t.Fatalf("created %+v", p)
			}

			var updated struct {
				UpdatePlatform struct {
					Version int
					Name    string
				}
			}
			data2(t, f.h, c.auth, updateMutation, map[string]any{"id": p.ID, "v": 1, "in": with(in, "name", "新名字")}, &updated)
			if updated.UpdatePlatform.Version != 2 || updated.UpdatePlatform.Name != "新名字" {
				t.Fatalf("updated %+v", updated.UpdatePlatform)
			}

			var deleted struct {
				DeletePlatform struct {
					ID, ExternalID, DeletedAt string
					Version                   int
				}
			}
			data2(t, f.h, c.auth, deleteMutation, map[string]any{"id": p.ID, "v": 2}, &deleted)
			if d := deleted.DeletePlatform; d.Version != 3 || d.ID != p.ID || d.ExternalID != ext || d.DeletedAt == "" {
				t.Fatalf("deleted %+v", d)
			}
			if r := post(t, f.h, `query($id: ID!) { platform(id: $id) { id } }`, map[string]any{"id": p.ID}); r.code() != "NOT_FOUND" {
				t.Errorf("a deleted platform is still read: %+v %s", r.Errors, r.Data)
			}
			var listed struct {
				Township struct {
					Platforms struct{ Nodes []struct{ ExternalID string } }
				}
			}
			data(t, f.h, `query($c: String!) { township(code: $c) { platforms(first: 500) { nodes { externalId } } } }`,
				map[string]any{"c": c.township}, &listed)
			for _, n := range listed.Township.Platforms.Nodes {
				if n.ExternalID == ext {
					t.Errorf("a deleted platform is still listed in its township")
				}
			}

			var restored struct{ RestorePlatform struct{ Version int } }
			data2(t, f.h, c.auth, restoreMutation, map[string]any{"id": p.ID, "v": 3}, &restored)
			if restored.RestorePlatform.Version != 4 {
				t.Fatalf("restored %+v", restored.RestorePlatform)
			}

			rows, err := f.pool.Query(t.Context(), `SELECT c.operation, c.version, c.actor, c.api_key_id IS NOT NULL,
				c.before->>'name', c.after->>'name'
				FROM platform_change c JOIN platform p ON p.id = c.platform_id WHERE p.external_id = $1 ORDER BY c.seq`, ext)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var op, actor string
				var version int
				var byKey bool
				var before, after *string
				if err := rows.Scan(&op, &version, &actor, &byKey, &before, &after); err != nil {
					t.Fatal(err)
				}
				if !byKey || actor == "" {
					t.Errorf("%s v%d: actor %q, key recorded %v", op, version, actor, byKey)
				}
				got = append(got, fmt.Sprintf("%s v%d %s→%s", op, version, deref(before), deref(after)))
			}
			want := []string{
				"CREATE v1 →测试委员工作站 " + ext,
				"UPDATE v2 测试委员工作站 " + ext + "→新名字",
				"DELETE v3 新名字→新名字",
				"RESTORE v4 新名字→新名字",
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("audit:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestStaleVersionConflicts: a write with an old expectedVersion answers
// CONFLICT with the current version and writes nothing.
func TestStaleVersionConflicts(t *testing.T) {
	f := newSyncFixture(t)
	p := f.platformByExternalID(t, "LG-350481100")
	var updated struct{ UpdatePlatform struct{ Version int } }
	data2(t, f.h, f.yongan, updateMutation, map[string]any{"id": p.ID, "v": p.Version, "in": with(p.Input, "name", "第一次")}, &updated)
	current := updated.UpdatePlatform.Version

	before, row := f.counts(t), f.rowState(t, "LG-350481100")
	for _, c := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"update", updateMutation, map[string]any{"id": p.ID, "v": p.Version, "in": with(p.Input, "name", "第二次")}},
		{"delete", deleteMutation, map[string]any{"id": p.ID, "v": p.Version}},
		{"update ahead", updateMutation, map[string]any{"id": p.ID, "v": current + 5, "in": p.Input}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := postAuth(t, f.h, f.yongan, c.query, c.vars)
			if r.code() != "CONFLICT" {
				t.Fatalf("code %q, want CONFLICT: %+v", r.code(), r.Errors)
			}
			if v, _ := r.Errors[0].Extensions["currentVersion"].(float64); int(v) != current {
				t.Errorf("extensions.currentVersion %v, want %d", r.Errors[0].Extensions["currentVersion"], current)
			}
			if got := f.counts(t); got != before {
				t.Errorf("counts %+v, want %+v", got, before)
			}
			if got := f.rowState(t, "LG-350481100"); got != row {
				t.Errorf("row changed:\n%s\nwas\n%s", got, row)
			}
		})
	}
}

// TestWriteValidation: every rule refuses its bad input with BAD_USER_INPUT
// (or CONFLICT for a taken value) naming the field, and writes nothing.
func TestWriteValidation(t *testing.T) {
	f := newSyncFixture(t)
	ws := f.workstation(t, "WS-V1", "350481100", "350481")
	group := f.platformByExternalID(t, "LG-350481100")
	hall := f.platformByExternalID(t, "SH-0001") // 民盟, 永安
	for _, c := range []struct {
		name, field, code string
		in                map[string]any
		update            *platform // nil: create
	}{
		{"outside Sanming (Fuzhou)", "input.lon", "BAD_USER_INPUT", with(ws, "lon", 119.30, "lat", 26.08), nil},
		{"longitude off the globe", "input.lon", "BAD_USER_INPUT", with(ws, "lon", 200.0), nil},
		{"latitude off the globe", "input.lat", "BAD_USER_INPUT", with(ws, "lat", -91.0), nil},
		{"lat without lon", "input.lat", "BAD_USER_INPUT", with(ws, "lon", nil), nil},
		{"UNKNOWN with a position", "input.positionQuality", "BAD_USER_INPUT", with(ws, "positionQuality", "UNKNOWN"), nil},
		{"REAL without a position", "input.positionQuality", "BAD_USER_INPUT", with(ws, "lon", nil, "lat", nil, "positionQuality", "REAL"), nil},
		{"point in another township", "input.townshipCode", "BAD_USER_INPUT", with(ws, "townshipCode", "350424100", "organiserCode", "350400"), nil},
		{"outsideSanming: a point in Sanming in another township", "input.townshipCode", "BAD_USER_INPUT",
			with(ws, "townshipCode", "350424100", "organiserCode", "350400", "outsideSanming", true), nil},
		{"unknown township", "input.townshipCode", "BAD_USER_INPUT", with(ws, "townshipCode", "350481999"), nil},
		{"malformed township", "input.townshipCode", "BAD_USER_INPUT", with(ws, "townshipCode", "35048"), nil},
		{"unknown organiser", "input.organiserCode", "BAD_USER_INPUT", with(ws, "organiserCode", "350499"), nil},
		{"organiser of another county", "input.organiserCode", "BAD_USER_INPUT", with(ws, "organiserCode", "350424"), nil},
		{"hall without a sector", "input.sectorCode", "BAD_USER_INPUT", with(ws, "kind", "SECTOR_HALL"), nil},
		{"workstation with a sector", "input.sectorCode", "BAD_USER_INPUT", with(ws, "sectorCode", "MINMENG"), nil},
		{"unknown sector", "input.sectorCode", "BAD_USER_INPUT", with(ws, "kind", "SECTOR_HALL", "sectorCode", "NOSUCH"), nil},
		{"empty name", "input.name", "BAD_USER_INPUT", with(ws, "name", " "), nil},
		{"no external ID", "input.externalId", "BAD_USER_INPUT", with(ws, "externalId", nil), nil},
		{"malformed external ID", "input.externalId", "BAD_USER_INPUT", with(ws, "externalId", "WS 1"), nil},
		{"taken external ID", "input.externalId", "CONFLICT", with(ws, "externalId", "WS-0001"), nil},
		{"second liaison group", "input.townshipCode", "CONFLICT", with(ws, "externalId", "LG-X", "kind", "LIAISON_GROUP", "hostType", "TOWNSHIP"), nil},
		{"update: outside Sanming", "input.lon", "BAD_USER_INPUT", with(group.Input, "lon", 119.30, "lat", 26.08), &group},
		{"update: changed external ID", "input.externalId", "BAD_USER_INPUT", with(group.Input, "externalId", "LG-OTHER"), &group},
		{"update: hall loses its sector", "input.sectorCode", "BAD_USER_INPUT", with(hall.Input, "sectorCode", nil), &hall},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := f.counts(t)
			query, vars := createMutation, map[string]any{"in": c.in}
			if c.update != nil {
				query, vars = updateMutation, map[string]any{"id": c.update.ID, "v": c.update.Version, "in": c.in}
			}
			r := postAuth(t, f.h, f.admin, query, vars)
			if r.code() != c.code {
				t.Fatalf("code %q, want %s: %+v", r.code(), c.code, r.Errors)
			}
			if got := r.Errors[0].Extensions["field"]; got != c.field {
				t.Errorf("field %v, want %s: %s", got, c.field, r.Errors[0].Message)
			}
			if got := f.counts(t); got != before {
				t.Errorf("counts %+v, want %+v", got, before)
			}
		})
	}
	t.Run("outsideSanming accepts a point outside every county", func(t *testing.T) {
		var created struct{ CreatePlatform struct{ Version int } }
		data2(t, f.h, f.admin, createMutation, map[string]any{"in": with(ws, "lon", 119.30, "lat", 26.08, "outsideSanming", true)}, &created)
		if created.CreatePlatform.Version != 1 {
			t.Errorf("created %+v", created.CreatePlatform)
		}
	})
}

// TestChangeFeed: a reader starting from the beginning receives the 207 loaded
// platforms, then each write, with tombstones for deletes; an empty page keeps
// its cursor.
func TestChangeFeed(t *testing.T) {
	f := newSyncFixture(t)
	const feedQuery = `query($after: String) { changes(after: $after, first: 100) {
		pageInfo { hasNextPage endCursor }
		nodes { operation version externalId platformId platform { externalId version } tombstone { id externalId version deletedAt } } } }`
	type change struct {
		Operation, ExternalID, PlatformID string
		Version                           int
		Platform                          *struct {
			ExternalID string
			Version    int
		}
		Tombstone *struct {
			ID, ExternalID, DeletedAt string
			Version                   int
		}
	}
	var cursor any
	read := func() []change {
		var all []change
		for {
			var d struct {
				Changes struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
					Nodes []change
				}
			}
			data(t, f.h, feedQuery, map[string]any{"after": cursor}, &d)
			all = append(all, d.Changes.Nodes...)
			if d.Changes.PageInfo.EndCursor == "" {
				t.Fatal("endCursor is empty")
			}
			cursor = d.Changes.PageInfo.EndCursor
			if !d.Changes.PageInfo.HasNextPage {
				return all
			}
		}
	}
	first := read()
	seen := map[string]bool{}
	for _, c := range first {
		if c.Operation != "CREATE" || c.Version != 1 || c.Platform == nil || c.Tombstone != nil || seen[c.ExternalID] {
			t.Fatalf("a loaded platform's change: %+v", c)
		}
		seen[c.ExternalID] = true
	}
	if len(seen) != 207 {
		t.Fatalf("the feed starts with %d platforms, want 207", len(seen))
	}
	var actors int
	if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM platform_change WHERE actor = 'load'`).Scan(&actors); err != nil || actors != 207 {
		t.Errorf("changes by the loader: %d (%v), want 207", actors, err)
	}
	if again := read(); len(again) != 0 {
		t.Errorf("polling with endCursor again gave %d changes, want 0", len(again))
	}

	p := f.platformByExternalID(t, "WS-0001")
	data2(t, f.h, f.admin, updateMutation, map[string]any{"id": p.ID, "v": p.Version, "in": with(p.Input, "name", "改")}, &struct{}{})
	data2(t, f.h, f.admin, deleteMutation, map[string]any{"id": p.ID, "v": p.Version + 1}, &struct{}{})
	got := read()
	if len(got) != 2 {
		t.Fatalf("after two writes the feed gave %+v", got)
	}
	if u := got[0]; u.Operation != "UPDATE" || u.Version != p.Version+1 || u.Platform == nil || u.Platform.Version != u.Version || u.Tombstone != nil {
		t.Errorf("update: %+v", u)
	}
	if d := got[1]; d.Operation != "DELETE" || d.Platform != nil || d.Tombstone == nil ||
		d.Tombstone.ID != p.ID || d.PlatformID != p.ID || d.Tombstone.ExternalID != "WS-0001" || d.Tombstone.Version != p.Version+2 {
		t.Errorf("delete: %+v (tombstone %+v)", d, d.Tombstone)
	}
}

// TestMutationOverGETIsRefused: GraphQL over HTTP forbids mutations over GET
// (405), before any key is looked up; queries over GET still work.
func TestMutationOverGETIsRefused(t *testing.T) {
	f := newSyncFixture(t)
	p := f.platformByExternalID(t, "WS-0001")
	for _, c := range []struct {
		name, query, operation string
		status                 int
	}{
		{"mutation", fmt.Sprintf(`mutation { deletePlatform(id: %q, expectedVersion: %d) { id } }`, p.ID, p.Version), "", http.StatusMethodNotAllowed},
		{"named mutation among queries", fmt.Sprintf(`query Q { dataset { licence } } mutation M { deletePlatform(id: %q, expectedVersion: %d) { id } }`, p.ID, p.Version), "M", http.StatusMethodNotAllowed},
		{"query", `{ dataset { licence } }`, "", http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := url.Values{"query": {c.query}}
			if c.operation != "" {
				q.Set("operationName", c.operation)
			}
			req := httptest.NewRequest(http.MethodGet, "/graphql?"+q.Encode(), nil)
			req.Header.Set("Authorization", f.admin)
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			if c.status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != "POST" {
				t.Errorf("Allow %q, want POST", rec.Header().Get("Allow"))
			}
		})
	}
	if got := f.platformByExternalID(t, "WS-0001"); got.Version != p.Version {
		t.Errorf("a GET mutation wrote: version %d, was %d", got.Version, p.Version)
	}
}

// TestReadsAreOpen: reads need no key, and a bad key does not break them.
func TestReadsAreOpen(t *testing.T) {
	f := newSyncFixture(t)
	for _, auth := range []string{"", "Bearer nonsense", f.revoked} {
		var d struct{ Dataset struct{ Licence string } }
		data2(t, f.h, auth, `{ dataset { licence } }`, nil, &d)
		if d.Dataset.Licence == "" {
			t.Errorf("auth %q: no licence", auth)
		}
	}
}

// TestScopeHoldsBeforeAndAfter: an editor may neither pull a platform into its
// scope nor push one out of it; the first is refused by the scope in the
// UPDATE's WHERE alone.
func TestScopeHoldsBeforeAndAfter(t *testing.T) {
	f := newSyncFixture(t)
	outside := f.platformByExternalID(t, "WS-0001") // not in 永安
	inside := f.platformByExternalID(t, "LG-350481100")
	if outside.Input["organiserCode"] == "350481" {
		t.Fatalf("WS-0001 is organised by 永安; pick another platform outside the scope")
	}
	moveIn := with(outside.Input, "kind", "WORKSTATION", "sectorCode", nil, "organiserCode", "350481",
		"townshipCode", "350481100", "lon", (*inside.Input["lon"].(*float64))+0.001, "lat", inside.Input["lat"])
	moveOut := with(inside.Input, "kind", "WORKSTATION", "organiserCode", "350424", "townshipCode", "350424100",
		"lon", 116.654, "lat", 26.264)
	before := f.counts(t)
	for _, c := range []struct {
		name string
		p    platform
		in   map[string]any
	}{
		{"into the scope", outside, moveIn},
		{"out of the scope", inside, moveOut},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := postAuth(t, f.h, f.yongan, updateMutation, map[string]any{"id": c.p.ID, "v": c.p.Version, "in": c.in})
			if r.code() != "FORBIDDEN" {
				t.Fatalf("code %q, want FORBIDDEN: %+v", r.code(), r.Errors)
			}
		})
	}
	if got := f.counts(t); got != before {
		t.Errorf("counts %+v, want %+v", got, before)
	}
	// The same move by an admin is allowed: the refusal was the scope's.
	data2(t, f.h, f.admin, updateMutation, map[string]any{"id": outside.ID, "v": outside.Version, "in": moveIn}, &struct{}{})
}

// TestWritesToMissingPlatforms: unknown, deleted (for update and delete) and
// live (for restore) platforms are NOT_FOUND; an ID that is not a platform's
// is BAD_USER_INPUT.
func TestWritesToMissingPlatforms(t *testing.T) {
	f := newSyncFixture(t)
	p := f.platformByExternalID(t, "WS-0002")
	live := f.platformByExternalID(t, "WS-0003")
	var tomb struct{ DeletePlatform struct{ Version int } }
	data2(t, f.h, f.admin, deleteMutation, map[string]any{"id": p.ID, "v": p.Version}, &tomb)
	v := tomb.DeletePlatform.Version
	for _, c := range []struct {
		name, query, code string
		vars              map[string]any
	}{
		{"update unknown", updateMutation, "NOT_FOUND", map[string]any{"id": globalID(99999), "v": 1, "in": p.Input}},
		{"update deleted", updateMutation, "NOT_FOUND", map[string]any{"id": p.ID, "v": v, "in": p.Input}},
		{"delete deleted", deleteMutation, "NOT_FOUND", map[string]any{"id": p.ID, "v": v}},
		{"restore live", restoreMutation, "NOT_FOUND", map[string]any{"id": live.ID, "v": live.Version}},
		{"delete a county", deleteMutation, "BAD_USER_INPUT", map[string]any{"id": relay.ID("County", "350481"), "v": 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if r := postAuth(t, f.h, f.admin, c.query, c.vars); r.code() != c.code {
				t.Errorf("code %q, want %s: %+v", r.code(), c.code, r.Errors)
			}
		})
	}
}

// TestRestoreSecondLiaisonGroupConflicts: a deleted liaison group can be
// replaced, and then restoring it would make two: CONFLICT, nothing written.
func TestRestoreSecondLiaisonGroupConflicts(t *testing.T) {
	f := newSyncFixture(t)
	old := f.platformByExternalID(t, "LG-350481100")
	var tomb struct{ DeletePlatform struct{ Version int } }
	data2(t, f.h, f.yongan, deleteMutation, map[string]any{"id": old.ID, "v": old.Version}, &tomb)
	data2(t, f.h, f.yongan, createMutation, map[string]any{"in": with(old.Input, "externalId", "LG-350481100-NEW")}, &struct{}{})
	before := f.counts(t)
	r := postAuth(t, f.h, f.yongan, restoreMutation, map[string]any{"id": old.ID, "v": tomb.DeletePlatform.Version})
	if r.code() != "CONFLICT" || r.Errors[0].Extensions["field"] != "id" {
		t.Fatalf("code %q, want CONFLICT on id: %+v", r.code(), r.Errors)
	}
	if got := f.counts(t); got != before {
		t.Errorf("counts %+v, want %+v", got, before)
	}
}

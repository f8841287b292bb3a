package server_test

import (
	"bytes"
	"strings"
	"testing"

	"civicmap/exchange"
)

const importMutation = `mutation($rows: [PlatformImport!]!, $dry: Boolean!) {
	importPlatforms(rows: $rows, dryRun: $dry) { created updated unchanged dryRun } }`

// importRows turns the records of an NDJSON export into importPlatforms rows.
func importRows(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	rows, err := exchange.ReadAll("ndjson", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		p := r.Platform
		in := map[string]any{"externalId": p.ExternalID, "kind": p.Kind, "name": p.Name, "organiserCode": p.OrganiserCode,
			"townshipCode": p.TownshipCode, "hostName": p.HostName, "hostType": p.HostType, "sectorCode": p.SectorCode,
			"address": p.Address, "lon": p.Lon, "lat": p.Lat, "positionQuality": p.PositionQuality,
			"status": p.Status, "provenance": p.Provenance, "sourceNote": p.SourceNote}
		if p.EstablishedOn != nil {
			in["establishedOn"] = p.EstablishedOn.Format("2006-01-02")
		}
		out[i] = map[string]any{"platform": in, "expectedVersion": r.ExpectedVersion}
	}
	return out
}

type importReport struct {
	Created, Updated, Unchanged int
	DryRun                      bool
}

// TestImportPlatforms: an export imported back changes nothing; edits and a
// new platform import all together, in a dry run without writing; one bad row,
// a stale version or a row out of the key's scope fails the whole import and
// writes nothing.
func TestImportPlatforms(t *testing.T) {
	f := newSyncFixture(t)
	_, body := export(t, f.h, "ndjson")
	rows := importRows(t, body)
	if len(rows) != 207 {
		t.Fatalf("%d rows from the export", len(rows))
	}
	edit := func(i int, kv ...any) map[string]any {
		return map[string]any{"platform": with(rows[i]["platform"].(map[string]any), kv...), "expectedVersion": rows[i]["expectedVersion"]}
	}
	edited := append([]map[string]any{}, rows...)
	edited[3] = edit(3, "name", "导入改名 3")
	edited[150] = edit(150, "status", "SUSPENDED")
	edited = append(edited, map[string]any{"platform": f.workstation(t, "WS-IMPORT-1", "350481100", "350481")})

	before := f.counts(t)
	for _, c := range []struct {
		name string
		auth string
		rows []map[string]any
		dry  bool
		want importReport
	}{
		{"the export as it is", f.admin, rows, false, importReport{Unchanged: 207}},
		{"edits, dry run", f.admin, edited, true, importReport{Created: 1, Updated: 2, Unchanged: 205, DryRun: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d struct{ ImportPlatforms importReport }
			data2(t, f.h, c.auth, importMutation, map[string]any{"rows": c.rows, "dry": c.dry}, &d)
			if d.ImportPlatforms != c.want {
				t.Errorf("report %+v, want %+v", d.ImportPlatforms, c.want)
			}
			if got := f.counts(t); got != before {
				t.Errorf("counts %+v, want %+v: nothing may be written", got, before)
			}
		})
	}

	refused := append([]map[string]any{}, edited...)
	refused[10] = edit(10, "lon", 119.30, "lat", 26.08)
	stale := append([]map[string]any{}, edited...)
	stale[4] = map[string]any{"platform": rows[4]["platform"], "expectedVersion": 7}
	stale[4]["platform"] = with(stale[4]["platform"].(map[string]any), "name", "过期")
	for _, c := range []struct {
		name, auth, code, field string
		rows                    []map[string]any
	}{
		{"no key", "", "UNAUTHENTICATED", "", edited},
		{"reader", f.reader, "FORBIDDEN", "", edited},
		{"editor out of scope", f.yongan, "FORBIDDEN", "", edited},
		{"a row outside Sanming", f.admin, "BAD_USER_INPUT", "rows[10].platform.lon", refused},
		{"a stale version", f.admin, "CONFLICT", "rows[4].expectedVersion", stale},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := postAuth(t, f.h, c.auth, importMutation, map[string]any{"rows": c.rows, "dry": false})
			if r.code() != c.code {
				t.Fatalf("code %q, want %s: %+v", r.code(), c.code, r.Errors)
			}
			if c.field != "" && r.Errors[0].Extensions["field"] != c.field {
				t.Errorf("field %v, want %s: %s", r.Errors[0].Extensions["field"], c.field, r.Errors[0].Message)
			}
			if got := f.counts(t); got != before {
				t.Errorf("counts %+v, want %+v: nothing may be written", got, before)
			}
		})
	}

	var d struct{ ImportPlatforms importReport }
	data2(t, f.h, f.admin, importMutation, map[string]any{"rows": edited, "dry": false}, &d)
	if want := (importReport{Created: 1, Updated: 2, Unchanged: 205}); d.ImportPlatforms != want {
		t.Errorf("report %+v, want %+v", d.ImportPlatforms, want)
	}
	if got, want := f.counts(t), (counts{before.platforms + 1, before.changes + 3}); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	if p := f.platformByExternalID(t, "WS-IMPORT-1"); p.Version != 1 {
		t.Errorf("the imported platform: %+v", p)
	}
}

const importFileMutation = `mutation($format: ImportFormat!, $data: String!, $dry: Boolean!) {
	importPlatformFile(format: $format, data: $data, dryRun: $dry) { created updated unchanged dryRun } }`

// TestImportPlatformFile: a file in the request imports as its rows do; one
// that cannot be read is BAD_USER_INPUT on `data` naming the line; a bad row
// names its row and line; a file over the body limit is refused saying what
// to do instead.
func TestImportPlatformFile(t *testing.T) {
	f := newSyncFixture(t)
	_, body := export(t, f.h, "csv")
	lines := strings.SplitAfter(string(body), "\n")
	small := strings.Join(lines[:21], "") // the header and 20 platforms
	edited := strings.Replace(small, ",ACTIVE,", ",SUSPENDED,", 1)
	var d struct{ ImportPlatformFile importReport }
	data2(t, f.h, f.admin, importFileMutation, map[string]any{"format": "CSV", "data": edited, "dry": true}, &d)
	if want := (importReport{Updated: 1, Unchanged: 19, DryRun: true}); d.ImportPlatformFile != want {
		t.Errorf("report %+v, want %+v", d.ImportPlatformFile, want)
	}
	before := f.counts(t)
	for _, c := range []struct {
		name, format, data, field, message string
	}{
		{"not CSV", "CSV", strings.Replace(small, ",ACTIVE,", `,"ACTIVE,`, 1), "data", "not valid CSV"},
		{"NDJSON said to be GeoJSON", "GEOJSON", `{"externalId":"x"}`, "data", "want a GeoJSON FeatureCollection"},
		{"a bad row", "CSV", strings.Replace(small, ",3504", ",9994", 1) /* the first organiser code */, "rows[0].platform.organiserCode", "rows[0] (line 2,"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := postAuth(t, f.h, f.admin, importFileMutation, map[string]any{"format": c.format, "data": c.data, "dry": false})
			if r.code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != c.field || !strings.Contains(r.Errors[0].Message, c.message) {
				t.Errorf("got %+v, want BAD_USER_INPUT on %s saying %q", r.Errors, c.field, c.message)
			}
			if got := f.counts(t); got != before {
				t.Errorf("counts %+v, want %+v", got, before)
			}
		})
	}
	big := strings.Repeat(string(body), 3)
	r := postAuth(t, f.h, f.admin, importFileMutation, map[string]any{"format": "CSV", "data": big, "dry": true})
	if r.Status != 413 || r.code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "civicmap import FILE") {
		t.Errorf("a %d KiB file: status %d, %+v", len(big)>>10, r.Status, r.Errors)
	}
}

// TestImportOutsideSanmingBack: an export holding a platform created with
// outsideSanming, which the export does not carry, imports back: unchanged, and
// with an edit that keeps its position, as an update.
func TestImportOutsideSanmingBack(t *testing.T) {
	f := newSyncFixture(t)
	ws := with(f.workstation(t, "WS-FUZHOU", "350481100", "350481"), "lon", 119.30, "lat", 26.08, "outsideSanming", true)
	data2(t, f.h, f.admin, createMutation, map[string]any{"in": ws}, &struct{}{})
	_, body := export(t, f.h, "ndjson")
	rows := importRows(t, body)
	edited := append([]map[string]any{}, rows...)
	for i, r := range rows {
		if p := r["platform"].(map[string]any); *p["externalId"].(*string) == "WS-FUZHOU" {
			edited[i] = map[string]any{"platform": with(p, "name", "福州联络点"), "expectedVersion": r["expectedVersion"]}
		}
	}
	before := f.counts(t)
	for _, c := range []struct {
		name string
		rows []map[string]any
		dry  bool
		want importReport
	}{
		{"dry run", rows, true, importReport{Unchanged: 208, DryRun: true}},
		{"for real", rows, false, importReport{Unchanged: 208}},
		{"an edit keeping the position", edited, true, importReport{Updated: 1, Unchanged: 207, DryRun: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d struct{ ImportPlatforms importReport }
			data2(t, f.h, f.admin, importMutation, map[string]any{"rows": c.rows, "dry": c.dry}, &d)
			if d.ImportPlatforms != c.want {
				t.Errorf("report %+v, want %+v", d.ImportPlatforms, c.want)
			}
			if got := f.counts(t); got != before {
				t.Errorf("counts %+v, want %+v: nothing may be written", got, before)
			}
		})
	}
}

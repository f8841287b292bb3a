package server_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/vektah/gqlparser/v2/ast"

	"civicmap/graph"
)

// TestBadInputSweepWrites is TestBadInputSweep for the mutations, sent with an
// admin's key, which may write: every argument, and every field of an input
// object, given each bad value while the rest stay valid, gets an error with
// a code, within a second, and leaves the database as it was. At the end, the
// valid values alone write, so the bad value was what each refusal was for.
func TestBadInputSweepWrites(t *testing.T) {
	f := newSyncFixture(t)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	good := f.goodWrites(t)
	before := f.state(t)
	for _, m := range schema.Mutation.Fields {
		valid, ok := good[m.Name]
		if !ok {
			t.Fatalf("the sweep has no valid arguments for mutation %s: add them to goodWrites", m.Name)
		}
		for name, vars := range spoiltWrites(schema, m, valid) {
			t.Run(m.Name+"/"+name, func(t *testing.T) {
				doc := sweepDocument(schema, "mutation", m, vars)
				wantRefused(t, func() result { return postAuth(t, f.h, f.admin, doc, vars) })
				if after := f.state(t); after != before {
					t.Fatalf("a refused write changed the database:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}
	for _, name := range []string{"createPlatform", "importPlatforms", "importPlatformFile", "updatePlatform", "restorePlatform", "deletePlatform"} {
		m := schema.Mutation.Fields.ForName(name)
		if r := postAuth(t, f.h, f.admin, sweepDocument(schema, "mutation", m, good[name]), good[name]); len(r.Errors) > 0 {
			t.Errorf("%s with the sweep's valid arguments: %+v", name, r.Errors)
		}
	}
}

// goodWrites are valid arguments for each mutation, by name: a new
// workstation (one for each way to create), an update and a delete of live
// ones at their versions, and a restore of one deleted here. Each would succeed
// on its own.
func (f *syncFixture) goodWrites(t *testing.T) map[string]map[string]any {
	t.Helper()
	rows, err := f.pool.Query(t.Context(), `SELECT external_id FROM platform WHERE kind = 'WORKSTATION' ORDER BY external_id LIMIT 3`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(ids) < 3 {
		t.Fatalf("three workstations: %v %v", ids, err)
	}
	p, q, d := f.platformByExternalID(t, ids[0]), f.platformByExternalID(t, ids[1]), f.platformByExternalID(t, ids[2])
	var tomb struct{ DeletePlatform struct{ Version int } }
	data2(t, f.h, f.admin, deleteMutation, map[string]any{"id": d.ID, "v": d.Version}, &tomb)
	record := with(f.workstation(t, "WS-SWEEP-FILE", "350481100", "350481"), "status", "ACTIVE", "provenance", "REAL", "positionQuality", "REAL")
	line, err := json.Marshal(record)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]map[string]any{
		"createPlatform":     {"input": f.workstation(t, "WS-SWEEP", "350481100", "350481")},
		"updatePlatform":     {"id": p.ID, "input": p.Input, "expectedVersion": p.Version},
		"deletePlatform":     {"id": q.ID, "expectedVersion": q.Version},
		"restorePlatform":    {"id": d.ID, "expectedVersion": tomb.DeletePlatform.Version},
		"importPlatforms":    {"rows": []any{map[string]any{"platform": f.workstation(t, "WS-SWEEP-ROW", "350481100", "350481")}}},
		"importPlatformFile": {"format": "NDJSON", "data": string(line) + "\n"},
	}
}

// spoiltWrites are the variables of mutation m with one value spoilt each,
// by a name for the case: each argument given each bad value, and each field
// of an input object argument given each bad value of its type.
func spoiltWrites(schema *ast.Schema, m *ast.FieldDefinition, valid map[string]any) map[string]map[string]any {
	cases := map[string]map[string]any{}
	for _, a := range m.Arguments {
		for name, bad := range badValues(schema, m.Name, a.Name, a.Type) {
			vars := maps.Clone(valid)
			vars[a.Name] = bad
			cases[a.Name+"/"+name] = vars
		}
		def := schema.Types[a.Type.Name()]
		if def.Kind != ast.InputObject {
			continue
		}
		for _, field := range def.Fields {
			for name, bad := range badValues(schema, m.Name, field.Name, field.Type) {
				if freeText[field.Name] && strings.HasPrefix(name, "the string") {
					continue // "NaN" is a fine name
				}
				vars := maps.Clone(valid)
				vars[a.Name] = withField(valid[a.Name], field.Name, bad)
				cases[a.Name+"."+field.Name+"/"+name] = vars
			}
		}
	}
	return cases
}

// withField is a copy of v, an input object or a list of them, with field
// set to bad in the object or in the list's first.
func withField(v any, field string, bad any) any {
	if list, ok := v.([]any); ok {
		out := slices.Clone(list)
		out[0] = withField(list[0], field, bad)
		return out
	}
	in := maps.Clone(v.(map[string]any))
	in[field] = bad
	return in
}

// freeText are the input fields of free text, where any string that is not
// too long is valid.
var freeText = map[string]bool{"externalId": true, "name": true, "hostName": true, "address": true, "sourceNote": true}

// state is every platform row, the change feed and the data version as
// text: a write that changed anything changes it.
func (f *syncFixture) state(t *testing.T) string {
	t.Helper()
	var s string
	err := f.pool.QueryRow(t.Context(), `SELECT concat_ws(' ',
		(SELECT md5(string_agg(to_jsonb(p)::text, ',' ORDER BY id)) FROM platform p),
		(SELECT count(*) FROM platform_change), (SELECT count(*) FROM change_queue))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	version, err := f.db.DataVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return s + " " + version
}

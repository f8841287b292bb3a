package server_test

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"
)

// TestEnumsAreCaseExact: an enum value the schema does not define is refused
// in every position, with BAD_USER_INPUT naming the variable, the value and
// the values allowed. Before, wrong-case values in variables passed
// validation and became a kind that matched nothing: coverage answered
// 0 covered, 139 uncovered, and no error.
func TestEnumsAreCaseExact(t *testing.T) {
	f := newSyncFixture(t)
	cases := []struct {
		name, query string
		vars        map[string]any
		field       string
		message     string
	}{
		{"coverage kinds", `query($k: [PlatformKind!]!) { coverage(kinds: $k) { totals { covered uncovered } } }`,
			map[string]any{"k": []string{"workstation"}}, "k[0]", `"workstation" is not a PlatformKind: use one of LIAISON_GROUP, WORKSTATION, SECTOR_HALL`},
		{"second of a list", `query($k: [PlatformKind!]!) { coverage(kinds: $k) { totals { covered } } }`,
			map[string]any{"k": []string{"WORKSTATION", "Sector_Hall"}}, "k[1]", `"Sector_Hall"`},
		{"nearest kinds", `query($k: PlatformKind!) { nearestPlatforms(lon: 117.36, lat: 25.94, kinds: [$k]) { distanceMetres } }`,
			map[string]any{"k": "Workstation"}, "k", `"Workstation" is not a PlatformKind`},
		{"filter kinds", `query($f: PlatformFilter) { platforms(filter: $f) { totalCount } }`,
			map[string]any{"f": map[string]any{"kinds": []string{"workstation"}}}, "f.kinds[0]", `"workstation"`},
		{"filter provenance", `query($f: PlatformFilter) { platforms(filter: $f) { totalCount } }`,
			map[string]any{"f": map[string]any{"provenance": "real"}}, "f.provenance", `"real" is not a Provenance: use one of REAL, ILLUSTRATIVE`},
		{"filter status", `query($f: PlatformFilter) { platforms(filter: $f) { totalCount } }`,
			map[string]any{"f": map[string]any{"status": "Active"}}, "f.status", `"Active" is not a PlatformStatus`},
		{"enum variable inside a literal", `query($s: PlatformStatus) { platforms(filter: {status: $s}) { totalCount } }`,
			map[string]any{"s": "active"}, "s", `"active"`},
		{"uncovered kinds", `query($k: [PlatformKind!]!) { uncoveredTownships(kinds: $k) { totalCount } }`,
			map[string]any{"k": []string{"liaison_group"}}, "k[0]", `"liaison_group"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, post(t, f.h, c.query, c.vars), "BAD_USER_INPUT", c.field, c.message)
		})
	}
	t.Run("mutation input", func(t *testing.T) {
		p := f.platformByExternalID(t, "WS-0001")
		in := p.Input
		in["kind"] = "workstation"
		r := postAuth(t, f.h, f.admin, `mutation($id: ID!, $in: PlatformInput!, $v: Int!) {
			updatePlatform(id: $id, input: $in, expectedVersion: $v) { version } }`,
			map[string]any{"id": p.ID, "in": in, "v": p.Version})
		wantError(t, r, "BAD_USER_INPUT", "in.kind", `"workstation" is not a PlatformKind`)
	})
	t.Run("exact values pass", func(t *testing.T) {
		var d struct {
			Coverage struct{ Totals struct{ Covered int } }
		}
		data(t, f.h, `query($k: [PlatformKind!]!) { coverage(kinds: $k) { totals { covered } } }`,
			map[string]any{"k": []string{"WORKSTATION"}}, &d)
		if d.Coverage.Totals.Covered == 0 {
			t.Error("no township covered by workstations")
		}
	})
}

// TestNumbersAreNumbers: a string is no Int or Float, and NaN and infinity
// are no numbers. Before, "10" was read as 10 and "NaN" as NaN.
func TestNumbersAreNumbers(t *testing.T) {
	h := newHandler(t, nil)
	cases := []struct {
		name, query string
		vars        map[string]any
		field       string
	}{
		{"string for Int", `query($n: Int) { platforms(first: $n) { totalCount } }`, map[string]any{"n": "10"}, "n"},
		{"NaN for Float", `query($x: Float!) { nearestPlatforms(lon: $x, lat: 25.9) { distanceMetres } }`, map[string]any{"x": "NaN"}, "x"},
		{"Infinity for Float", `query($x: Float!) { nearestPlatforms(lon: 117.3, lat: $x) { distanceMetres } }`, map[string]any{"x": "Infinity"}, "x"},
		{"string radius in an input object", `query($n: NearInput) { platforms(near: $n) { totalCount } }`,
			map[string]any{"n": map[string]any{"lon": 117.3, "lat": 25.9, "radiusMetres": "5000"}}, "n.radiusMetres"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, post(t, h, c.query, c.vars), "BAD_USER_INPUT", c.field, "want a finite JSON number")
		})
	}
}

// TestImportRefusesImpossibleTimes: an imported record's createdAt and
// updatedAt, and any establishedOn, lie between the founding of the CPPCC and
// now (plus a little clock skew). Before, createdAt 1900-01-01 and updatedAt
// 2999-12-31 were stored and exported as they were.
func TestImportRefusesImpossibleTimes(t *testing.T) {
	f := newSyncFixture(t)
	_, body := export(t, f.h, "ndjson")
	var rec map[string]any
	for l := range strings.Lines(string(body)) {
		if strings.Contains(l, `"kind":"WORKSTATION"`) {
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	rec["externalId"] = "WS-TIME-1"
	delete(rec, "id")
	delete(rec, "version")
	line := func(kv ...any) string {
		r := maps.Clone(rec)
		for i := 0; i < len(kv); i += 2 {
			r[kv[i].(string)] = kv[i+1]
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		name, data, field, message string
	}{
		{"createdAt 1900", line("createdAt", "1900-01-01T00:00:00Z", "updatedAt", "2020-01-01T00:00:00Z"),
			"rows[0].createdAt", "before 1949-09-21"},
		{"updatedAt 2999", line("createdAt", "2020-01-01T00:00:00Z", "updatedAt", "2999-12-31T00:00:00Z"),
			"rows[0].updatedAt", "in the future"},
		{"updatedAt an hour ahead", line("createdAt", "2020-01-01T00:00:00Z", "updatedAt", future),
			"rows[0].updatedAt", "in the future"},
		{"establishedOn 1900", line("establishedOn", "1900-01-01"), "rows[0].platform.establishedOn", "before 1949-09-21"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := postAuth(t, f.h, f.admin, importFileMutation, map[string]any{"format": "NDJSON", "data": c.data, "dry": false})
			wantError(t, r, "BAD_USER_INPUT", c.field, c.message)
		})
	}
	var d struct{ ImportPlatformFile importReport }
	data2(t, f.h, f.admin, importFileMutation, map[string]any{"format": "NDJSON",
		"data": line("createdAt", "2020-01-01T00:00:00Z", "updatedAt", "2021-01-01T00:00:00Z"), "dry": true}, &d)
	if d.ImportPlatformFile.Created != 1 {
		t.Errorf("a plausible history: %+v", d.ImportPlatformFile)
	}
}

// TestScalarsSaySpecification: the custom scalars name their specification
// (@specifiedBy), so that client generators can map them to types.
func TestScalarsSaySpecification(t *testing.T) {
	h := newHandler(t, nil)
	for name, want := range map[string]string{
		"GeoJSON":           "https://www.rfc-editor.org/rfc/rfc7946",
		"FeatureCollection": "https://www.rfc-editor.org/rfc/rfc7946#section-3.3",
		"Date":              "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
		"DateTime":          "https://www.rfc-editor.org/rfc/rfc3339",
	} {
		var d struct {
			Type struct{ SpecifiedByURL *string } `json:"__type"`
		}
		data(t, h, `query($n: String!) { __type(name: $n) { specifiedByURL } }`, map[string]any{"n": name}, &d)
		if got := d.Type.SpecifiedByURL; got == nil || *got != want {
			t.Errorf("%s: specifiedByURL %v, want %s", name, got, want)
		}
	}
}

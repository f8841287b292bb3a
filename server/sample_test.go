package server_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the response; if the change is intended, run go test ./server -update\ngot:\n%s", path, got)
	}
}

// TestSampleQueries pins whole responses of the queries a map front end makes.
func TestSampleQueries(t *testing.T) {
	h := newHandler(t, nil)
	cases := []struct{ name, query string }{
		{"platforms_of_county.json", `{ platforms(filter: {countyCode: "350481", kinds: [WORKSTATION, SECTOR_HALL]}, first: 5) {
			totalCount pageInfo { hasNextPage endCursor }
			nodes { id externalId kind name provenance positionQuality lon lat location establishedOn status version
				hostName hostType sector { code name nameEn } organiser { code name level county { code } }
				township { code code12 name kind positionQuality boundaryQuality county { code name kind } } } } }`},
		{"real_platforms.json", `{ platforms(filter: {provenance: REAL}) { nodes { externalId kind name hostName sourceNote
			township { name } sector { name } organiser { name } } } }`},
		{"counties.json", `{ counties { totalCount nodes { id code name kind lon lat boundaryQuality areaKm2
			organiser { name level } townships(first: 0) { totalCount } } } }`},
		{"township_approximate.json", `{ township(code: "350424106") { id name kind code12 positionQuality sourceNote
			seat boundaryQuality county { name } platforms { totalCount nodes { externalId positionQuality location } } } }`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(t, h, c.query, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			var buf bytes.Buffer
			if err := json.Indent(&buf, r.Data, "", "  "); err != nil {
				t.Fatal(err)
			}
			buf.WriteByte('\n')
			golden(t, c.name, buf.Bytes())
		})
	}
}

// TestNode: every object's id fetches it again through node(id:).
func TestNode(t *testing.T) {
	h := newHandler(t, nil)
	var d struct {
		County   struct{ ID string }
		Township struct{ ID string }
		Platform struct {
			Nodes []struct{ ID string }
		}
		Sectors struct {
			Nodes []struct{ ID string }
		}
	}
	data(t, h, `{ county(code: "350481") { id } township(code: "350481204") { id }
		platform: platforms(first: 1) { nodes { id } } sectors(first: 1) { nodes { id } } }`, nil, &d)
	for _, c := range []struct{ id, typename string }{
		{d.County.ID, "County"},
		{d.Township.ID, "Township"},
		{d.Platform.Nodes[0].ID, "Platform"},
		{d.Sectors.Nodes[0].ID, "Sector"},
	} {
		var n struct {
			Node struct {
				Typename string `json:"__typename"`
				ID       string
			}
		}
		data(t, h, `query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": c.id}, &n)
		if n.Node.Typename != c.typename || n.Node.ID != c.id {
			t.Errorf("node(%s) = %+v, want the %s with that id", c.id, n.Node, c.typename)
		}
	}
}

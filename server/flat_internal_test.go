package server

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/graph"
	"civicmap/graph/relay"
	"civicmap/graph/scalar"
	"civicmap/resolvers"
)

// TestFlatSameBytes: a platform written by writeFlat is the same
// bytes as gqlgen writes it, for every field writeFlat writes, with
// aliases, fragments, directives, every crs, null values and strings that
// JSON must escape; and selections it does not write take gqlgen's path.
func TestFlatSameBytes(t *testing.T) {
	pool := dbtest.NewDB(t)
	ctx := context.Background()
	// A platform whose position is unknown, with no address and no date, and
	// one whose strings need escaping.
	for _, sql := range []string{
		`UPDATE platform SET location = NULL, position_quality = 'UNKNOWN', address = NULL, established_on = NULL
		 WHERE id = (SELECT min(id) FROM platform WHERE kind = 'WORKSTATION')`,
		`UPDATE platform SET name = E'引号" 反斜杠\\ 换行\n 制表\t <b>&amp;</b> 😀 \u2028', address = E'\u0001'
		 WHERE id = (SELECT max(id) FROM platform WHERE kind = 'WORKSTATION')`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	d := db.New(pool)
	var written atomic.Int64
	flat, plain := flatExecutor(d, &written), flatExecutor(d, nil)

	all := `__typename id externalId kind name hostName hostType address location lon lat
		positionQuality establishedOn status provenance sourceNote createdAt updatedAt version`
	townshipAll := `__typename id code code12 name seat lon lat(crs: BD09) positionQuality boundaryQuality sourceNote`
	cases := []struct {
		name, query string
		vars        map[string]any
	}{
		{"every field", `{ platforms(first: 300) { nodes { ` + all + ` } } }`, nil},
		{"crs", `{ platforms(first: 300) { nodes { a: lon(crs: GCJ02) b: lat(crs: BD09) c: location(crs: GCJ02) lon lat(crs: WGS84) } } }`, nil},
		{"crs variable", `query($c: CRS!) { platforms(first: 300) { nodes { lon(crs: $c) lat(crs: $c) location(crs: $c) } } }`,
			map[string]any{"c": "BD09"}},
		{"aliases and repeats", `{ platforms(first: 50) { nodes { x: name name id x: name y: id } } }`, nil},
		{"fragments", `query { platforms(first: 50) { nodes { ...F ... on Node { id } ... on Platform { kind } } } }
			fragment F on Platform { name lon }`, nil},
		{"directives", `query($yes: Boolean!) { platforms(first: 50) { nodes { name @include(if: $yes) kind @skip(if: $yes) id } } }`,
			map[string]any{"yes": true}},
		{"edges", `{ platforms(first: 20) { edges { cursor node { id name lon } } } }`, nil},
		{"nearest", `{ nearestPlatforms(lon: 117.62, lat: 26.26, limit: 5) { distanceMetres platform { id kind name lon lat } } }`, nil},
		{"township's platforms", `{ townships(first: 5) { nodes { code platforms { nodes { id name status } } } } }`, nil},
		{"townships", `{ townships(first: 200) { nodes { ` + townshipAll + ` } } }`, nil},
		{"worklist", `{ uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 5000, first: 200) {
			totalCount nodes { township { code name } nearest { distanceMetres platform { id name } } } } }`, nil},
		{"coverage", `query($c: CRS!) { coverage(kinds: [WORKSTATION, SECTOR_HALL], radiusMetres: 3000) { townships {
			__typename status covered positionQuality boundaryQuality township { ` + townshipAll + ` s: seat(crs: $c) }
			nearest { __typename distanceMetres platform { ` + all + ` } } coveredBy { distanceMetres platform { id lon(crs: $c) } } } } }`,
			map[string]any{"c": "GCJ02"}},
		{"one platform", `{ platform(id: "` + relay.PlatformID(1) + `") { id name lon } }`, nil},
		{"township kind", `{ townships(first: 5) { nodes { code kind } } }`, nil},
		{"gqlgen's path", `{ platforms(first: 20) { nodes { id name township { code county { code } } } } }`, nil},
		{"empty", `{ platforms(first: 5, filter: {search: "no such platform"}) { nodes { id name } } }`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := written.Load()
			want, got := post(t, plain, c.query, c.vars), post(t, flat, c.query, c.vars)
			if wrote, flat := written.Load() > before, c.name != "gqlgen's path" && c.name != "township kind"; wrote != flat {
				t.Errorf("written flat: %v, want %v", wrote, flat)
			}
			if !bytes.Equal(got, want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Errorf("written flat differs at byte %d:\n%s\ngqlgen:\n%s", i, got[max(0, i-200):min(len(got), i+200)], want[max(0, i-200):min(len(want), i+200)])
			}
			if bytes.Contains(want, []byte(`"errors"`)) {
				t.Errorf("the query failed: %s", want)
			}
		})
	}
}

// flatExecutor is a GraphQL executor over d: with writeFlat, counting
// the fields it writes in written, or without it when written is nil.
func flatExecutor(d *db.DB, written *atomic.Int64) http.Handler {
	res := &resolvers.Resolver{DB: d}
	srv := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: res}))
	srv.AddTransport(transport.POST{})
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(res.WithLoaders(ctx))
	})
	if written != nil {
		srv.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
			v, err := writeFlat(ctx, next)
			if _, ok := v.(rawJSON); ok {
				written.Add(1)
			}
			return v, err
		})
	}
	return srv
}

func post(t *testing.T, h http.Handler, query string, vars map[string]any) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Body.Bytes()
}

// TestWriteStringAndFloat: the flat writer's strings and floats are gqlgen's
// and scalar.MarshalFloat's bytes, for values that JSON escapes, Chinese,
// bytes that are not UTF-8, and floats that JSON cannot hold.
func TestWriteStringAndFloat(t *testing.T) {
	for _, s := range []string{"", "plain", "三明市沙县区", "a\"b", `back\slash`, "\x00\x1f\t\r\n", "\xff\xfe half 中\xe6", "\u2028 \u007f"} {
		var got, want bytes.Buffer
		writeString(&got, s)
		graphql.MarshalString(s).MarshalGQL(&want)
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("string %q: wrote %s, gqlgen writes %s", s, got.Bytes(), want.Bytes())
		}
	}
	for _, f := range []float64{0, -0.0, 117.6236145, 1e21, 1e-7, 26575.71525569, math.Inf(1), math.NaN()} {
		var got, want bytes.Buffer
		writeFloat(&got, f)
		scalar.MarshalFloat(f).MarshalGQL(&want)
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("float %v: wrote %s, scalar.MarshalFloat writes %s", f, got.Bytes(), want.Bytes())
		}
	}
}

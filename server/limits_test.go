package server_test

import (
	"fmt"
	"strings"
	"testing"
)

// introspection is the query GraphiQL and code generators send.
const introspection = `query IntrospectionQuery { __schema { queryType { name } mutationType { name }
	subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description
	args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
	inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description
	isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
	ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }`

// TestLimits: the default limits let every legitimate query through and stop
// the ones that are too deep, too wide or too costly, with QUERY_TOO_COMPLEX.
func TestLimits(t *testing.T) {
	h := newHandler(t, nil)
	nest := func(depth int) string { // county → townships → nodes → county → …
		q := "name"
		for range depth / 3 {
			q = "townships(first: 1) { nodes { county { " + q + " } } }"
		}
		return "{ county(code: \"350481\") { " + q + " } }"
	}
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			b.WriteString(" a")
			b.WriteString(strings.Repeat("x", i%7))
			b.WriteString(string(rune('a' + i%26)))
			b.WriteString(": dataset { licence }")
		}
		return b.String() + " }"
	}
	// layers asks for the township layer n times over.
	layers := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, " t%d: townshipFeatures(simplifyMetres: 5000)", i)
		}
		return "{" + b.String() + " }"
	}
	cases := []struct {
		name, query string
		code        string // "" for success
	}{
		{"introspection", introspection, ""},
		{"every platform with its township, county, organiser and sector", `{ platforms(first: 500) {
			totalCount edges { cursor node { id externalId kind name hostName hostType address lon lat location
				positionQuality establishedOn status provenance sourceNote createdAt updatedAt version
				organiser { code name level county { code name } } sector { code name nameEn }
				township { code name kind lon lat positionQuality boundaryQuality county { code name }
					platforms { totalCount nodes { id name kind } } }
				county { code name } } } } }`, ""},
		{"every township with its cell and platforms", `{ townships(first: 500) { nodes { code name boundary
			county { name } platforms { nodes { name kind provenance } } } } }`, ""},
		{"nested twelve deep", nest(12), ""},
		{"nested thirty deep", nest(30), "QUERY_TOO_COMPLEX"},
		{"too many fields", aliases(600), "QUERY_TOO_COMPLEX"},
		{"lists of lists", `{ platforms(first: 500) { nodes { township { platforms(first: 500) { nodes {
			township { platforms(first: 500) { nodes { name } } } } } } } } }`, "QUERY_TOO_COMPLEX"},
		{"every township's coverage", `{ coverage(kinds: [WORKSTATION, SECTOR_HALL], radiusMetres: 20000) {
			kinds radiusMetres definition totals { townships covered uncovered unknownPosition ratio }
			counties { county { code name } totals { townships covered uncovered unknownPosition ratio } areaRatio coveredAreaKm2 }
			townships { township { code name county { name } } status covered positionQuality boundaryQuality
				coveredBy { distanceMetres platform { id name kind organiser { name } township { name } } }
				nearest { distanceMetres platform { id name kind organiser { name } township { name } } } } } }`, ""},
		{"the whole worklist", `{ uncoveredTownships(kinds: [WORKSTATION], first: 500) { totalCount
			edges { cursor node { township { code name county { name } } status
				nearest { distanceMetres platform { id name kind township { name } } } } } } }`, ""},
		{"the sector matrix", `{ sectorCoverage { sectors { code name } counties { county { name } servedCount
			sectors { sector { code name } served halls { id name organiser { name level } township { name } } } } } }`, ""},
		{"every township's covering platforms' platforms", `{ coverage(kinds: [WORKSTATION]) { townships {
			coveredBy { platform { township { platforms(first: 500) { nodes { name } } } } } } } }`, "QUERY_TOO_COMPLEX"},
		{"the worklist's platforms' platforms", `{ uncoveredTownships(kinds: [WORKSTATION], first: 500) { nodes {
			nearest { platform { township { platforms(first: 500) { nodes { township { name } } } } } } } } }`, "QUERY_TOO_COMPLEX"},
		{"the 100 nearest with their townships", `{ nearestPlatforms(lon: 117.6, lat: 26.2, limit: 100) { distanceMetres
			platform { name township { name platforms { nodes { name } } } } } }`, ""},
		// Priced per platform, the 100 nearest make this 100 times dearer than one.
		{"the 100 nearest with lists of lists", `{ nearestPlatforms(lon: 117.6, lat: 26.2, limit: 100) { platform {
			township { platforms(first: 500) { nodes { township { platforms(first: 50) { nodes { name } } } } } } } } }`,
			"QUERY_TOO_COMPLEX"},
		{"both map layers", `{ platformFeatures townshipFeatures }`, ""},
		{"a layer ten times", layers(10), ""},
		{"a layer eleven times", layers(11), "QUERY_TOO_COMPLEX"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(t, h, c.query, nil)
			if r.code() != c.code {
				t.Fatalf("code %q, want %q: %+v", r.code(), c.code, r.Errors)
			}
			if c.code != "" && !strings.Contains(r.Errors[0].Message, "limit") {
				t.Errorf("message should name the limit: %s", r.Errors[0].Message)
			}
		})
	}
}

package resolvers

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"civicmap/graph"
)

// TestLookAheadMatchesSchema: every field path the look-ahead reads by name
// exists in the schema, and a rename is caught.
func TestLookAheadMatchesSchema(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	if err := CheckLookAhead(schema); err != nil {
		t.Fatal(err)
	}
	renamed, err := gqlparser.LoadSchema(&ast.Source{Name: "renamed.graphqls", Input: `
		type Query { coverage: Coverage }
		type Coverage { townships: [TownshipCoverage!]! }
		type TownshipCoverage { coveringPlatforms: [PlatformDistance!]! }
		type PlatformDistance { platform: String }`})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckLookAhead(renamed); err == nil {
		t.Error("a schema that renamed coveredBy passed")
	}
}

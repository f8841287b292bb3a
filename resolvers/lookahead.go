package resolvers

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// lookAheadPaths are the field paths that the look-ahead (prefetch.go,
// coverage.go) reads by name, each from the type it starts on. Nothing checks
// such names when the schema changes: a renamed field would quietly stop the
// prefetching, or make coverage leave every coveredBy list empty.
// CheckLookAhead, run by a test, holds them to the schema.
var lookAheadPaths = map[string][]string{
	"PlatformConnection": {"nodes.township.platforms", "nodes.township.county", "nodes.county", "nodes.organiser",
		"nodes.sector", "edges.node"},
	"TownshipConnection":         {"nodes.county", "nodes.platforms", "nodes.boundary", "edges.node"},
	"PlatformDistance":           {"platform"},
	"Coverage":                   {"townships.coveredBy.platform", "townships.nearest.platform"},
	"TownshipCoverageConnection": {"nodes.coveredBy.platform", "nodes.nearest.platform", "edges.node"},
}

// CheckLookAhead returns an error naming each look-ahead path that schema
// does not have.
func CheckLookAhead(schema *ast.Schema) error {
	var missing []string
	for typ, paths := range lookAheadPaths {
		for _, path := range paths {
			if !hasPath(schema, typ, strings.Split(path, ".")) {
				missing = append(missing, typ+"."+path)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the look-ahead reads fields the schema lacks: %s", strings.Join(missing, ", "))
	}
	return nil
}

// hasPath reports whether the fields of path lead from type typ.
func hasPath(schema *ast.Schema, typ string, path []string) bool {
	for _, name := range path {
		def := schema.Types[typ]
		if def == nil {
			return false
		}
		f := def.Fields.ForName(name)
		if f == nil {
			return false
		}
		typ = f.Type.Name()
	}
	return true
}

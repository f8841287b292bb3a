// Package relay holds the hand-written Relay pieces the schema relies on: the Node
// interface's Go type, global IDs and opaque cursors. It lives beside graph/
// (generated) so nobody guesses which is which.
package relay

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Node is the Go type of the GraphQL Node interface. The objects that implement it
// are db's row structs, which know nothing of GraphQL, so it asks for no methods.
type Node interface{}

// The type names inside global IDs. db/tile.go builds a platform's ID in SQL
// too, for the vector tiles; TestGlobalIDsAgree holds it to PlatformID.
const (
	CountyType   = "County"
	TownshipType = "Township"
	PlatformType = "Platform"
	SectorType   = "Sector"
)

// PlatformID returns the global ID of the platform with database ID id.
func PlatformID(id int64) string {
	return ID(PlatformType, strconv.FormatInt(id, 10))
}

// ID returns the global ID of the object of type typ with key key.
func ID(typ, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + key))
}

// ParseID splits a global ID into its type and key; ok is false when id is not one.
func ParseID(id string) (typ, key string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return "", "", false
	}
	typ, key, ok = strings.Cut(string(b), ":")
	return typ, key, ok && typ != "" && key != ""
}

// Cursor returns the opaque cursor of the row with key key in list.
func Cursor(list, key string) string {
	return ID(list, key)
}

// ParseCursor returns the key a cursor of list holds; ok is false when the cursor
// is malformed or belongs to another list.
func ParseCursor(list, cursor string) (key string, ok bool) {
	typ, key, ok := ParseID(cursor)
	return key, ok && typ == list
}

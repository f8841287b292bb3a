package relay

import "testing"

// FuzzParseID: an ID or cursor either parses into a type and a key that make
// the same ID again, or is refused; it never panics.
func FuzzParseID(f *testing.F) {
	f.Add(ID(PlatformType, "1"))
	f.Add(ID("changes", "99999999999999999999"))
	f.Add("UGxhdGZvcm06OTk5OTk5")
	f.Add("!!")
	f.Add("")
	f.Fuzz(func(t *testing.T, id string) {
		typ, key, ok := ParseID(id)
		if !ok {
			return
		}
		if typ == "" || key == "" {
			t.Fatalf("%q parsed with an empty part: %q, %q", id, typ, key)
		}
		if again, again2, ok := ParseID(ID(typ, key)); !ok || again != typ || again2 != key {
			t.Fatalf("%q: %q, %q do not make the same ID again", id, typ, key)
		}
		if k, ok := ParseCursor(typ, id); !ok || k != key {
			t.Fatalf("%q as a cursor of %q: %q, %v", id, typ, k, ok)
		}
	})
}

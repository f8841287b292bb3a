package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Glyphs serves the map style's glyphs URL, /glyphs/{fontstack}/{start}-{end}.pbf,
// with valid glyph PBFs that hold no glyphs.
//
// MapLibre needs a glyphs URL for any text layer, and there is no font server
// here. The page's map labels are Chinese names only, and MapLibre draws every
// CJK character itself with the browser's fonts (localIdeographFontFamily), so
// it never asks for their ranges; English stays in HTML. A label character
// outside those ranges (a digit, say) would ask for its range and be left
// blank instead of failing the whole label layer.
func Glyphs() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stack := r.PathValue("fontstack")
		start, ok := glyphRange(r.PathValue("range"))
		if stack == "" || !ok {
			http.Error(w, "want /glyphs/{fontstack}/{start}-{end}.pbf with a range of 256 code points, e.g. 0-255.pbf", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		// The answer never changes for a given URL.
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Write(emptyGlyphs(stack, fmt.Sprintf("%d-%d", start, start+255)))
	})
}

// glyphRange parses "start-end.pbf", where start is a multiple of 256 below
// 65536 and end = start+255, as MapLibre asks for them.
func glyphRange(s string) (start int, ok bool) {
	s, ok = strings.CutSuffix(s, ".pbf")
	if !ok {
		return 0, false
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, false
	}
	start, err1 := strconv.Atoi(a)
	end, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || start < 0 || start%256 != 0 || end != start+255 || end > 0xffff {
		return 0, false
	}
	return start, true
}

// emptyGlyphs encodes the glyphs message of MapLibre's glyphs.proto with one
// fontstack (name, range) and no glyphs:
//
//	message glyphs { repeated fontstack stacks = 1; }
//	message fontstack { required string name = 1; required string range = 2; repeated glyph glyphs = 3; }
func emptyGlyphs(name, rng string) []byte {
	var stack []byte
	stack = appendString(stack, 1, name)
	stack = appendString(stack, 2, rng)
	return appendBytes(nil, 1, stack)
}

func appendString(b []byte, field int, s string) []byte { return appendBytes(b, field, []byte(s)) }

// appendBytes appends a length-delimited field (wire type 2).
func appendBytes(b []byte, field int, v []byte) []byte {
	b = appendVarint(b, uint64(field)<<3|2)
	b = appendVarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

package exchange

import (
	"bytes"
	"testing"

	"civicmap/db"
)

// FuzzRead: any file, in any of the three formats, either reads into rows
// or fails with an error that names where; it never panics and never returns
// a row without its external ID's place in the file.
func FuzzRead(f *testing.F) {
	f.Add(byte(0), []byte(`{"externalId":"WS-1","kind":"WORKSTATION","name":"站","lon":117.6,"lat":26.2}`+"\n"+`{"cursor":"x"}`))
	f.Add(byte(1), []byte("\ufeffexternalId,kind,name,lon,lat\nWS-1,WORKSTATION,站,117.6,26.2\n"))
	f.Add(byte(2), []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[117.6,26.2]},"properties":{"externalId":"WS-1"}}]}`))
	f.Add(byte(2), []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{}}]}`))
	f.Add(byte(1), []byte("a,a\n\"unclosed\n"))
	formats := []string{"ndjson", "csv", "geojson"}
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		format := formats[int(which)%len(formats)]
		err := Read(format, bytes.NewReader(data), func(row db.ImportRow) error {
			if row.Where == "" {
				t.Fatalf("%s: a row without its place in the file", format)
			}
			return nil
		})
		if err != nil && err.Error() == "" {
			t.Fatalf("%s: an error without a message", format)
		}
	})
}

package load

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"civicmap/db/rowfile"
)

// TestBadDataDir checks that a broken input fails the load with an error naming
// the file, row and field, and leaves a loaded database as it was.
func TestBadDataDir(t *testing.T) {
	pool := testPool(t)
	mustLoad(t, pool)
	src := dataDir(t)
	tests := []struct {
		name   string
		break_ func(t *testing.T, dir string)
		file   string
		row    int
		field  string
		is     error  // when set, errors.Is must hold
		substr string // when set (no *rowfile.Error: PostGIS found it), the message must contain it
	}{
		{name: "missing townships file", file: townshipsCSVFile, is: fs.ErrNotExist,
			break_: func(t *testing.T, dir string) { remove(t, dir, townshipsCSVFile) }},
		{name: "bad lon", file: townshipsCSVFile, row: 5, field: "lon",
			break_: func(t *testing.T, dir string) {
				editLine(t, dir, townshipsCSVFile, 5, func(s string) string { return strings.Replace(s, ",117.", ",917.", 1) })
			}},
		{name: "lon not a number", file: townshipsCSVFile, row: 140, field: "lon",
			break_: func(t *testing.T, dir string) {
				editLine(t, dir, townshipsCSVFile, 140, func(s string) string { return strings.Replace(s, ",117.", ",east", 1) })
			}},
		{name: "unknown county", file: townshipsCSVFile, row: 2, field: "county_code",
			break_: func(t *testing.T, dir string) {
				editLine(t, dir, townshipsCSVFile, 2, func(s string) string { return strings.Replace(s, ",350404,", ",350499,", 1) })
			}},
		{name: "short row", file: townshipsCSVFile, row: 3,
			break_: func(t *testing.T, dir string) {
				editLine(t, dir, townshipsCSVFile, 3, func(s string) string { return s[:strings.LastIndex(s, ",")] })
			}},
		{name: "county without area", file: countiesGeoJSONFile, row: 4, field: "area_km2",
			break_: func(t *testing.T, dir string) {
				editFeature(t, dir, 4, func(f map[string]any) { delete(f["properties"].(map[string]any), "area_km2") })
			}},
		{name: "county geometry not GeoJSON", substr: countiesGeoJSONFile + " row 2 (county 350405)",
			break_: func(t *testing.T, dir string) {
				editFeature(t, dir, 2, func(f map[string]any) { f["geometry"] = map[string]any{"type": "Blob"} })
			}},
		{name: "county geometry invalid", file: countiesGeoJSONFile, row: 7, field: "geometry",
			break_: func(t *testing.T, dir string) {
				editFeature(t, dir, 7, func(f map[string]any) {
					f["geometry"] = map[string]any{"type": "Polygon", "coordinates": []any{[]any{[]any{117.0, 26.0}}}}
				})
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyData(t, src)
			tc.break_(t, dir)
			before := checksum(t, pool)
			_, err := Run(context.Background(), pool, Options{DataDir: dir})
			if err == nil {
				t.Fatal("load succeeded, want an error")
			}
			if after := checksum(t, pool); after != before {
				t.Errorf("a failed load changed the database")
			}
			if tc.substr != "" {
				if !strings.Contains(err.Error(), tc.substr) {
					t.Errorf("error %q does not mention %q", err, tc.substr)
				}
				return
			}
			var fe *rowfile.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *rowfile.Error", err)
			}
			if fe.File != tc.file || fe.Row != tc.row || fe.Field != tc.field {
				t.Errorf("error names %s row %d field %q, want %s row %d field %q (%v)",
					fe.File, fe.Row, fe.Field, tc.file, tc.row, tc.field, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

// copyData copies the three input files into a temporary directory.
func copyData(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{countiesGeoJSONFile, countiesCSVFile, townshipsCSVFile} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func remove(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// editLine rewrites one 1-based line of a text file (the data has no quoted newlines).
func editLine(t *testing.T, dir, name string, line int, edit func(string) string) {
	t.Helper()
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	changed := edit(lines[line-1])
	if changed == lines[line-1] {
		t.Fatalf("%s line %d: edit changed nothing", name, line)
	}
	lines[line-1] = changed
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editFeature rewrites one 1-based feature of the county GeoJSON.
func editFeature(t *testing.T, dir string, n int, edit func(map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, countiesGeoJSONFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fc map[string]any
	if err := json.Unmarshal(data, &fc); err != nil {
		t.Fatal(err)
	}
	edit(fc["features"].([]any)[n-1].(map[string]any))
	out, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

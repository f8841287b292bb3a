package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/crs"
	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/exchange"
)

// exportFile writes the database's platforms to an NDJSON file, as
// /export/platforms.ndjson serves them, and returns its lines.
func exportFile(t *testing.T, d *db.DB) []string {
	t.Helper()
	var buf bytes.Buffer
	var out exchange.Writer
	err := d.ExportPlatforms(t.Context(), func(seq int64) error {
		var err error
		out, err = exchange.NewWriter("ndjson", &buf, "cursor", crs.WGS84)
		return err
	}, func(p *db.ExportedPlatform) error { return out.Write(p) })
	if err == nil {
		err = out.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(strings.TrimSuffix(buf.String(), "\n"), "\n")
}

func writeLines(t *testing.T, lines []string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "platforms.ndjson")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestImportCommand: civicmap import writes an edited export all or nothing,
// and names the line or row at fault.
func TestImportCommand(t *testing.T) {
	url := dbtest.NewConnString(t)
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	d := db.New(pool)
	lines := exportFile(t, d)
	changes := func() int {
		var n int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM platform_change`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := changes()

	edited := append([]string{}, lines...)
	edited[0] = strings.Replace(edited[0], `"status":"ACTIVE"`, `"status":"SUSPENDED"`, 1)
	badJSON := append([]string{}, edited...)
	badJSON[2] = "{not json\n"
	badRow := append([]string{}, edited...)
	badRow[5] = strings.Replace(badRow[5], `"kind":"LIAISON_GROUP"`, `"kind":"SECTOR_HALL"`, 1)
	for _, c := range []struct {
		name     string
		args     []string
		lines    []string
		out, err string
		written  int
	}{
		{"dry run", []string{"-dry-run"}, edited, "207 rows: 0 created, 1 updated, 206 unchanged (dry run", "", 0},
		{"a line that is not JSON", nil, badJSON, "", "line 3: not valid JSON", 0},
		{"a bad row", nil, badRow, "", "rows[5] (line 6, LG-350404006): input.sectorCode: a SECTOR_HALL needs", 0},
		{"the edit", nil, edited, "207 rows: 0 created, 1 updated, 206 unchanged in ", "", 1},
		{"again", nil, edited, "0 created, 0 updated, 207 unchanged", "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeLines(t, c.lines)
			was := changes()
			out, err := runCLI(t, url, append(append([]string{"import"}, c.args...), path)...)
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("error %v, want %q", err, c.err)
			}
			if !strings.Contains(out, c.out) {
				t.Errorf("printed %q, want %q", out, c.out)
			}
			if got := changes() - was; got != c.written {
				t.Errorf("%d changes written, want %d", got, c.written)
			}
		})
	}
	// An update through an import is a change made now: the platform keeps
	// its createdAt and gets a new updatedAt, whatever the record says.
	type times struct{ CreatedAt, UpdatedAt time.Time }
	var was, is times
	if err := json.Unmarshal([]byte(edited[0]), &was); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(exportFile(t, d)[0]), &is); err != nil {
		t.Fatal(err)
	}
	if !is.CreatedAt.Equal(was.CreatedAt) || !is.UpdatedAt.After(was.UpdatedAt) {
		t.Errorf("the updated platform's times went from %+v to %+v; want createdAt kept, updatedAt later", was, is)
	}
	var actor string
	if err := pool.QueryRow(t.Context(), `SELECT actor FROM platform_change ORDER BY seq DESC LIMIT 1`).Scan(&actor); err != nil || changes() != before+1 || actor != "import platforms.ndjson" {
		t.Errorf("last change by %q (%v), %d changes in all; want one by the import", actor, err, changes()-before)
	}
}

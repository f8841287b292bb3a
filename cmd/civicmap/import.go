package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"civicmap/db"
	"civicmap/exchange"
)

// Import writes the platforms of an NDJSON, CSV or GeoJSON file (an export,
// edited or not) in one transaction, all or nothing, and prints what it did.
// format is "" to tell it from the file's extension, or else its content.
func (a *App) Import(ctx context.Context, path, format string, dryRun bool) error {
	rows, err := a.readImport(path, format)
	if err != nil {
		return fmt.Errorf("import %s: nothing was written: %w", path, err)
	}
	return a.withDB(ctx, func(d *db.DB) error {
		// The command line reaches the database directly and answers to no
		// key: it writes as an admin, under its own name in the change feed.
		w := db.Writer{Actor: db.Actor{Name: "import " + filepath.Base(path)}}
		start := time.Now()
		rep, err := d.ImportPlatforms(ctx, w, rows, dryRun)
		if err != nil {
			return fmt.Errorf("import %s: nothing was written: %w", path, err)
		}
		fmt.Fprintf(a.Out, "%s: %d rows: %d created, %d updated, %d unchanged", path, len(rows), rep.Created, rep.Updated, rep.Unchanged)
		if dryRun {
			fmt.Fprint(a.Out, " (dry run: nothing was written)")
		}
		fmt.Fprintf(a.Out, " in %s\n", time.Since(start).Round(time.Millisecond))
		return nil
	})
}

// readImport reads the rows of the file at path, showing progress on a
// terminal.
func (a *App) readImport(path, format string) ([]db.ImportRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(f)
	if format == "" {
		format = formatOf(path, br)
	}
	p := &progress{w: a.Progress, total: info.Size(), lastShown: time.Now()}
	if !isTerminal(a.Progress) {
		p.w = nil
	}
	var rows []db.ImportRow
	err = exchange.Read(format, io.TeeReader(br, p), func(row db.ImportRow) error {
		rows = append(rows, row)
		p.rows++
		p.show(false)
		return nil
	})
	p.show(true)
	return rows, err
}

// formatOf names the format of the file at path by its extension, or else by
// its first bytes.
func formatOf(path string, br *bufio.Reader) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ndjson", ".jsonl":
		return "ndjson"
	case ".csv":
		return "csv"
	case ".geojson":
		return "geojson"
	}
	head, _ := br.Peek(4096)
	return exchange.Sniff(head)
}

// isTerminal reports whether w is a terminal, where a progress line that
// rewrites itself makes sense; a file or a pipe gets none.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// progress shows how far the reading of a file has got, on one line that it
// rewrites (\r) at most every progressEvery; w nil shows nothing.
type progress struct {
	w          io.Writer
	total      int64 // the file's size
	read       int64
	rows       int
	lastShown  time.Time
	everShown  bool
	finalShown bool
}

const progressEvery = 100 * time.Millisecond

// Write counts the bytes read (progress is the TeeReader's writer).
func (p *progress) Write(b []byte) (int, error) {
	p.read += int64(len(b))
	return len(b), nil
}

// show writes the line if it is time to, or final; the final line ends it.
func (p *progress) show(final bool) {
	if p.w == nil || p.finalShown || !final && time.Since(p.lastShown) < progressEvery {
		return
	}
	if final && !p.everShown {
		return // a file read in an instant needs no progress
	}
	p.lastShown, p.everShown = time.Now(), true
	end := ""
	if final {
		end, p.finalShown = "\n", true
	}
	fmt.Fprintf(p.w, "\r%s%s", progressLine(p.rows, p.read, p.total), end)
}

// progressLine is e.g. "reading: 4,000 rows, 1.2 of 3.0 MB (40%)".
func progressLine(rows int, read, total int64) string {
	pct := 100
	if total > 0 {
		pct = int(read * 100 / total)
	}
	return fmt.Sprintf("reading: %s rows, %.1f of %.1f MB (%d%%)", thousands(rows), float64(read)/1e6, float64(total)/1e6, pct)
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

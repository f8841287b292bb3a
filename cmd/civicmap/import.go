package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"civicmap/db"
	"civicmap/exchange"
)

// Import writes the platforms of an NDJSON file (an export, edited or not) in
// one transaction, all or nothing, and prints what it did.
func (a *App) Import(ctx context.Context, args []string, dryRun bool) error {
	if len(args) != 1 {
		return errors.New("import: give one NDJSON file, e.g. an export from /export/platforms.ndjson")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	rows, err := exchange.ReadNDJSON(f)
	if err != nil {
		return fmt.Errorf("import %s: %w", args[0], err)
	}
	return a.withDB(ctx, func(d *db.DB) error {
		// The command line reaches the database directly and answers to no
		// key: it writes as an admin, under its own name in the change feed.
		w := db.Writer{Actor: db.Actor{Name: "import " + filepath.Base(args[0])}}
		rep, err := d.ImportPlatforms(ctx, w, rows, dryRun)
		if err != nil {
			return fmt.Errorf("import %s: nothing was written: %w", args[0], err)
		}
		fmt.Fprintf(a.Out, "%s: %d rows: %d created, %d updated, %d unchanged", args[0], len(rows), rep.Created, rep.Updated, rep.Unchanged)
		if dryRun {
			fmt.Fprint(a.Out, " (dry run: nothing was written)")
		}
		fmt.Fprintln(a.Out)
		return nil
	})
}

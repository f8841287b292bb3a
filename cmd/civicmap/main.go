// Command civicmap serves the directory of Sanming's grassroots CPPCC platforms
// as GraphQL over PostGIS, and manages its database.
//
//	civicmap run      start the private cluster (unless -database-url), migrate, load, serve
//	civicmap serve    serve an existing, migrated and loaded database
//	civicmap migrate  apply the schema migrations
//	civicmap load     load the Sanming data and the platform seed (idempotent)
//	civicmap localdb  start the private cluster and print its URL, until Ctrl-C
//	civicmap keys     create, list and revoke the API keys that writes need
//	civicmap import   write the platforms of an NDJSON, CSV or GeoJSON file, all or nothing
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `usage: civicmap <command> [flags]

commands:
  run      start the private PostGIS cluster (unless -database-url is set), migrate, load and serve
  serve    serve an existing database (migrated and loaded)
  migrate  apply the schema migrations
  load     load the Sanming data (-data-dir) and the platform seed; loading twice changes nothing
  localdb  start the private cluster and print its connection string until interrupted
  keys     create, list and revoke API keys ('civicmap keys' for more)
  import   [-dry-run] [-format F] FILE: write the platforms of an NDJSON, CSV or GeoJSON file (an export), all or nothing

Run 'civicmap <command> -h' for the flags; each has a CIVICMAP_* environment variable.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "civicmap:", err)
		}
		os.Exit(1)
	}
}

// run runs one command with its arguments; ctx ends on SIGINT or SIGTERM. A
// command's output goes to stdout, logs and usage to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, args := args[0], args[1:]
	if cmd == "keys" {
		if len(args) == 0 {
			fmt.Fprint(stderr, keysUsage)
			return flag.ErrHelp
		}
		cmd, args = "keys "+args[0], args[1:]
	}
	var cfg config
	var kf keyFlags
	var dryRun bool
	var format string
	fs := flag.NewFlagSet("civicmap "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.flags(fs)
	switch cmd {
	case "keys create":
		kf.flags(fs)
	case "import":
		fs.BoolVar(&dryRun, "dry-run", false, "check and count everything, write nothing")
		fs.StringVar(&format, "format", "", "ndjson, csv or geojson; by default from the file's extension, else its content")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.check(); err != nil {
		return err
	}
	app := &App{Config: cfg, Log: newLogger(cfg.LogFormat, stderr), Out: stdout, Progress: stderr}
	switch cmd {
	case "run":
		return app.Run(ctx, true)
	case "serve":
		return app.Run(ctx, false)
	case "migrate":
		return app.Migrate(ctx)
	case "load":
		return app.Load(ctx)
	case "localdb":
		return app.LocalDB(ctx)
	case "keys create":
		return app.CreateKey(ctx, kf)
	case "keys list":
		return app.ListKeys(ctx)
	case "keys revoke":
		return app.RevokeKey(ctx, fs.Args())
	case "import":
		return app.Import(ctx, fs.Args(), format, dryRun)
	}
	if strings.HasPrefix(cmd, "keys ") {
		fmt.Fprint(stderr, keysUsage)
	} else {
		fmt.Fprint(stderr, usage)
	}
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

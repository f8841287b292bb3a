package main

import (
	"context"
	"errors"
	"flag"
	"strconv"

	"civicmap/exchange"
)

// command is one civicmap command, or a group of them (keys, and the binary
// itself) when it has subs.
type command struct {
	name    string // as typed after its parent: "serve", "create"
	summary string // one line, in its parent's list of commands
	about   string // more, at the top of its own usage, in lines; "" when summary says all
	args    []argument
	// settings are the config groups it reads: its flags, beside its own.
	settings settingGroup
	// setup registers the command's own flags, when it has any, and returns
	// what runs it on the parsed flags and its arguments.
	setup func(fs *flag.FlagSet) action
	subs  []*command
}

// argument is a positional argument a command requires, after its flags.
type argument struct{ name, about string }

// action runs a command on an App built from its settings, with its
// arguments (as many as the command's args, checked before).
type action func(ctx context.Context, a *App, args []string) error

// noFlags is the setup of a command that has no flags of its own.
func noFlags(run action) func(*flag.FlagSet) action {
	return func(*flag.FlagSet) action { return run }
}

// dbCommand is what every command that opens the database reads.
const dbCommand = logSettings | databaseSettings | localDBSettings

// commands returns the command tree, the binary at its root.
func commands() *command {
	return &command{name: "civicmap", subs: []*command{
		{
			name:     "run",
			summary:  "start the private PostGIS cluster (unless -database-url is set), migrate, load and serve",
			settings: dbCommand | dataSettings | serverSettings,
			setup:    noFlags(func(ctx context.Context, a *App, _ []string) error { return a.Run(ctx, true) }),
		},
		{
			name:    "serve",
			summary: "serve an existing database (migrated and loaded)",
			about: "Without -database-url it serves the private cluster, as run does, but neither migrates nor loads it.\n" +
				"It refuses a database that lacks a migration: run civicmap migrate.",
			settings: dbCommand | serverSettings,
			setup:    noFlags(func(ctx context.Context, a *App, _ []string) error { return a.Run(ctx, false) }),
		},
		{
			name:     "migrate",
			summary:  "apply the schema migrations",
			settings: dbCommand,
			setup:    noFlags(func(ctx context.Context, a *App, _ []string) error { return a.Migrate(ctx) }),
		},
		{
			name:     "load",
			summary:  "migrate, then load the Sanming data (-data-dir) and the platform seed; loading twice changes nothing",
			settings: dbCommand | dataSettings,
			setup:    noFlags(func(ctx context.Context, a *App, _ []string) error { return a.Load(ctx) }),
		},
		{
			name:     "localdb",
			summary:  "start the private cluster and print its connection string until interrupted",
			settings: logSettings | localDBSettings,
			setup:    noFlags(func(ctx context.Context, a *App, _ []string) error { return a.LocalDB(ctx) }),
		},
		keysCommand(),
		importCommand(),
		{
			name:    "version",
			summary: "print the binary's version, its VCS revision and the schema version it migrates to (also -version)",
			setup: noFlags(func(_ context.Context, a *App, _ []string) error {
				readVersion().print(a.Out)
				return nil
			}),
		},
		{name: "help", summary: "print this, or a command's usage: civicmap help <command> (also -h, --help)"},
	}}
}

func keysCommand() *command {
	return &command{name: "keys", summary: "create, list and revoke the API keys that writes need", subs: []*command{
		{
			name:    "create",
			summary: "create an API key and print its token (shown this once only)",
			about: "An editor needs a scope: 350400 (the whole city) or a county code such as 350481.\n" +
				"civicmap keeps only the token's SHA-256.",
			settings: dbCommand,
			setup: func(fs *flag.FlagSet) action {
				var kf keyFlags
				kf.flags(fs)
				return func(ctx context.Context, a *App, _ []string) error { return a.CreateKey(ctx, kf) }
			},
		},
		{
			name:     "list",
			summary:  "list the keys, revoked ones included (never their tokens)",
			settings: dbCommand,
			setup:    noFlags(func(ctx context.Context, a *App, _ []string) error { return a.ListKeys(ctx) }),
		},
		{
			name:     "revoke",
			summary:  "revoke a key for good",
			args:     []argument{{"ID", "the key's number, as civicmap keys list shows it"}},
			settings: dbCommand,
			setup: noFlags(func(ctx context.Context, a *App, args []string) error {
				id, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil {
					return &usageError{msg: "keys revoke: " + strconv.Quote(args[0]) + " is not a key ID", help: "civicmap keys revoke -h"}
				}
				return a.RevokeKey(ctx, id)
			}),
		},
	}}
}

func importCommand() *command {
	return &command{
		name:    "import",
		summary: "write the platforms of an NDJSON, CSV or GeoJSON file (an export), all or nothing",
		about: "Rows are matched by externalId: a new one is created, one that differs is updated unless its\n" +
			"version is no longer current. A failed import changes nothing and names the line, row and field at fault.",
		args:     []argument{{"FILE", "an NDJSON, CSV or GeoJSON file, e.g. an export from /export/platforms.ndjson"}},
		settings: dbCommand,
		setup: func(fs *flag.FlagSet) action {
			dryRun := fs.Bool("dry-run", false, "check and count everything, write nothing")
			format := fs.String("format", "", "ndjson, csv or geojson; by default from the file's extension, else its content")
			return func(ctx context.Context, a *App, args []string) error {
				err := a.Import(ctx, args[0], *format, *dryRun)
				if errors.Is(err, exchange.ErrUnknownFormat) {
					return &usageError{msg: "import: -format: " + err.Error(), help: "civicmap import -h"}
				}
				return err
			}
		},
	}
}

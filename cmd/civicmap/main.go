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
//	civicmap version  the binary's version, VCS revision and schema version
//	civicmap help     the usage of civicmap or of a command (also -h and --help at every level)
//
// A command line that cannot run (an unknown command or flag, a bad flag value,
// a missing argument) exits 2; an error while a command runs exits 1.
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
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err on stderr and returns the exit status: 0 without an
// error, 2 for a command line civicmap cannot run (a usageError), 1 for an
// error while it runs.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "civicmap:", err)
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// usageError is a command line that cannot run: an unknown command or flag,
// a bad flag value, a missing or extra argument.
type usageError struct {
	msg  string
	help string // the command line that shows the usage, "" for none
}

func (e *usageError) Error() string {
	if e.help == "" {
		return e.msg
	}
	return fmt.Sprintf("%s; run '%s'", e.msg, e.help)
}

// run runs the command that args name. A command's output and any usage asked
// for go to stdout; logs, and the usage shown for a command line that cannot
// run, to stderr. ctx ends on SIGINT or SIGTERM.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-version" || args[0] == "--version") {
		args = append([]string{"version"}, args[1:]...)
	}
	root := commands()
	cmd, path, args, err := find(root, root.name, args, stdout, stderr)
	if cmd == nil {
		return err
	}
	return cmd.exec(ctx, path, args, stdout, stderr)
}

// find walks from cmd, at path, down the command groups that args name and
// returns the command to run with its path ("civicmap keys create") and
// arguments; or nil with the error, when args asked for help (nil) or name no
// command.
func find(cmd *command, path string, args []string, stdout, stderr io.Writer) (*command, string, []string, error) {
	for cmd.subs != nil {
		if len(args) == 0 {
			cmd.usage(stderr, path, nil)
			return nil, "", nil, &usageError{msg: "no command given"}
		}
		name := args[0]
		switch {
		case name == "help" && len(args) > 1:
			// civicmap help keys create: the usage of that command.
			return find(cmd, path, append(slices.Clone(args[1:]), "-h"), stdout, stderr)
		case isHelp(name):
			cmd.usage(stdout, path, nil)
			return nil, "", nil, nil
		}
		sub := cmd.sub(name)
		if sub == nil {
			what := "command"
			if strings.HasPrefix(name, "-") {
				what = "flag" // flags go after the command
			}
			return nil, "", nil, &usageError{msg: fmt.Sprintf("unknown %s %q", what, name), help: path + " help"}
		}
		cmd, path, args = sub, path+" "+name, args[1:]
	}
	return cmd, path, args, nil
}

// isHelp reports whether arg asks for usage.
func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

// sub returns the subcommand called name, or nil. The help entry is no
// command: find answers it.
func (c *command) sub(name string) *command {
	for _, s := range c.subs {
		if s.name == name && (s.setup != nil || s.subs != nil) {
			return s
		}
	}
	return nil
}

// exec parses the flags and arguments of the command at path, and runs it.
func (c *command) exec(ctx context.Context, path string, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	// The flag package would print the whole usage with an error; the error
	// alone, with a pointer to -h, says more on a terminal.
	fs.SetOutput(io.Discard)
	cfg.flags(fs, c.settings)
	envErr := fromEnv(fs)
	act := c.setup(fs)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) || err == nil && fs.NArg() == 1 && fs.Arg(0) == "help" {
		c.usage(stdout, path, fs)
		return nil
	}
	if err == nil {
		err = envErr
	}
	if err == nil {
		err = c.checkArgs(fs.Args())
	}
	if err == nil {
		err = cfg.check(c.settings)
	}
	if err != nil {
		return &usageError{msg: strings.TrimPrefix(path, "civicmap ") + ": " + err.Error(), help: path + " -h"}
	}
	app := &App{Config: cfg, Log: newLogger(cfg.LogFormat, stderr), Out: stdout, Progress: stderr}
	return act(ctx, app, fs.Args())
}

// checkArgs checks that args are as many as the command takes.
func (c *command) checkArgs(args []string) error {
	if len(args) == len(c.args) {
		return nil
	}
	var names []string
	for _, a := range c.args {
		names = append(names, a.name)
	}
	switch {
	case len(c.args) == 0:
		return fmt.Errorf("takes no arguments, got %q", args)
	case len(args) == 0:
		return fmt.Errorf("missing %s", strings.Join(names, " "))
	}
	return fmt.Errorf("takes %s, got %q (flags go before the arguments)", strings.Join(names, " "), args)
}

// usage writes the command's usage to w: its list of commands for a group,
// else its flags (fs, as registered) and arguments.
func (c *command) usage(w io.Writer, path string, fs *flag.FlagSet) {
	if c.subs != nil {
		fmt.Fprintf(w, "usage: %s <command> [flags] [arguments]\n\ncommands:\n", path)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range c.subs {
			fmt.Fprintf(tw, "  %s\t%s\n", s.name, s.summary)
		}
		tw.Flush()
		fmt.Fprintf(w, "\nRun '%s <command> -h' for a command's flags and arguments.\n", path)
		return
	}
	line := "usage: " + path
	if hasFlags(fs) {
		line += " [flags]"
	}
	for _, a := range c.args {
		line += " " + a.name
	}
	fmt.Fprintf(w, "%s\n\n%s%s.\n", line, strings.ToUpper(c.summary[:1]), c.summary[1:])
	if c.about != "" {
		fmt.Fprintln(w, c.about)
	}
	if len(c.args) > 0 {
		fmt.Fprintln(w, "\narguments:")
		for _, a := range c.args {
			fmt.Fprintf(w, "  %s  %s\n", a.name, a.about)
		}
	}
	if hasFlags(fs) {
		fmt.Fprintln(w, "\nflags (each CIVICMAP_* variable sets its flag's default):")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

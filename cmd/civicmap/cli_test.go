package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"civicmap/db/dbtest"
	"civicmap/db/migrations"
)

// buildCivicmap builds the binary into a temporary directory and returns its path.
func buildCivicmap(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "civicmap")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cliResult is what one run of the binary did.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runBinary runs bin with args and the extra environment, and returns its
// exit code and output.
func runBinary(t *testing.T, bin string, env []string, args ...string) cliResult {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	// No private cluster may start by accident in the package's directory.
	cmd.Env = append(os.Environ(), "CIVICMAP_LOCALDB_DIR="+filepath.Join(t.TempDir(), "localdb"))
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run civicmap %q: %v", args, err)
	}
	return cliResult{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// The flags each command lists, by the settings it reads and its own.
var (
	logFlags    = []string{"log-format"}
	localFlags  = []string{"localdb-dir", "localdb-port"}
	dbFlags     = slices.Concat(logFlags, localFlags, []string{"database-url", "statement-timeout"})
	serverFlags = []string{"addr", "answer-cache", "cors-origins", "db-heavy-conns", "db-max-conns", "memory-limit-mib", "metrics-addr", "read-database-urls", "replica-max-lag", "request-timeout"}
)

var flagLine = regexp.MustCompile(`(?m)^  -(\S+)`)

// TestCommandLineHelp: every way of asking for help, at every level, prints
// the usage on stdout and exits 0; each command lists only the flags it reads,
// and its arguments. The database URL of the environment, which may hold a
// password, is never shown.
func TestCommandLineHelp(t *testing.T) {
	bin := buildCivicmap(t)
	env := []string{"CIVICMAP_DATABASE_URL=postgres://civicmap:s3cret@db1.internal/civicmap"}
	for _, c := range []struct {
		cmd   []string // the command; "" for the binary itself
		flags []string // for a command: exactly the flags it lists
		show  []string // more its usage must show
	}{
		{nil, nil, []string{"usage: civicmap <command>", "  serve ", "  keys ", "  import ", "  version ", "  help "}},
		{[]string{"keys"}, nil, []string{"usage: civicmap keys <command>", "  create ", "  list ", "  revoke "}},
		{[]string{"run"}, slices.Concat(dbFlags, serverFlags, []string{"data-dir"}), []string{"usage: civicmap run [flags]\n"}},
		{[]string{"serve"}, slices.Concat(dbFlags, serverFlags), []string{"usage: civicmap serve [flags]\n"}},
		{[]string{"migrate"}, dbFlags, nil},
		{[]string{"load"}, slices.Concat(dbFlags, []string{"data-dir"}), nil},
		{[]string{"localdb"}, slices.Concat(logFlags, localFlags), nil},
		{[]string{"import"}, slices.Concat(dbFlags, []string{"dry-run", "format"}), []string{"usage: civicmap import [flags] FILE\n", "\n  FILE  "}},
		{[]string{"keys", "create"}, slices.Concat(dbFlags, []string{"role", "scope", "name"}), nil},
		{[]string{"keys", "list"}, dbFlags, nil},
		{[]string{"keys", "revoke"}, dbFlags, []string{"usage: civicmap keys revoke [flags] ID\n", "\n  ID  "}},
		{[]string{"version"}, []string{}, []string{"usage: civicmap version\n"}},
	} {
		for _, ask := range [][]string{
			append(slices.Clone(c.cmd), "-h"),
			append(slices.Clone(c.cmd), "-help"),
			append(slices.Clone(c.cmd), "--help"),
			append(slices.Clone(c.cmd), "help"),
			append([]string{"help"}, c.cmd...),
		} {
			t.Run(strings.Join(ask, " "), func(t *testing.T) {
				r := runBinary(t, bin, env, ask...)
				if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "usage: "+strings.Join(append([]string{"civicmap"}, c.cmd...), " ")) {
					t.Fatalf("exit %d, stderr %q, stdout:\n%s\nwant exit 0, its usage on stdout, nothing on stderr", r.code, r.stderr, r.stdout)
				}
				if strings.Contains(r.stdout, "s3cret") {
					t.Errorf("the usage shows the database password:\n%s", r.stdout)
				}
				for _, s := range c.show {
					if !strings.Contains(r.stdout, s) {
						t.Errorf("usage lacks %q:\n%s", s, r.stdout)
					}
				}
				if c.flags == nil {
					return
				}
				var got []string
				for _, m := range flagLine.FindAllStringSubmatch(r.stdout, -1) {
					got = append(got, m[1])
				}
				want := slices.Sorted(slices.Values(c.flags))
				if !slices.Equal(got, want) {
					t.Errorf("flags listed %q, want %q:\n%s", got, want, r.stdout)
				}
			})
		}
	}
}

// TestCommandLineErrors: a command line that cannot run exits 2 with one line
// on stderr that says why and where to look; an error while running exits 1.
// Settings still come from CIVICMAP_* variables.
func TestCommandLineErrors(t *testing.T) {
	bin := buildCivicmap(t)
	url := dbtest.NewConnString(t)
	for _, c := range []struct {
		name   string
		env    []string
		args   []string
		code   int
		stderr string // the one line on stderr, or (code 0) a part of it
		stdout string // a part of stdout
	}{
		{"unknown command", nil, []string{"frob"}, 2, `civicmap: unknown command "frob"; run 'civicmap help'`, ""},
		{"unknown keys command", nil, []string{"keys", "frob"}, 2, `civicmap: unknown command "frob"; run 'civicmap keys help'`, ""},
		{"help for an unknown command", nil, []string{"help", "frob"}, 2, `civicmap: unknown command "frob"; run 'civicmap help'`, ""},
		{"flag before the command", nil, []string{"-addr", ":80", "serve"}, 2, `civicmap: unknown flag "-addr"; run 'civicmap help'`, ""},
		{"unknown flag", nil, []string{"serve", "-frob"}, 2, `civicmap: serve: flag provided but not defined: -frob; run 'civicmap serve -h'`, ""},
		{"server flag on a key command", nil, []string{"keys", "list", "-addr", ":80"}, 2,
			`civicmap: keys list: flag provided but not defined: -addr; run 'civicmap keys list -h'`, ""},
		{"number flag not a number", nil, []string{"serve", "-db-max-conns", "eight"}, 2,
			`civicmap: serve: invalid value "eight" for flag -db-max-conns: parse error; run 'civicmap serve -h'`, ""},
		{"bad duration", nil, []string{"migrate", "-statement-timeout", "-1s"}, 2,
			`civicmap: migrate: -statement-timeout: must be positive, got -1s; run 'civicmap migrate -h'`, ""},
		{"bad origin", nil, []string{"serve", "-cors-origins", "map.example.org"}, 2,
			`civicmap: serve: -cors-origins: "map.example.org" is not an origin: want scheme://host[:port] in lower case with no path (https://map.example.org), * for any or none; run 'civicmap serve -h'`, ""},
		{"bad log format", nil, []string{"localdb", "-log-format", "xml"}, 2,
			`civicmap: localdb: -log-format: want text or json, got "xml"; run 'civicmap localdb -h'`, ""},
		{"argument to a command that takes none", nil, []string{"migrate", "now"}, 2,
			`civicmap: migrate: takes no arguments, got ["now"]; run 'civicmap migrate -h'`, ""},
		{"import without a file", nil, []string{"import"}, 2, `civicmap: import: missing FILE; run 'civicmap import -h'`, ""},
		{"flag after the file", nil, []string{"import", "a.csv", "-dry-run"}, 2,
			`civicmap: import: takes FILE, got ["a.csv" "-dry-run"] (flags go before the arguments); run 'civicmap import -h'`, ""},
		{"import in an unknown format", nil, []string{"import", "-format", "xml", "cli_test.go"}, 2,
			`civicmap: import: -format: import cli_test.go: nothing was written: unknown import format "xml": want ndjson, csv or geojson; run 'civicmap import -h'`, ""},
		{"revoke without an ID", nil, []string{"keys", "revoke"}, 2, `civicmap: keys revoke: missing ID; run 'civicmap keys revoke -h'`, ""},
		{"revoke a word", nil, []string{"keys", "revoke", "one"}, 2, `civicmap: keys revoke: "one" is not a key ID; run 'civicmap keys revoke -h'`, ""},
		{"variable not a duration", []string{"CIVICMAP_STATEMENT_TIMEOUT=abc"}, []string{"migrate"}, 2,
			`civicmap: migrate: CIVICMAP_STATEMENT_TIMEOUT: invalid value "abc" for -statement-timeout: parse error; run 'civicmap migrate -h'`, ""},
		{"variable not a number", []string{"CIVICMAP_DB_MAX_CONNS=eight"}, []string{"serve"}, 2,
			`civicmap: serve: CIVICMAP_DB_MAX_CONNS: invalid value "eight" for -db-max-conns: parse error; run 'civicmap serve -h'`, ""},
		{"variable refused by the check", []string{"CIVICMAP_LOG_FORMAT=xml"}, []string{"localdb"}, 2,
			`civicmap: localdb: -log-format: want text or json, got "xml"; run 'civicmap localdb -h'`, ""},
		{"no command", nil, nil, 2, "", ""},
		{"no keys command", nil, []string{"keys"}, 2, "", ""},

		{"unreachable database", nil, []string{"migrate", "-database-url", "postgres://127.0.0.1:1/civicmap?connect_timeout=5"}, 1, "", ""},
		{"missing file", nil, []string{"import", "-database-url", url, "/nonexistent/platforms.csv"}, 1,
			"civicmap: import /nonexistent/platforms.csv: nothing was written: open /nonexistent/platforms.csv: no such file or directory", ""},
		{"revoke an unknown key", nil, []string{"keys", "revoke", "-database-url", url, "99"}, 1, "", ""},

		{"database from the environment", []string{"CIVICMAP_DATABASE_URL=" + url, "CIVICMAP_LOG_FORMAT=json"}, []string{"keys", "list"}, 0,
			`{"time":`, "ID  NAME  ROLE  SCOPE  CREATED  REVOKED"},
		{"version", nil, []string{"version"}, 0, "", "\nschema:   " + strconv.Itoa(migrations.Latest()) + " "},
		{"-version", nil, []string{"-version"}, 0, "", "\nschema:   " + strconv.Itoa(migrations.Latest()) + " "},
		{"--version", nil, []string{"--version"}, 0, "", "civicmap "},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runBinary(t, bin, c.env, c.args...)
			t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d", r.code, c.code)
			}
			if !strings.Contains(r.stdout, c.stdout) {
				t.Errorf("stdout lacks %q", c.stdout)
			}
			// The error is the line that starts "civicmap: " (a database's
			// error may go on over more lines).
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "civicmap: ") })
			switch {
			case c.code == 0:
				if !strings.Contains(r.stderr, c.stderr) {
					t.Errorf("stderr lacks %q", c.stderr)
				}
			case i < 0:
				t.Errorf("stderr has no line that starts with civicmap: and the error")
			case c.stderr != "" && (lines[i] != c.stderr || c.code == 2 && len(lines) != 1):
				t.Errorf("stderr:\n%s\nwant the one line\n%s", r.stderr, c.stderr)
			}
			if c.code != 0 && r.stdout != "" {
				t.Errorf("a failed command printed on stdout")
			}
		})
	}
}

// TestVersionOf: the version names what the build info holds, and says so
// honestly when it holds nothing.
func TestVersionOf(t *testing.T) {
	for _, c := range []struct {
		name string
		info *debug.BuildInfo
		want []string
	}{
		{"no build info", nil, []string{"civicmap (devel)\n", "revision: unknown\n", "schema:   5 ", "go:       unknown\n"}},
		{"a worktree build, no VCS stamp", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			[]string{"civicmap (devel)\n", "revision: unknown\n", "go:       go1.26.8\n"}},
		{"a stamped build", &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Version: "v0.0.0-20261130103000-72eb026abcde+dirty"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "72eb026abcdef0123456789"},
				{Key: "vcs.time", Value: "2026-11-30T10:30:00Z"},
				{Key: "vcs.modified", Value: "true"},
			},
		}, []string{"civicmap v0.0.0-20261130103000-72eb026abcde+dirty\n", "revision: 72eb026abcdef0123456789 (2026-11-30T10:30:00Z) with uncommitted changes\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			versionOf(c.info, 5).print(&buf)
			for _, w := range c.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("version lacks %q:\n%s", w, buf.String())
				}
			}
		})
	}
}

package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/errcode"
)

// runCLI runs `civicmap <command> args…` (command: "import" or "keys <sub>")
// on the database at url and returns what it printed on stdout.
func runCLI(t *testing.T, url string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	// Flags before the arguments: the flag package stops at the first argument.
	n := 1
	if args[0] == "keys" {
		n = 2
	}
	args = append(append(append([]string{}, args[:n]...), "-database-url", url), args[n:]...)
	err := run(t.Context(), args, &stdout, &stderr)
	return stdout.String(), err
}

var tokenLine = regexp.MustCompile(`(?m)^token: (cmk_\S+)$`)

// TestKeysCommands: keys create prints a token that authenticates, keys list
// shows the key without its token, keys revoke ends it; bad arguments are
// refused with the reason.
func TestKeysCommands(t *testing.T) {
	url := dbtest.NewConnString(t)
	out, err := runCLI(t, url, "keys", "create", "-role", "editor", "-scope", "350481", "-name", "永安 office")
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	m := tokenLine.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "created key 1: editor, scope 350481") {
		t.Fatalf("keys create printed:\n%s", out)
	}
	token := m[1]

	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	d := db.New(pool)
	k, err := d.KeyByToken(t.Context(), token)
	if err != nil || k.ID != 1 || k.Role != db.RoleEditor || *k.Scope != "350481" || k.Name != "永安 office" {
		t.Fatalf("the printed token gives key %+v, %v", k, err)
	}

	out, err = runCLI(t, url, "keys", "list")
	if err != nil {
		t.Fatalf("keys list: %v", err)
	}
	if !regexp.MustCompile(`(?m)^1\s+永安 office\s+editor\s+350481\s+\S+\s+-$`).MatchString(out) || strings.Contains(out, token) {
		t.Errorf("keys list printed:\n%s", out)
	}

	if out, err = runCLI(t, url, "keys", "revoke", "1"); err != nil || !strings.Contains(out, "revoked key 1") {
		t.Fatalf("keys revoke: %v\n%s", err, out)
	}
	if _, err := d.KeyByToken(t.Context(), token); errcode.Classify(err) != errcode.Unauthenticated {
		t.Errorf("a revoked key's token gives %v, want UNAUTHENTICATED", err)
	}
	out, _ = runCLI(t, url, "keys", "list")
	if regexp.MustCompile(`(?m)^1 .*\s-$`).MatchString(out) {
		t.Errorf("keys list shows key 1 unrevoked:\n%s", out)
	}

	for _, c := range []struct {
		name string
		args []string
		code errcode.Code
	}{
		{"editor without scope", []string{"keys", "create", "-role", "editor"}, errcode.BadUserInput},
		{"admin with scope", []string{"keys", "create", "-role", "admin", "-scope", "350481"}, errcode.BadUserInput},
		{"unknown role", []string{"keys", "create", "-role", "owner"}, errcode.BadUserInput},
		{"unknown scope", []string{"keys", "create", "-role", "editor", "-scope", "350499"}, errcode.BadUserInput},
		{"revoke twice", []string{"keys", "revoke", "1"}, errcode.Conflict},
		{"revoke unknown", []string{"keys", "revoke", "99"}, errcode.NotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := runCLI(t, url, c.args...)
			if errcode.Classify(err) != c.code {
				t.Errorf("error %v, want %s", err, c.code)
			}
		})
	}
	keys, err := d.Keys(context.Background())
	if err != nil || len(keys) != 1 {
		t.Errorf("after the refused commands there are %d keys (%v), want 1", len(keys), err)
	}
	if _, err := runCLI(t, url, "keys", "revoke"); err == nil {
		t.Error("keys revoke without an ID succeeded")
	}
}

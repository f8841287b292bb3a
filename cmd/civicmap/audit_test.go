package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// auditDir holds the graphql-http audit script and its pinned node packages,
// relative to this package's directory (go test's working directory).
const auditDir = "../../.ci/audit"

// TestGraphQLOverHTTPAudit runs the graphql-http audit suite (the GraphQL over
// HTTP spec's conformance audits) against a whole server on a loopback port.
// Every MUST audit has to pass; the SHOULD and MAY counts are logged. It never
// skips: without node or the audit's node packages it fails and says how to
// install them.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (%v): run `make test`, which checks for it, or install Node.js 20", err)
	}
	pkg := filepath.Join(auditDir, "node_modules", "graphql-http", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		t.Fatalf("the audit's node packages are missing (%v): run `make test` or `npm ci --prefix .ci/audit` in the repository root", err)
	}

	app := startApp(t, nil)
	// The suite makes about 70 small requests; a minute is far more than it
	// needs, and stops a hung server from holding the test until go test's
	// own timeout.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(auditDir, "audit.mjs"), app.URL+"/graphql")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	runErr := cmd.Run()

	var summary string
	for line := range strings.Lines(out.String()) {
		if strings.HasPrefix(line, "graphql-http audit:") {
			summary = strings.TrimSpace(line)
		}
	}
	if runErr != nil || summary == "" {
		t.Fatalf("graphql-http audit failed (%v); a MUST audit failed or the script did not finish:\n%s", runErr, out.String())
	}
	t.Log(summary)
	if testing.Verbose() {
		t.Logf("audit output:\n%s", out.String())
	}
}

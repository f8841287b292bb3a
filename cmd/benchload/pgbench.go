package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// pgbenchScript is a pgbench custom script of a query's statements and the
// -D definitions of its constant parameters.
type pgbenchScript struct {
	text    string
	defines []string
}

// placeholder is a statement's $n.
var placeholder = regexp.MustCompile(`\$(\d+)`)

// newScript turns the statements the server sent for q (with variables vars)
// into one pgbench transaction. A parameter that held one of the variables'
// values becomes that pgbench variable, drawn afresh for every transaction
// as the load generator draws it; every other parameter keeps the value it had.
// It fails when a variable reached no statement, since pgbench would then not
// vary it.
func newScript(q query, e extent, stmts []sent, vars map[string]any) (pgbenchScript, error) {
	s := pgbenchScript{text: q.pgbenchSet(e)}
	used := map[string]bool{}
	for i, st := range stmts {
		var err error
		sql := placeholder.ReplaceAllStringFunc(st.sql, func(ph string) string {
			n, _ := strconv.Atoi(ph[1:])
			if n < 1 || n > len(st.params) {
				err = fmt.Errorf("%s: statement %d has %s but %d parameters", q.name, i+1, ph, len(st.params))
				return ph
			}
			p := st.params[n-1]
			if p == nil {
				return "NULL"
			}
			if name, ok := variableOf(*p, vars); ok {
				used[name] = true
				return ":" + name
			}
			def := fmt.Sprintf("s%dp%d", i+1, n)
			s.defines = append(s.defines, def+"="+*p)
			return ":" + def
		})
		if err != nil {
			return s, err
		}
		s.text += strings.TrimRight(strings.TrimSpace(sql), ";") + ";\n"
	}
	for _, d := range q.vars {
		if name := d.name; !used[name] && !d.inMemory {
			return s, fmt.Errorf("%s: variable $%s reached no statement as it was sent, so pgbench could not vary it", q.name, name)
		}
	}
	return s, nil
}

// variableOf returns the name of the variable whose value the parameter text p
// holds.
func variableOf(p string, vars map[string]any) (string, bool) {
	f, err := strconv.ParseFloat(p, 64)
	if err != nil {
		return "", false
	}
	for name, v := range vars {
		if vf, ok := v.(float64); ok && vf == f {
			return name, true
		}
	}
	return "", false
}

// tpsLine is pgbench's rate, without the time it took to connect.
var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// runPgbench runs script with clients connections for d on the database at
// host (a socket directory), port and dbname, and returns its rate. The
// statements are prepared once per connection (-M prepared), as pgx does.
// Each transaction is one request's statements, one after another.
func runPgbench(ctx context.Context, bin, dir string, s pgbenchScript, clients int, d time.Duration, host string, port int, dbname string) (float64, error) {
	f, err := os.CreateTemp(dir, "script-*.sql")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(s.text); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(clients), "-j", strconv.Itoa(min(clients, 2)),
		"-T", strconv.Itoa(max(1, int(d.Round(time.Second).Seconds()))), "-f", f.Name(),
		"-h", host, "-p", strconv.Itoa(port), "-U", "postgres"}
	for _, def := range s.defines {
		args = append(args, "-D", def)
	}
	args = append(args, dbname)
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w\n%s\nscript %s:\n%s", err, out, filepath.Base(f.Name()), s.text)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench printed no rate:\n%s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	return tps, nil
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"

	"civicmap/db"
	"civicmap/server"
)

// The ceiling of a query is pgbench running the statements that the server
// sends for it, as PostgreSQL saw them: the harness answers the query once
// through the server's own handler on a pool whose sessions log every
// statement with its parameters (log_statement = all), and reads them back
// from the cluster's log. pg_stat_statements cannot give them: it keeps the
// text with its constants replaced by placeholders, which no longer runs.

// sent is one statement as the server sent it: its text and its parameters as
// PostgreSQL wrote them (nil for NULL).
type sent struct {
	sql    string
	params []*string
}

// capturer answers queries in-process with statement logging on, and reads the
// statements from the cluster's log: on a server that keeps answers in memory,
// or, for uncached queries, on one that keeps none.
type capturer struct {
	cached, uncached http.Handler
	logFile          string
}

// newCapturer returns a capturer over the database at connString, whose
// cluster writes its log to logFile.
func newCapturer(ctx context.Context, connString, logFile string) (*capturer, func(), error) {
	pool, err := db.Open(ctx, connString+" log_statement=all", db.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("capture pool: %w", err)
	}
	handler := func(noCache bool) http.Handler {
		d := db.NewPools(db.Pools{Main: pool, NoCache: noCache})
		return server.New(server.DefaultConfig(), d, slog.New(slog.DiscardHandler)).Handler()
	}
	return &capturer{cached: handler(false), uncached: handler(true), logFile: logFile}, pool.Close, nil
}

// capture answers q with variables drawn in e and returns the statements it
// sent, with the variables it used. It answers twice and keeps the second's:
// the statements of a server that has answered before, as under load.
func (c *capturer) capture(q query, e extent) ([]sent, map[string]any, error) {
	vars := q.values(rand.New(rand.NewPCG(1, 2)), e)
	h := c.cached
	if q.uncached {
		h = c.uncached
	}
	if err := answer(h, q, vars); err != nil {
		return nil, nil, err
	}
	before, err := fileSize(c.logFile)
	if err != nil {
		return nil, nil, err
	}
	if err := answer(h, q, vars); err != nil {
		return nil, nil, err
	}
	stmts, err := readStatements(c.logFile, before)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", q.name, err)
	}
	return stmts, vars, nil
}

// answer posts q with vars to h and checks the answer.
func answer(h http.Handler, q query, vars map[string]any) error {
	body, err := requestBody(q, vars)
	if err != nil {
		return err
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if err := checkAnswer(rec.Code, rec.Body.Bytes()); err != nil {
		return fmt.Errorf("%s: %w", q.name, err)
	}
	return nil
}

// requestBody is the JSON body of a POST of q with vars.
func requestBody(q query, vars map[string]any) ([]byte, error) {
	return json.Marshal(map[string]any{"query": q.doc, "variables": vars})
}

// checkAnswer fails a response that is not a 200 with data and no errors.
func checkAnswer(status int, body []byte) error {
	if status != http.StatusOK || bytes.Contains(body, []byte(`"errors"`)) {
		return fmt.Errorf("status %d: %.300s", status, body)
	}
	return nil
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("cluster log: %w", err)
	}
	return fi.Size(), nil
}

// logEntry matches the first line of an entry of PostgreSQL's stderr log
// (log_line_prefix '%m [%p] '): its level and its message.
var logEntry = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[\d+\] ([A-Z]+):  (.*)$`)

// executeLine is the message of an extended-protocol statement being run.
var executeLine = regexp.MustCompile(`^execute [^:]+: `)

// readStatements reads the statements logged in logFile from offset on.
func readStatements(logFile string, offset int64) ([]sent, error) {
	f, err := os.Open(logFile)
	if err != nil {
		return nil, fmt.Errorf("cluster log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("cluster log: %w", err)
	}
	var out []sent
	var cur *sent // the statement whose text is being read
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		m := logEntry.FindStringSubmatch(line)
		switch {
		case m == nil && cur != nil:
			// A message's later lines follow a newline and a tab.
			cur.sql += "\n" + strings.TrimPrefix(line, "\t")
		case m == nil:
		case m[1] == "LOG" && executeLine.MatchString(m[2]):
			out = append(out, sent{sql: executeLine.ReplaceAllString(m[2], "")})
			cur = &out[len(out)-1]
		case m[1] == "DETAIL" && strings.HasPrefix(m[2], "parameters: ") && len(out) > 0:
			cur = nil
			ps, err := parseParams(strings.TrimPrefix(m[2], "parameters: "))
			if err != nil {
				return nil, err
			}
			out[len(out)-1].params = ps
		default:
			cur = nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cluster log: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no statement in the cluster log")
	}
	return out, nil
}

// parseParams parses "$1 = '117.5', $2 = NULL, …" as PostgreSQL logs a
// statement's parameters (quotes in a value doubled).
func parseParams(s string) ([]*string, error) {
	var out []*string
	for s != "" {
		name, rest, ok := strings.Cut(s, " = ")
		if !ok || name != "$"+strconv.Itoa(len(out)+1) {
			return nil, fmt.Errorf("parameters: cannot read %.80q", s)
		}
		var v *string
		switch {
		case strings.HasPrefix(rest, "NULL"):
			rest = rest[len("NULL"):]
		case strings.HasPrefix(rest, "'"):
			val, n, err := quoted(rest)
			if err != nil {
				return nil, err
			}
			v, rest = &val, rest[n:]
		default:
			return nil, fmt.Errorf("parameters: cannot read %.80q", rest)
		}
		out = append(out, v)
		s = strings.TrimPrefix(rest, ", ")
	}
	return out, nil
}

// quoted reads a single-quoted value at the start of s and returns it and the
// bytes it took.
func quoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), i + 1, nil
	}
	return "", 0, fmt.Errorf("parameters: unterminated value in %.80q", s)
}

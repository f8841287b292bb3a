package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"civicmap/db"
	"civicmap/db/dbtest"
	"civicmap/server"
)

// newHandlerWith is newHandler with the default config changed by edit.
func newHandlerWith(t testing.TB, edit func(*server.Config)) http.Handler {
	t.Helper()
	cfg := server.DefaultConfig()
	edit(&cfg)
	return server.New(cfg, db.New(dbtest.NewDB(t)), slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
}

// TestRequestDeadline: the request deadline stops a request of many
// statements, each well under the statement timeout, and the client gets
// TIMEOUT. Before, statement_timeout bounded each statement and nothing the
// request: ten township layers ran to the end however long they took.
func TestRequestDeadline(t *testing.T) {
	h := newHandlerWith(t, func(c *server.Config) { c.RequestTimeout = 50 * time.Millisecond })
	var b strings.Builder
	for i := range 10 {
		b.WriteString(" t" + string(rune('a'+i)) + ": townshipFeatures")
	}
	start := time.Now()
	r := post(t, h, "{"+b.String()+" }", nil)
	took := time.Since(start)
	wantError(t, r, "TIMEOUT", "", "took too long")
	if took > 2*time.Second {
		t.Errorf("answered after %s; the deadline is 50ms", took)
	}
	t.Logf("ten layers stopped after %s", took)
}

// TestDeadlineBeforeExecution: a request whose deadline passes before its
// operation runs (while it is parsed, validated and priced, on a busy
// machine) is TIMEOUT. Before, gqlgen's executor answered it with nothing:
// a body of null, no error, status 200.
func TestDeadlineBeforeExecution(t *testing.T) {
	h := newHandlerWith(t, func(c *server.Config) { c.RequestTimeout = time.Nanosecond })
	for _, q := range []string{`{ __typename }`, `{ county(code: "350481") { name } }`, `{ platforms(first: 1) { totalCount } }`} {
		t.Run(q, func(t *testing.T) { wantError(t, post(t, h, q, nil), "TIMEOUT", "", "took too long") })
	}
}

// TestResponseSizeBound: a response over MaxResponseBytes is replaced by
// QUERY_TOO_COMPLEX saying its size; one under it passes.
func TestResponseSizeBound(t *testing.T) {
	h := newHandlerWith(t, func(c *server.Config) { c.MaxResponseBytes = 200 << 10 })
	wantError(t, post(t, h, "{ townshipFeatures }", nil), "QUERY_TOO_COMPLEX", "", "over the limit of 0.2 MiB")
	var d struct{ Dataset struct{ Licence string } }
	data(t, h, "{ dataset { licence } }", nil, &d)
	if d.Dataset.Licence == "" {
		t.Error("no licence")
	}
}

// starPolygon is a GeoJSON Polygon of n vertices around Sanming whose points
// alternate between two radii: PostGIS takes about half a second to check
// that it is valid (GEOS inside ST_IsValid), where a circle takes milliseconds.
func starPolygon(n int) map[string]any {
	ring := make([][]float64, 0, n+1)
	for i := range n {
		r := 0.1
		if i%2 == 1 {
			r = 0.05
		}
		a := 2 * math.Pi * float64(i) / float64(n)
		// Five decimals (a metre) keep the request under the body's bound.
		ring = append(ring, []float64{round5(117.6 + r*math.Cos(a)), round5(26.2 + r*math.Sin(a))})
	}
	ring = append(ring, ring[0])
	return map[string]any{"type": "Polygon", "coordinates": [][][]float64{ring}}
}

func round5(x float64) float64 { return math.Round(x*1e5) / 1e5 }

// TestTimeoutInsideGEOS: a statement stopped while PostGIS is inside GEOS is
// TIMEOUT, whether the statement timeout or the request deadline stopped it.
// Before, ST_IsValid turned GEOS's interruption into XX000 "GEOS isvalid()
// threw an error!", and a statement timeout there was INTERNAL_SERVER_ERROR.
func TestTimeoutInsideGEOS(t *testing.T) {
	const query = `query($p: GeoJSON) { platforms(within: $p, first: 1) { totalCount } }`
	cases := []struct {
		name                      string
		statement, requestTimeout time.Duration
	}{
		{"statement timeout", 100 * time.Millisecond, time.Minute},
		{"request deadline", 0, 100 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pool, err := db.Open(t.Context(), dbtest.NewConnString(t), db.Options{StatementTimeout: c.statement})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			cfg := server.DefaultConfig()
			cfg.RequestTimeout = c.requestTimeout
			h := server.New(cfg, db.New(pool), slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
			start := time.Now()
			r := post(t, h, query, map[string]any{"p": starPolygon(9_998)})
			t.Logf("stopped after %s", time.Since(start))
			wantError(t, r, "TIMEOUT", "", "took too long")
		})
	}
}

// TestResponseBuildBound: a response is bounded while it is built, not only
// once it is whole: 160 aliases of every county's boundary (about 1.3 MB each)
// are refused after building about MaxResponseBytes: 13 MiB allocated in all.
// Before, the server built all 210 MB before it refused them: 1.26 GB
// allocated, 12.7 s.
func TestResponseBuildBound(t *testing.T) {
	const max = 4 << 20
	h := newHandlerWith(t, func(c *server.Config) { c.MaxResponseBytes = max })
	var b strings.Builder
	for i := range 160 {
		fmt.Fprintf(&b, " c%d: counties { nodes { boundary } }", i)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := post(t, h, "{"+b.String()+" }", nil)
	runtime.ReadMemStats(&after)
	wantError(t, r, "QUERY_TOO_COMPLEX", "", "over the limit of 4.0 MiB")
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("refused after allocating %d MiB", allocated>>20)
	if allocated > 16*max {
		t.Errorf("allocated %d MiB to refuse a response over %d MiB", allocated>>20, max>>20)
	}
}

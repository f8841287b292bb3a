package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"civicmap/db/dbtest"
)

// withMetrics serves /metrics on a loopback port of its own.
func withMetrics() appOption {
	return func(a *App) { a.Config.MetricsAddr = "127.0.0.1:0" }
}

// metric scrapes app's /metrics and returns the value of the gauge or
// counter name with the labels given as pairs, and whether there is one.
func metric(t *testing.T, app *testApp, name string, labels ...string) (float64, bool) {
	t.Helper()
	resp, err := http.Get("http://" + app.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	fam := fams[name]
	if fam == nil {
		return 0, false
	}
next:
	for _, m := range fam.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			if !hasLabel(m.Label, labels[i], labels[i+1]) {
				continue next
			}
		}
		if m.Counter != nil {
			return m.Counter.GetValue(), true
		}
		return m.Gauge.GetValue(), true
	}
	return 0, false
}

func hasLabel(labels []*dto.LabelPair, name, value string) bool {
	for _, l := range labels {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// getBody returns url's status and body.
func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestMetricsAddr: with -metrics-addr, /metrics is served there, with the
// server's three pools, and not on the API's port; without it, nowhere.
func TestMetricsAddr(t *testing.T) {
	app := startApp(t, nil, withMetrics())
	if status, _ := getBody(t, app.URL+"/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz: %d", status)
	}
	status, body := getBody(t, "http://"+app.MetricsAddr()+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, body)
	}
	for _, want := range []string{
		`civicmap_db_pool_max_connections{database="primary",pool="main"}`,
		`civicmap_db_pool_max_connections{database="primary",pool="heavy"}`,
		`civicmap_db_pool_max_connections{database="primary",pool="health"} 1`,
		`civicmap_http_request_duration_seconds_count{outcome="ok",route="/readyz"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if status, _ := getBody(t, app.URL+"/metrics"); status != http.StatusNotFound {
		t.Errorf("/metrics on the API's port: %d, want 404", status)
	}

	off := startApp(t, nil)
	if off.MetricsAddr() != "" {
		t.Errorf("no -metrics-addr, yet metrics on %s", off.MetricsAddr())
	}
}

// TestMetricsAddrTaken: an address that cannot be listened on is an error
// naming the setting.
func TestMetricsAddrTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	app := &App{
		Config: config{Addr: "127.0.0.1:0", MetricsAddr: taken.Addr().String(), DatabaseURL: dbtest.NewConnString(t), StatementTimeout: 5 * time.Second},
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	defer app.Close()
	err = app.Open(t.Context(), false)
	if err == nil || !strings.Contains(err.Error(), "-metrics-addr") {
		t.Errorf("Open with a taken metrics address: %v, want an error naming -metrics-addr", err)
	}
}

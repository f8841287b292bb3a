package main

import (
	"fmt"
	"strings"
	"time"
)

// row is one line of the table: a query on a dataset at a client count.
type row struct {
	dataset, query string
	clients        int
	rate           float64 // civicmap, requests per second
	p50, p99       float64 // milliseconds
	ceiling        float64 // pgbench, transactions (one request's statements) per second; 0 for none
	floorRate      float64 // { __typename }'s rate at the same client count
	sqlPerReq      float64 // statements the server ran per request (pg_stat_statements)
	plansPerReq    float64 // of which planned (a prepared statement planned again counts)
	peakRSS        float64 // bytes
}

// formatTable writes rows as a Markdown table with a line that says how they
// were measured.
func formatTable(rows []row, o options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s per measurement after %s warm-up, median of %d run(s)\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), o.window, o.warm, o.runs)
	b.WriteString("| dataset | query | clients | req/s | p50 ms | p99 ms | ceiling/s | share | × __typename | SQL/req | plans/req | peak RSS MiB |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		ceiling, share := "—", "—"
		if r.ceiling > 0 {
			ceiling, share = fmt.Sprintf("%.0f", r.ceiling), fmt.Sprintf("%.2f", r.rate/r.ceiling)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %.0f | %.2f | %.2f | %s | %s | %.2f | %.1f | %.1f | %.0f |\n",
			r.dataset, r.query, r.clients, r.rate, r.p50, r.p99, ceiling, share,
			r.rate/r.floorRate, r.sqlPerReq, r.plansPerReq, r.peakRSS/(1<<20))
	}
	return b.String()
}

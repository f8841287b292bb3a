package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// query is one GraphQL request the harness measures. To measure another, add a
// row to queries: its document takes its changing values as variables, and
// vars says how each request draws them.
type query struct {
	name string
	doc  string
	vars []draw
	// uncached queries are measured on a server that keeps no answers in
	// memory (civicmap -answer-cache=false), and captured on one.
	uncached bool
}

// draw is how a variable of a query gets a fresh value for every request and
// every pgbench transaction: uniform over the dataset's extent on an axis,
// uniform in [min, max], or another variable's value plus a constant (the far
// edge of a box).
type draw struct {
	name     string
	axis     axis
	min, max float64
	from     string
	plus     float64
	// inMemory says the server applies the variable in memory: no statement
	// carries it, and pgbench runs the statements as they were sent.
	inMemory bool
}

// axis says which of the dataset's extents a variable is drawn over.
type axis int

const (
	noAxis axis = iota
	lon
	lat
)

// Boxes are about 20 km a side at Sanming's latitude.
const (
	boxLon = 0.2
	boxLat = 0.18
)

// queries are the harness's queries; `-query name[,name]` picks some. The
// first, { __typename }, is the server's per-request floor that every other
// query's rate is compared with, and is always run.
var queries = []query{
	{name: "typename", doc: `{ __typename }`},
	{name: "list100", doc: `{ platforms(first: 100) { nodes { id kind name lon lat } } }`},
	{name: "nearest5", doc: `query($lon: Float!, $lat: Float!) {
		nearestPlatforms(lon: $lon, lat: $lat, limit: 5) { distanceMetres platform { id kind name lon lat } } }`,
		vars: []draw{{name: "lon", axis: lon}, {name: "lat", axis: lat}}},
	{name: "bbox200", doc: `query($west: Float!, $south: Float!, $east: Float!, $north: Float!) {
		platforms(bbox: {west: $west, south: $south, east: $east, north: $north}, first: 200) { nodes { id kind name lon lat } } }`,
		vars: []draw{
			{name: "west", axis: lon}, {name: "south", axis: lat},
			{name: "east", from: "west", plus: boxLon}, {name: "north", from: "south", plus: boxLat},
		}},
	// The planners' worklist and the whole dataset's coverage (issue 11): the
	// same question again, answered from memory while the data version holds;
	// a new radius every time, cut in memory from the coverage index as read
	// at this version; and a new radius on a server that keeps nothing, so
	// every request reads the index and the townships.
	{name: "worklist", doc: worklistDoc, vars: []draw{{name: "r", min: 5000, max: 5000, inMemory: true}}},
	{name: "worklist_fresh", doc: worklistDoc, vars: []draw{freshRadius}},
	{name: "worklist_uncached", doc: worklistDoc, vars: []draw{freshRadius}, uncached: true},
	{name: "coverage", doc: coverageDoc, vars: []draw{{name: "r", min: 5000, max: 5000, inMemory: true}}},
	{name: "coverage_fresh", doc: coverageDoc, vars: []draw{freshRadius}},
	{name: "coverage_uncached", doc: coverageDoc, vars: []draw{freshRadius}, uncached: true},
}

const (
	worklistDoc = `query($r: Float!) { uncoveredTownships(kinds: [WORKSTATION], radiusMetres: $r, first: 200) {
		totalCount nodes { township { code name } } } }`
	coverageDoc = `query($r: Float!) { coverage(kinds: [WORKSTATION, SECTOR_HALL], radiusMetres: $r) {
		totals { townships covered uncovered unknownPosition ratio } } }`
)

// freshRadius is a new radius for every request, up to the 50 km the map offers.
var freshRadius = draw{name: "r", min: 0, max: 50000, inMemory: true}

// floor is the name of the query every rate is compared with.
const floor = "typename"

// extent is a dataset's longitude and latitude range, where points and boxes
// are drawn.
type extent struct {
	west, south, east, north float64
}

// bounds returns the range a variable drawn on axis a takes in e.
func (e extent) bounds(d draw) (float64, float64) {
	switch d.axis {
	case lon:
		return e.west, e.east - boxLon
	case lat:
		return e.south, e.north - boxLat
	}
	return d.min, d.max
}

// values draws a fresh set of q's variables in e.
func (q query) values(rng *rand.Rand, e extent) map[string]any {
	if len(q.vars) == 0 {
		return nil
	}
	out := make(map[string]any, len(q.vars))
	for _, d := range q.vars {
		if d.from != "" {
			out[d.name] = out[d.from].(float64) + d.plus
			continue
		}
		lo, hi := e.bounds(d)
		out[d.name] = lo + (hi-lo)*rng.Float64()
	}
	return out
}

// pgbenchSet returns the pgbench meta-commands that draw q's variables as
// values draws them, one \set per variable, into pgbench variables of the
// same names.
func (q query) pgbenchSet(e extent) string {
	var b strings.Builder
	for _, d := range q.vars {
		if d.from != "" {
			fmt.Fprintf(&b, "\\set %s :%s + %s\n", d.name, d.from, num(d.plus))
			continue
		}
		lo, hi := e.bounds(d)
		fmt.Fprintf(&b, "\\set %s %s + %s * random(0, 1000000000) / 1000000000.0\n", d.name, num(lo), num(hi-lo))
	}
	return b.String()
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// pick returns the queries named in list (comma-separated; "" for all),
// always with the floor first.
func pick(list string) ([]query, error) {
	if list == "" {
		return queries, nil
	}
	out := []query{queries[0]}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == floor {
			continue
		}
		q, ok := byName(name)
		if !ok {
			return nil, fmt.Errorf("-query: no query %q; the queries are %s", name, names())
		}
		out = append(out, q)
	}
	return out, nil
}

func byName(name string) (query, bool) {
	for _, q := range queries {
		if q.name == name {
			return q, true
		}
	}
	return query{}, false
}

func names() string {
	var ns []string
	for _, q := range queries {
		ns = append(ns, q.name)
	}
	return strings.Join(ns, ", ")
}

package server_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"

	"civicmap/graph/relay"
)

// TestSpatialMatchesGeodesic: at 100 seeded pseudo-random points over and around
// Sanming, and two far away, nearestPlatforms, platforms(near:) and locate agree
// with Go over every platform: Vincenty distances within a metre, the same
// platforms in the same order, and the county and township by point-in-polygon.
func TestSpatialMatchesGeodesic(t *testing.T) {
	h := newHandler(t, nil)
	all := allPlatforms(t, h)
	counties, townships := areasByCode(t, h)
	const query = `query($lon: Float!, $lat: Float!, $kinds: [PlatformKind!], $limit: Int, $r: Float!) {
		nearestPlatforms(lon: $lon, lat: $lat, kinds: $kinds, limit: $limit) { distanceMetres platform { id } }
		platforms(near: {lon: $lon, lat: $lat, radiusMetres: $r}, filter: {kinds: $kinds}, first: 500) {
			totalCount edges { distanceMetres node { id } } }
		locate(lon: $lon, lat: $lat) { county { code } township { code } nearest { distanceMetres platform { id kind } } } }`
	type distance struct {
		DistanceMetres float64
		Platform       struct{ ID, Kind string }
	}
	rng := rand.New(rand.NewPCG(3, 350400))
	points := [][2]float64{{116.4, 39.9}, {119.8, 24.8}} // Beijing; the Taiwan Strait
	for range 100 {
		points = append(points, [2]float64{116.2 + 2.6*rng.Float64(), 25.35 + 1.9*rng.Float64()})
	}
	kindSets := [][]string{nil, {"WORKSTATION"}, {"LIAISON_GROUP", "SECTOR_HALL"}}
	inSanming := 0
	for i, pt := range points {
		lon, lat := pt[0], pt[1]
		kinds := kindSets[i%len(kindSets)]
		limit := 1 + rng.IntN(12)
		radius := 1000 + 39000*rng.Float64()
		var d struct {
			NearestPlatforms []distance
			Platforms        struct {
				TotalCount int
				Edges      []struct {
					DistanceMetres float64
					Node           struct{ ID string }
				}
			}
			Locate struct {
				County, Township *struct{ Code string }
				Nearest          []distance
			}
		}
		data(t, h, query, map[string]any{"lon": lon, "lat": lat, "kinds": kinds, "limit": limit, "r": radius}, &d)
		at := fmt.Sprintf("[%.6f, %.6f]", lon, lat)

		ofKinds := func(p *sitedPlatform) bool { return len(kinds) == 0 || slices.Contains(kinds, p.Kind) }
		active := func(p *sitedPlatform) bool { return p.Status == "ACTIVE" && ofKinds(p) }
		var nearest []hit
		for _, n := range d.NearestPlatforms {
			nearest = append(nearest, hit{n.Platform.ID, n.DistanceMetres})
		}
		sameHits(t, at+" nearestPlatforms", nearest, nearestInGo(t, all, lon, lat, active), limit)

		var near []hit
		for _, e := range d.Platforms.Edges {
			near = append(near, hit{e.Node.ID, e.DistanceMetres})
		}
		if d.Platforms.TotalCount != len(near) {
			t.Errorf("%s near: totalCount %d, %d edges", at, d.Platforms.TotalCount, len(near))
		}
		gotIn, wantIn := withoutEdge(near, nearestInGo(t, all, lon, lat, ofKinds), radius)
		sameHits(t, fmt.Sprintf("%s near %.0f m", at, radius), gotIn, wantIn, len(wantIn))

		kindOrder := []string{"LIAISON_GROUP", "WORKSTATION", "SECTOR_HALL"}
		if len(d.Locate.Nearest) != len(kindOrder) {
			t.Fatalf("%s locate: %d nearest, want one of each kind", at, len(d.Locate.Nearest))
		}
		for k, n := range d.Locate.Nearest {
			if n.Platform.Kind != kindOrder[k] {
				t.Errorf("%s locate: nearest #%d is a %s, want %s", at, k, n.Platform.Kind, kindOrder[k])
			}
			want := nearestInGo(t, all, lon, lat, func(p *sitedPlatform) bool { return p.Status == "ACTIVE" && p.Kind == kindOrder[k] })
			sameHits(t, at+" locate "+kindOrder[k], []hit{{n.Platform.ID, n.DistanceMetres}}, want, 1)
		}
		if got, want := codeOf(d.Locate.County), counties.at(lon, lat); got != want {
			t.Errorf("%s locate: county %q, want %q", at, got, want)
		}
		if got, want := codeOf(d.Locate.Township), townships.at(lon, lat); got != want {
			t.Errorf("%s locate: township %q, want %q", at, got, want)
		}
		if d.Locate.County != nil {
			inSanming++
		}
	}
	// The points must test both sides of the boundary.
	if inSanming < 20 || inSanming > 90 {
		t.Errorf("%d of %d points are in Sanming; the test wants a mix", inSanming, len(points))
	}
}

// areas are named areas, for the Go point-in-polygon test.
type areas map[string]area

// at returns the lowest code of the areas that contain [lon, lat], "" for none,
// as locate picks one on a shared edge.
func (as areas) at(lon, lat float64) string {
	var found []string
	for code, a := range as {
		if a.contains(lon, lat) {
			found = append(found, code)
		}
	}
	if len(found) == 0 {
		return ""
	}
	return slices.Min(found)
}

// areasByCode fetches the counties' boundaries and the townships' cells.
func areasByCode(t *testing.T, h http.Handler) (counties, townships areas) {
	t.Helper()
	type coded struct {
		Code     string
		Boundary json.RawMessage
	}
	var d struct {
		Counties  struct{ Nodes []coded }
		Townships struct{ Nodes []coded }
	}
	data(t, h, `{ counties { nodes { code boundary } } townships(first: 500) { nodes { code boundary } } }`, nil, &d)
	counties, townships = areas{}, areas{}
	for _, c := range d.Counties.Nodes {
		counties[c.Code] = newArea(t, string(c.Boundary))
	}
	for _, tw := range d.Townships.Nodes {
		if string(tw.Boundary) != "null" {
			townships[tw.Code] = newArea(t, string(tw.Boundary))
		}
	}
	return counties, townships
}

func ptr[T any](v T) *T { return &v }

func codeOf(c *struct{ Code string }) string {
	if c == nil {
		return ""
	}
	return c.Code
}

// TestWithinAndBBox: within and bbox keep exactly the platforms that Go's
// point-in-polygon and box tests keep, in ID order, and totalCount counts them.
func TestWithinAndBBox(t *testing.T) {
	h := newHandler(t, nil)
	all := allPlatforms(t, h)
	counties, _ := areasByCode(t, h)
	// A concave polygon around 三元区 and 沙县区 with a hole, and two boxes
	// as a MultiPolygon.
	holed := newArea(t, `{"type":"Polygon","coordinates":[
		[[117.4,26.1],[117.9,26.1],[117.9,26.5],[117.65,26.3],[117.4,26.5],[117.4,26.1]],
		[[117.55,26.15],[117.75,26.15],[117.75,26.25],[117.55,26.25],[117.55,26.15]]]}`)
	twoBoxes := newArea(t, `{"type":"MultiPolygon","coordinates":[
		[[[116.5,26.0],[117.0,26.0],[117.0,26.5],[116.5,26.5],[116.5,26.0]]],
		[[[118.0,25.8],[118.5,25.8],[118.5,26.3],[118.0,26.3],[118.0,25.8]]]]}`)
	ring := newArea(t, string(circle(117.5, 26.2, 0.5, 9999)))
	cases := []struct {
		name     string
		area     *area
		asString bool // within as a JSON string rather than an object
		box      *box
		kinds    []string
		atLeast  int // platforms the case is meant to keep, so that it tests something
	}{
		{name: "within 永安市's boundary", area: ptr(counties["350481"]), atLeast: 10},
		{name: "within a polygon with a hole", area: &holed, atLeast: 5},
		{name: "within a MultiPolygon", area: &twoBoxes, atLeast: 5},
		{name: "within, given as a JSON string", area: &twoBoxes, asString: true, atLeast: 5},
		{name: "within a polygon of 10000 vertices", area: &ring, atLeast: 20},
		{name: "bbox", box: &box{117.0, 25.8, 117.6, 26.3}, atLeast: 10},
		{name: "bbox over the north", box: &box{116.3, 26.5, 117.5, 27.2}, atLeast: 10},
		{name: "bbox with nothing in it", box: &box{120, 20, 120.1, 20.1}},
		{name: "within, bbox and filter together", area: &holed, box: &box{117.5, 26.0, 118.0, 26.6},
			kinds: []string{"LIAISON_GROUP"}, atLeast: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars := map[string]any{"kinds": c.kinds}
			var want []string
			for i := range all {
				p := &all[i]
				if p.Lon == nil || c.area != nil && !c.area.contains(*p.Lon, *p.Lat) ||
					c.box != nil && !c.box.contains(*p.Lon, *p.Lat) || len(c.kinds) > 0 && !slices.Contains(c.kinds, p.Kind) {
					continue
				}
				want = append(want, p.ID)
			}
			if len(want) < c.atLeast {
				t.Fatalf("the case keeps %d platforms; it is meant to keep at least %d", len(want), c.atLeast)
			}
			if c.area != nil {
				vars["area"] = c.area.GeoJSON
				if c.asString {
					vars["area"] = string(c.area.GeoJSON)
				}
			}
			if c.box != nil {
				vars["box"] = c.box.vars()
			}
			var d struct {
				Platforms struct {
					TotalCount int
					Edges      []struct {
						DistanceMetres *float64
						Node           struct{ ID string }
					}
				}
			}
			data(t, h, `query($area: GeoJSON, $box: BBoxInput, $kinds: [PlatformKind!]) {
				platforms(within: $area, bbox: $box, filter: {kinds: $kinds}, first: 500) {
					totalCount edges { distanceMetres node { id } } } }`, vars, &d)
			var got []string
			for _, e := range d.Platforms.Edges {
				got = append(got, e.Node.ID)
				if e.DistanceMetres != nil {
					t.Errorf("%s has a distance in a list not asked for near", e.Node.ID)
				}
			}
			if d.Platforms.TotalCount != len(want) || !slices.Equal(got, want) {
				t.Errorf("totalCount %d, platforms %v\nwant %d: %v", d.Platforms.TotalCount, got, len(want), want)
			}
		})
	}
	// The first case is the same as filter: {countyCode: "350481"}: every
	// platform of 永安市 lies inside its boundary, and no other does.
	for i := range all {
		p := &all[i]
		if p.Lon == nil {
			continue
		}
		if in := counties["350481"].contains(*p.Lon, *p.Lat); in != (p.County.Code == "350481") {
			t.Errorf("%s of county %s: inside 永安市's boundary: %v", p.ID, p.County.Code, in)
		}
	}
}

// TestNearCombinesAndPages: near with filter, within and bbox keeps what all
// of them keep, nearest first, counts it in totalCount, and pages through it by
// cursor in the same order for any page size.
func TestNearCombinesAndPages(t *testing.T) {
	h := newHandler(t, nil)
	all := allPlatforms(t, h)
	holed := newArea(t, `{"type":"Polygon","coordinates":[
		[[117.4,26.1],[117.9,26.1],[117.9,26.5],[117.65,26.3],[117.4,26.5],[117.4,26.1]],
		[[117.55,26.15],[117.75,26.15],[117.75,26.25],[117.55,26.25],[117.55,26.15]]]}`)
	bb := box{117.5, 26.0, 118.0, 26.6}
	const lon, lat, radius = 117.6, 26.2, 60000.0
	want := nearestInGo(t, all, lon, lat, func(p *sitedPlatform) bool {
		return p.Kind != "SECTOR_HALL" && holed.contains(*p.Lon, *p.Lat) && bb.contains(*p.Lon, *p.Lat)
	})
	_, want = withoutEdge(nil, want, radius)
	if len(want) < 10 {
		t.Fatalf("the case keeps %d platforms; it is meant to keep at least 10", len(want))
	}
	vars := map[string]any{"lon": lon, "lat": lat, "r": radius, "area": holed.GeoJSON, "box": bb.vars()}
	for _, first := range []int{1, 3, 500} {
		var got []hit
		var after *string
		for page := 0; ; page++ {
			vars["first"], vars["after"] = first, after
			var d struct {
				Platforms struct {
					TotalCount int
					PageInfo   pageInfo
					Edges      []struct {
						Cursor         string
						DistanceMetres float64
						Node           struct{ ID string }
					}
				}
			}
			data(t, h, `query($lon: Float!, $lat: Float!, $r: Float!, $area: GeoJSON, $box: BBoxInput, $first: Int, $after: String) {
				platforms(near: {lon: $lon, lat: $lat, radiusMetres: $r}, within: $area, bbox: $box,
					filter: {kinds: [LIAISON_GROUP, WORKSTATION]}, first: $first, after: $after) {
					totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor distanceMetres node { id } } } }`, vars, &d)
			c := d.Platforms
			if c.TotalCount != len(want) {
				t.Fatalf("first=%d page %d: totalCount %d, want %d", first, page, c.TotalCount, len(want))
			}
			if c.PageInfo.HasPreviousPage != (after != nil) {
				t.Errorf("first=%d page %d: hasPreviousPage %v", first, page, c.PageInfo.HasPreviousPage)
			}
			for _, e := range c.Edges {
				got = append(got, hit{e.Node.ID, e.DistanceMetres})
			}
			if !c.PageInfo.HasNextPage {
				break
			}
			if len(c.Edges) != first || *c.PageInfo.EndCursor != c.Edges[len(c.Edges)-1].Cursor {
				t.Fatalf("first=%d: a full page ends with its last edge's cursor", first)
			}
			after = c.PageInfo.EndCursor
		}
		sameHits(t, fmt.Sprintf("first=%d", first), got, want, len(want))
	}
}

// TestLocate: the county and township at a point, how sure that is, and the
// nearest platform of each kind; outside Sanming is an answer, not an error.
func TestLocate(t *testing.T) {
	h := newHandler(t, nil)
	cases := []struct {
		name                string
		lon, lat            float64
		county, township    string // codes; "" for none
		message             string // a part of the message
		nearestLiaison      string // the nearest liaison group's externalId, when the test knows it
		liaisonWithinMetres float64
	}{
		// A township's seat lies in its own cell, which is derived from the
		// seats, and its liaison group sits at the seat.
		{"小陶镇's seat, in its APPROXIMATE cell", 117.125061, 25.735597, "350481", "350481103",
			"in 小陶镇, 永安市 — by its APPROXIMATE cell: near the edge the real township may be a neighbour", "LG-350481103", 1},
		{"淮土镇's approximate seat", 116.448637, 26.229536, "350424", "350424106",
			"in 淮土镇, 宁化县 — by its APPROXIMATE cell", "LG-350424106", 1},
		{"Beijing", 116.4, 39.9, "", "", "outside Sanming: no county or township here; nearest platforms are listed", "", 0},
		{"the Taiwan Strait", 119.8, 24.8, "", "", "outside Sanming", "", 0},
		{"the South Atlantic", -20, -30, "", "", "outside Sanming", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d struct {
				Locate struct {
					Lon, Lat                float64
					County, Township        *struct{ Code, Name string }
					TownshipBoundaryQuality *string
					Message                 string
					Nearest                 []struct {
						DistanceMetres float64
						Platform       struct{ ExternalID, Kind, Status string }
					}
				}
			}
			data(t, h, `query($lon: Float!, $lat: Float!) { locate(lon: $lon, lat: $lat) {
				lon lat county { code name } township { code name } townshipBoundaryQuality message
				nearest { distanceMetres platform { externalId kind status } } } }`,
				map[string]any{"lon": c.lon, "lat": c.lat}, &d)
			l := d.Locate
			if l.Lon != c.lon || l.Lat != c.lat {
				t.Errorf("echoes [%v, %v]", l.Lon, l.Lat)
			}
			if got := codeOfNamed(l.County); got != c.county {
				t.Errorf("county %q, want %q", got, c.county)
			}
			if got := codeOfNamed(l.Township); got != c.township {
				t.Errorf("township %q, want %q", got, c.township)
			}
			if (l.TownshipBoundaryQuality != nil) != (c.township != "") ||
				l.TownshipBoundaryQuality != nil && *l.TownshipBoundaryQuality != "APPROXIMATE" {
				t.Errorf("townshipBoundaryQuality %v; the cells are APPROXIMATE", l.TownshipBoundaryQuality)
			}
			if !strings.Contains(l.Message, c.message) {
				t.Errorf("message %q does not say %q", l.Message, c.message)
			}
			var kinds []string
			for _, n := range l.Nearest {
				kinds = append(kinds, n.Platform.Kind)
				if n.Platform.Status != "ACTIVE" {
					t.Errorf("nearest %s is %s", n.Platform.ExternalID, n.Platform.Status)
				}
			}
			if want := []string{"LIAISON_GROUP", "WORKSTATION", "SECTOR_HALL"}; !slices.Equal(kinds, want) {
				t.Errorf("nearest kinds %v, want %v", kinds, want)
			}
			if c.nearestLiaison != "" && (l.Nearest[0].Platform.ExternalID != c.nearestLiaison || l.Nearest[0].DistanceMetres > c.liaisonWithinMetres) {
				t.Errorf("nearest liaison group %s at %.1f m, want %s within %v m",
					l.Nearest[0].Platform.ExternalID, l.Nearest[0].DistanceMetres, c.nearestLiaison, c.liaisonWithinMetres)
			}
		})
	}
}

func codeOfNamed(c *struct{ Code, Name string }) string {
	if c == nil {
		return ""
	}
	return c.Code
}

// TestSpatialBadInput: every argument of the spatial queries that cannot be
// answered gets BAD_USER_INPUT naming it, and says why.
func TestSpatialBadInput(t *testing.T) {
	h := newHandler(t, nil)
	square := func(ring string) map[string]any {
		return map[string]any{"w": json.RawMessage(`{"type":"Polygon","coordinates":[` + ring + `]}`)}
	}
	idCursor := relay.Cursor("platforms", "12")
	nearCursor := relay.Cursor("platformsNear", "1234.5/12")
	cases := []struct {
		name, query string
		vars        map[string]any
		field       string
		message     string // a part of the message
	}{
		{"nearest: longitude over 180", `{ nearestPlatforms(lon: 181, lat: 26) { distanceMetres } }`, nil, "lon", "longitude must be in [-180, 180]"},
		{"nearest: latitude under -90", `{ nearestPlatforms(lon: 117, lat: -91) { distanceMetres } }`, nil, "lat", "latitude must be in [-90, 90]"},
		{"nearest: limit 0", `{ nearestPlatforms(lon: 117, lat: 26, limit: 0) { distanceMetres } }`, nil, "limit", "between 1 and 100"},
		{"nearest: negative limit", `{ nearestPlatforms(lon: 117, lat: 26, limit: -3) { distanceMetres } }`, nil, "limit", "got -3"},
		{"nearest: limit over 100", `{ nearestPlatforms(lon: 117, lat: 26, limit: 101) { distanceMetres } }`, nil, "limit", "between 1 and 100"},
		{"locate: longitude under -180", `{ locate(lon: -180.5, lat: 26) { message } }`, nil, "lon", "longitude"},
		{"locate: latitude over 90", `{ locate(lon: 117, lat: 90.1) { message } }`, nil, "lat", "latitude"},
		{"near: longitude", `{ platforms(near: {lon: 200, lat: 26, radiusMetres: 10}) { totalCount } }`, nil, "near.lon", "longitude"},
		{"near: latitude", `{ platforms(near: {lon: 117, lat: 100, radiusMetres: 10}) { totalCount } }`, nil, "near.lat", "latitude"},
		{"near: radius 0", `{ platforms(near: {lon: 117, lat: 26, radiusMetres: 0}) { totalCount } }`, nil, "near.radiusMetres", "more than 0"},
		{"near: negative radius", `{ platforms(near: {lon: 117, lat: 26, radiusMetres: -5}) { totalCount } }`, nil, "near.radiusMetres", "more than 0"},
		{"near: radius over 200 km", `{ platforms(near: {lon: 117, lat: 26, radiusMetres: 200001}) { totalCount } }`, nil, "near.radiusMetres", "at most 200000"},
		{"near: a cursor of the ID-ordered list", `query($a: String) { platforms(near: {lon: 117, lat: 26, radiusMetres: 10}, after: $a) { totalCount } }`,
			map[string]any{"a": idCursor}, "after", "not a cursor of this list"},
		{"no near: a cursor of the near list", `query($a: String) { platforms(after: $a) { totalCount } }`,
			map[string]any{"a": nearCursor}, "after", "not a cursor of this list"},
		{"near: a near cursor with a bad key", `query($a: String) { platforms(near: {lon: 117, lat: 26, radiusMetres: 10}, after: $a) { totalCount } }`,
			map[string]any{"a": relay.Cursor("platformsNear", "NaN/12")}, "after", "not a cursor of this list"},
		{"bbox: west = east", `{ platforms(bbox: {west: 117, south: 26, east: 117, north: 27}) { totalCount } }`, nil, "bbox", "west (117) must be less than east (117)"},
		{"bbox: west > east", `{ platforms(bbox: {west: 118, south: 26, east: 117, north: 27}) { totalCount } }`, nil, "bbox", "antimeridian"},
		{"bbox: south > north", `{ platforms(bbox: {west: 117, south: 27, east: 118, north: 26}) { totalCount } }`, nil, "bbox", "south (27) must be less than north (26)"},
		{"bbox: west off the globe", `{ platforms(bbox: {west: -181, south: 26, east: 118, north: 27}) { totalCount } }`, nil, "bbox.west", "longitude"},
		{"bbox: north off the globe", `{ platforms(bbox: {west: 117, south: 26, east: 118, north: 91}) { totalCount } }`, nil, "bbox.north", "latitude"},
		{"within: a Point", `query($w: GeoJSON) { platforms(within: $w) { totalCount } }`,
			map[string]any{"w": json.RawMessage(`{"type":"Point","coordinates":[117,26]}`)}, "within", "must be a GeoJSON Polygon or MultiPolygon, got a Point"},
		{"within: a LineString", `query($w: GeoJSON) { platforms(within: $w) { totalCount } }`,
			map[string]any{"w": json.RawMessage(`{"type":"LineString","coordinates":[[117,26],[118,27]]}`)}, "within", "got a LineString"},
		{"within: a Feature", `query($w: GeoJSON) { platforms(within: $w) { totalCount } }`,
			map[string]any{"w": json.RawMessage(`{"type":"Feature","geometry":null,"properties":null}`)}, "within", "not a GeoJSON geometry"},
		{"within: more than 10000 vertices", `query($w: GeoJSON) { platforms(within: $w) { totalCount } }`,
			map[string]any{"w": circle(117.5, 26.2, 0.5, 10000)}, "within", "10001 vertices; at most 10000"},
		{"within: JSON null in a string", `{ platforms(within: "null") { totalCount } }`, nil, "within", "not a GeoJSON geometry"},
		{"within: a position off the globe", `query($w: GeoJSON) { platforms(within: $w) { totalCount } }`,
			square(`[[117,26],[118,26],[118,95],[117,27],[117,26]]`), "within", "position 3, [118, 95], is off the globe"},
		{"within: a self-intersecting ring", `query($w: GeoJSON) { platforms(within: $w) { totalCount } }`,
			square(`[[117,26],[118,27],[118,26],[117,27],[117,26]]`), "within", "not a valid polygon: Self-intersection[117.5 26.5]"},
		{"within: a hole outside its shell", `query($w: GeoJSON) { platforms(within: $w) { totalCount } }`,
			square(`[[117,26],[118,26],[118,27],[117,27],[117,26]],[[119,26],[119.5,26],[119.5,26.5],[119,26]]`), "within", "Hole lies outside shell"},
		{"within: an unclosed ring", `query($w: GeoJSON) { platforms(within: $w) { totalCount } }`,
			square(`[[117,26],[118,26],[118,27],[117,27]]`), "within", "ring 1 is not closed"},
		{"within: a ring of three positions", `query($w: GeoJSON) { platforms(within: $w) { totalCount } }`,
			square(`[[117,26],[118,26],[117,26]]`), "within", "ring 1 has 3 positions; a ring needs at least 4"},
		{"within: an empty Polygon", `query($w: GeoJSON) { platforms(within: $w) { totalCount } }`,
			map[string]any{"w": json.RawMessage(`{"type":"Polygon","coordinates":[]}`)}, "within", "the area is empty"},
		{"within: malformed JSON in a string", `{ platforms(within: "{\"type\": \"Polygon\", ") { totalCount } }`, nil, "within", "not a GeoJSON geometry (RFC 7946)"},
		{"within: coordinates of the wrong shape", `query($w: GeoJSON) { platforms(within: $w) { totalCount } }`,
			map[string]any{"w": map[string]any{"type": "Polygon", "coordinates": "x"}}, "within", "unexpected JSON string"},
		{"within: positions of mixed dimensions", `query($w: GeoJSON) { platforms(within: $w) { totalCount } }`,
			square(`[[117,26],[118,26,5],[118,27],[117,27],[117,26]]`), "within", "not a GeoJSON geometry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, post(t, h, c.query, c.vars), "BAD_USER_INPUT", c.field, c.message)
		})
	}
}

// circle returns a GeoJSON Polygon of n distinct positions round a centre, and
// the closing one. Four decimals (about 10 m) keep 10000 positions within the
// server's cap on the request body.
func circle(lon, lat, radius float64, n int) json.RawMessage {
	var b strings.Builder
	b.WriteString(`{"type":"Polygon","coordinates":[[`)
	for i := range n + 1 {
		a := 2 * math.Pi * float64(i%n) / float64(n)
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "[%.4f,%.4f]", lon+radius*math.Cos(a), lat+radius*math.Sin(a))
	}
	b.WriteString(`]]}`)
	return json.RawMessage(b.String())
}

package db

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"civicmap/errcode"
)

// Siting suggestions: where new platforms would close the most gaps. One
// statement measures, for every candidate point, the townships it would
// cover that are uncovered today (the bipartite set); the greedy choice runs
// in Go on it (greedySites). Distances are those of the coverage index.

// Siting bounds: a planner asks for a few places; each candidate is measured
// against the cells within its reach.
const (
	MaxSiteCount      = 50
	MaxSiteCandidates = 1000
	// MaxSiteCounties is more than any province has (Sichuan: 183).
	MaxSiteCounties = 300
)

// Position is a point, [Lon, Lat] WGS84.
type Position struct {
	Lon float64
	Lat float64
}

// SitingQuery asks where up to Count new platforms of Kinds would cover the
// most townships still uncovered at RadiusMetres.
type SitingQuery struct {
	Kinds        []PlatformKind
	RadiusMetres float64
	Count        int
	// Counties narrow the townships to cover, and the default candidates,
	// to theirs; nil: every county.
	Counties []County
	// Candidates are the points to choose from; nil: the seats of the
	// townships in scope with a known seat, in code order.
	Candidates []Position
}

// CheckSiting returns BAD_USER_INPUT naming the argument (count, kinds,
// radiusMetres, candidates or candidates[3].lon) for a count outside 1 to
// MaxSiteCount, no kinds, a radius out of range, more than MaxSiteCandidates
// candidates, or a candidate off the globe. Whether a candidate lies within
// the area is checked against the cells (SuggestSites).
func CheckSiting(q SitingQuery) error {
	if q.Count < 1 || q.Count > MaxSiteCount {
		return errcode.Invalid("count", "suggest 1 to %d places, got %d", MaxSiteCount, q.Count)
	}
	if err := CheckCoverageKinds("kinds", q.Kinds); err != nil {
		return err
	}
	if err := CheckRadiusMetres("radiusMetres", q.RadiusMetres, true); err != nil {
		return err
	}
	if len(q.Candidates) > MaxSiteCandidates {
		return errcode.Invalid("candidates", "at most %d candidates in one question, got %d", MaxSiteCandidates, len(q.Candidates))
	}
	for i, c := range q.Candidates {
		at := fmt.Sprintf("candidates[%d]", i)
		if err := CheckLon(at+".lon", c.Lon); err != nil {
			return err
		}
		if err := CheckLat(at+".lat", c.Lat); err != nil {
			return err
		}
	}
	return nil
}

// SiteSuggestions are the places chosen for a SitingQuery, in the order
// chosen.
type SiteSuggestions struct {
	Kinds          []PlatformKind
	RadiusMetres   float64
	CandidateCount int
	// Before counts the townships in scope before any suggestion.
	Before      CoverageCounts
	Suggestions []SiteSuggestion
	counties    []County
	seats       bool
	count       int
}

// SiteSuggestion is one suggested place.
type SiteSuggestion struct {
	Rank           int
	CandidateIndex int
	Lon, Lat       float64
	// SeatOf is the township whose seat it is (default candidates only).
	SeatOf *Township
	// Township and County are the cell containing the point; nil outside
	// every cell.
	Township     *Township
	County       *County
	NewlyCovered []SiteCoverage
	// Totals count the townships in scope after this pick and those before.
	Totals CoverageCounts
}

// NewlyCoveredCount is how many townships s newly covers.
func (s *SiteSuggestion) NewlyCoveredCount() int { return len(s.NewlyCovered) }

// SiteCoverage is a township a suggested place would cover, and its metres
// from the cell (0 inside).
type SiteCoverage struct {
	Township       Township
	DistanceMetres float64
}

// Definition says in words how the suggestions were chosen.
func (s *SiteSuggestions) Definition() string {
	scope := countyScope(s.counties)
	candidates := fmt.Sprintf("the %d points given, in their order", s.CandidateCount)
	if s.seats {
		candidates = fmt.Sprintf("the seats of the %d townships %s with a known seat, in code order", s.CandidateCount, scope)
	}
	return fmt.Sprintf("Up to %d places for new platforms (%s), chosen greedily among %s: each is the candidate that "+
		"newly covers the most townships %s still uncovered at %g m, by the ACTIVE platforms of the kinds and the places "+
		"chosen before it; ties go to the candidate that comes first. A township is covered when a platform lies inside "+
		"its cell or within %g m of it, geodesic (WGS84) from the point to the cell's nearest point, 0 inside, as the "+
		"coverage index measures. The choice stops when no candidate covers another township. Greedy maximum coverage "+
		"reaches at least 1 - 1/e (about 63%%) of the most townships that as many candidates could cover.",
		s.count, strings.Join(kindStrings(s.Kinds), ", "), candidates, scope, s.RadiusMetres, s.RadiusMetres)
}

// countyScope names the counties of a question in words: all of them for a
// few, the first few and how many more for a province.
func countyScope(cs []County) string {
	const named = 5
	switch len(cs) {
	case 0:
		return "in every county"
	case 1:
		return "in " + cs[0].Name + " (" + cs[0].Code + ")"
	}
	var names []string
	for _, c := range cs[:min(len(cs), named)] {
		names = append(names, c.Name+" ("+c.Code+")")
	}
	if len(cs) > named {
		names = append(names, fmt.Sprintf("%d more", len(cs)-named))
	}
	return fmt.Sprintf("in the %d counties given: %s", len(cs), strings.Join(names, ", "))
}

// sitingCellSQL finds the cell containing each point ($1 lon, $2 lat), as
// the index says "inside" (cell_metres 0): the lowest code on a shared edge;
// NULL outside every cell.
const sitingCellSQL = `SELECT (c.i - 1)::int AS i, (SELECT t.code FROM township t
		WHERE t.boundary && ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326)
			AND cell_metres(t.boundary_utm, ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326)) = 0
		ORDER BY t.code LIMIT 1) AS code
	FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS c (lon, lat, i)`

// cellExtentSQL is the box of every township cell: candidates outside it
// are outside the area.
const cellExtentSQL = `SELECT ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east, ST_YMax(e) AS north
	FROM (SELECT ST_Extent(boundary) AS e FROM township) x WHERE e IS NOT NULL`

// SuggestSites chooses up to q.Count places for new platforms of q.Kinds,
// greedily, each newly covering the most townships still uncovered at
// q.RadiusMetres (in q.Counties). q must pass CheckSiting. It returns
// BAD_USER_INPUT naming the candidate (candidates[3]) that lies outside the
// extent of the township cells.
func (db *DB) SuggestSites(ctx context.Context, q SitingQuery) (*SiteSuggestions, error) {
	version := ""
	if db.Caching() {
		var err error
		if version, err = db.DataVersion(ctx); err != nil {
			return nil, fmt.Errorf("suggest sites: %w", err)
		}
	}
	// A write between the statements can make them disagree with the table:
	// the answer is read again from a new index read, as coverage's is.
	for attempt := 0; ; attempt++ {
		s, err := db.suggestSites(ctx, version, q)
		if errors.Is(err, errMoved) && attempt < 2 {
			version = ""
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("suggest sites: %w", err)
		}
		return s, nil
	}
}

// sitingScope is what a question chooses from and for, cut from a table.
type sitingScope struct {
	t *nearestTable
	// uncovered holds the township indexes in t to cover: uncovered, with a
	// cell, in scope.
	uncovered map[int]bool
	before    CoverageCounts
	// seatOf is by candidate: the township index whose seat it is; nil for
	// points given.
	seatOf     []int
	candidates []Position
}

// scope cuts q's townships and candidates from t.
func scope(t *nearestTable, q SitingQuery) sitingScope {
	s := sitingScope{t: t, uncovered: map[int]bool{}, candidates: q.Candidates}
	in := map[string]bool{}
	for _, c := range q.Counties {
		in[c.Code] = true
	}
	for i := range t.geo.townships {
		tw := &t.geo.townships[i]
		if q.Counties != nil && !in[tw.CountyCode] {
			continue
		}
		st := t.status(i, q.RadiusMetres)
		s.before.add(st)
		if st == CoverageUncovered {
			s.uncovered[i] = true
		}
		if q.Candidates == nil && tw.Lon != nil && tw.Lat != nil {
			s.seatOf = append(s.seatOf, i)
			s.candidates = append(s.candidates, Position{Lon: *tw.Lon, Lat: *tw.Lat})
		}
	}
	return s
}

// suggestSites answers q from the table of q.Kinds at version.
func (db *DB) suggestSites(ctx context.Context, version string, q SitingQuery) (*SiteSuggestions, error) {
	t, err := db.nearestTable(ctx, version, q.Kinds)
	if err != nil {
		return nil, err
	}
	sc := scope(t, q)
	if q.Candidates != nil {
		if err := db.checkInArea(ctx, t, q.Candidates); err != nil {
			return nil, err
		}
	}
	out := &SiteSuggestions{Kinds: q.Kinds, RadiusMetres: q.RadiusMetres, CandidateCount: len(sc.candidates),
		Before: sc.before, Suggestions: []SiteSuggestion{}, counties: q.Counties, seats: q.Candidates == nil, count: q.Count}
	if len(sc.uncovered) == 0 || len(sc.candidates) == 0 {
		return out, nil
	}
	sets, err := db.measureSites(ctx, sc, q)
	if err != nil {
		return nil, err
	}
	picks := greedySites(sets, q.Count)
	if err := db.describeSites(ctx, out, sc, sets, picks); err != nil {
		return nil, err
	}
	return out, nil
}

// checkInArea returns BAD_USER_INPUT naming the first candidate outside the
// extent of the township cells of t.
func (db *DB) checkInArea(ctx context.Context, t *nearestTable, cs []Position) error {
	e, err := db.cellExtent(ctx, t)
	if err != nil {
		return err
	}
	for i, c := range cs {
		if e == nil || c.Lon < e.West || c.Lon > e.East || c.Lat < e.South || c.Lat > e.North {
			area := "there are no township cells"
			if e != nil {
				area = fmt.Sprintf("the township cells lie within lon [%.4f, %.4f], lat [%.4f, %.4f]", e.West, e.East, e.South, e.North)
			}
			return errcode.Invalid(fmt.Sprintf("candidates[%d]", i), "[%v, %v] is outside the area: %s", c.Lon, c.Lat, area)
		}
	}
	return nil
}

// cellExtent returns the box of every cell of t's geography, nil when there
// is none, read once per geography: the whole table's extent took 0.2 s
// nationwide, for every question with candidates.
func (db *DB) cellExtent(ctx context.Context, t *nearestTable) (*BBox, error) {
	g := t.geo
	g.extentMu.Lock()
	defer g.extentMu.Unlock()
	if g.extentRead {
		return g.extent, nil
	}
	var e []BBox
	// At t's version, the cells are those of t's geography.
	if err := db.atVersion(ctx, t.version, func(b *pgx.Batch) { queueRows(b, &e, cellExtentSQL) }); err != nil {
		return nil, fmt.Errorf("the extent of the cells: %w", err)
	}
	if len(e) > 0 {
		g.extent = &e[0]
	}
	g.extentRead = true
	return g.extent, nil
}

// siteSet is what one candidate would newly cover today: township indexes
// in the table and their metres, nearest first, then by code.
type siteSet struct {
	townships []int
	metres    []float64
}

// measureSites returns, by candidate, the uncovered townships in sc that
// each would cover at q's radius (reachSQL).
func (db *DB) measureSites(ctx context.Context, sc sitingScope, q SitingQuery) ([]siteSet, error) {
	var counties []string // nil: every county
	for _, c := range q.Counties {
		counties = append(counties, c.Code)
	}
	rows, err := db.measureReach(ctx, sc.t.version, sc.candidates, q.RadiusMetres, q.Kinds, counties)
	if err != nil {
		return nil, fmt.Errorf("measure the candidates: %w", err)
	}
	sets := make([]siteSet, len(sc.candidates))
	for _, r := range rows {
		i, ok := sc.t.geo.index[r.Code]
		if !ok || !sc.uncovered[i] || r.I < 0 || r.I >= len(sets) {
			// The statement and the table disagree on what is uncovered:
			// the data changed between them.
			return nil, fmt.Errorf("township %s: %w", r.Code, errMoved)
		}
		sets[r.I].townships = append(sets[r.I].townships, i)
		sets[r.I].metres = append(sets[r.I].metres, r.Metres)
	}
	for k := range sets {
		sortSiteSet(&sets[k], sc.t.geo.townships)
	}
	return sets, nil
}

// sortSiteSet orders a set nearest first, then by code.
func sortSiteSet(s *siteSet, ts []Township) {
	order := make([]int, len(s.townships))
	for j := range order {
		order[j] = j
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(s.metres[a], s.metres[b]); c != 0 {
			return c
		}
		return strings.Compare(ts[s.townships[a]].Code, ts[s.townships[b]].Code)
	})
	townships, metres := make([]int, len(order)), make([]float64, len(order))
	for j, k := range order {
		townships[j], metres[j] = s.townships[k], s.metres[k]
	}
	s.townships, s.metres = townships, metres
}

// greedySites picks up to count candidates from sets, greedily: each pick
// the candidate that newly covers the most townships not covered by the
// picks before it, ties to the lower index. It stops when none would newly
// cover one. The gains are kept up to date through who covers each
// township, so a pick costs one pass over the candidates.
func greedySites(sets []siteSet, count int) []int {
	gain := make([]int, len(sets))
	coveredBy := map[int][]int{}
	for c, s := range sets {
		gain[c] = len(s.townships)
		for _, tw := range s.townships {
			coveredBy[tw] = append(coveredBy[tw], c)
		}
	}
	var picks []int
	covered := map[int]bool{}
	for len(picks) < count {
		best := -1
		for c, g := range gain {
			if g > 0 && (best < 0 || g > gain[best]) {
				best = c
			}
		}
		if best < 0 {
			break // nothing more can be covered
		}
		picks = append(picks, best)
		for _, tw := range sets[best].townships {
			if covered[tw] {
				continue
			}
			covered[tw] = true
			for _, c := range coveredBy[tw] {
				gain[c]--
			}
		}
	}
	return picks
}

// describeSites fills out's suggestions for picks: what each newly covers,
// the running totals, and the cell containing each point.
func (db *DB) describeSites(ctx context.Context, out *SiteSuggestions, sc sitingScope, sets []siteSet, picks []int) error {
	geo := sc.t.geo
	lons, lats := make([]float64, len(picks)), make([]float64, len(picks))
	for k, c := range picks {
		lons[k], lats[k] = sc.candidates[c].Lon, sc.candidates[c].Lat
	}
	type cell struct {
		I    int     `db:"i"`
		Code *string `db:"code"`
	}
	var cells []cell
	err := db.atVersion(ctx, sc.t.version, func(b *pgx.Batch) { queueRows(b, &cells, sitingCellSQL, lons, lats) })
	if err != nil {
		return fmt.Errorf("the cells of the suggestions: %w", err)
	}
	if len(cells) != len(picks) {
		return fmt.Errorf("the cells of %d suggestions, %d found", len(picks), len(cells))
	}
	covered := map[int]bool{}
	totals := sc.before
	for k, c := range picks {
		s := SiteSuggestion{Rank: k + 1, CandidateIndex: c, Lon: sc.candidates[c].Lon, Lat: sc.candidates[c].Lat,
			NewlyCovered: []SiteCoverage{}}
		if sc.seatOf != nil {
			s.SeatOf = &geo.townships[sc.seatOf[c]]
		}
		if code := cells[k].Code; code != nil {
			i, ok := geo.index[*code]
			if !ok {
				return fmt.Errorf("township %s: %w", *code, errMoved)
			}
			s.Township, s.County = &geo.townships[i], &geo.counties[geo.countyOf[i]]
		}
		for j, tw := range sets[c].townships {
			if !covered[tw] {
				covered[tw] = true
				s.NewlyCovered = append(s.NewlyCovered, SiteCoverage{Township: geo.townships[tw], DistanceMetres: sets[c].metres[j]})
			}
		}
		totals.Covered += len(s.NewlyCovered)
		totals.Uncovered -= len(s.NewlyCovered)
		s.Totals = totals
		out.Suggestions = append(out.Suggestions, s)
	}
	return nil
}

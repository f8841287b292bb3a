package db

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/jackc/pgx/v5"
)

// Coverage is read from the coverage index (migration 0005): for every
// township with a cell and every platform kind, the nearest covering platform
// and its metres from the cell. Triggers keep it exact in the transaction of
// every write, so a question for any kinds at any radius is a filter on stored
// metres, with no spatial work; only coveredBy, when asked for, is measured.
// Distances are geodesic (WGS84 spheroid) from the platform to the cell's
// nearest point, found in the cell's own UTM zone (cell_metres); 0 inside the
// cell.

// CoverageStatus says whether a township is covered.
type CoverageStatus string

// Coverage statuses.
const (
	CoverageCovered         CoverageStatus = "COVERED"
	CoverageUncovered       CoverageStatus = "UNCOVERED"
	CoverageUnknownPosition CoverageStatus = "UNKNOWN_POSITION"
)

// CoverageQuery asks how well platforms of some kinds cover the townships.
type CoverageQuery struct {
	Kinds        []PlatformKind
	RadiusMetres float64
	// CountyCode narrows the question to one county; nil asks about all.
	CountyCode *string
	// Townships asks for every township's coverage, not only the totals.
	Townships bool
	// CoveredBy asks for every covering platform of each township, not only the
	// nearest one. At large radii that is most of the work, so only when wanted.
	CoveredBy bool
	// Platforms asks for the nearest and covering platforms whole; without it
	// a PlatformDistance carries only the platform's ID. Reading them is most
	// of the work when only totals or township names are wanted.
	Platforms bool
	// Hypothetical are platforms counted as if they existed and were ACTIVE
	// (CheckHypothetical): those of Kinds count. Nil asks about the data as
	// it is. Such answers are measured per request and never kept.
	Hypothetical []HypotheticalPlatform
	// CoveredByHypothetical asks for every covering hypothetical platform of
	// each township, not only the nearest: a search as far as the radius.
	CoveredByHypothetical bool
}

// key names the answer to q in the coverage cache.
func (q CoverageQuery) key() string {
	county := ""
	if q.CountyCode != nil {
		county = *q.CountyCode
	}
	return fmt.Sprintf("%s|%x|%s|%t|%t|%t", kindsKey(q.Kinds), math.Float64bits(q.RadiusMetres), county,
		q.Townships, q.CoveredBy, q.Platforms)
}

// Coverage is how well platforms of some kinds cover the townships of Sanming,
// or of one county.
type Coverage struct {
	Kinds        []PlatformKind
	RadiusMetres float64
	// Version is the data version the answer was read at.
	Version string
	Totals  CoverageCounts
	// Counties are ordered by code, and so are Townships. Townships is empty
	// unless the query asked for them.
	Counties  []CountyCoverage
	Townships []TownshipCoverage
	area      areaOnce
	// table is what the answer was cut from, for the townships of county (nil
	// for all). uncovered is the worklist, the indexes in table of the
	// uncovered townships in worklistLess order, cut when first needed.
	table  *nearestTable
	whatIf whatIf
	// hypothetical are the question's hypothetical platforms that count.
	hypothetical  []HypotheticalPlatform
	county        *string
	uncovered     []int
	uncoveredOnce sync.Once
}

// Definition says in words what Coverage counts.
func (c *Coverage) Definition() string {
	where := "inside its cell"
	if c.RadiusMetres > 0 {
		where = fmt.Sprintf("inside its cell or within %g m of it", c.RadiusMetres)
	}
	return fmt.Sprintf("A township is covered when an ACTIVE platform (%s) with a known position lies %s. "+
		"Townships whose position is UNKNOWN have no cell: they are data gaps, neither covered nor uncovered. "+
		"A cell is the township's boundary: an APPROXIMATE Voronoi cell of the township seats, clipped to the county, "+
		"until an official boundary is imported. Distances are geodesic (WGS84) from the platform to the nearest "+
		"point of the cell, 0 inside it.%s", strings.Join(kindStrings(c.Kinds), ", "), where, c.whatIfDefinition())
}

// whatIfDefinition says what a what-if question counts besides the data.
func (c *Coverage) whatIfDefinition() string {
	if len(c.hypothetical) == 0 {
		return ""
	}
	return fmt.Sprintf(" What if: %d hypothetical platforms of the kinds count as ACTIVE platforms too, measured as the "+
		"real ones; they are written nowhere.", len(c.hypothetical))
}

// CountyCoverage is the coverage within one county.
type CountyCoverage struct {
	County County
	Totals CoverageCounts
	// coverage holds the query and the lazily computed areas of every county.
	coverage *Coverage
}

// CoverageCounts counts townships by coverage.
type CoverageCounts struct {
	Townships       int
	Covered         int
	Uncovered       int
	UnknownPosition int
}

// Ratio is the covered share of the townships whose position is known; nil
// when there are none.
func (c CoverageCounts) Ratio() *float64 {
	if c.Covered+c.Uncovered == 0 {
		return nil
	}
	r := float64(c.Covered) / float64(c.Covered+c.Uncovered)
	return &r
}

func (c *CoverageCounts) add(s CoverageStatus) {
	c.Townships++
	switch s {
	case CoverageCovered:
		c.Covered++
	case CoverageUncovered:
		c.Uncovered++
	case CoverageUnknownPosition:
		c.UnknownPosition++
	}
}

// TownshipCoverage is the coverage of one township.
type TownshipCoverage struct {
	Township
	Status CoverageStatus
	// CoveredBy are the covering platforms, nearest first; empty unless the
	// query asked for them.
	CoveredBy []PlatformDistance
	// Nearest is nil when the position is UNKNOWN or no platform counts.
	Nearest *PlatformDistance
	// NearestHypothetical is the nearest of the question's hypothetical
	// platforms where it is nearer than Nearest (or there is none); nil
	// otherwise. No platform ID is invented for it.
	NearestHypothetical *HypotheticalDistance
	// CoveredByHypothetical are the covering hypothetical platforms, nearest
	// first; empty unless the query asked for them.
	CoveredByHypothetical []HypotheticalDistance
}

// NearestMetres is the distance to the nearest platform that counts, real or
// hypothetical: the one the status and the worklist's order go by. Nil when
// there is none.
func (t *TownshipCoverage) NearestMetres() *float64 {
	switch {
	case t.NearestHypothetical != nil:
		return &t.NearestHypothetical.DistanceMetres
	case t.Nearest != nil:
		return &t.Nearest.DistanceMetres
	}
	return nil
}

// Covered reports whether the status is COVERED.
func (t *TownshipCoverage) Covered() bool { return t.Status == CoverageCovered }

// worklistLess is the order of the planners' worklist: no distance (no such
// platform anywhere) first, then farthest first, then by code.
func worklistLess(am *float64, acode string, bm *float64, bcode string) bool {
	switch {
	case (am == nil) != (bm == nil):
		return am == nil
	case am != nil && *am != *bm:
		return *am > *bm
	}
	return acode < bcode
}

// activePlatform is a platform p that can cover a township: live (not
// deleted), ACTIVE and with a known position (platform_covers, 0005).
// activeOfKinds is one of the kinds $1.
const (
	activePlatform = `p.status = 'ACTIVE' AND p.location IS NOT NULL AND p.deleted_at IS NULL`
	activeOfKinds  = `p.kind = ANY($1) AND ` + activePlatform
)

// coveredBySQL measures, for the townships $3 (text[]), every platform of the
// kinds $1 within $2 metres, as the index measures (cell_metres): those in a
// box around the cell that holds the radius, kept when within it. OFFSET 0
// keeps the planner from measuring twice, for the filter and the list.
const coveredBySQL = `SELECT t.code, array_agg(d.id ORDER BY d.metres, d.id) AS ids,
		array_agg(d.metres ORDER BY d.metres, d.id) AS metres
	FROM township t
	CROSS JOIN LATERAL (
		SELECT p.id, cell_metres(t.boundary_utm, p.location) AS metres
		FROM platform p
		WHERE ` + activeOfKinds + ` AND p.location && within_reach(t.boundary, $2)
		OFFSET 0
	) d
	WHERE t.code = ANY($3) AND d.metres <= $2
	GROUP BY t.code`

// Coverage measures q for every township of Sanming, or of q.CountyCode, with
// totals per county and in all. It is cut from the coverage index as read at
// the current data version (nearestTable), and kept while that is current.
func (db *DB) Coverage(ctx context.Context, q CoverageQuery) (*Coverage, error) {
	// Answers that list every covering platform are rare and can be tens of
	// thousands of entries: kept, they turned a heavy client's repeat into a
	// burst of executor work that starved cheap queries of CPU. A what-if
	// answer is measured for its question: each dragged point is a new
	// question, and kept they would push out the answers the map asks again
	// and again. Neither is kept, nor looked up; the table under them is
	// shared.
	keep := !q.CoveredBy && len(q.Hypothetical) == 0
	key := ""
	if keep {
		key = q.key()
	}
	// Without kept answers there is nothing to look up by version: the
	// index read carries its own.
	version := ""
	if db.Caching() {
		var err error
		if version, err = db.DataVersion(ctx); err != nil {
			return nil, fmt.Errorf("coverage: %w", err)
		}
		if keep {
			if cov, ok := db.coverage.Get(version, key); ok {
				return cov, nil
			}
		}
	}
	// A write between an answer's statements can make them disagree (the
	// covering or nearest platforms read after the index); the answer is read
	// again from a new index read, which "" asks for.
	for attempt := 0; ; attempt++ {
		cov, err := db.measureCoverage(ctx, version, q)
		if errors.Is(err, errMoved) && attempt < 2 {
			version = ""
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("coverage: %w", err)
		}
		if keep {
			db.coverage.Put(cov.Version, key, cov, cov.size())
		}
		return cov, nil
	}
}

// measureCoverage cuts q's answer from the table of q.Kinds at version.
func (db *DB) measureCoverage(ctx context.Context, version string, q CoverageQuery) (*Coverage, error) {
	t, err := db.nearestTable(ctx, version, q.Kinds)
	if err != nil {
		return nil, err
	}
	cov := &Coverage{Kinds: q.Kinds, RadiusMetres: q.RadiusMetres, Version: t.version, table: t, county: q.CountyCode}
	if len(q.Hypothetical) > 0 {
		if err := db.measureWhatIf(ctx, cov, q); err != nil {
			return nil, err
		}
	}
	cov.cut(q)
	if q.CoveredBy {
		if err := db.measureCoveredBy(ctx, cov); err != nil {
			return nil, err
		}
	}
	if q.Platforms {
		if err := db.wholePlatforms(ctx, cov.Townships); err != nil {
			return nil, err
		}
	}
	return cov, nil
}

// cut cuts q's answer from cov's table, with its hypothetical platforms: the
// counts, and the townships when asked for.
func (cov *Coverage) cut(q CoverageQuery) {
	t := cov.table
	// inCounty[i] is the index in cov.Counties of county i of the geography.
	inCounty := make([]int, len(t.geo.counties))
	for i, c := range t.geo.counties {
		inCounty[i] = -1
		if q.CountyCode == nil || *q.CountyCode == c.Code {
			inCounty[i] = len(cov.Counties)
			cov.Counties = append(cov.Counties, CountyCoverage{County: c, coverage: cov})
		}
	}
	for i := range t.geo.townships {
		c := inCounty[t.geo.countyOf[i]]
		if c < 0 {
			continue
		}
		s := cov.status(i)
		cov.Totals.add(s)
		cov.Counties[c].Totals.add(s)
		if q.Townships {
			cov.Townships = append(cov.Townships, cov.township(i))
		}
	}
}

// size is about the bytes c holds, its worklist included. A nationwide answer
// holds 2,800 counties: 512 of them, one per radius a client drew, held 300 MB
// until the coverage cache was bounded by size.
func (c *Coverage) size() int {
	return int(unsafe.Sizeof(*c)) + len(c.Counties)*int(unsafe.Sizeof(CountyCoverage{})) +
		len(c.Townships)*int(unsafe.Sizeof(TownshipCoverage{})) + c.Totals.Uncovered*int(unsafe.Sizeof(0))
}

// worklist returns the indexes in c.table of the townships c leaves
// uncovered, in worklistLess order.
func (c *Coverage) worklist() []int {
	c.uncoveredOnce.Do(func() {
		t := c.table
		for _, i := range t.sorted() {
			if t.status(i, c.RadiusMetres) == CoverageCovered {
				break // the rest are nearer still, with hypothetical platforms too
			}
			if c.status(i) != CoverageCovered && (c.county == nil || *c.county == t.geo.townships[i].CountyCode) {
				c.uncovered = append(c.uncovered, i)
			}
		}
		if len(c.whatIf.nearest) > 0 {
			// Hypothetical platforms brought some nearer: the table's order
			// is not the answer's. Only the uncovered few are sorted again.
			slices.SortFunc(c.uncovered, func(a, b int) int {
				if worklistLess(c.metres(a), t.geo.townships[a].Code, c.metres(b), t.geo.townships[b].Code) {
					return -1
				}
				return 1
			})
		}
	})
	return c.uncovered
}

// measureCoveredBy lists the covering platforms of cov's covered townships.
func (db *DB) measureCoveredBy(ctx context.Context, cov *Coverage) error {
	var codes []string
	at := make(map[string]*TownshipCoverage)
	for i := range cov.Townships {
		if tc := &cov.Townships[i]; tc.Covered() {
			codes = append(codes, tc.Code)
			at[tc.Code] = tc
		}
	}
	type row struct {
		Code   string    `db:"code"`
		IDs    []int64   `db:"ids"`
		Metres []float64 `db:"metres"`
	}
	var rows []row
	err := db.atVersion(ctx, cov.Version, func(b *pgx.Batch) {
		queueRows(b, &rows, coveredBySQL, kindStrings(cov.Kinds), cov.RadiusMetres, codes)
	})
	if err != nil {
		return fmt.Errorf("covering platforms: %w", err)
	}
	for _, r := range rows {
		tc := at[r.Code]
		tc.CoveredBy = make([]PlatformDistance, len(r.IDs))
		for j, id := range r.IDs {
			tc.CoveredBy[j] = PlatformDistance{Platform: Platform{ID: id}, DistanceMetres: r.Metres[j]}
		}
	}
	return nil
}

// UncoveredTownships returns a page of the townships q leaves uncovered in
// worklistLess order. Page.After is a DistanceKey of the nearest distance and
// the code. The worklist is cut from the coverage of q, so both share one
// answer in memory.
func (db *DB) UncoveredTownships(ctx context.Context, q CoverageQuery, page Page) (List[TownshipCoverage], error) {
	// An uncovered township has no covering platform, and the page is read
	// from the worklist, not the townships.
	cq := q
	cq.CoveredBy, cq.Townships, cq.Platforms = false, false, false
	cov, err := db.Coverage(ctx, cq)
	if err != nil {
		return List[TownshipCoverage]{}, fmt.Errorf("uncovered townships: %w", err)
	}
	t, uncovered, start := cov.table, cov.worklist(), 0
	if page.After != "" {
		metres, code, err := ParseDistanceKey(page.After)
		if err != nil {
			return List[TownshipCoverage]{}, fmt.Errorf("uncovered townships: %w", err)
		}
		start, _ = slices.BinarySearchFunc(uncovered, 0, func(i int, _ int) int {
			if worklistLess(metres, code, cov.metres(i), t.geo.townships[i].Code) {
				return 1
			}
			return -1
		})
	}
	onPage, hasNext := cut(uncovered[start:], page)
	ts := make([]TownshipCoverage, len(onPage))
	for i, j := range onPage {
		ts[i] = cov.township(j)
	}
	if q.Platforms {
		if err := db.wholePlatforms(ctx, ts); err != nil {
			return List[TownshipCoverage]{}, fmt.Errorf("uncovered townships: %w", err)
		}
	}
	return List[TownshipCoverage]{Rows: ts, HasNext: hasNext, Total: len(uncovered)}, nil
}

// wholePlatforms reads whole the nearest and covering platforms of ts, which
// carry only their IDs, in one query.
func (db *DB) wholePlatforms(ctx context.Context, ts []TownshipCoverage) error {
	var ids []int64
	for i := range ts {
		for _, pd := range ts[i].CoveredBy {
			ids = append(ids, pd.ID)
		}
		if n := ts[i].Nearest; n != nil {
			ids = append(ids, n.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	ps, err := db.PlatformsByID(ctx, slices.Compact(ids))
	if err != nil {
		return err
	}
	byID := make(map[int64]*Platform, len(ps))
	for i := range ps {
		byID[ps[i].ID] = &ps[i]
	}
	whole := func(pd *PlatformDistance) error {
		p, ok := byID[pd.ID]
		if !ok {
			return fmt.Errorf("platform %d: %w", pd.ID, errMoved)
		}
		pd.Platform = *p
		return nil
	}
	for i := range ts {
		for j := range ts[i].CoveredBy {
			if err := whole(&ts[i].CoveredBy[j]); err != nil {
				return err
			}
		}
		if n := ts[i].Nearest; n != nil {
			if err := whole(n); err != nil {
				return err
			}
		}
	}
	return nil
}

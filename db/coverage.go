package db

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

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
	// CoveredBy asks for every covering platform of each township, not only the
	// nearest one. At large radii that is most of the work, so only when wanted.
	CoveredBy bool
	// Platforms asks for the nearest and covering platforms whole; without it
	// a PlatformDistance carries only the platform's ID. Reading them is most
	// of the work when only totals or township names are wanted.
	Platforms bool
}

func (q CoverageQuery) args() []any {
	return []any{kindStrings(q.Kinds), q.RadiusMetres, q.CountyCode, q.CoveredBy}
}

// key names the answer to q in coverageCache: the same kinds in any order
// and repeated are the same question.
func (q CoverageQuery) key() string {
	kinds := slices.Clone(kindStrings(q.Kinds))
	slices.Sort(kinds)
	county := ""
	if q.CountyCode != nil {
		county = *q.CountyCode
	}
	return fmt.Sprintf("%s|%x|%s|%t|%t", strings.Join(slices.Compact(kinds), ","),
		math.Float64bits(q.RadiusMetres), county, q.CoveredBy, q.Platforms)
}

// Coverage is how well platforms of some kinds cover the townships of Sanming,
// or of one county.
type Coverage struct {
	Kinds        []PlatformKind
	RadiusMetres float64
	Totals       CoverageCounts
	// Counties are ordered by code, and so are Townships.
	Counties  []CountyCoverage
	Townships []TownshipCoverage
	area      areaOnce
	// uncovered is the worklist: the uncovered townships in worklistLess order.
	uncovered []*TownshipCoverage
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
		"point of the cell, 0 inside it.", strings.Join(kindStrings(c.Kinds), ", "), where)
}

// Uncovered is the planners' worklist: the uncovered townships in the order
// of UncoveredTownships, farthest from a platform of the kinds first.
func (c *Coverage) Uncovered() []*TownshipCoverage { return c.uncovered }

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
}

// Covered reports whether the status is COVERED.
func (t *TownshipCoverage) Covered() bool { return t.Status == CoverageCovered }

// coverageRow is a row of coverageSQL: the platforms are IDs, read afterwards.
type coverageRow struct {
	Version string `db:"version"`
	Township
	Status          CoverageStatus `db:"status"`
	NearestID       *int64         `db:"nearest_id"`
	NearestMetres   *float64       `db:"nearest_metres"`
	CoveredByIDs    []int64        `db:"covered_by_ids"`
	CoveredByMetres []float64      `db:"covered_by_metres"`
}

// worklistLess is the order of the planners' worklist: no distance (no such
// platform anywhere) first, then farthest first, then by code.
func worklistLess(a, b *TownshipCoverage) bool {
	am, bm := a.nearestMetres(), b.nearestMetres()
	switch {
	case (am == nil) != (bm == nil):
		return am == nil
	case am != nil && *am != *bm:
		return *am > *bm
	}
	return a.Code < b.Code
}

// follows reports whether t comes after the township keyed (metres, code) in
// worklistLess order.
func (t *TownshipCoverage) follows(metres *float64, code string) bool {
	key := TownshipCoverage{Township: Township{Code: code}}
	if metres != nil {
		key.Nearest = &PlatformDistance{DistanceMetres: *metres}
	}
	return worklistLess(&key, t)
}

func (t *TownshipCoverage) nearestMetres() *float64 {
	if t.Nearest == nil {
		return nil
	}
	return &t.Nearest.DistanceMetres
}

// Parameters of coverageSQL: $1 kinds (text[]), $2 radius in metres, $3 a county
// code or NULL for all, $4 whether to list every covering platform.
const (
	// activePlatform is a platform p that can cover a township: live (not
	// deleted), ACTIVE and with a known position (platform_covers, 0005).
	activePlatform = `p.status = 'ACTIVE' AND p.location IS NOT NULL AND p.deleted_at IS NULL`
	// activeOfKinds is an activePlatform of the kinds.
	activeOfKinds = `p.kind = ANY($1) AND ` + activePlatform

	// coverageSQL is the one source of coverage: a row per township, by code,
	// each with the data version it was read at. The nearest platform of the
	// kinds is the nearest of each kind's (township_nearest), so a township is
	// covered when that is within the radius, and uncovered means "nearest
	// farther than the radius" by construction. The covering platforms, when
	// asked for, are measured as the index measures (cell_metres): those in a
	// box around the cell that holds the radius, kept when within it; OFFSET 0
	// keeps the planner from measuring twice, for the filter and the list.
	coverageSQL = `WITH v (version) AS MATERIALIZED (` + dataVersionSQL + `)
	SELECT v.version, ` + townshipColumns + `,
		CASE WHEN t.boundary IS NULL THEN 'UNKNOWN_POSITION' WHEN n.metres <= $2 THEN 'COVERED' ELSE 'UNCOVERED' END AS status,
		n.platform_id AS nearest_id, n.metres AS nearest_metres,
		coalesce(b.ids, '{}') AS covered_by_ids, coalesce(b.metres, '{}') AS covered_by_metres
	FROM v, township t
	LEFT JOIN LATERAL (
		SELECT n.platform_id, n.metres FROM township_nearest n
		WHERE n.township_code = t.code AND n.kind = ANY($1) AND n.platform_id IS NOT NULL
		ORDER BY n.metres, n.platform_id LIMIT 1
	) n ON true
	LEFT JOIN LATERAL (
		SELECT array_agg(d.id ORDER BY d.metres, d.id) AS ids, array_agg(d.metres ORDER BY d.metres, d.id) AS metres
		FROM (
			SELECT p.id, cell_metres(t.boundary_utm, p.location) AS metres
			FROM platform p
			WHERE $4 AND n.metres <= $2 AND ` + activeOfKinds + ` AND p.location && within_reach(t.boundary, $2)
			OFFSET 0
		) d
		WHERE d.metres <= $2
	) b ON true
	WHERE $3::text IS NULL OR t.county_code = $3
	ORDER BY t.code`
)

// Coverage measures q for every township of Sanming, or of q.CountyCode, with
// totals per county and in all. An answer is kept in memory for as long as the
// data version it was read at is current.
func (db *DB) Coverage(ctx context.Context, q CoverageQuery) (*Coverage, error) {
	version, err := db.DataVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	key := q.key()
	if cov, ok := db.coverage.Get(version, key); ok {
		return cov, nil
	}
	cov, version, err := db.measureCoverage(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	if !q.CoveredBy {
		// Answers that list every covering platform are rare and can be tens
		// of thousands of entries: kept, they turned a heavy client's repeat
		// into a burst of executor work that starved cheap queries of CPU.
		db.coverage.Put(version, key, cov, 1)
	}
	return cov, nil
}

// measureCoverage reads q's answer from the index, and the data version it was
// read at.
func (db *DB) measureCoverage(ctx context.Context, q CoverageQuery) (*Coverage, string, error) {
	var counties []County
	var rows []coverageRow
	var b pgx.Batch
	queueRows(&b, &counties, countiesOneOrAllSQL, q.CountyCode)
	queueRows(&b, &rows, coverageSQL, q.args()...)
	if err := db.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, "", err
	}
	ts, err := db.withPlatforms(ctx, rows, q.Platforms)
	if err != nil {
		return nil, "", err
	}
	cov := &Coverage{Kinds: q.Kinds, RadiusMetres: q.RadiusMetres, Townships: ts}
	cov.Counties = make([]CountyCoverage, len(counties))
	totals := make(map[string]*CoverageCounts, len(counties))
	for i, c := range counties {
		cov.Counties[i] = CountyCoverage{County: c, coverage: cov}
		totals[c.Code] = &cov.Counties[i].Totals
	}
	for i := range ts {
		cov.Totals.add(ts[i].Status)
		totals[ts[i].CountyCode].add(ts[i].Status)
		if ts[i].Status == CoverageUncovered {
			cov.uncovered = append(cov.uncovered, &ts[i])
		}
	}
	slices.SortFunc(cov.uncovered, func(a, b *TownshipCoverage) int {
		if worklistLess(a, b) {
			return -1
		}
		return 1
	})
	version := ""
	if len(rows) > 0 {
		version = rows[0].Version
	}
	return cov, version, nil
}

// UncoveredTownships returns a page of the townships q leaves uncovered in
// worklistLess order. Page.After is a DistanceKey of the nearest distance and
// the code. The worklist is cut from the coverage of q, so both share one
// answer in memory.
func (db *DB) UncoveredTownships(ctx context.Context, q CoverageQuery, page Page) (List[TownshipCoverage], error) {
	q.CoveredBy = false // an uncovered township has no covering platform
	cov, err := db.Coverage(ctx, q)
	if err != nil {
		return List[TownshipCoverage]{}, fmt.Errorf("uncovered townships: %w", err)
	}
	start := 0
	if page.After != "" {
		metres, code, err := ParseDistanceKey(page.After)
		if err != nil {
			return List[TownshipCoverage]{}, fmt.Errorf("uncovered townships: %w", err)
		}
		start, _ = slices.BinarySearchFunc(cov.uncovered, 0, func(t *TownshipCoverage, _ int) int {
			if t.follows(metres, code) {
				return 1
			}
			return -1
		})
	}
	onPage, hasNext := cut(cov.uncovered[start:], page)
	ts := make([]TownshipCoverage, len(onPage))
	for i, t := range onPage {
		ts[i] = *t
	}
	return List[TownshipCoverage]{Rows: ts, HasNext: hasNext, Total: len(cov.uncovered)}, nil
}

// withPlatforms returns the townships' coverage with the platforms rows name:
// read whole, in one query, when whole is set; else each only by its ID.
func (db *DB) withPlatforms(ctx context.Context, rows []coverageRow, whole bool) ([]TownshipCoverage, error) {
	byID := map[int64]*Platform{}
	if whole {
		var err error
		if byID, err = db.platformsOf(ctx, rows); err != nil {
			return nil, err
		}
	}
	at := func(id int64, metres float64) (PlatformDistance, error) {
		if !whole {
			return PlatformDistance{Platform: Platform{ID: id}, DistanceMetres: metres}, nil
		}
		p, ok := byID[id]
		if !ok {
			return PlatformDistance{}, fmt.Errorf("platform %d was deleted while coverage was measured", id)
		}
		return PlatformDistance{Platform: *p, DistanceMetres: metres}, nil
	}
	ts := make([]TownshipCoverage, len(rows))
	for i, r := range rows {
		t := TownshipCoverage{Township: r.Township, Status: r.Status, CoveredBy: make([]PlatformDistance, len(r.CoveredByIDs))}
		for j, id := range r.CoveredByIDs {
			pd, err := at(id, r.CoveredByMetres[j])
			if err != nil {
				return nil, err
			}
			t.CoveredBy[j] = pd
		}
		if r.NearestID != nil {
			pd, err := at(*r.NearestID, *r.NearestMetres)
			if err != nil {
				return nil, err
			}
			t.Nearest = &pd
		}
		ts[i] = t
	}
	return ts, nil
}

// platformsOf reads every platform that rows name, by ID.
func (db *DB) platformsOf(ctx context.Context, rows []coverageRow) (map[int64]*Platform, error) {
	seen := map[int64]bool{}
	var ids []int64
	for _, r := range rows {
		for _, id := range r.CoveredByIDs {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if r.NearestID != nil && !seen[*r.NearestID] {
			seen[*r.NearestID] = true
			ids = append(ids, *r.NearestID)
		}
	}
	byID := make(map[int64]*Platform, len(ids))
	if len(ids) == 0 {
		return byID, nil
	}
	ps, err := db.PlatformsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		byID[ps[i].ID] = &ps[i]
	}
	return byID, nil
}

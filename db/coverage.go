package db

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// Coverage is measured in PostGIS. A distance from a township's cell is the
// geodesic distance (WGS84 spheroid) from the platform to the cell's nearest
// point, 0 inside the cell. That point is found in UTM zone 50N (EPSG:32650),
// the projection the cells were derived in: it is conformal, so its nearest
// point is the geodesic one to within a metre over Sanming, and finding it costs
// microseconds. geography's own ST_Distance from a polygon costs about 0.3 ms a
// pair: every township and platform at 200 km took 8 s, past the statement
// timeout. On the Sanming data the two agree within 0.4 m for every township's
// nearest platform.

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
}

func (q CoverageQuery) args() []any {
	return []any{kindStrings(q.Kinds), q.RadiusMetres, q.CountyCode, q.CoveredBy}
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
	Township
	Status          CoverageStatus `db:"status"`
	NearestID       *int64         `db:"nearest_id"`
	NearestMetres   *float64       `db:"nearest_metres"`
	CoveredByIDs    []int64        `db:"covered_by_ids"`
	CoveredByMetres []float64      `db:"covered_by_metres"`
}

// follows reports whether r comes after the row keyed (metres, code) in the
// order of uncoveredSQL: farthest first, no distance before any, then by code.
func (r *coverageRow) follows(metres *float64, code string) bool {
	switch {
	case (r.NearestMetres == nil) != (metres == nil):
		return metres == nil
	case metres != nil && *r.NearestMetres != *metres:
		return *r.NearestMetres < *metres
	}
	return r.Code > code
}

// Parameters of coverageSQL: $1 kinds (text[]), $2 radius in metres, $3 a county
// code or NULL for all, $4 whether to list every covering platform.
const (
	// activePlatform is a platform p that can cover a township: live (not
	// deleted), ACTIVE and with a known position.
	activePlatform = `p.status = 'ACTIVE' AND p.location IS NOT NULL AND p.deleted_at IS NULL`
	// activeOfKinds is an activePlatform of the kinds.
	activeOfKinds = `p.kind = ANY($1) AND ` + activePlatform

	// cellMetres is the distance from the cell c.utm to platform p (see the top
	// of this file).
	cellMetres = `CASE WHEN ST_Intersects(c.utm, ST_Transform(p.location, 32650)) THEN 0
		ELSE ST_Distance(p.location::geography,
			ST_Transform(ST_ClosestPoint(c.utm, ST_Transform(p.location, 32650)), 4326)::geography) END`

	// coverageSQL is the one source of coverage: a row per township, by code.
	// The cells come projected (township.boundary_utm, migration 0004). The
	// nearest platform is the nearest of the platforms inside the cell (all of
	// them, so that ties at 0 go to the lowest ID) and the three nearest in UTM (KNN on
	// platform_location_utm_gix); UTM and geodesic distances differ by under
	// 0.05%, so three candidates re-sorted by metres leave no doubt. A township
	// is covered when its nearest platform is within the radius, so uncovered
	// means "nearest farther than the radius" by construction. The covering
	// platforms are searched in UTM within the radius, a superset (UTM
	// shortens distances in Sanming; the 0.1% is a margin), and kept when
	// their metres are within it; OFFSET 0 keeps the planner from computing the
	// metres twice, once for the filter and once for the list.
	coverageSQL = `WITH cell AS MATERIALIZED (
		SELECT code, boundary_utm AS utm FROM township
		WHERE boundary IS NOT NULL AND ($3::text IS NULL OR county_code = $3)
	)
	SELECT ` + townshipColumns + `,
		CASE WHEN c.utm IS NULL THEN 'UNKNOWN_POSITION' WHEN n.metres <= $2 THEN 'COVERED' ELSE 'UNCOVERED' END AS status,
		n.id AS nearest_id, n.metres AS nearest_metres,
		coalesce(b.ids, '{}') AS covered_by_ids, coalesce(b.metres, '{}') AS covered_by_metres
	FROM township t
	LEFT JOIN cell c USING (code)
	LEFT JOIN LATERAL (
		SELECT p.id, ` + cellMetres + ` AS metres
		FROM platform p
		WHERE c.utm IS NOT NULL AND p.id IN (
			SELECT p.id FROM platform p
			WHERE ` + activeOfKinds + ` AND ST_Intersects(ST_Transform(p.location, 32650), c.utm)
			UNION ALL
			(SELECT p.id FROM platform p
			WHERE ` + activeOfKinds + `
			ORDER BY ST_Transform(p.location, 32650) <-> c.utm LIMIT 3))
		ORDER BY metres, p.id LIMIT 1
	) n ON true
	LEFT JOIN LATERAL (
		SELECT array_agg(d.id ORDER BY d.metres, d.id) AS ids, array_agg(d.metres ORDER BY d.metres, d.id) AS metres
		FROM (
			SELECT p.id, ` + cellMetres + ` AS metres
			FROM platform p
			WHERE $4 AND n.metres <= $2 AND ` + activeOfKinds + `
				AND ST_DWithin(ST_Transform(p.location, 32650), c.utm, $2 * 1.001)
			OFFSET 0
		) d
		WHERE d.metres <= $2
	) b ON true
	WHERE $3::text IS NULL OR county_code = $3
	ORDER BY code`

	// uncoveredSQL is the planners' worklist: farthest first, townships with
	// no platform at all before any, then by code.
	uncoveredSQL = `SELECT * FROM (` + coverageSQL + `) cov
	WHERE status = 'UNCOVERED'
	ORDER BY nearest_metres DESC NULLS FIRST, code`
)

// Coverage measures q for every township of Sanming, or of q.CountyCode, with
// totals per county and in all.
func (db *DB) Coverage(ctx context.Context, q CoverageQuery) (*Coverage, error) {
	var counties []County
	var rows []coverageRow
	var b pgx.Batch
	queueRows(&b, &counties, countiesOneOrAllSQL, q.CountyCode)
	queueRows(&b, &rows, coverageSQL, q.args()...)
	if err := db.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	ts, err := db.withPlatforms(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
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
	}
	return cov, nil
}

// UncoveredTownships returns a page of the townships q leaves uncovered,
// farthest from their nearest platform first (those with none before any), then
// by code. Page.After is a DistanceKey of the nearest distance and the code.
func (db *DB) UncoveredTownships(ctx context.Context, q CoverageQuery, page Page) (List[TownshipCoverage], error) {
	q.CoveredBy = false // an uncovered township has no covering platform
	rows, err := queryRows[coverageRow](ctx, db.pool, uncoveredSQL, q.args()...)
	if err != nil {
		return List[TownshipCoverage]{}, fmt.Errorf("uncovered townships: %w", err)
	}
	// Every uncovered township is measured anyway, for the total, so the page
	// is cut here rather than by a second query.
	start := 0
	if page.After != "" {
		metres, code, err := ParseDistanceKey(page.After)
		if err != nil {
			return List[TownshipCoverage]{}, fmt.Errorf("uncovered townships: %w", err)
		}
		for start < len(rows) && !rows[start].follows(metres, code) {
			start++
		}
	}
	onPage, hasNext := cut(rows[start:], page)
	ts, err := db.withPlatforms(ctx, onPage)
	if err != nil {
		return List[TownshipCoverage]{}, fmt.Errorf("uncovered townships: %w", err)
	}
	return List[TownshipCoverage]{Rows: ts, HasNext: hasNext, Total: len(rows)}, nil
}

// withPlatforms reads the platforms that rows name, in one query, and returns
// the townships' coverage with them.
func (db *DB) withPlatforms(ctx context.Context, rows []coverageRow) ([]TownshipCoverage, error) {
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
	if len(ids) > 0 {
		ps, err := db.PlatformsByID(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i := range ps {
			byID[ps[i].ID] = &ps[i]
		}
	}
	at := func(id int64, metres float64) (PlatformDistance, error) {
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

// CountyArea is the part of a county within the radius of a covering platform.
type CountyArea struct {
	CoveredKm2 float64 `db:"covered_km2"`
	// Ratio is CoveredKm2 over the county's area, from 0 to 1.
	Ratio float64 `db:"ratio"`
}

// areaOnce computes the areas of all the counties of a Coverage once, when the
// first of them is asked for: it is the expensive part, and often not wanted.
type areaOnce struct {
	once     sync.Once
	byCounty map[string]CountyArea
	err      error
}

// coveredAreaSQL measures, for the counties $3 (text[]), the area within $2
// metres of an ACTIVE platform of the kinds $1, wherever the platform is. Each
// county unions only the circles that reach it: one union of every circle
// intersected with every county grew with their product (5 minutes for all
// counties of the nationwide benchmark data). The circles are drawn in UTM 50N
// (as geography's ST_Buffer would, in a UTM zone) with 64 segments, so they
// fall short of a true circle by 0.16%; the areas are measured on the spheroid.
const coveredAreaSQL = `WITH area AS MATERIALIZED (
		SELECT code, boundary, ST_Transform(boundary, 32650) AS utm FROM county WHERE code = ANY($3)
	)
	SELECT a.code AS county_code, c.covered_m2 / 1e6 AS covered_km2,
		least(1, c.covered_m2 / ST_Area(a.boundary::geography)) AS ratio
	FROM area a
	CROSS JOIN LATERAL (
		SELECT coalesce(ST_Area(ST_Transform(ST_Intersection(a.utm,
			ST_Union(ST_Buffer(ST_Transform(p.location, 32650), $2, 'quad_segs=16'))), 4326)::geography), 0) AS covered_m2
		FROM platform p
		WHERE ` + activeOfKinds + ` AND ST_DWithin(ST_Transform(p.location, 32650), a.utm, $2)
	) c`

// CoveredArea returns the part of c's county within the radius of an ACTIVE
// platform of the kinds: nothing when the radius is 0. The first call measures
// every county of c's Coverage, in one query; later calls share the answer.
func (db *DB) CoveredArea(ctx context.Context, c *CountyCoverage) (CountyArea, error) {
	cov := c.coverage
	cov.area.once.Do(func() {
		cov.area.byCounty, cov.area.err = db.coveredAreas(ctx, cov)
	})
	return cov.area.byCounty[c.County.Code], cov.area.err
}

func (db *DB) coveredAreas(ctx context.Context, cov *Coverage) (map[string]CountyArea, error) {
	m := make(map[string]CountyArea, len(cov.Counties))
	if cov.RadiusMetres == 0 {
		return m, nil // a point covers no area
	}
	codes := make([]string, len(cov.Counties))
	for i := range cov.Counties {
		codes[i] = cov.Counties[i].County.Code
	}
	type row struct {
		CountyCode string `db:"county_code"`
		CountyArea
	}
	rows, err := queryRows[row](ctx, db.pool, coveredAreaSQL, kindStrings(cov.Kinds), cov.RadiusMetres, codes)
	if err != nil {
		return nil, fmt.Errorf("covered area: %w", err)
	}
	for _, r := range rows {
		m[r.CountyCode] = r.CountyArea
	}
	return m, nil
}

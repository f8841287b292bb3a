package db

import (
	"context"
	"fmt"
	"sync"
)

// CountyArea is the part of a county within the radius of a covering platform.
type CountyArea struct {
	CoveredKm2 float64 `db:"covered_km2"`
	// Ratio is CoveredKm2 over the county's area, from 0 to 1.
	Ratio float64 `db:"ratio"`
}

// areaOnce computes the areas of all the counties of a Coverage once, when the
// first of them is asked for: it is the expensive part, and often not wanted.
// A Coverage is shared by every request at its data version (coverageCache),
// so a failure (a request cancelled, a timeout) is not kept: the next request
// tries again.
type areaOnce struct {
	mu       sync.Mutex
	byCounty map[string]CountyArea
}

// coveredAreaSQL measures, for the counties $3 (text[]), the area within $2
// metres of an ACTIVE platform of the kinds $1, wherever the platform is. Each
// county unions only the circles that reach it, found by a box search of the
// platforms' index: one union of every circle intersected with every county
// grew with their product (5 minutes for all counties of the nationwide
// benchmark data). The circles are drawn in the county's own UTM zone (as
// geography's ST_Buffer would, in a UTM zone) with 64 segments, so they fall
// short of a true circle by 0.16%; the areas are measured on the spheroid.
const coveredAreaSQL = coveredAreaHead + `
		FROM platform p
		WHERE ` + activeOfKinds + ` AND p.location && within_reach(a.boundary, $2)
	) c`

// coveredAreaWhatIfSQL is coveredAreaSQL with the hypothetical platforms at
// $4 (lon) and $5 (lat) counted too, for a what-if question; the plain
// question keeps its own plan.
const coveredAreaWhatIfSQL = coveredAreaHead + `
		FROM (SELECT p.location FROM platform p WHERE ` + activeOfKinds + `
			UNION ALL
			SELECT ST_SetSRID(ST_MakePoint(h.lon, h.lat), 4326) FROM unnest($4::float8[], $5::float8[]) AS h (lon, lat)) p
		WHERE p.location && within_reach(a.boundary, $2)
	) c`

const coveredAreaHead = `WITH area AS MATERIALIZED (
		SELECT code, boundary, ST_Transform(boundary, utm_srid(boundary)) AS utm FROM county WHERE code = ANY($3)
	)
	SELECT a.code AS county_code, c.covered_m2 / 1e6 AS covered_km2,
		least(1, c.covered_m2 / ST_Area(a.boundary::geography)) AS ratio
	FROM area a
	CROSS JOIN LATERAL (
		SELECT coalesce(ST_Area(ST_Transform(ST_Intersection(a.utm,
			ST_Union(ST_Buffer(ST_Transform(p.location, ST_SRID(a.utm)), $2, 'quad_segs=16'))), 4326)::geography), 0) AS covered_m2`

// CoveredArea returns the part of c's county within the radius of an ACTIVE
// platform of the kinds: nothing when the radius is 0. The first call measures
// every county of c's Coverage, in one query; later calls share the answer.
func (db *DB) CoveredArea(ctx context.Context, c *CountyCoverage) (CountyArea, error) {
	a := &c.coverage.area
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byCounty == nil {
		m, err := db.coveredAreas(ctx, c.coverage)
		if err != nil {
			return CountyArea{}, err
		}
		a.byCounty = m
	}
	return a.byCounty[c.County.Code], nil
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
	sql, args := coveredAreaSQL, []any{kindStrings(cov.Kinds), cov.RadiusMetres, codes}
	if len(cov.hypothetical) > 0 {
		var lons, lats []float64
		for _, h := range cov.hypothetical {
			lons, lats = append(lons, h.Lon), append(lats, h.Lat)
		}
		sql, args = coveredAreaWhatIfSQL, append(args, lons, lats)
	}
	rows, err := queryRows[row](ctx, db.pool, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("covered area: %w", err)
	}
	for _, r := range rows {
		m[r.CountyCode] = r.CountyArea
	}
	return m, nil
}

package db

import (
	"context"
	"fmt"

	"github.com/twpayne/go-geom"
)

// County is a county-level unit. Its boundary is large and loaded only when asked
// for, through CountyBoundaries.
type County struct {
	Code            string          `db:"code"`
	Name            string          `db:"name"`
	Kind            CountyKind      `db:"kind"`
	Lon             *float64        `db:"lon"`
	Lat             *float64        `db:"lat"`
	BoundaryQuality BoundaryQuality `db:"boundary_quality"`
	AreaKm2         float64         `db:"area_km2"`
	SourceNote      string          `db:"source_note"`
}

// Township is a township-level unit. Its boundary (cell) is loaded only when asked
// for, through TownshipBoundaries.
type Township struct {
	Code            string           `db:"code"`
	Name            string           `db:"name"`
	Kind            TownshipKind     `db:"kind"`
	CountyCode      string           `db:"county_code"`
	Lon             *float64         `db:"lon"`
	Lat             *float64         `db:"lat"`
	PositionQuality PositionQuality  `db:"position_quality"`
	BoundaryQuality *BoundaryQuality `db:"boundary_quality"`
	SourceNote      string           `db:"source_note"`
}

// Code12 is the 12-digit form of the code.
func (t *Township) Code12() string { return t.Code + "000" }

const countyColumns = `code, name, kind, ST_X(seat) AS lon, ST_Y(seat) AS lat, boundary_quality, area_km2, source_note`

const (
	countiesCountSQL  = `SELECT count(*) FROM county`
	countiesPageSQL   = `SELECT ` + countyColumns + ` FROM county WHERE code > $1 ORDER BY code LIMIT $2`
	countiesByCodeSQL = `SELECT ` + countyColumns + ` FROM county WHERE code = ANY($1) ORDER BY code`
	// $1: a county code, or NULL for every county.
	countiesOneOrAllSQL = `SELECT ` + countyColumns + ` FROM county WHERE ($1::text IS NULL OR code = $1) ORDER BY code`
	// Boundaries are read as EWKB and decoded by go-geom.
	countyBoundariesSQL = `SELECT code, ST_AsEWKB(boundary) FROM county WHERE code = ANY($1)`
)

// Counties returns a page of counties ordered by code.
func (db *DB) Counties(ctx context.Context, page Page) (List[County], error) {
	list, err := queryList[County](ctx, db.pool, page, countiesCountSQL, countiesPageSQL, nil, []any{page.After, page.limit()})
	if err != nil {
		return list, fmt.Errorf("list counties: %w", err)
	}
	return list, nil
}

// CountiesByCode returns the counties with these codes; unknown codes are left out.
func (db *DB) CountiesByCode(ctx context.Context, codes []string) ([]County, error) {
	cs, err := queryRows[County](ctx, db.pool, countiesByCodeSQL, codes)
	if err != nil {
		return nil, fmt.Errorf("counties by code: %w", err)
	}
	return cs, nil
}

// CountyBoundaries returns the boundaries of these counties by code.
func (db *DB) CountyBoundaries(ctx context.Context, codes []string) (map[string]geom.T, error) {
	m, err := db.geometries(ctx, countyBoundariesSQL, codes)
	if err != nil {
		return nil, fmt.Errorf("county boundaries: %w", err)
	}
	return m, nil
}

const townshipColumns = `code, name, kind, county_code, ST_X(seat) AS lon, ST_Y(seat) AS lat,
	position_quality, boundary_quality, source_note`

const (
	// $1: a county code, or NULL for all townships.
	townshipsCountSQL = `SELECT count(*) FROM township WHERE ($1::text IS NULL OR county_code = $1)`
	townshipsPageSQL  = `SELECT ` + townshipColumns + ` FROM township
		WHERE ($1::text IS NULL OR county_code = $1) AND code > $2
		ORDER BY code LIMIT $3`
	townshipsByCodeSQL    = `SELECT ` + townshipColumns + ` FROM township WHERE code = ANY($1) ORDER BY code`
	townshipsByCountySQL  = `SELECT ` + townshipColumns + ` FROM township WHERE county_code = ANY($1) ORDER BY code`
	townshipBoundariesSQL = `SELECT code, ST_AsEWKB(boundary) FROM township WHERE code = ANY($1)`
)

// Townships returns a page of townships ordered by code, of one county when
// countyCode is not nil.
func (db *DB) Townships(ctx context.Context, countyCode *string, page Page) (List[Township], error) {
	list, err := queryList[Township](ctx, db.pool, page, townshipsCountSQL, townshipsPageSQL,
		[]any{countyCode}, []any{countyCode, page.After, page.limit()})
	if err != nil {
		return list, fmt.Errorf("list townships: %w", err)
	}
	return list, nil
}

// TownshipsByCode returns the townships with these codes; unknown codes are left out.
func (db *DB) TownshipsByCode(ctx context.Context, codes []string) ([]Township, error) {
	ts, err := queryRows[Township](ctx, db.pool, townshipsByCodeSQL, codes)
	if err != nil {
		return nil, fmt.Errorf("townships by code: %w", err)
	}
	return ts, nil
}

// TownshipsOfCounties returns every township of these counties, ordered by code.
func (db *DB) TownshipsOfCounties(ctx context.Context, countyCodes []string) ([]Township, error) {
	ts, err := queryRows[Township](ctx, db.pool, townshipsByCountySQL, countyCodes)
	if err != nil {
		return nil, fmt.Errorf("townships of counties: %w", err)
	}
	return ts, nil
}

// TownshipBoundaries returns the boundaries (official or derived cells) of these
// townships by code; townships with no boundary map to nil.
func (db *DB) TownshipBoundaries(ctx context.Context, codes []string) (map[string]geom.T, error) {
	m, err := db.geometries(ctx, townshipBoundariesSQL, codes)
	if err != nil {
		return nil, fmt.Errorf("township boundaries: %w", err)
	}
	return m, nil
}

// geometries runs a query of (code, EWKB) rows and decodes them.
func (db *DB) geometries(ctx context.Context, sql string, codes []string) (map[string]geom.T, error) {
	rows, err := db.pool.Query(ctx, sql, codes)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := make(map[string]geom.T, len(codes))
	for rows.Next() {
		var code string
		var b []byte
		if err := rows.Scan(&code, &b); err != nil {
			return nil, err
		}
		g, err := decodeEWKB(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", code, err)
		}
		m[code] = g
	}
	return m, rows.Err()
}

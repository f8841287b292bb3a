package db

import (
	"context"
	"fmt"
	"strconv"
)

// The OGC API's items are pages of the map's GeoJSON layers: the same
// features, built by PostGIS from the same statements (geojson.go), cut by a
// filter (a box, a code) and a page, with how many match in all.

// MaxFeaturePage bounds a page of features: the whole township layer, the
// largest, fits in one.
const MaxFeaturePage = 1000

// FeaturePage is a page of a layer: Limit features from the Offset-th on, in
// the layer's order (platforms by ID, townships and counties by code).
type FeaturePage struct {
	Limit, Offset int
}

// FeatureSet is a page of a layer's features, read in one snapshot.
type FeatureSet struct {
	// Version is the data version the page was read at.
	Version string
	// Attribution is the data's attribution, to show with the features.
	Attribution string
	// Matched counts the features that match the filter, on every page;
	// Returned those on this one.
	Matched, Returned int
	// Features is the page's GeoJSON Features, a JSON array.
	Features []byte
}

// featurePageSQL cuts a page out of the features of a query (columns ord and
// feature, its arguments numbered up to n): $n+1 features from the $n+2-th,
// with the number of all that match, the data version and the attribution,
// read in the same statement. NOT MATERIALIZED keeps the count from building every feature's
// JSON: it is inlined, and counts rows.
func featurePageSQL(features string, n int) string {
	limit, offset := "$"+strconv.Itoa(n+1), "$"+strconv.Itoa(n+2)
	return `WITH v (version) AS MATERIALIZED (` + dataVersionSQL + `), f AS NOT MATERIALIZED (` + features + `)
	SELECT v.version, (SELECT attribution FROM dataset), (SELECT count(*) FROM f),
		coalesce((SELECT array_to_json(array_agg(p.feature ORDER BY p.ord))
			FROM (SELECT ord, feature FROM f ORDER BY ord LIMIT ` + limit + ` OFFSET ` + offset + `) p), '[]'::json)::text
	FROM v`
}

// featurePage reads the page of the features of sql (with args) and counts
// them all.
func (db *DB) featurePage(ctx context.Context, sql string, args []any, page FeaturePage) (FeatureSet, error) {
	var s FeatureSet
	err := db.pool.QueryRow(ctx, featurePageSQL(sql, len(args)), append(args, page.Limit, page.Offset)...).
		Scan(&s.Version, &s.Attribution, &s.Matched, &s.Features)
	if err != nil {
		return FeatureSet{}, err
	}
	s.Returned = min(page.Limit, max(s.Matched-page.Offset, 0))
	return s, nil
}

// PlatformFeaturePage returns a page of the platform layer (PlatformFeatures)
// cut by f.
func (db *DB) PlatformFeaturePage(ctx context.Context, f PlatformFilter, page FeaturePage) (FeatureSet, error) {
	where, args := f.where()
	s, err := db.featurePage(ctx, fmt.Sprintf(platformFeaturesSQL, where), args, page)
	if err != nil {
		return FeatureSet{}, fmt.Errorf("platform feature page: %w", err)
	}
	return s, nil
}

// TownshipFeaturePage returns a page of the township layer (TownshipFeatures)
// cut by f.
func (db *DB) TownshipFeaturePage(ctx context.Context, f TownshipFeatureFilter, page FeaturePage) (FeatureSet, error) {
	where, args := f.where()
	s, err := db.featurePage(ctx, fmt.Sprintf(townshipFeaturesSQL, where), args, page)
	if err != nil {
		return FeatureSet{}, fmt.Errorf("township feature page: %w", err)
	}
	return s, nil
}

// CountyFeatureFilter selects and shapes the county features.
type CountyFeatureFilter struct {
	// SimplifyMetres is the tolerance to simplify the boundaries by, in
	// metres; 0 keeps every vertex. See CheckSimplifyMetres.
	SimplifyMetres float64
	// Code, when set, keeps that county only.
	Code *string
	// BBox, when set, keeps the counties whose boundary meets the box.
	BBox *BBox
}

// where returns the filter as SQL predicates over c (county), with their
// arguments numbered after $1, the tolerance.
func (f CountyFeatureFilter) where() (string, []any) {
	p := predicates{args: []any{f.SimplifyMetres}}
	if f.Code != nil {
		p.add("c.code = $?", *f.Code)
	}
	p.meets("c.boundary", f.BBox)
	return p.sql()
}

// countyFeaturesSQL is the features of the counties that match a
// CountyFeatureFilter's predicates (%s, over c), each boundary simplified by
// $1 metres in its own UTM zone, as the township cells are. Properties are
// named as County's GraphQL fields; kind is the CountyKind enum's value.
const countyFeaturesSQL = `SELECT c.code AS ord, row_to_json(f) AS feature
	FROM county c,
	LATERAL (SELECT 'Feature' AS type, c.code AS id,
		ST_AsGeoJSON(CASE WHEN $1::float8 > 0
			THEN ST_Transform(ST_SimplifyPreserveTopology(ST_Transform(c.boundary, utm_srid(c.boundary)), $1::float8), 4326)
			ELSE c.boundary END, 6)::json AS geometry,
		(SELECT row_to_json(props) FROM (SELECT c.code, c.name,
			CASE c.kind WHEN '市辖区' THEN 'DISTRICT' WHEN '县' THEN 'COUNTY' WHEN '县级市' THEN 'COUNTY_LEVEL_CITY' END AS kind,
			c.boundary_quality AS "boundaryQuality", c.area_km2 AS "areaKm2",
			ST_X(c.seat) AS lon, ST_Y(c.seat) AS lat) props
		) AS properties
	) f
	WHERE %s`

// CountyFeaturePage returns a page of the counties as GeoJSON
// (Multi)Polygons ordered by code, each with its code as its id, cut by f.
func (db *DB) CountyFeaturePage(ctx context.Context, f CountyFeatureFilter, page FeaturePage) (FeatureSet, error) {
	where, args := f.where()
	s, err := db.featurePage(ctx, fmt.Sprintf(countyFeaturesSQL, where), args, page)
	if err != nil {
		return FeatureSet{}, fmt.Errorf("county feature page: %w", err)
	}
	return s, nil
}

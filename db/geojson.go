package db

import (
	"context"
	"fmt"
	"math"

	"civicmap/errcode"
)

// The map's GeoJSON layers are RFC 7946 FeatureCollections that PostGIS builds
// whole (ST_AsGeoJSON, json_build_object, json_agg) and the server passes on
// as bytes, over HTTP and GraphQL alike. Each is read in one statement with the
// data version, like a tile, and carries it, the attribution and its system
// (crs.SystemMember: WGS84 here, changed by a conversion at the edge) as
// foreign members before its features:
//
//	{"type": "FeatureCollection", "coordinateSystem": "WGS84", "attribution": "…", "version": "3.207", "features": [ … ]}
//
// Properties are named as the GraphQL fields are (camelCase, the enums'
// values). Coordinates have 6 decimals, about 0.1 m (RFC 7946, 11.2).

// MaxSimplifyMetres bounds the simplification tolerance of township cells: at
// 5 km a cell of Sanming keeps a handful of vertices, and more would only blur
// it into a triangle or nothing.
const MaxSimplifyMetres = 5000

// featureCollectionSQL wraps the features of a query (columns ord and
// feature) into a FeatureCollection with the attribution and the data version,
// read in the same snapshot. row_to_json and array_to_json write JSON without
// the blanks that json_build_object and json_agg put around colons and commas
// (10% of the platforms' bytes), so the bytes are those that GraphQL, which
// compacts what it embeds, answers too.
func featureCollectionSQL(features string) string {
	return `WITH v (version) AS MATERIALIZED (` + dataVersionSQL + `)
	SELECT c.version, row_to_json(c)::text FROM (
		SELECT 'FeatureCollection' AS type, 'WGS84' AS "coordinateSystem", (SELECT attribution FROM dataset) AS attribution, v.version,
			coalesce((SELECT array_to_json(array_agg(f.feature ORDER BY f.ord)) FROM (` + features + `) f), '[]'::json) AS features
		FROM v
	) c`
}

// platformFeaturesSQL is the features of the live platforms with a known
// position that match a PlatformFilter's predicates (%s, over p and t).
const platformFeaturesSQL = `SELECT p.id AS ord, row_to_json(f) AS feature` + platformFrom + `,
	LATERAL (SELECT 'Feature' AS type, ` + platformGlobalID + ` AS id, ST_AsGeoJSON(p.location, 6)::json AS geometry,
		(SELECT row_to_json(props) FROM (SELECT p.kind, p.name, p.provenance, p.status,
			p.position_quality AS "positionQuality", p.township_code AS "townshipCode", t.county_code AS "countyCode",
			p.organiser_code AS "organiserCode", p.sector_code AS "sectorCode", p.host_name AS "hostName") props
		) AS properties
	) f
	WHERE p.location IS NOT NULL AND %s`

// PlatformFeatures returns the live platforms with a known position that match
// f, as a GeoJSON FeatureCollection of Points ordered by ID, each with the
// platform's global ID as its id; and the data version it was read at.
// Platforms whose position is UNKNOWN are left out: they have nothing to draw.
func (db *DB) PlatformFeatures(ctx context.Context, f PlatformFilter) (version string, body []byte, err error) {
	where, args := f.where()
	sql := featureCollectionSQL(fmt.Sprintf(platformFeaturesSQL, where))
	if err := db.pool.QueryRow(ctx, sql, args...).Scan(&version, &body); err != nil {
		return "", nil, fmt.Errorf("platform features: %w", err)
	}
	return version, body, nil
}

// TownshipFeatureFilter selects and shapes the township features.
type TownshipFeatureFilter struct {
	// SimplifyMetres is the tolerance to simplify the cells by, in metres; 0
	// keeps every vertex. See CheckSimplifyMetres.
	SimplifyMetres float64
	// CountyCode, when set, keeps the townships of that county only.
	CountyCode *string
	// Code, when set, keeps that township only: an OGC API single item.
	Code *string
	// BBox, when set, keeps the townships whose cell meets the box; a
	// township whose position is UNKNOWN has no cell and never does.
	BBox *BBox
}

// where returns the filter as SQL predicates over t (township), with their
// arguments numbered after $1, the tolerance.
func (f TownshipFeatureFilter) where() (string, []any) {
	p := predicates{args: []any{f.SimplifyMetres}}
	if f.CountyCode != nil {
		p.add("t.county_code = $?", *f.CountyCode)
	}
	if f.Code != nil {
		p.add("t.code = $?", *f.Code)
	}
	p.meets("t.boundary", f.BBox)
	return p.sql()
}

// townshipFeaturesSQL is the features of the townships that match a
// TownshipFeatureFilter's predicates (%s, over t), each cell simplified by $1
// metres.
//
// The cells are simplified in their own UTM zone (township.boundary_utm, the
// zone of the cell's centre: 50N, where Sanming's were drawn), where the
// tolerance is in metres, and brought back to WGS84. Each cell is simplified on its own (PostGIS 3.3 has no ST_CoverageSimplify): neighbours
// keep no common edge, and gaps and overlaps of up to the tolerance open
// between them. ST_SimplifyPreserveTopology keeps each cell valid.
//
// A township whose position is UNKNOWN has no cell: it is a feature with a
// null geometry (RFC 7946, 3.2), so a map can list the gap it cannot draw.
const townshipFeaturesSQL = `SELECT t.code AS ord, row_to_json(f) AS feature
	FROM township t JOIN county c ON c.code = t.county_code,
	LATERAL (SELECT 'Feature' AS type, t.code AS id,
		ST_AsGeoJSON(CASE WHEN $1::float8 > 0
			THEN ST_Transform(ST_SimplifyPreserveTopology(t.boundary_utm, $1::float8), 4326)
			ELSE t.boundary END, 6)::json AS geometry,
		(SELECT row_to_json(props) FROM (SELECT t.code, t.name,
			CASE t.kind WHEN '街道' THEN 'SUBDISTRICT' WHEN '镇' THEN 'TOWN' WHEN '乡' THEN 'TOWNSHIP' END AS kind,
			t.county_code AS "countyCode", c.name AS "countyName",
			t.position_quality AS "positionQuality", t.boundary_quality AS "boundaryQuality",
			ST_X(t.seat) AS lon, ST_Y(t.seat) AS lat) props
		) AS properties
	) f
	WHERE %s`

// TownshipFeatures returns the townships as a GeoJSON FeatureCollection of
// (Multi)Polygons ordered by code, each with its code as its id; and the data
// version it was read at. Townships whose position is UNKNOWN have a null
// geometry.
func (db *DB) TownshipFeatures(ctx context.Context, f TownshipFeatureFilter) (version string, body []byte, err error) {
	where, args := f.where()
	err = db.pool.QueryRow(ctx, featureCollectionSQL(fmt.Sprintf(townshipFeaturesSQL, where)), args...).Scan(&version, &body)
	if err != nil {
		return "", nil, fmt.Errorf("township features: %w", err)
	}
	return version, body, nil
}

// CheckSimplifyMetres returns BAD_USER_INPUT naming field unless metres is a
// tolerance in [0, MaxSimplifyMetres].
func CheckSimplifyMetres(field string, metres float64) error {
	if math.IsNaN(metres) || metres < 0 || metres > MaxSimplifyMetres {
		return errcode.Invalid(field, "a simplification tolerance in metres must be from 0 (every vertex) to %d, got %v", MaxSimplifyMetres, metres)
	}
	return nil
}

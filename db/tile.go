package db

import (
	"context"
	"fmt"

	"civicmap/errcode"
)

// The map's layers are Mapbox Vector Tiles made by PostGIS (ST_AsMVT). Every
// tile carries the data version it was read at, from the same statement and so
// the same snapshot: a cache may keep a tile under that version for ever.

// MaxTileZoom is the deepest zoom a tile is made for. Sanming's data is fine
// enough for z14; deeper tiles only cut the same geometry finer.
const MaxTileZoom = 22

// Parameters of tileSQL: $1 z, $2 x, $3 y. Features are found with the GiST
// indexes on the WGS84 geometries, by the tile's envelope in WGS84 (a Web
// Mercator box is a longitude/latitude box too), and cut to the tile with a
// buffer of 64 of its 4096 units so that strokes join across tile edges.
const (
	tileSQL = `WITH env AS MATERIALIZED (
		SELECT ST_TileEnvelope($1, $2, $3) AS box, ST_Transform(ST_TileEnvelope($1, $2, $3), 4326) AS wgs,
			` + tileToleranceSQL + ` AS tolerance
	),
	counties AS (
		SELECT c.code::bigint AS id, c.code, c.name, c.boundary_quality,
			ST_AsMVTGeom(ST_Simplify(c.boundary_3857, env.tolerance, true), env.box, 4096, 64) AS geom
		FROM county c, env
		WHERE c.boundary && env.wgs
	),
	townships AS (
		SELECT t.code::bigint AS id, t.code, t.name, t.kind, t.county_code, c.name AS county_name,
			t.position_quality, t.boundary_quality,
			n.liaison_groups, n.workstations, n.sector_halls,
			coalesce(k.liaison_group, false) AS covered_liaison_group,
			coalesce(k.workstation, false) AS covered_workstation,
			coalesce(k.sector_hall, false) AS covered_sector_hall,
			ST_AsMVTGeom(ST_Simplify(t.boundary_3857, env.tolerance, true), env.box, 4096, 64) AS geom
		FROM township t JOIN county c ON c.code = t.county_code, env
		CROSS JOIN LATERAL (` + tileTownshipCountsSQL + `) n
		LEFT JOIN LATERAL (` + tileTownshipCoveredSQL + `) k ON true
		WHERE t.boundary && env.wgs
	),
	platforms AS (
		SELECT p.id, ` + platformGlobalID + ` AS gid, p.kind, p.name, p.provenance, p.status,
			p.position_quality, p.township_code,
			ST_AsMVTGeom(ST_Transform(p.location, 3857), env.box, 4096, 64) AS geom
		FROM platform p, env
		WHERE p.deleted_at IS NULL AND p.location && env.wgs
	)
	SELECT (` + dataVersionSQL + `),
		coalesce((SELECT ST_AsMVT(counties, 'counties', 4096, 'geom', 'id') FROM counties WHERE geom IS NOT NULL), '')
		|| coalesce((SELECT ST_AsMVT(townships, 'townships', 4096, 'geom', 'id') FROM townships WHERE geom IS NOT NULL), '')
		|| coalesce((SELECT ST_AsMVT(platforms, 'platforms', 4096, 'geom', 'id') FROM platforms WHERE geom IS NOT NULL), '')`

	// tileToleranceSQL is how far a simplified polygon may stray, in Web
	// Mercator metres: 4 of the tile's 4096 units, half a pixel of a tile
	// drawn 512 pixels wide. The real county lines carry thousands of vertices
	// that no screen shows at low zooms: z8 tiles were 168 KB unsimplified,
	// 77 KB at one unit and 40 KB at four.
	tileToleranceSQL = `(2 * 20037508.342789244 / 1024 / (1 << $1))`

	// tileTownshipCountsSQL counts a township t's ACTIVE live platforms by
	// kind: those registered to it, wherever they stand.
	tileTownshipCountsSQL = `SELECT
			count(*) FILTER (WHERE p.kind = 'LIAISON_GROUP') AS liaison_groups,
			count(*) FILTER (WHERE p.kind = 'WORKSTATION') AS workstations,
			count(*) FILTER (WHERE p.kind = 'SECTOR_HALL') AS sector_halls
		FROM platform p
		WHERE p.township_code = t.code AND p.status = 'ACTIVE' AND p.deleted_at IS NULL`

	// tileTownshipCoveredSQL is, per kind, whether township t is covered at
	// the default definition (coverage(kinds: [kind]) with radiusMetres 0): its
	// nearest platform of the kind is 0 m away, inside the cell. It reads the
	// coverage index, as coverage does, so the flags and coverage always agree.
	tileTownshipCoveredSQL = `SELECT
			bool_or(n.kind = 'LIAISON_GROUP') AS liaison_group,
			bool_or(n.kind = 'WORKSTATION') AS workstation,
			bool_or(n.kind = 'SECTOR_HALL') AS sector_hall
		FROM township_nearest n
		WHERE n.township_code = t.code AND n.metres = 0`

	// platformGlobalID is platform p's GraphQL global ID, as relay.ID makes it:
	// "Platform:<id>" in unpadded URL-safe base64.
	platformGlobalID = `translate(rtrim(encode(convert_to('Platform:' || p.id, 'UTF8'), 'base64'), '='), '+/', '-_')`
)

// Tile returns the vector tile z/x/y with layers counties, townships and
// platforms, and the data version it was read at. A tile with no feature is
// empty: zero bytes, a valid tile. z, x and y must be in range (CheckTile).
func (db *DB) Tile(ctx context.Context, z, x, y int) (version string, mvt []byte, err error) {
	if err := db.pool.QueryRow(ctx, tileSQL, z, x, y).Scan(&version, &mvt); err != nil {
		return "", nil, fmt.Errorf("tile %d/%d/%d: %w", z, x, y, err)
	}
	return version, mvt, nil
}

// CheckTile returns BAD_USER_INPUT, saying what is wrong, when z/x/y is no tile.
func CheckTile(z, x, y int) error {
	if z < 0 || z > MaxTileZoom {
		return errcode.Errorf(errcode.BadUserInput, "zoom %d is out of range: tiles go from 0 to %d", z, MaxTileZoom)
	}
	n := 1 << z
	if x < 0 || x >= n || y < 0 || y >= n {
		return errcode.Errorf(errcode.BadUserInput, "tile %d/%d/%d is out of range: at zoom %d, x and y go from 0 to %d", z, x, y, z, n-1)
	}
	return nil
}

// TileSet describes the tiles for a TileJSON document.
type TileSet struct {
	Version     string
	Attribution string
	// West, South, East, North bound every county.
	West, South, East, North float64
}

const tileSetSQL = `SELECT (` + dataVersionSQL + `), d.attribution,
		ST_XMin(e.box), ST_YMin(e.box), ST_XMax(e.box), ST_YMax(e.box)
	FROM dataset d, (SELECT ST_Extent(boundary) AS box FROM county) e`

// TileSet returns the data version, attribution and bounds of the tiles.
func (db *DB) TileSet(ctx context.Context) (TileSet, error) {
	var t TileSet
	err := db.pool.QueryRow(ctx, tileSetSQL).Scan(&t.Version, &t.Attribution, &t.West, &t.South, &t.East, &t.North)
	if err != nil {
		return TileSet{}, fmt.Errorf("tile set: %w", err)
	}
	return t, nil
}

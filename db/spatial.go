package db

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkbhex"
)

// Near is a circle on the ground: a centre (WGS84) and a radius in metres.
type Near struct {
	Lon, Lat     float64
	RadiusMetres float64
}

// BBox is a longitude/latitude box (WGS84) with West < East and South < North.
type BBox struct {
	West, South, East, North float64
}

// Place is what lies at a point: the county and the township whose boundaries
// contain it (nil where none does) and the nearest platforms asked for.
type Place struct {
	County   *County
	Township *Township
	Nearest  []PlatformDistance
}

// The statements below take the point they measure from as $1 (lon) and $2
// (lat). Distances are on geography, so they are geodesic metres on the WGS84
// spheroid; %[1]s is where a PlatformFilter's predicates go, numbered after
// the statement's own arguments.
const (
	// pointGeog is the point ($1, $2) as geography.
	pointGeog = `ST_Point($1, $2, 4326)::geography`
	// locationGeog is the expression that platform_location_geog_gix indexes;
	// the planner uses that index only for this very expression.
	locationGeog   = `p.location::geography`
	distanceColumn = `ST_Distance(` + locationGeog + `, ` + pointGeog + `) AS distance_metres`

	// The near list: the platforms within $3 metres of the point, nearest
	// first, then by ID. ST_DWithin finds them in platform_location_geog_gix.
	// After the filter's arguments, the page takes the distance and the ID of
	// the previous page's last row, and the LIMIT.
	nearWhere             = ` WHERE ST_DWithin(` + locationGeog + `, ` + pointGeog + `, $3) AND %[1]s`
	platformsNearCountSQL = `SELECT count(*)` + platformFrom + nearWhere
	platformsNearPageSQL  = `SELECT * FROM (SELECT ` + platformColumns + `, ` + distanceColumn + platformFrom + nearWhere + `) n
		WHERE (distance_metres, id) > ($%[2]d, $%[3]d) ORDER BY distance_metres, id LIMIT $%[4]d`

	// nearestSQL returns the limit (%[2]d) platforms with a known location nearest to
	// the point, nearest first, then by ID. The GiST index orders by <-> on
	// geography, which measures on a sphere, and the sphere and the spheroid
	// can rank two platforms differently (they differ by up to about 0.5%).
	// So the index only picks %[2]d candidates, knn; the farthest of them on the
	// spheroid bounds the distance of the true %[2]d nearest (any %[2]d platforms
	// would); and every platform within that reach is then measured on the
	// spheroid, sorted and cut. The extra metre keeps ST_DWithin from dropping
	// the farthest candidate itself over ST_Distance's rounding. The reach is
	// a scalar subquery so that it runs once, as an InitPlan, whatever the
	// planner makes of the join.
	//
	// The LIMIT is written into the text, not sent as a parameter: with
	// LIMIT $n, the generic plan's estimate (a tenth of the rows) always lost
	// to the custom plan's, so PostgreSQL planned the statement afresh at
	// every execution, 0.9 ms of a 1.3 ms statement; with the number in the
	// text, the prepared statement keeps its generic plan after five runs.
	// There are as many texts as limits a client may ask for (1 to maxNearest).
	//
	// %[3]s and %[4]s are the select list and the FROM … WHERE of the
	// platforms (platformSelect); the filter has no county, so the candidates
	// are found without the township.
	nearestSQL = `WITH knn AS (
		SELECT ` + locationGeog + ` AS location` + liveFromWhere + `p.location IS NOT NULL AND %[1]s
		ORDER BY ` + locationGeog + ` <-> ` + pointGeog + ` LIMIT %[2]d)
	SELECT %[3]s, ` + distanceColumn + `%[4]s
		ST_DWithin(` + locationGeog + `, ` + pointGeog + `,
		(SELECT max(ST_Distance(location, ` + pointGeog + `)) + 1 FROM knn)) AND %[1]s
	ORDER BY distance_metres, p.id LIMIT %[2]d`

	// The county and the township whose boundaries contain the point. A point
	// on a shared edge is in both; the lower code wins, and since a township's
	// code starts with its county's, both answers then agree.
	countyAtSQL   = `SELECT ` + countyColumns + ` FROM county WHERE ST_Intersects(boundary, ST_Point($1, $2, 4326)) ORDER BY code LIMIT 1`
	townshipAtSQL = `SELECT ` + townshipColumns + ` FROM township WHERE ST_Intersects(boundary, ST_Point($1, $2, 4326)) ORDER BY code LIMIT 1`

	// ST_IsValidReason alone, not with ST_IsValid: ST_IsValid reports GEOS's
	// interruption by a statement timeout or a cancel as XX000 ("GEOS
	// isvalid() threw an error!"), ST_IsValidReason as 57014, query_canceled,
	// which says what happened. One GEOS validation instead of two, too: a
	// 10,000-vertex star takes half a second each.
	areaValiditySQL = `SELECT ST_IsValidReason($1::geometry)`
)

// validReason is ST_IsValidReason's answer for a valid geometry (GEOS's
// IsValidOp).
const validReason = "Valid Geometry"

// nearStatements returns the count and the page statements of PlatformsNear.
func nearStatements(f PlatformFilter, near Near, page Page) (count, rows statement, err error) {
	afterMetres, afterID, err := nearKey(page.After)
	if err != nil {
		return count, rows, err
	}
	where, args := f.where(near.Lon, near.Lat, near.RadiusMetres)
	n := len(args)
	count = statement{fmt.Sprintf(platformsNearCountSQL, where), args}
	rows = statement{fmt.Sprintf(platformsNearPageSQL, where, n+1, n+2, n+3),
		append(args, afterMetres, afterID, page.limit())}
	return count, rows, nil
}

// nearKey parses the page key of the near list, a DistanceKey of the metres and
// the ID. The start of the list is a distance of -1, which every row follows.
func nearKey(after string) (metres float64, id int64, err error) {
	if after == "" {
		return -1, 0, nil
	}
	m, key, err := ParseDistanceKey(after)
	if err == nil && m == nil {
		err = fmt.Errorf("page key %q has no distance", after)
	}
	if err != nil {
		return 0, 0, err
	}
	id, err = intKey(key)
	return *m, id, err
}

// nearestStatement returns the statement of NearestPlatforms, reading
// columns of each platform (see Platforms; none: every column).
func nearestStatement(lon, lat float64, kinds []PlatformKind, limit int, columns []string) (statement, error) {
	sel, from, err := platformSelect(columns, false)
	if err != nil {
		return statement{}, err
	}
	active := StatusActive
	where, args := PlatformFilter{Kinds: kinds, Status: &active}.where(lon, lat)
	return statement{fmt.Sprintf(nearestSQL, where, limit, sel, from), args}, nil
}

// PlatformsNear returns a page of the platforms within near.RadiusMetres of its
// centre that match f, nearest first, then by ID, each with its distance.
// Page.After is a DistanceKey.
func (db *DB) PlatformsNear(ctx context.Context, f PlatformFilter, near Near, page Page) (List[PlatformDistance], error) {
	count, rows, err := nearStatements(f, near, page)
	if err != nil {
		return List[PlatformDistance]{}, fmt.Errorf("list platforms near: %w", err)
	}
	list, err := queryList[PlatformDistance](ctx, db.pool, page, count.sql, rows.sql, count.args, rows.args)
	if err != nil {
		return list, fmt.Errorf("list platforms near: %w", err)
	}
	return list, nil
}

// NearestPlatforms returns the limit ACTIVE platforms of kinds (all kinds when
// empty) with a known location nearest to the point (lon, lat), nearest first,
// then by ID, each with its distance. columns are the platform's columns the
// caller reads, as for Platforms; none means every column.
func (db *DB) NearestPlatforms(ctx context.Context, lon, lat float64, kinds []PlatformKind, limit int, columns ...string) ([]PlatformDistance, error) {
	s, err := nearestStatement(lon, lat, kinds, limit, columns)
	if err != nil {
		return nil, fmt.Errorf("nearest platforms: %w", err)
	}
	rows, err := db.pool.Query(ctx, s.sql, s.args...)
	if err != nil {
		return nil, fmt.Errorf("nearest platforms: %w", err)
	}
	ps, err := collectByName[PlatformDistance](rows, limit)
	if err != nil {
		return nil, fmt.Errorf("nearest platforms: %w", err)
	}
	return ps, nil
}

// PlaceAt returns what lies at the point (lon, lat): its county and township,
// and the nearest ACTIVE platform with a known location of each of kinds, in
// that order (a kind with none is left out). It costs one round trip.
func (db *DB) PlaceAt(ctx context.Context, lon, lat float64, kinds []PlatformKind) (Place, error) {
	var place Place
	var b pgx.Batch
	b.Queue(countyAtSQL, lon, lat).Query(func(rows pgx.Rows) (err error) {
		place.County, err = collectFirst[County](rows)
		return err
	})
	b.Queue(townshipAtSQL, lon, lat).Query(func(rows pgx.Rows) (err error) {
		place.Township, err = collectFirst[Township](rows)
		return err
	})
	for _, k := range kinds {
		s, err := nearestStatement(lon, lat, []PlatformKind{k}, 1, nil)
		if err != nil {
			return Place{}, fmt.Errorf("place at %v, %v: %w", lon, lat, err)
		}
		b.Queue(s.sql, s.args...).Query(func(rows pgx.Rows) error {
			ps, err := pgx.CollectRows(rows, pgx.RowToStructByName[PlatformDistance])
			place.Nearest = append(place.Nearest, ps...)
			return err
		})
	}
	if err := db.pool.SendBatch(ctx, &b).Close(); err != nil {
		return Place{}, fmt.Errorf("place at %v, %v: %w", lon, lat, err)
	}
	return place, nil
}

// AreaValidity reports whether PostGIS holds area (a Polygon or MultiPolygon)
// to be a valid geometry and, when it does not, why: ST_IsValidReason's text,
// e.g. "Self-intersection[117.5 26.2]".
func (db *DB) AreaValidity(ctx context.Context, area geom.T) (valid bool, reason string, err error) {
	if err = db.pool.QueryRow(ctx, areaValiditySQL, geometryArg{area}).Scan(&reason); err != nil {
		return false, "", fmt.Errorf("area validity: %w", err)
	}
	if reason == validReason {
		return true, "", nil
	}
	return false, reason, nil
}

// geometryArg sends a WGS84 geometry as "SRID=4326;" and hex WKB, the text that
// a $n::geometry parameter reads. The parameter is then a geometry value,
// parsed once per statement; ST_GeomFromWKB($n) would be evaluated again for
// every row under a generic plan.
type geometryArg struct{ geom.T }

func (a geometryArg) Value() (driver.Value, error) {
	h, err := wkbhex.Encode(a.T, wkbhex.NDR)
	if err != nil {
		return nil, fmt.Errorf("encode geometry: %w", err)
	}
	return "SRID=4326;" + h, nil
}

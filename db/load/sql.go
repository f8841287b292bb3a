package load

// Every statement the loader runs. Each upsert updates a row only when a value
// differs (… WHERE (old) IS DISTINCT FROM (new)), so a repeated load affects no
// rows, and the affected-row counts say exactly what changed.

// lockLoadSQL keeps two loads apart for the length of the transaction.
const lockLoadSQL = `SELECT pg_advisory_xact_lock(hashtext('civicmap.load'))`

// upsertCountySQL writes one county.
//
// boundary_quality is APPROXIMATE, not OFFICIAL: the fences come from the Amap
// district API (via Vonng/adcode, about 2017–2018), were shifted from GCJ-02 to
// WGS84 by an inverse formula, and 三元区 is a dissolve of two older polygons. They
// are good to tens of metres, but no surveying authority published them, so
// calling them official would mislead. A boundary someone imported as OFFICIAL
// is kept.
const upsertCountySQL = `
INSERT INTO county AS c (code, name, kind, seat, boundary, boundary_quality, area_km2, source_note)
VALUES ($1, $2, $3,
        ST_SetSRID(ST_MakePoint($4::float8, $5::float8), 4326),  -- NULL when no seat is given
        ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($6::text), 4326)),
        'APPROXIMATE', $7, $8)
ON CONFLICT (code) DO UPDATE SET
    name = excluded.name,
    kind = excluded.kind,
    seat = excluded.seat,
    boundary = CASE WHEN c.boundary_quality = 'OFFICIAL' THEN c.boundary ELSE excluded.boundary END,
    boundary_quality = CASE WHEN c.boundary_quality = 'OFFICIAL' THEN c.boundary_quality ELSE excluded.boundary_quality END,
    area_km2 = excluded.area_km2,
    source_note = excluded.source_note
WHERE (c.name, c.kind, c.seat, c.area_km2, c.source_note) IS DISTINCT FROM
      (excluded.name, excluded.kind, excluded.seat, excluded.area_km2, excluded.source_note)
   OR (c.boundary_quality <> 'OFFICIAL' AND c.boundary IS DISTINCT FROM excluded.boundary)`

// invalidCountiesSQL returns the first county whose boundary PostGIS finds invalid, with the reason.
const invalidCountiesSQL = `
SELECT code, ST_IsValidReason(boundary) FROM county WHERE NOT ST_IsValid(boundary) ORDER BY code LIMIT 1`

// upsertOrganiserSQL writes one organiser (a CPPCC: the city's or a county's).
const upsertOrganiserSQL = `
INSERT INTO organiser AS o (code, name, level, county_code)
VALUES ($1, $2, $3, $4)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, county_code = excluded.county_code
WHERE (o.name, o.level, o.county_code) IS DISTINCT FROM (excluded.name, excluded.level, excluded.county_code)`

// upsertTownshipSQL writes one township's attributes and seat. Its cell is
// written afterwards, by updateCellsSQL.
const upsertTownshipSQL = `
INSERT INTO township AS t (code, name, kind, county_code, seat, position_quality, source_note)
VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5::float8, $6::float8), 4326), $7, $8)
ON CONFLICT (code) DO UPDATE SET
    name = excluded.name,
    kind = excluded.kind,
    county_code = excluded.county_code,
    seat = excluded.seat,
    position_quality = excluded.position_quality,
    source_note = excluded.source_note
WHERE (t.name, t.kind, t.county_code, t.seat, t.position_quality, t.source_note) IS DISTINCT FROM
      (excluded.name, excluded.kind, excluded.county_code, excluded.seat, excluded.position_quality, excluded.source_note)`

// updateCellsSQL derives an approximate cell for every township with a seat:
// the Voronoi diagram of the county's seats, computed in UTM 50N (EPSG:32650)
// so that the bisectors are drawn in metres rather than degrees, extended to the
// county's envelope, turned back to WGS84 and clipped to the county. The
// transform moves only vertices, so the cells still tile the county exactly.
// OFFICIAL boundaries are never replaced.
const updateCellsSQL = `
WITH seat AS (
    SELECT code, county_code, ST_Transform(seat, 32650) AS seat_m
    FROM township
    WHERE seat IS NOT NULL
), diagram AS (
    SELECT s.county_code,
           (ST_Dump(ST_VoronoiPolygons(ST_Collect(s.seat_m), 0,
                                       (SELECT ST_Transform(c.boundary, 32650) FROM county c WHERE c.code = s.county_code)))).geom AS cell_m
    FROM seat s
    GROUP BY s.county_code
), cell AS (
    SELECT s.code,
           ST_Multi(ST_CollectionExtract(ST_Intersection(ST_Transform(d.cell_m, 4326), c.boundary), 3)) AS boundary
    FROM diagram d
    JOIN seat s ON s.county_code = d.county_code AND ST_Contains(d.cell_m, s.seat_m)
    JOIN county c ON c.code = d.county_code
)
UPDATE township t
SET boundary = cell.boundary, boundary_quality = 'APPROXIMATE'
FROM cell
WHERE t.code = cell.code
  AND t.boundary_quality IS DISTINCT FROM 'OFFICIAL'
  AND (t.boundary, t.boundary_quality) IS DISTINCT FROM (cell.boundary, 'APPROXIMATE')`

// clearStaleCellsSQL removes derived cells of townships that lost their seat:
// a cell without a seat to derive it from would be made up.
const clearStaleCellsSQL = `
UPDATE township SET boundary = NULL, boundary_quality = NULL
WHERE seat IS NULL AND boundary_quality = 'APPROXIMATE'`

// townshipsWithoutCellSQL lists townships that have a seat but no usable cell
// after the derivation: a seat outside its county, or a duplicate seat.
const townshipsWithoutCellSQL = `
SELECT code FROM township
WHERE seat IS NOT NULL AND (boundary IS NULL OR ST_IsEmpty(boundary))
ORDER BY code`

// countCellsSQL counts townships that have a cell (derived or official).
const countCellsSQL = `SELECT count(*) FROM township WHERE boundary IS NOT NULL`

// upsertSectorSQL writes one CPPCC sector.
const upsertSectorSQL = `
INSERT INTO sector AS s (code, name, name_en, ord)
VALUES ($1, $2, $3, $4)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, ord = excluded.ord
WHERE (s.name, s.name_en, s.ord) IS DISTINCT FROM (excluded.name, excluded.name_en, excluded.ord)`

// upsertDatasetSourceSQL writes one attribution row.
const upsertDatasetSourceSQL = `
INSERT INTO dataset_source AS d (ord, name, url, licence, used_for, title, publisher, published_on, article)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, $9)
ON CONFLICT (ord) DO UPDATE SET name = excluded.name, url = excluded.url, licence = excluded.licence, used_for = excluded.used_for,
	title = excluded.title, publisher = excluded.publisher, published_on = excluded.published_on, article = excluded.article
WHERE (d.name, d.url, d.licence, d.used_for, d.title, d.publisher, d.published_on, d.article) IS DISTINCT FROM
      (excluded.name, excluded.url, excluded.licence, excluded.used_for,
       excluded.title, excluded.publisher, excluded.published_on, excluded.article)`

// upsertDatasetSQL writes the one dataset row. loaded_at moves only when $3
// says that this load changed some row, so an idle reload leaves it alone.
const upsertDatasetSQL = `
INSERT INTO dataset AS d (singleton, attribution, licence, loaded_at)
VALUES (true, $1, $2, now())
ON CONFLICT (singleton) DO UPDATE SET attribution = excluded.attribution, licence = excluded.licence, loaded_at = excluded.loaded_at
WHERE $3::boolean OR (d.attribution, d.licence) IS DISTINCT FROM (excluded.attribution, excluded.licence)`

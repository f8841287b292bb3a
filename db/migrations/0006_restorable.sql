-- A pg_dump of the database must restore (README, Back up and restore).
-- pg_restore runs with an empty search_path, and it computes the stored column
-- township.boundary_utm for every township it copies in, calling utm_srid.
-- With its body in a string, utm_srid's ST_YMin… were looked up only then, in
-- no schema, and the restore failed at CREATE TABLE township. A SQL-standard
-- body (RETURN) is parsed when the function is created, its references bound
-- then, and pg_dump writes them qualified. It is still inlined.
CREATE OR REPLACE FUNCTION utm_srid(g geometry) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN ST_YMin(g) + ST_YMax(g) >= 0 THEN 32600 ELSE 32700 END
    + least(60, greatest(1, floor(((ST_XMin(g) + ST_XMax(g)) / 2 + 180) / 6)::integer + 1));

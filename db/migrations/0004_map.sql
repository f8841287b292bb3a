-- The map (issue 4) lets caches keep tiles and GeoJSON for as long as the data
-- they show is unchanged. The data version names that state: it must change with
-- every write and be read from the same snapshot as the data it describes, or a
-- client could keep old data under a new version for ever.
--
-- Platform writes already number themselves: platform_change.seq, taken at
-- commit (0003). The geography and its attribution change only through loads
-- and imports; each row they write bumps geography_version here, in the
-- writer's transaction, so a snapshot sees the bump exactly when it sees the
-- rows. The data version is the pair (geography_version, max seq).
ALTER TABLE change_queue ADD COLUMN geography_version bigint NOT NULL DEFAULT 0;

CREATE FUNCTION bump_geography_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE change_queue SET geography_version = geography_version + 1;
    RETURN NULL;
END
$$;

-- Row-level, so a reload that changes nothing bumps nothing.
CREATE TRIGGER county_bump_version AFTER INSERT OR UPDATE OR DELETE ON county
    FOR EACH ROW EXECUTE FUNCTION bump_geography_version();
CREATE TRIGGER township_bump_version AFTER INSERT OR UPDATE OR DELETE ON township
    FOR EACH ROW EXECUTE FUNCTION bump_geography_version();
CREATE TRIGGER dataset_bump_version AFTER INSERT OR UPDATE OR DELETE ON dataset
    FOR EACH ROW EXECUTE FUNCTION bump_geography_version();
CREATE TRIGGER dataset_source_bump_version AFTER INSERT OR UPDATE OR DELETE ON dataset_source
    FOR EACH ROW EXECUTE FUNCTION bump_geography_version();

-- Tiles are cut in Web Mercator (EPSG:3857), and a cell's coverage at radius 0
-- is tested in UTM 50N (0002). Projecting the real county lines (56,000
-- vertices) and the cells on every request cost most of a tile: a z8 tile over
-- the city took 26 ms for its counties and 27 ms for its covered flags, 5 ms
-- each from stored projections. PostgreSQL keeps these in step with boundary.
ALTER TABLE county ADD COLUMN boundary_3857 geometry(MultiPolygon, 3857)
    GENERATED ALWAYS AS (ST_Transform(boundary, 3857)) STORED;
ALTER TABLE township ADD COLUMN boundary_3857 geometry(MultiPolygon, 3857)
    GENERATED ALWAYS AS (ST_Transform(boundary, 3857)) STORED;
ALTER TABLE township ADD COLUMN boundary_utm geometry(MultiPolygon, 32650)
    GENERATED ALWAYS AS (ST_Transform(boundary, 32650)) STORED;

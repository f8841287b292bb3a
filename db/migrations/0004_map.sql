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

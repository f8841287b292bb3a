-- Issue 11: coverage from a maintained index. Coverage is asked on every change
-- of kinds or radius on the map, far more often than platforms change, so for
-- every township with a cell and every platform kind, township_nearest keeps
-- the nearest covering platform and its metres from the cell (0 inside), or
-- NULL when no such platform exists anywhere. A township is covered by some
-- kinds at some radius when the nearest of those kinds' is within it: any
-- question is a filter on stored metres. Statement triggers keep it exact in
-- the transaction of every write that changes it, so no writer can skip them:
-- the API, imports, the loader, or SQL by hand.
--
-- A platform covers when it is ACTIVE, live and has a position
-- (platform_covers). Ties in metres go to the lowest platform ID.
--
-- Every township–platform pair within 50 km was kept too at first, for
-- coveredBy: that made each platform write measure 45–75 of Sanming's cells
-- (25 ms a write, minutes for a 10,000-row import) and 1.5 million rows at
-- nationwide size, for a field that is asked rarely and is cached by data
-- version. coveredBy is measured on request instead (db/coverage.go).

-- Distances were found in UTM 50N, right for Sanming and wrong for most of
-- China (scale errors of 10% and more far from 117°E). Each cell is now kept in
-- its own UTM zone, the one of its centre: a projection local to the township,
-- within 0.1% of true scale across it. For Sanming every cell is in zone 50, so
-- nothing there changes.
CREATE FUNCTION utm_srid(g geometry) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN ST_YMin(g) + ST_YMax(g) >= 0 THEN 32600 ELSE 32700 END
        + least(60, greatest(1, floor(((ST_XMin(g) + ST_XMax(g)) / 2 + 180) / 6)::integer + 1))
$$;

ALTER TABLE township DROP COLUMN boundary_utm;
ALTER TABLE township ADD COLUMN boundary_utm geometry
    GENERATED ALWAYS AS (ST_Transform(boundary, utm_srid(boundary))) STORED;

-- cell_metres is the distance in metres from the point pt (WGS84) to a cell
-- given in its own UTM zone: 0 inside, else the geodesic distance (WGS84
-- spheroid) from pt to the cell's nearest point, found in the zone. The zone is
-- conformal, so that point is the geodesic one to within centimetres, and
-- finding it costs microseconds where geography's ST_Distance from a polygon
-- costs a third of a millisecond on Sanming's cells. One plain expression, so
-- PostgreSQL inlines it.
CREATE FUNCTION cell_metres(cell_utm geometry, pt geometry) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN ST_Intersects(cell_utm, ST_Transform(pt, ST_SRID(cell_utm))) THEN 0
        ELSE ST_Distance(pt::geography,
            ST_Transform(ST_ClosestPoint(cell_utm, ST_Transform(pt, ST_SRID(cell_utm))), 4326)::geography)
        END
$$;

-- platform_covers says whether a platform in this state can cover a township.
CREATE FUNCTION platform_covers(status text, location geometry, deleted_at timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT status = 'ACTIVE' AND location IS NOT NULL AND deleted_at IS NULL
$$;

-- within_reach is a box holding every point within metres of g: g's box
-- widened by the degrees that metres span at most, where a degree of latitude
-- is shortest (110,574 m) and one of longitude is shortest at the highest
-- latitude reached. A box search of the GiST indexes on the WGS84 columns then
-- finds every candidate; geography's ST_DWithin would measure each candidate
-- from the polygon, half a millisecond apiece on Sanming's cells.
CREATE FUNCTION within_reach(g geometry, metres double precision) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ST_Expand(g,
        metres / (111319 * cos(radians(least(89, greatest(abs(ST_YMin(g)), abs(ST_YMax(g))) + metres / 110574)))),
        metres / 110574)
$$;

CREATE TABLE township_nearest (
    township_code text NOT NULL REFERENCES township (code) ON DELETE CASCADE,
    kind          text NOT NULL,
    platform_id   bigint REFERENCES platform (id),
    metres        double precision CHECK (metres >= 0),
    PRIMARY KEY (township_code, kind),
    CHECK ((platform_id IS NULL) = (metres IS NULL))
);
CREATE INDEX township_nearest_platform_idx ON township_nearest (platform_id);
-- reach_metres reads the farthest nearest platform of a kind from here.
CREATE INDEX township_nearest_kind_metres_idx ON township_nearest (kind, metres);

-- nearest_platform is the nearest covering platform of a kind to a township's
-- cell, measured from scratch: every platform within the distance of the best
-- of the four nearest in degrees (a KNN walk of platform_location_gix that
-- only bounds the search) is measured.
--
-- enable_seqscan is off in it: a bulk load runs it inside the loading
-- transaction, before any ANALYZE has seen the new rows, and PostgreSQL then
-- sorted every platform by distance at each call instead of walking the index
-- (hours for the nationwide data instead of seconds).
CREATE FUNCTION nearest_platform(of_township text, of_kind text, OUT platform_id bigint, OUT metres double precision)
LANGUAGE plpgsql STABLE SET enable_seqscan = off AS $$
DECLARE
    cell  geometry;
    utm   geometry;
    bound double precision;
BEGIN
    SELECT t.boundary, t.boundary_utm INTO cell, utm FROM township t WHERE t.code = of_township;
    SELECT min(cell_metres(utm, q.location)) INTO bound
    FROM (SELECT p.location FROM platform p
          WHERE p.kind = of_kind AND platform_covers(p.status, p.location, p.deleted_at)
          ORDER BY p.location <-> cell LIMIT 4) q;
    IF bound IS NULL THEN
        RETURN;
    END IF;
    SELECT d.id, d.metres INTO platform_id, metres
    FROM (SELECT p.id, cell_metres(utm, p.location) AS metres FROM platform p
          WHERE p.kind = of_kind AND platform_covers(p.status, p.location, p.deleted_at)
            AND p.location && within_reach(cell, bound)
          OFFSET 0) d
    WHERE d.metres <= bound
    ORDER BY d.metres, d.id LIMIT 1;
END
$$;

-- reach_metres is how far a new platform of a kind can be from a township and
-- still be its nearest: the farthest nearest platform of the kind, or the
-- whole Earth while some township has none (no such platform exists).
CREATE FUNCTION reach_metres(of_kind text) RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT n.metres FROM township_nearest n WHERE n.kind = of_kind
                     ORDER BY n.metres DESC NULLS FIRST LIMIT 1), 2e7) -- 20,000 km: anywhere
$$;

-- coverage_of_townships measures the given townships' nearest platform of
-- every kind from scratch. Townships without a cell get no row. A kind with no
-- covering platform at all leaves nothing to search for.
CREATE FUNCTION coverage_of_townships(codes text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM township_nearest n USING unnest(codes) u (code) WHERE n.township_code = u.code;
    INSERT INTO township_nearest (township_code, kind, platform_id, metres)
    SELECT t.code, k.kind, n.platform_id, n.metres
    FROM unnest(codes) u (code)
    JOIN township t ON t.code = u.code
    CROSS JOIN (SELECT k.kind, EXISTS (SELECT FROM platform p
                    WHERE p.kind = k.kind AND platform_covers(p.status, p.location, p.deleted_at)) AS some
                FROM unnest(ARRAY['LIAISON_GROUP', 'WORKSTATION', 'SECTOR_HALL']) k (kind)) k
    LEFT JOIN LATERAL (SELECT f.platform_id, f.metres FROM nearest_platform(t.code, k.kind) f WHERE k.some) n ON true
    WHERE t.boundary IS NOT NULL;
END
$$;

-- coverage_of_platforms brings the index up to date after the platforms gone
-- stopped covering (or moved, or changed kind) and the platforms came started
-- to (or arrived there). Only the townships they can affect are measured:
-- those whose nearest went, and those a platform that came may now be
-- nearest to. The latter lie within reach_metres of it, and within their own
-- nearest's metres: two box tests on the index and the cells' stored boxes,
-- so a cell is measured only where the new platform may be nearer. A bulk
-- load (more than 500 at once) measures every township of their kinds.
CREATE FUNCTION coverage_of_platforms(gone bigint[], came bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE township_nearest n
    SET (platform_id, metres) = (SELECT f.platform_id, f.metres FROM nearest_platform(n.township_code, n.kind) f)
    FROM unnest(gone) u (id)
    WHERE n.platform_id = u.id;

    IF cardinality(came) > 500 THEN
        -- A bulk load's rows are not in the statistics yet, and plans made
        -- without them measured every platform from every cell.
        ANALYZE platform;
        UPDATE township_nearest n
        SET (platform_id, metres) = (SELECT f.platform_id, f.metres FROM nearest_platform(n.township_code, n.kind) f)
        WHERE n.kind IN (SELECT p.kind FROM unnest(came) u (id) JOIN platform p ON p.id = u.id);
        RETURN;
    END IF;

    UPDATE township_nearest n
    SET platform_id = c.platform_id, metres = c.metres
    FROM (SELECT DISTINCT ON (m.township_code, m.kind) m.township_code, m.kind, m.platform_id, m.metres
          FROM (SELECT f.township_code, f.kind, p.id AS platform_id, f.platform_id AS was_id, f.metres AS was_metres,
                       cell_metres(t.boundary_utm, p.location) AS metres
                FROM unnest(came) u (id)
                JOIN platform p ON p.id = u.id
                JOIN township t ON t.boundary && within_reach(p.location, reach_metres(p.kind))
                JOIN township_nearest f ON f.township_code = t.code AND f.kind = p.kind
                WHERE f.metres IS NULL OR t.boundary && within_reach(p.location, f.metres)
                OFFSET 0) m
          WHERE m.was_metres IS NULL OR (m.metres, m.platform_id) < (m.was_metres, m.was_id)
          ORDER BY m.township_code, m.kind, m.metres, m.platform_id) c
    WHERE n.township_code = c.township_code AND n.kind = c.kind
      AND (n.metres IS NULL OR (c.metres, c.platform_id) < (n.metres, n.platform_id));
END
$$;

-- Writers of platforms and townships take this lock before their first
-- statement touches a row, and hold it to commit. Maintenance reads what other
-- writers committed: two writers at once could each measure without the
-- other's platform (one moves a township's nearest away, the other brings one
-- near) and leave the index wrong. Taking it before any row lock means no
-- writer can hold a row another waits for. Writes are rare; reads never wait.
CREATE FUNCTION lock_coverage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'write % at READ COMMITTED: the coverage index must see the writes committed before it', TG_TABLE_NAME
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM pg_advisory_xact_lock(7165075710252509029); -- "coverage" in ASCII
    RETURN NULL;
END
$$;

CREATE TRIGGER platform_lock_coverage BEFORE INSERT OR UPDATE ON platform
    FOR EACH STATEMENT EXECUTE FUNCTION lock_coverage();
CREATE TRIGGER township_lock_coverage BEFORE INSERT OR UPDATE ON township
    FOR EACH STATEMENT EXECUTE FUNCTION lock_coverage();

-- platform_coverage_changed finds, among a statement's rows, the platforms
-- whose covering state (covers, kind, location) changed, and updates the index.
CREATE FUNCTION platform_coverage_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    gone bigint[];
    came bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.id) INTO came
        FROM new_rows n WHERE platform_covers(n.status, n.location, n.deleted_at);
    ELSE
        SELECT array_agg(o.id) FILTER (WHERE platform_covers(o.status, o.location, o.deleted_at)),
               array_agg(n.id) FILTER (WHERE platform_covers(n.status, n.location, n.deleted_at))
        INTO gone, came
        FROM old_rows o JOIN new_rows n USING (id)
        WHERE (platform_covers(o.status, o.location, o.deleted_at), o.kind, o.location)
              IS DISTINCT FROM (platform_covers(n.status, n.location, n.deleted_at), n.kind, n.location);
    END IF;
    IF gone IS NOT NULL OR came IS NOT NULL THEN
        PERFORM coverage_of_platforms(coalesce(gone, '{}'), coalesce(came, '{}'));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER platform_coverage_insert AFTER INSERT ON platform
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION platform_coverage_changed();
CREATE TRIGGER platform_coverage_update AFTER UPDATE ON platform
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION platform_coverage_changed();

-- township_coverage_changed measures again the townships whose cell a
-- statement drew or changed. Deleted townships lose their rows by cascade.
CREATE FUNCTION township_coverage_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    codes text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.code) INTO codes FROM new_rows n WHERE n.boundary IS NOT NULL;
    ELSE
        SELECT array_agg(n.code) INTO codes
        FROM old_rows o JOIN new_rows n USING (code)
        WHERE o.boundary IS DISTINCT FROM n.boundary;
    END IF;
    IF codes IS NOT NULL THEN
        PERFORM coverage_of_townships(codes);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER township_coverage_insert AFTER INSERT ON township
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION township_coverage_changed();
CREATE TRIGGER township_coverage_update AFTER UPDATE ON township
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION township_coverage_changed();

-- 0004 bumped the geography version once per row written: a load of 40,000
-- townships updated change_queue 40,000 times, each update walking past the
-- row versions before it (25 s). Once per transaction is enough: a snapshot
-- that sees the transaction's rows sees its bump.
CREATE OR REPLACE FUNCTION bump_geography_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('civicmap.bumped_in', true) IS DISTINCT FROM txid_current()::text THEN
        UPDATE change_queue SET geography_version = geography_version + 1;
        PERFORM set_config('civicmap.bumped_in', txid_current()::text, true);
    END IF;
    RETURN NULL;
END
$$;

-- The platform location index in UTM 50N served coverage's KNN there; nothing
-- searches in one zone any more.
DROP INDEX platform_location_utm_gix;

-- Build the index for the data already here.
SELECT coverage_of_townships(ARRAY(SELECT code FROM township));

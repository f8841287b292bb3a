-- Issue 5: API keys for writes, soft deletes, and the change feed, which is also
-- the audit log of every platform write.

-- An API key. Only the SHA-256 of the token is stored: the token itself is shown
-- once, when the key is created. An admin writes everything; an editor writes the
-- platforms of its scope (the city, 350400, or one county); a reader writes nothing.
CREATE TABLE api_key (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    role       text NOT NULL CHECK (role IN ('admin', 'editor', 'reader')),
    scope      text REFERENCES organiser (code),
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    CHECK (role <> 'admin' OR scope IS NULL),
    CHECK (role <> 'editor' OR scope IS NOT NULL)
);

-- A deleted platform keeps its row as a tombstone: reads leave it out, the change
-- feed still carries it, and restorePlatform brings it back.
ALTER TABLE platform ADD COLUMN deleted_at timestamptz;

-- One liaison group per township among the platforms that are not deleted, so a
-- deleted group can be replaced (and restoring it then conflicts).
DROP INDEX platform_liaison_group_township_key;
CREATE UNIQUE INDEX platform_liaison_group_township_key ON platform (township_code)
    WHERE kind = 'LIAISON_GROUP' AND deleted_at IS NULL;

-- platform_in_scope says whether an editor of scope may write a platform run by
-- organiser_code in township_code: the city's scope covers everything, a county's
-- covers the platforms it organises and those in its townships. A NULL scope
-- (an admin) covers everything. The write statements call it in their WHERE, so
-- the scope holds in the database, not only in Go.
CREATE FUNCTION platform_in_scope(scope text, organiser_code text, township_code text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT scope IS NULL
        OR scope = organiser_code
        OR EXISTS (SELECT 1 FROM organiser o WHERE o.code = scope AND o.level = 'CITY')
        OR EXISTS (SELECT 1 FROM township t WHERE t.code = township_code AND t.county_code = scope)
$$;

-- The change feed and audit log: one row per committed write of a platform, with
-- who made it and the row before and after. seq is the feed's order.
--
-- seq must be commit order, or a reader that has seen seq n could miss a change
-- numbered below n that commits after it looked. So a writer takes its numbers
-- from the sequence only while it holds the lock on the change_queue row, and
-- holds it until its commit completes: the next writer gets its numbers only
-- after this one is visible. The lock is taken in a deferred trigger, at
-- COMMIT, so writers queue only for the moment of their commit, not for the
-- whole transaction. The row is only locked, never updated: updating it once
-- per change made an import of n platforms cost O(n²) at COMMIT (each update
-- adds a row version the next must walk past; 20,000 changes took 3.2 s). A
-- commit that fails after taking its numbers leaves a gap, which a reader
-- skips like any number it never sees.
CREATE TABLE change_queue (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton)
);

CREATE TABLE platform_change (
    seq         bigint PRIMARY KEY,
    platform_id bigint NOT NULL REFERENCES platform (id),
    operation   text NOT NULL CHECK (operation IN ('CREATE', 'UPDATE', 'DELETE', 'RESTORE')),
    version     integer NOT NULL,
    -- Who: "load", "migrate", "key 12 (name)", or "sql:<role>" for a hand-made change.
    actor       text NOT NULL,
    api_key_id  bigint REFERENCES api_key (id),
    changed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    before      jsonb,
    after       jsonb NOT NULL
);
CREATE INDEX platform_change_platform_idx ON platform_change (platform_id, seq);

-- Platforms loaded before this migration enter the feed as created, so a reader
-- starting from the beginning still receives every platform.
INSERT INTO platform_change (seq, platform_id, operation, version, actor, after)
SELECT row_number() OVER (ORDER BY p.id), p.id, 'CREATE', p.version, 'migrate', to_jsonb(p)
FROM platform p;
INSERT INTO change_queue DEFAULT VALUES;
CREATE SEQUENCE platform_change_seq OWNED BY platform_change.seq;
SELECT setval('platform_change_seq', coalesce(max(seq), 0) + 1, false) FROM platform_change;

-- record_platform_change writes the feed row of one platform write. The writer
-- names itself with set_config('civicmap.actor', …, true) and, for an API key,
-- 'civicmap.api_key_id'; a change made by hand in SQL is recorded under the role.
CREATE FUNCTION record_platform_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    next_seq bigint;
    op       text := 'UPDATE';
    old_row  jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        op := 'CREATE';
    ELSE
        old_row := to_jsonb(OLD);
        IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
            op := 'DELETE';
        ELSIF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
            op := 'RESTORE';
        END IF;
    END IF;
    PERFORM FROM change_queue FOR UPDATE;
    next_seq := nextval('platform_change_seq');
    INSERT INTO platform_change (seq, platform_id, operation, version, actor, api_key_id, before, after)
    VALUES (next_seq, NEW.id, op, NEW.version,
            coalesce(nullif(current_setting('civicmap.actor', true), ''), 'sql:' || session_user),
            nullif(current_setting('civicmap.api_key_id', true), '')::bigint,
            old_row, to_jsonb(NEW));
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER platform_record_change
    AFTER INSERT OR UPDATE ON platform
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION record_platform_change();

-- Platforms are never deleted for real: a reader of the feed would never hear of it.
CREATE FUNCTION refuse_platform_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'platforms are soft-deleted: set deleted_at, so that the change feed keeps a tombstone';
END
$$;

CREATE TRIGGER platform_refuse_delete BEFORE DELETE ON platform
    FOR EACH ROW EXECUTE FUNCTION refuse_platform_delete();

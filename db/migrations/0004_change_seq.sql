-- The change feed's numbers come from a sequence, taken under the counter row's
-- lock, instead of from incrementing the counter row itself.
--
-- Incrementing the row once per change made an import of n platforms cost
-- O(n²) at COMMIT: each update of the row adds a version that the next update
-- of the same transaction must walk past (10,000 changes: 0.7 s, 20,000: 3.2 s).
-- Locking a row already locked by the transaction costs nothing, so the row is
-- now only locked (FOR UPDATE), and still held until the commit completes: the
-- next writer takes its numbers only after this one is visible, and numbers are
-- commit order as before. A commit that fails after taking its numbers leaves
-- a gap, which a reader skips like any number it never sees; the last number
-- is the largest seq committed.
ALTER TABLE change_counter RENAME TO change_queue;
ALTER TABLE change_queue DROP COLUMN last_seq;

CREATE SEQUENCE platform_change_seq OWNED BY platform_change.seq;
SELECT setval('platform_change_seq', coalesce(max(seq), 0) + 1, false) FROM platform_change;

CREATE OR REPLACE FUNCTION record_platform_change() RETURNS trigger
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

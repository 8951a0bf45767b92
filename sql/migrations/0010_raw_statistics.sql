-- No planner statistics for the stg tables' raw JSONB columns (raw_data, payload).
-- ANALYZE of a JSONB blob sorts and compares whole documents: at 1M EVO entries it was 0.6 s of
-- the 1.5 s ANALYZE after each full refresh (docs/performance.md), for statistics no query
-- uses (nothing filters by a whole record, and the planner estimates `@>` and `->>` filters
-- without them). Partitions inherit the setting from here; the loader copies it to the shadow
-- tables and new partitions it creates.

DO $$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT n.nspname, t.relname, a.attname
        FROM pg_attribute a
        JOIN pg_class t ON t.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname IN ('stg_evo', 'stg_pipedrive', 'stg_zendesk')
          AND t.relkind IN ('r', 'p') AND NOT t.relispartition
          AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'jsonb'::regtype
    LOOP
        EXECUTE format('ALTER TABLE %I.%I ALTER COLUMN %I SET STATISTICS 0', c.nspname, c.relname, c.attname);
    END LOOP;
END
$$;

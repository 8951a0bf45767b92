-- The data tests of the query headers (`-- @test …`), run by every `skyfit run` on the loaded
-- core tables in PostgreSQL: one row per test per run, all of a run's rows written in one
-- transaction. `skyfit query test` runs the same tests on the lake and writes nothing here.
CREATE TABLE IF NOT EXISTS meta.data_test_results (
    id           BIGSERIAL   PRIMARY KEY,
    run_id       TEXT        NOT NULL,
    target_table TEXT        NOT NULL,
    test_name    TEXT        NOT NULL,
    test_kind    TEXT        NOT NULL
        CHECK (test_kind IN ('unique', 'not_null', 'accepted_values', 'relationships', 'row_count')),
    columns      TEXT[]      NOT NULL DEFAULT '{}',
    severity     TEXT        NOT NULL CHECK (severity IN ('warn', 'error')),
    failing_rows BIGINT      NOT NULL DEFAULT 0,
    sample_keys  JSONB       NOT NULL DEFAULT '[]'::jsonb,
    passed       BOOLEAN     NOT NULL,
    error        TEXT,
    tested_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_data_test_results_run ON meta.data_test_results (run_id);
CREATE INDEX IF NOT EXISTS idx_data_test_results_table ON meta.data_test_results (target_table, tested_at);

COMMENT ON TABLE meta.data_test_results IS
    'One row per data test (-- @test in a query header) per skyfit run, run in PostgreSQL on the loaded core table. A failed error-severity test fails the run; the data stays loaded.';
COMMENT ON COLUMN meta.data_test_results.test_name IS 'The test as declared, e.g. unique(scope, person_id).';
COMMENT ON COLUMN meta.data_test_results.failing_rows IS 'Offending rows (duplicated keys for unique); for row_count out of its range, the table''s row count.';
COMMENT ON COLUMN meta.data_test_results.sample_keys IS 'Up to five offending keys (the target''s key columns, or the tested columns), as JSON objects.';
COMMENT ON COLUMN meta.data_test_results.error IS 'Why the test could not run (e.g. a column the header names is not in the table); such a test counts as failed.';

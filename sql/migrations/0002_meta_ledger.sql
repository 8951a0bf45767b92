-- The load ledger: which bronze parts each stage has loaded (exactly once), what was quarantined,
-- and a database mirror of the extraction watermarks. Extends meta.pipeline_runs (0001).

-- One row per bronze part loaded into one target table. The loader inserts the row in the same
-- transaction that writes the part's rows, so a part is either loaded and recorded or neither;
-- rerunning a load skips every (stage, target_table, part_path) already here unless --reload.
CREATE TABLE IF NOT EXISTS meta.loaded_parts (
    id           BIGSERIAL   PRIMARY KEY,
    stage        TEXT        NOT NULL CHECK (stage IN ('stg', 'core')),
    target_table TEXT        NOT NULL,
    source       TEXT,
    scope        TEXT,
    entity       TEXT,
    part_path    TEXT        NOT NULL,
    checksum     TEXT,
    run_id       TEXT        NOT NULL,
    rows         BIGINT      NOT NULL DEFAULT 0,
    loaded_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_loaded_parts UNIQUE (stage, target_table, part_path)
);
CREATE INDEX IF NOT EXISTS idx_loaded_parts_run ON meta.loaded_parts (run_id);
CREATE INDEX IF NOT EXISTS idx_loaded_parts_entity ON meta.loaded_parts (source, entity, run_id);

COMMENT ON TABLE meta.loaded_parts IS
    'Exactly-once ledger: one row per bronze part loaded into one target table by one stage (stg or core). Written in the same transaction as the part''s rows; a part already listed is skipped unless --reload.';
COMMENT ON COLUMN meta.loaded_parts.stage IS 'Load stage that consumed the part: stg (raw JSONB) or core (typed).';
COMMENT ON COLUMN meta.loaded_parts.target_table IS 'Schema-qualified table the part was loaded into, e.g. core.evo_entries.';
COMMENT ON COLUMN meta.loaded_parts.part_path IS 'Lake path of the bronze part (the .jsonl.gz part, or its Parquet twin) relative to the container.';
COMMENT ON COLUMN meta.loaded_parts.checksum IS 'Checksum of the part as recorded in the bronze run manifest; a different checksum for a known path means the part was rewritten.';
COMMENT ON COLUMN meta.loaded_parts.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) the part belongs to.';
COMMENT ON COLUMN meta.loaded_parts.rows IS 'Rows of the part written to the target (after rejects and dedup).';

-- Values that could not be stored in their typed column, and records that could not be parsed at
-- all (column NULL). The record itself still lands in stg; the typed column is NULL in core.
CREATE TABLE IF NOT EXISTS meta.quarantine (
    id           BIGSERIAL   PRIMARY KEY,
    run_id       TEXT,
    source       TEXT,
    entity       TEXT        NOT NULL,
    target_table TEXT,
    bronze_file  TEXT,
    line         BIGINT,
    column_name  TEXT,
    reason       TEXT        NOT NULL,
    raw_value    TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_quarantine_run ON meta.quarantine (run_id);
CREATE INDEX IF NOT EXISTS idx_quarantine_entity ON meta.quarantine (entity, created_at DESC);

COMMENT ON TABLE meta.quarantine IS
    'Rejected values and unparseable records: entity, bronze file and line, column, reason and the raw value. A value here is NULL in its core column; the record is still in stg.';
COMMENT ON COLUMN meta.quarantine.bronze_file IS 'Lake path of the bronze part holding the record.';
COMMENT ON COLUMN meta.quarantine.line IS '1-based line of the record in its bronze part.';
COMMENT ON COLUMN meta.quarantine.column_name IS 'Target column whose value was rejected; NULL when the whole record was rejected (unparseable JSON, missing key).';
COMMENT ON COLUMN meta.quarantine.reason IS 'Why the value was rejected, e.g. "not a date", "out of range for numeric(15,2)", "NUL character".';
COMMENT ON COLUMN meta.quarantine.raw_value IS 'The offending value as text (or the whole line for unparseable records), NUL characters escaped.';

-- Database mirror of the lake watermarks (_meta/<source>/watermarks/...), for reporting and
-- monitoring; the lake copy stays the source of truth for extraction.
CREATE TABLE IF NOT EXISTS meta.watermarks (
    source     TEXT        NOT NULL,
    scope      TEXT        NOT NULL DEFAULT '',
    entity     TEXT        NOT NULL,
    value      JSONB       NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_watermarks PRIMARY KEY (source, scope, entity)
);

COMMENT ON TABLE meta.watermarks IS
    'Mirror of the extraction watermarks kept in the lake (one per source, scope and entity), for monitoring. The lake copy is authoritative.';
COMMENT ON COLUMN meta.watermarks.scope IS 'Pipedrive account (comercial/expansao), Zendesk scope (support), or empty string for EVO.';
COMMENT ON COLUMN meta.watermarks.value IS 'The watermark document as stored in the lake (e.g. last_successful_until, cursor, start_time).';

-- meta.pipeline_runs comes from 0001; document it for the catalog.
COMMENT ON TABLE meta.pipeline_runs IS
    'Run ledger: one row per (source, scope, entity, run, stage) with start/finish, status (RUNNING/SUCCESS/FAILED), records processed/rejected and error.';
COMMENT ON COLUMN meta.pipeline_runs.stage IS 'Pipeline stage: bronze (extract), stg or core (load).';
COMMENT ON COLUMN meta.pipeline_runs.records_rejected IS 'Records or values sent to meta.quarantine by this run and stage.';

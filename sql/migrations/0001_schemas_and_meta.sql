-- Schemas of the warehouse and the run ledger.
-- stg_*: raw records as JSONB with lineage; core: the typed star schema Power BI reads;
-- analytics: views for reporting; meta: what ran, what was loaded, what was quarantined.

CREATE SCHEMA IF NOT EXISTS stg_evo;
CREATE SCHEMA IF NOT EXISTS stg_pipedrive;
CREATE SCHEMA IF NOT EXISTS stg_zendesk;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE SCHEMA IF NOT EXISTS meta;

-- One row per (source, scope, entity, run, stage). Column names and meanings follow the
-- reference's meta.pipeline_runs (data contract §5.1); records_processed is BIGINT because
-- entries runs exceed INT range over a backfill, and the unique key treats a NULL scope
-- (EVO) as one value, which the reference's constraint did not.
CREATE TABLE IF NOT EXISTS meta.pipeline_runs (
    id                BIGSERIAL PRIMARY KEY,
    source            VARCHAR(50)  NOT NULL,
    scope             VARCHAR(50),
    entity            VARCHAR(100) NOT NULL,
    run_id            VARCHAR(100) NOT NULL,
    ingestion_date    DATE         NOT NULL,
    stage             VARCHAR(20)  NOT NULL,
    started_at        TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    finished_at       TIMESTAMPTZ,
    status            VARCHAR(20)  NOT NULL DEFAULT 'RUNNING'
                      CHECK (status IN ('RUNNING', 'SUCCESS', 'FAILED')),
    records_processed BIGINT       NOT NULL DEFAULT 0,
    records_rejected  BIGINT       NOT NULL DEFAULT 0,
    error_message     TEXT,
    metadata          JSONB
);

CREATE UNIQUE INDEX IF NOT EXISTS uq_pipeline_runs_key
    ON meta.pipeline_runs (source, COALESCE(scope, ''), entity, run_id, stage);
CREATE INDEX IF NOT EXISTS idx_pipeline_runs_lookup ON meta.pipeline_runs (source, entity, run_id);
CREATE INDEX IF NOT EXISTS idx_pipeline_runs_date ON meta.pipeline_runs (ingestion_date DESC);
CREATE INDEX IF NOT EXISTS idx_pipeline_runs_started ON meta.pipeline_runs (started_at DESC);

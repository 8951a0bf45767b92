-- @target: stg_pipedrive.persons_raw
-- @key: scope, person_id
-- @strategy: merge
-- @test unique: scope, person_id
-- @test not_null: scope, person_id, payload
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive persons: the latest version of each record per account, as sent.
WITH src AS (SELECT * FROM pipedrive_persons),  -- every record with its key (queries/_shared/pipedrive_persons.sql)
latest AS (SELECT * FROM latest_pipedrive_persons)
SELECT
    scope,  -- Pipedrive account: comercial or expansao
    person_id,  -- Pipedrive id (payload.id)
    _raw AS payload,  -- the record exactly as the API sent it (JSON text, stored as JSONB)
    _source_file AS source_blob_path,  -- lineage: lake path of the bronze part
    CAST(_line AS INT) AS source_line_no,  -- lineage: 1-based line in the bronze part
    _run_id AS run_id,  -- extraction run, YYYYMMDDTHHMMSSZ
    TRY_CAST(_ingestion_date AS DATE) AS ingestion_date  -- ingestion_date= folder of the part
FROM latest

-- @target: stg_evo.prospects_raw
-- @key: prospect_id
-- @strategy: merge
-- @test unique: prospect_id
-- @test not_null: prospect_id, raw_data
-- @test row_count: 1..
-- EVO prospects (GET /api/v1/prospects): the latest version of each record (latest run, then part, then line), as sent.
WITH src AS (SELECT * FROM evo_prospects),  -- every record with its key (queries/_shared/evo_prospects.sql)
latest AS (SELECT * FROM latest_evo_prospects)
SELECT
    prospect_id,  -- idProspect of the record (records without it are not loadable and are skipped)
    _raw AS raw_data,  -- the record exactly as the API sent it (JSON text, stored as JSONB)
    _source_file,  -- lake path of the bronze part
    CAST(_line AS INT) AS _source_line,  -- 1-based line in the bronze part
    _run_id AS run_id,  -- extraction run, YYYYMMDDTHHMMSSZ
    TRY_CAST(_ingestion_date AS DATE) AS ingestion_date,  -- ingestion_date= folder of the part
    CAST(_line AS INT) AS source_line_no  -- same as _source_line (name the reference's prospects loader writes)
FROM latest

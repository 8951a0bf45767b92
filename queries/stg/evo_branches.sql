-- @target: stg_evo.branches_raw
-- @key: branch_id
-- @strategy: merge
-- @test unique: branch_id
-- @test not_null: branch_id, raw_data
-- @test row_count: 1..
-- EVO branches (GET /api/v1/configuration): the latest version of each record (latest run, then part, then line), as sent.
WITH src AS (SELECT * FROM evo_branches),  -- every record with its key (queries/_shared/evo_branches.sql)
latest AS (SELECT * FROM latest_evo_branches)
SELECT
    branch_id,  -- idBranch of the record (records without it are not loadable and are skipped)
    _raw AS raw_data,  -- the record exactly as the API sent it (JSON text, stored as JSONB)
    _source_file,  -- lake path of the bronze part
    CAST(_line AS INT) AS _source_line,  -- 1-based line in the bronze part
    _run_id AS run_id,  -- extraction run, YYYYMMDDTHHMMSSZ
    TRY_CAST(_ingestion_date AS DATE) AS ingestion_date  -- ingestion_date= folder of the part
FROM latest

-- @target: stg_evo.employees_raw
-- @key: employee_id
-- @strategy: merge
-- @test unique: employee_id
-- @test not_null: employee_id, raw_data
-- @test row_count: 1..
-- EVO employees (GET /api/v2/employees): the latest version of each record (latest run, then part, then line), as sent.
WITH src AS (SELECT * FROM evo_employees),  -- every record with its key (queries/_shared/evo_employees.sql)
latest AS (SELECT * FROM latest_evo_employees)
SELECT
    employee_id,  -- idEmployee of the record (records without it are not loadable and are skipped)
    _raw AS raw_data,  -- the record exactly as the API sent it (JSON text, stored as JSONB)
    _source_file,  -- lake path of the bronze part
    CAST(_line AS INT) AS _source_line,  -- 1-based line in the bronze part
    _run_id AS run_id,  -- extraction run, YYYYMMDDTHHMMSSZ
    TRY_CAST(_ingestion_date AS DATE) AS ingestion_date  -- ingestion_date= folder of the part
FROM latest

-- @target: stg_evo.employees_raw
-- @key: employee_id
-- @strategy: merge
-- @test unique: employee_id
-- @test not_null: employee_id, raw_data
-- @test row_count: 1..
-- EVO employees (GET /api/v2/employees): the latest version of each record (latest run, then part, then line), as sent.
WITH src AS (
    SELECT
        TRY_CAST(json_as_text(_raw, 'idEmployee') AS BIGINT) AS employee_id,
        _raw, _line, _source_file, _run_id, _ingestion_date, _scope
    FROM bronze.evo_employees
),
latest AS (
    SELECT * FROM (
        SELECT src.*,
               row_number() OVER (PARTITION BY employee_id
                                  ORDER BY _run_id DESC, _source_file DESC, _line DESC) AS _rn
        FROM src
        WHERE employee_id IS NOT NULL
    ) ranked
    WHERE _rn = 1
)
SELECT
    employee_id,  -- idEmployee of the record (records without it are not loadable and are skipped)
    _raw AS raw_data,  -- the record exactly as the API sent it (JSON text, stored as JSONB)
    _source_file,  -- lake path of the bronze part
    CAST(_line AS INT) AS _source_line,  -- 1-based line in the bronze part
    _run_id AS run_id,  -- extraction run, YYYYMMDDTHHMMSSZ
    TRY_CAST(_ingestion_date AS DATE) AS ingestion_date  -- ingestion_date= folder of the part
FROM latest

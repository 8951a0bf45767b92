-- Every record of bronze.evo_employees with its key, employee_id (NULL when the record has none).
-- `latest_evo_employees` is the latest version of each key (latest run, then part, then line).
-- @latest: employee_id
SELECT
    TRY_CAST(json_as_text(_raw, 'idEmployee') AS BIGINT) AS employee_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.evo_employees

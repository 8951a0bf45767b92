-- Every record of bronze.evo_receivables with its key, receivable_id (NULL when the record has none).
-- `latest_evo_receivables` is the latest version of each key (latest run, then part, then line).
-- @latest: receivable_id
SELECT
    TRY_CAST(json_as_text(_raw, 'idReceivable') AS BIGINT) AS receivable_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.evo_receivables

-- Every record of bronze.evo_sales with its key, sale_id (NULL when the record has none).
-- `latest_evo_sales` is the latest version of each key (latest run, then part, then line).
-- @latest: sale_id
SELECT
    TRY_CAST(json_as_text(_raw, 'idSale') AS BIGINT) AS sale_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.evo_sales

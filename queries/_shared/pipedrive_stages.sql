-- Every record of bronze.pipedrive_stages with its key, scope, stage_id (NULL when the record has none).
-- `latest_pipedrive_stages` is the latest version of each key (latest run, then part, then line).
-- @latest: scope, stage_id
SELECT
    _scope AS scope,
    TRY_CAST(json_as_text(_raw, 'id') AS BIGINT) AS stage_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.pipedrive_stages

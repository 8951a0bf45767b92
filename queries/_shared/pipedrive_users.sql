-- Every record of bronze.pipedrive_users with its key, scope, user_id (NULL when the record has none).
-- `latest_pipedrive_users` is the latest version of each key (latest run, then part, then line).
-- @latest: scope, user_id
SELECT
    _scope AS scope,
    TRY_CAST(json_as_text(_raw, 'id') AS BIGINT) AS user_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.pipedrive_users

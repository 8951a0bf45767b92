-- Every record of bronze.zendesk_users with its key, user_id (NULL when the record has none).
-- `latest_zendesk_users` is the latest version of each key (latest run, then part, then line).
-- @latest: user_id
SELECT
    TRY_CAST(json_as_text(_raw, 'id') AS BIGINT) AS user_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.zendesk_users

-- Every record of bronze.zendesk_groups with its key, group_id (NULL when the record has none).
-- `latest_zendesk_groups` is the latest version of each key (latest run, then part, then line).
-- @latest: group_id
SELECT
    TRY_CAST(json_as_text(_raw, 'id') AS BIGINT) AS group_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.zendesk_groups

-- Every record of bronze.zendesk_ticket_fields with its key, field_id (NULL when the record has none).
-- `latest_zendesk_ticket_fields` is the latest version of each key (latest run, then part, then line).
-- @latest: field_id
SELECT
    TRY_CAST(json_as_text(_raw, 'id') AS BIGINT) AS field_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.zendesk_ticket_fields

-- Every record of bronze.zendesk_ticket_forms with its key, form_id (NULL when the record has none).
-- `latest_zendesk_ticket_forms` is the latest version of each key (latest run, then part, then line).
-- @latest: form_id
SELECT
    TRY_CAST(json_as_text(_raw, 'id') AS BIGINT) AS form_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.zendesk_ticket_forms

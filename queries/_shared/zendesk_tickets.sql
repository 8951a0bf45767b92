-- Every record of bronze.zendesk_tickets with its key, ticket_id (NULL when the record has none).
-- `latest_zendesk_tickets` is the latest version of each key (latest run, then part, then line).
-- @latest: ticket_id
SELECT
    TRY_CAST(json_as_text(_raw, 'id') AS BIGINT) AS ticket_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.zendesk_tickets

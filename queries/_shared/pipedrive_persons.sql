-- Every record of bronze.pipedrive_persons with its key, scope, person_id (NULL when the record has none).
-- `latest_pipedrive_persons` is the latest version of each key (latest run, then part, then line).
-- @latest: scope, person_id
SELECT
    _scope AS scope,
    TRY_CAST(json_as_text(_raw, 'id') AS BIGINT) AS person_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.pipedrive_persons

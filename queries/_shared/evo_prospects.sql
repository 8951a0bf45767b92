-- Every record of bronze.evo_prospects with its key, prospect_id (NULL when the record has none).
-- `latest_evo_prospects` is the latest version of each key (latest run, then part, then line).
-- @latest: prospect_id
SELECT
    TRY_CAST(json_as_text(_raw, 'idProspect') AS BIGINT) AS prospect_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.evo_prospects

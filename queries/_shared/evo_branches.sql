-- Every record of bronze.evo_branches with its key, branch_id (NULL when the record has none).
-- `latest_evo_branches` is the latest version of each key (latest run, then part, then line).
-- @latest: branch_id
SELECT
    TRY_CAST(json_as_text(_raw, 'idBranch') AS BIGINT) AS branch_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.evo_branches

-- Every record of bronze.evo_members (GET /api/v2/members) with its key, idMember (NULL when the
-- record has none). `latest_evo_members` is the latest version of each member.
-- @latest: member_id
SELECT
    TRY_CAST(json_as_text(_raw, 'idMember') AS BIGINT) AS member_id,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope
FROM bronze.evo_members

-- @target: core.zd_groups
-- @key: group_id
-- @strategy: full_refresh
-- @test unique: group_id
-- @test not_null: group_id
-- @test row_count: 1..
-- Zendesk groups, latest version. Source: bronze.zendesk_groups (snapshot).
-- Timestamps are ISO 8601 UTC; values that do not convert become NULL.
WITH latest AS (SELECT * FROM latest_zendesk_groups)
SELECT
    group_id,  -- Zendesk group id
    json_as_text(_raw, 'name') AS name,  -- name
    json_as_text(_raw, 'description') AS description,  -- description
    TRY_CAST(json_as_text(_raw, 'is_public') AS BOOLEAN) AS is_public,  -- public group
    TRY_CAST(json_as_text(_raw, 'deleted') AS BOOLEAN) AS deleted,  -- deleted
    utc_timestamp(json_as_text(_raw, 'created_at')) AS created_at,  -- created at (UTC)
    utc_timestamp(json_as_text(_raw, 'updated_at')) AS updated_at,  -- last change (UTC)
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

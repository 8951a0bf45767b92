-- @target: core.pd_pipelines
-- @key: scope, pipeline_id
-- @strategy: full_refresh
-- @test unique: scope, pipeline_id
-- @test not_null: scope, pipeline_id
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive pipelines per account, latest version. Source: bronze.pipedrive_pipelines (GET /api/v2/pipelines).
-- Columns read the real API v2 names first and the v1 names the reference read as fallback.
-- Timestamps: v2 sends RFC 3339 UTC, v1 'YYYY-MM-DD HH:MM:SS' in UTC; values that do not convert become NULL.
WITH latest AS (SELECT * FROM latest_pipedrive_pipelines)
SELECT
    pipeline_id,  -- Pipedrive pipeline id
    scope,  -- Pipedrive account: comercial or expansao
    json_as_text(_raw, 'name') AS name,  -- pipeline name
    json_as_text(_raw, 'url_title') AS url_title,  -- v1 url_title (absent in v2)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'order_nr') AS DOUBLE) AS INT) AS order_nr,  -- display order
    COALESCE(NOT TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), TRY_CAST(json_as_text(_raw, 'active') AS BOOLEAN)) AS active,  -- NOT is_deleted (v2), active (v1) as fallback
    COALESCE(TRY_CAST(json_as_text(_raw, 'is_deal_probability_enabled') AS BOOLEAN), TRY_CAST(json_as_text(_raw, 'deal_probability') AS BOOLEAN)) AS deal_probability,  -- is_deal_probability_enabled (v2), deal_probability (v1) as fallback
    utc_timestamp(json_as_text(_raw, 'add_time')) AS add_time,  -- creation time (UTC)
    utc_timestamp(json_as_text(_raw, 'update_time')) AS update_time,  -- last change (UTC)
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

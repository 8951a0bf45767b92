-- @target: core.pd_stages
-- @key: scope, stage_id
-- @strategy: full_refresh
-- @test unique: scope, stage_id
-- @test not_null: scope, stage_id
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test relationships: pipeline_id -> core.pd_pipelines.pipeline_id
-- @test row_count: 1..
-- Pipedrive stages per account, latest version. Source: bronze.pipedrive_stages (GET /api/v2/stages).
-- Columns read the real API v2 names first and the v1 names the reference read as fallback.
-- Timestamps: v2 sends RFC 3339 UTC, v1 'YYYY-MM-DD HH:MM:SS' in UTC; values that do not convert become NULL.
WITH latest AS (SELECT * FROM latest_pipedrive_stages)
SELECT
    stage_id,  -- Pipedrive stage id
    scope,  -- Pipedrive account: comercial or expansao
    TRY_CAST(json_as_text(_raw, 'pipeline_id') AS BIGINT) AS pipeline_id,  -- pipeline of the stage
    json_as_text(_raw, 'name') AS name,  -- stage name
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'order_nr') AS DOUBLE) AS INT) AS order_nr,  -- position in the pipeline
    COALESCE(NOT TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), TRY_CAST(json_as_text(_raw, 'active_flag') AS BOOLEAN)) AS active_flag,  -- NOT is_deleted (v2), active_flag (v1) as fallback
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'deal_probability') AS DOUBLE) AS INT) AS deal_probability,  -- win probability of deals in the stage, percent
    COALESCE(TRY_CAST(json_as_text(_raw, 'is_deal_rot_enabled') AS BOOLEAN), TRY_CAST(json_as_text(_raw, 'rotten_flag') AS BOOLEAN)) AS rotten_flag,  -- is_deal_rot_enabled (v2), rotten_flag (v1) as fallback
    COALESCE(TRY_CAST(TRY_CAST(json_as_text(_raw, 'days_to_rotten') AS DOUBLE) AS INT), TRY_CAST(TRY_CAST(json_as_text(_raw, 'rotten_days') AS DOUBLE) AS INT)) AS rotten_days,  -- days_to_rotten (v2), rotten_days (v1) as fallback
    utc_timestamp(json_as_text(_raw, 'add_time')) AS add_time,  -- creation time (UTC)
    utc_timestamp(json_as_text(_raw, 'update_time')) AS update_time,  -- last change (UTC)
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

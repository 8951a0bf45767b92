-- @target: core.pd_deals
-- @key: scope, deal_id
-- @strategy: merge
-- @test unique: scope, deal_id
-- @test not_null: scope, deal_id
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test accepted_values: status = 'open', 'won', 'lost', 'deleted'
-- @test row_count: 1..
-- Pipedrive deals per account, latest version. Source: bronze.pipedrive_deals (GET /api/v2/deals).
-- A deal the API flags deleted (is_deleted) keeps its row with status 'deleted' instead of lingering as open.
-- Columns read the real API v2 names first and the v1 names the reference read as fallback.
-- Timestamps: v2 sends RFC 3339 UTC, v1 'YYYY-MM-DD HH:MM:SS' in UTC; values that do not convert become NULL.
WITH latest AS (SELECT * FROM latest_pipedrive_deals)
SELECT
    deal_id,  -- Pipedrive deal id
    scope,  -- Pipedrive account: comercial or expansao
    json_as_text(_raw, 'title') AS title,  -- deal title
    COALESCE(TRY_CAST(json_as_text(_raw, 'value') AS DECIMAL(15,2)), TRY_CAST(json_as_text(_raw, 'value', 'value') AS DECIMAL(15,2))) AS value,  -- deal value (an object's value as fallback)
    json_as_text(_raw, 'currency') AS currency,  -- currency code
    CASE WHEN TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN) THEN 'deleted' ELSE json_as_text(_raw, 'status') END AS status,  -- open, won, lost (deleted when the API flags the deal deleted)
    COALESCE(TRY_CAST(TRY_CAST(json_as_text(_raw, 'person_id') AS DOUBLE) AS BIGINT), TRY_CAST(TRY_CAST(json_as_text(_raw, 'person_id', 'value') AS DOUBLE) AS BIGINT)) AS person_id,  -- contact person
    COALESCE(TRY_CAST(TRY_CAST(json_as_text(_raw, 'org_id') AS DOUBLE) AS BIGINT), TRY_CAST(TRY_CAST(json_as_text(_raw, 'org_id', 'value') AS DOUBLE) AS BIGINT)) AS org_id,  -- organization
    COALESCE(TRY_CAST(TRY_CAST(json_as_text(_raw, 'owner_id') AS DOUBLE) AS BIGINT), TRY_CAST(TRY_CAST(json_as_text(_raw, 'user_id') AS DOUBLE) AS BIGINT), TRY_CAST(TRY_CAST(json_as_text(_raw, 'user_id', 'id') AS DOUBLE) AS BIGINT), TRY_CAST(TRY_CAST(json_as_text(_raw, 'user_id', 'value') AS DOUBLE) AS BIGINT)) AS user_id,  -- owner: owner_id (v2), user_id (v1) as fallback
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'pipeline_id') AS DOUBLE) AS BIGINT) AS pipeline_id,  -- pipeline
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'stage_id') AS DOUBLE) AS BIGINT) AS stage_id,  -- stage
    TRY_CAST(substr(json_as_text(_raw, 'expected_close_date'), 1, 10) AS DATE) AS expected_close_date,  -- expected close date
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'probability') AS DOUBLE) AS INT) AS probability,  -- win probability, percent (decimals truncated)
    utc_timestamp(json_as_text(_raw, 'won_time')) AS won_time,  -- won at (UTC)
    utc_timestamp(json_as_text(_raw, 'lost_time')) AS lost_time,  -- lost at (UTC)
    utc_timestamp(json_as_text(_raw, 'close_time')) AS close_time,  -- closed at (UTC)
    utc_timestamp(json_as_text(_raw, 'add_time')) AS add_time,  -- created at (UTC)
    utc_timestamp(json_as_text(_raw, 'update_time')) AS update_time,  -- last change (UTC)
    utc_timestamp(json_as_text(_raw, 'stage_change_time')) AS stage_change_time,  -- last stage change (UTC)
    json_as_text(_raw, 'lost_reason') AS lost_reason,  -- lost reason
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'visible_to') AS DOUBLE) AS INT) AS visible_to,  -- visibility level
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'activities_count') AS DOUBLE) AS INT) AS activities_count,  -- count (include_fields only in v2)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'done_activities_count') AS DOUBLE) AS INT) AS done_activities_count,  -- count (include_fields only in v2)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'undone_activities_count') AS DOUBLE) AS INT) AS undone_activities_count,  -- count (include_fields only in v2)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'files_count') AS DOUBLE) AS INT) AS files_count,  -- count (include_fields only in v2)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'notes_count') AS DOUBLE) AS INT) AS notes_count,  -- count (include_fields only in v2)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'followers_count') AS DOUBLE) AS INT) AS followers_count,  -- count (include_fields only in v2)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'email_messages_count') AS DOUBLE) AS INT) AS email_messages_count,  -- count (include_fields only in v2)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'products_count') AS DOUBLE) AS INT) AS products_count,  -- count (include_fields only in v2)
    TRY_CAST(substr(json_as_text(_raw, 'next_activity_date'), 1, 10) AS DATE) AS next_activity_date,  -- next activity date (v1 only)
    TRY_CAST(substr(json_as_text(_raw, 'last_activity_date'), 1, 10) AS DATE) AS last_activity_date,  -- last activity date (v1 only)
    json_as_text(_raw, 'origin') AS origin,  -- how the deal was created
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'channel') AS DOUBLE) AS INT) AS channel,  -- marketing channel id
    custom_fields,  -- custom fields keyed by readable names (dealFields), NULL when none
    COALESCE(TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), json_as_text(_raw, 'status') = 'deleted', false) AS is_deleted,  -- deleted in Pipedrive (is_deleted, or status deleted): the row is kept
    CASE WHEN COALESCE(TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), json_as_text(_raw, 'status') = 'deleted', false) THEN utc_timestamp(json_as_text(_raw, 'update_time')) END AS _deleted_at,  -- when it was deleted (update_time of the deleted version, UTC); NULL while not deleted
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest
LEFT JOIN pipedrive_custom_fields_deals USING (scope, deal_id)  -- queries/_shared/pipedrive_custom_fields.sql

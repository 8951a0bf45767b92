-- @target: core.pd_activities
-- @key: scope, activity_id
-- @strategy: merge
-- @test unique: scope, activity_id
-- @test not_null: scope, activity_id
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive activities per account, latest version. Source: bronze.pipedrive_activities (GET /api/v2/activities).
-- Columns read the real API v2 names first and the v1 names the reference read as fallback.
-- Timestamps: v2 sends RFC 3339 UTC, v1 'YYYY-MM-DD HH:MM:SS' in UTC; values that do not convert become NULL.
WITH latest AS (SELECT * FROM latest_pipedrive_activities)
SELECT
    activity_id,  -- Pipedrive activity id
    scope,  -- Pipedrive account: comercial or expansao
    json_as_text(_raw, 'type') AS type,  -- activity type key
    json_as_text(_raw, 'subject') AS subject,  -- subject
    json_as_text(_raw, 'note') AS note,  -- note (HTML)
    TRY_CAST(json_as_text(_raw, 'done') AS BOOLEAN) AS done,  -- done
    COALESCE(TRY_CAST(json_as_text(_raw, 'busy') AS BOOLEAN), TRY_CAST(json_as_text(_raw, 'busy_flag') AS BOOLEAN)) AS busy_flag,  -- busy (v2), busy_flag (v1) as fallback
    COALESCE(TRY_CAST(TRY_CAST(json_as_text(_raw, 'owner_id') AS DOUBLE) AS BIGINT), TRY_CAST(TRY_CAST(json_as_text(_raw, 'user_id') AS DOUBLE) AS BIGINT)) AS user_id,  -- owner: owner_id (v2), user_id (v1) as fallback
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'deal_id') AS DOUBLE) AS BIGINT) AS deal_id,  -- deal
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'person_id') AS DOUBLE) AS BIGINT) AS person_id,  -- person
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'org_id') AS DOUBLE) AS BIGINT) AS org_id,  -- organization
    json_as_text(_raw, 'lead_id') AS lead_id,  -- lead UUID
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'project_id') AS DOUBLE) AS BIGINT) AS project_id,  -- project
    TRY_CAST(substr(json_as_text(_raw, 'due_date'), 1, 10) AS DATE) AS due_date,  -- due date
    json_as_text(_raw, 'due_time') AS due_time,  -- due time HH:MM as sent
    json_as_text(_raw, 'duration') AS duration,  -- duration HH:MM as sent
    utc_timestamp(json_as_text(_raw, 'add_time')) AS add_time,  -- created at (UTC)
    utc_timestamp(json_as_text(_raw, 'marked_as_done_time')) AS marked_as_done_time,  -- done at (UTC)
    utc_timestamp(json_as_text(_raw, 'update_time')) AS update_time,  -- last change (UTC)
    COALESCE(json_as_text(_raw, 'location', 'value'), CASE WHEN json_get_str(_raw, 'location') IS NOT NULL THEN json_as_text(_raw, 'location') END) AS location,  -- location.value (v2 object), the v1 string as fallback
    COALESCE(json_as_text(_raw, 'location', 'formatted_address'), json_as_text(_raw, 'location_formatted_address')) AS location_formatted_address,  -- location.formatted_address (v2), location_formatted_address (v1)
    CASE WHEN substr(ltrim(json_get_json(_raw, 'participants')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'participants') END AS participants,  -- participants as sent (JSON)
    CASE WHEN substr(ltrim(json_get_json(_raw, 'attendees')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'attendees') END AS attendees,  -- attendees as sent (JSON)
    json_as_text(_raw, 'conference_meeting_client') AS conference_meeting_client,  -- conference client
    json_as_text(_raw, 'conference_meeting_url') AS conference_meeting_url,  -- conference URL
    json_as_text(_raw, 'conference_meeting_id') AS conference_meeting_id,  -- conference id
    json_as_text(_raw, 'public_description') AS public_description,  -- public description
    COALESCE(NOT TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), TRY_CAST(json_as_text(_raw, 'active_flag') AS BOOLEAN)) AS active_flag,  -- NOT is_deleted (v2), active_flag (v1) as fallback
    COALESCE(TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), NOT TRY_CAST(json_as_text(_raw, 'active_flag') AS BOOLEAN), false) AS is_deleted,  -- deleted in Pipedrive (is_deleted (v2), NOT active_flag (v1)): the row is kept
    CASE WHEN COALESCE(TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), NOT TRY_CAST(json_as_text(_raw, 'active_flag') AS BOOLEAN), false) THEN utc_timestamp(json_as_text(_raw, 'update_time')) END AS _deleted_at,  -- when it was deleted (update_time of the deleted version, UTC); NULL while not deleted
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

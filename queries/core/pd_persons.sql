-- @target: core.pd_persons
-- @key: scope, person_id
-- @strategy: merge
-- @test unique: scope, person_id
-- @test not_null: scope, person_id
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive persons per account, latest version. Source: bronze.pipedrive_persons (GET /api/v2/persons).
-- Columns read the real API v2 names first and the v1 names the reference read as fallback.
-- Timestamps: v2 sends RFC 3339 UTC, v1 'YYYY-MM-DD HH:MM:SS' in UTC; values that do not convert become NULL.
WITH latest AS (
    SELECT *,
           COALESCE(CASE WHEN substr(ltrim(json_get_json(_raw, 'emails')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'emails') END, CASE WHEN substr(ltrim(json_get_json(_raw, 'email')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'email') END) AS em,
           COALESCE(CASE WHEN substr(ltrim(json_get_json(_raw, 'phones')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'phones') END, CASE WHEN substr(ltrim(json_get_json(_raw, 'phone')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'phone') END) AS ph
    FROM latest_pipedrive_persons
)
SELECT
    person_id,  -- Pipedrive person id
    scope,  -- Pipedrive account: comercial or expansao
    json_as_text(_raw, 'name') AS name,  -- person name
    json_as_text(_raw, 'first_name') AS first_name,  -- first name
    json_as_text(_raw, 'last_name') AS last_name,  -- last name
    COALESCE(TRY_CAST(TRY_CAST(json_as_text(_raw, 'org_id') AS DOUBLE) AS BIGINT), TRY_CAST(TRY_CAST(json_as_text(_raw, 'org_id', 'value') AS DOUBLE) AS BIGINT)) AS org_id,  -- organization (v1 object: its value)
    COALESCE(TRY_CAST(TRY_CAST(json_as_text(_raw, 'owner_id') AS DOUBLE) AS BIGINT), TRY_CAST(TRY_CAST(json_as_text(_raw, 'owner_id', 'value') AS DOUBLE) AS BIGINT), TRY_CAST(TRY_CAST(json_as_text(_raw, 'owner_id', 'id') AS DOUBLE) AS BIGINT)) AS owner_id,  -- owner user
    COALESCE(CASE WHEN json_get_bool(em, 0, 'primary') THEN json_as_text(em, 0, 'value') END, CASE WHEN json_get_bool(em, 1, 'primary') THEN json_as_text(em, 1, 'value') END, CASE WHEN json_get_bool(em, 2, 'primary') THEN json_as_text(em, 2, 'value') END, CASE WHEN json_get_bool(em, 3, 'primary') THEN json_as_text(em, 3, 'value') END, CASE WHEN json_get_bool(em, 4, 'primary') THEN json_as_text(em, 4, 'value') END, NULLIF(json_as_text(em, 0, 'value'), ''), json_as_text(em, 1, 'value')) AS primary_email,  -- first e-mail flagged primary, else the first e-mail
    CASE WHEN em <> '[]' THEN em END AS emails,  -- emails (v2) or email (v1) array as sent
    COALESCE(CASE WHEN json_get_bool(ph, 0, 'primary') THEN json_as_text(ph, 0, 'value') END, CASE WHEN json_get_bool(ph, 1, 'primary') THEN json_as_text(ph, 1, 'value') END, CASE WHEN json_get_bool(ph, 2, 'primary') THEN json_as_text(ph, 2, 'value') END, CASE WHEN json_get_bool(ph, 3, 'primary') THEN json_as_text(ph, 3, 'value') END, CASE WHEN json_get_bool(ph, 4, 'primary') THEN json_as_text(ph, 4, 'value') END, NULLIF(json_as_text(ph, 0, 'value'), ''), json_as_text(ph, 1, 'value')) AS primary_phone,  -- first phone flagged primary, else the first phone
    CASE WHEN ph <> '[]' THEN ph END AS phones,  -- phones (v2) or phone (v1) array as sent
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'visible_to') AS DOUBLE) AS INT) AS visible_to,  -- visibility level
    COALESCE(NOT TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), TRY_CAST(json_as_text(_raw, 'active_flag') AS BOOLEAN)) AS active_flag,  -- NOT is_deleted (v2), active_flag (v1) as fallback
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'open_deals_count') AS DOUBLE) AS INT) AS open_deals_count,  -- count (include_fields only)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'related_open_deals_count') AS DOUBLE) AS INT) AS related_open_deals_count,  -- count (include_fields only)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'closed_deals_count') AS DOUBLE) AS INT) AS closed_deals_count,  -- count (include_fields only)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'related_closed_deals_count') AS DOUBLE) AS INT) AS related_closed_deals_count,  -- count (include_fields only)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'won_deals_count') AS DOUBLE) AS INT) AS won_deals_count,  -- count (include_fields only)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'related_won_deals_count') AS DOUBLE) AS INT) AS related_won_deals_count,  -- count (include_fields only)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'lost_deals_count') AS DOUBLE) AS INT) AS lost_deals_count,  -- count (include_fields only)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'related_lost_deals_count') AS DOUBLE) AS INT) AS related_lost_deals_count,  -- count (include_fields only)
    utc_timestamp(json_as_text(_raw, 'add_time')) AS add_time,  -- creation time (UTC)
    utc_timestamp(json_as_text(_raw, 'update_time')) AS update_time,  -- last change (UTC)
    custom_fields,  -- custom fields keyed by readable names (personFields), NULL when none
    COALESCE(TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), NOT TRY_CAST(json_as_text(_raw, 'active_flag') AS BOOLEAN), false) AS is_deleted,  -- deleted in Pipedrive (is_deleted (v2), NOT active_flag (v1)): the row is kept
    CASE WHEN COALESCE(TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), NOT TRY_CAST(json_as_text(_raw, 'active_flag') AS BOOLEAN), false) THEN utc_timestamp(json_as_text(_raw, 'update_time')) END AS _deleted_at,  -- when it was deleted (update_time of the deleted version, UTC); NULL while not deleted
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest
LEFT JOIN pipedrive_custom_fields_persons USING (scope, person_id)  -- queries/_shared/pipedrive_custom_fields.sql

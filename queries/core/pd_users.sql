-- @target: core.pd_users
-- @key: scope, user_id
-- @strategy: full_refresh
-- @test unique: scope, user_id
-- @test not_null: scope, user_id
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive users per account, latest version. Source: bronze.pipedrive_users (GET /api/v1/users).
-- Columns read the real API v2 names first and the v1 names the reference read as fallback.
-- Timestamps: v2 sends RFC 3339 UTC, v1 'YYYY-MM-DD HH:MM:SS' in UTC; values that do not convert become NULL.
WITH latest AS (SELECT * FROM latest_pipedrive_users)
SELECT
    user_id,  -- Pipedrive user id
    scope,  -- Pipedrive account: comercial or expansao
    json_as_text(_raw, 'name') AS name,  -- user name
    json_as_text(_raw, 'email') AS email,  -- user e-mail
    TRY_CAST(json_as_text(_raw, 'active_flag') AS BOOLEAN) AS active_flag,  -- user active
    TRY_CAST(json_as_text(_raw, 'is_admin') AS BOOLEAN) AS is_admin,  -- admin (v1 sends 0/1)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'role_id') AS DOUBLE) AS BIGINT) AS role_id,  -- role id
    json_as_text(_raw, 'icon_url') AS icon_url,  -- avatar URL
    json_as_text(_raw, 'timezone_name') AS timezone_name,  -- time zone name
    json_as_text(_raw, 'timezone_offset') AS timezone_offset,  -- time zone offset, e.g. -03:00
    json_as_text(_raw, 'phone') AS phone,  -- phone
    utc_timestamp(json_as_text(_raw, 'created')) AS created,  -- creation time (v1 text, UTC)
    utc_timestamp(json_as_text(_raw, 'modified')) AS modified,  -- last change (v1 text, UTC)
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

-- @target: core.zd_users
-- @key: user_id
-- @strategy: merge
-- @test unique: user_id
-- @test not_null: user_id
-- @test accepted_values: role = 'end-user', 'agent', 'admin'
-- @test row_count: 1..
-- Zendesk users, latest version. Source: bronze.zendesk_users (incremental export).
-- Timestamps are ISO 8601 UTC; values that do not convert become NULL.
WITH latest AS (SELECT * FROM latest_zendesk_users)
SELECT
    user_id,  -- Zendesk user id
    json_as_text(_raw, 'name') AS name,  -- name
    json_as_text(_raw, 'email') AS email,  -- e-mail
    json_as_text(_raw, 'phone') AS phone,  -- phone
    json_as_text(_raw, 'role') AS role,  -- end-user, agent or admin
    TRY_CAST(json_as_text(_raw, 'organization_id') AS BIGINT) AS organization_id,  -- organization
    json_as_text(_raw, 'time_zone') AS time_zone,  -- time zone
    json_as_text(_raw, 'locale') AS locale,  -- locale
    TRY_CAST(json_as_text(_raw, 'active') AS BOOLEAN) AS active,  -- active
    TRY_CAST(json_as_text(_raw, 'verified') AS BOOLEAN) AS verified,  -- identity verified
    TRY_CAST(json_as_text(_raw, 'suspended') AS BOOLEAN) AS suspended,  -- suspended
    CASE WHEN substr(ltrim(json_get_json(_raw, 'tags')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'tags') END AS tags,  -- tags (JSON array)
    CASE WHEN substr(ltrim(json_get_json(_raw, 'user_fields')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'user_fields') END AS user_fields,  -- custom user fields (JSON object)
    json_as_text(_raw, 'external_id') AS external_id,  -- external id
    json_as_text(_raw, 'alias') AS alias,  -- alias
    json_as_text(_raw, 'notes') AS notes,  -- notes
    json_as_text(_raw, 'details') AS details,  -- details
    TRY_CAST(json_as_text(_raw, 'default_group_id') AS BIGINT) AS default_group_id,  -- agent default group
    TRY_CAST(json_as_text(_raw, 'only_private_comments') AS BOOLEAN) AS only_private_comments,  -- only private comments
    TRY_CAST(json_as_text(_raw, 'restricted_agent') AS BOOLEAN) AS restricted_agent,  -- restricted agent
    TRY_CAST(json_as_text(_raw, 'shared') AS BOOLEAN) AS shared,  -- shared user
    TRY_CAST(json_as_text(_raw, 'shared_agent') AS BOOLEAN) AS shared_agent,  -- shared agent
    json_as_text(_raw, 'signature') AS signature,  -- agent signature
    json_as_text(_raw, 'ticket_restriction') AS ticket_restriction,  -- which tickets the user can see
    utc_timestamp(json_as_text(_raw, 'created_at')) AS created_at,  -- created at (UTC)
    utc_timestamp(json_as_text(_raw, 'updated_at')) AS updated_at,  -- last change (UTC)
    utc_timestamp(json_as_text(_raw, 'last_login_at')) AS last_login_at,  -- last login (UTC)
    COALESCE(NOT TRY_CAST(json_as_text(_raw, 'active') AS BOOLEAN), false) AS is_deleted,  -- deleted in Zendesk (active false; suspension is the suspended column): the row is kept
    CASE WHEN COALESCE(NOT TRY_CAST(json_as_text(_raw, 'active') AS BOOLEAN), false) THEN utc_timestamp(json_as_text(_raw, 'updated_at')) END AS _deleted_at,  -- when it was deleted (updated_at of the deleted version, UTC); NULL while not deleted
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

-- @target: core.zd_organizations
-- @key: organization_id
-- @strategy: merge
-- @test unique: organization_id
-- @test not_null: organization_id
-- @test row_count: 1..
-- Zendesk organizations, latest version. Source: bronze.zendesk_organizations (incremental export).
-- Timestamps are ISO 8601 UTC; values that do not convert become NULL.
WITH latest AS (SELECT * FROM latest_zendesk_organizations)
SELECT
    organization_id,  -- Zendesk organization id
    json_as_text(_raw, 'name') AS name,  -- name
    CASE WHEN substr(ltrim(json_get_json(_raw, 'domain_names')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'domain_names') END AS domain_names,  -- e-mail domains (JSON array)
    TRY_CAST(json_as_text(_raw, 'group_id') AS BIGINT) AS group_id,  -- default group
    TRY_CAST(json_as_text(_raw, 'shared_tickets') AS BOOLEAN) AS shared_tickets,  -- tickets shared among members
    TRY_CAST(json_as_text(_raw, 'shared_comments') AS BOOLEAN) AS shared_comments,  -- comments shared among members
    json_as_text(_raw, 'external_id') AS external_id,  -- external id
    CASE WHEN substr(ltrim(json_get_json(_raw, 'tags')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'tags') END AS tags,  -- tags (JSON array)
    CASE WHEN substr(ltrim(json_get_json(_raw, 'organization_fields')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'organization_fields') END AS organization_fields,  -- custom organization fields (JSON object)
    utc_timestamp(json_as_text(_raw, 'created_at')) AS created_at,  -- created at (UTC)
    utc_timestamp(json_as_text(_raw, 'updated_at')) AS updated_at,  -- last change (UTC)
    json_as_text(_raw, 'deleted_at') IS NOT NULL AS is_deleted,  -- deleted in Zendesk (deleted_at set): the row is kept
    utc_timestamp(json_as_text(_raw, 'deleted_at')) AS _deleted_at,  -- when it was deleted (deleted_at, UTC); NULL while not deleted
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

-- @target: core.zd_ticket_fields
-- @key: field_id
-- @strategy: full_refresh
-- @test unique: field_id
-- @test not_null: field_id
-- @test row_count: 1..
-- Zendesk ticket fields, latest version. Source: bronze.zendesk_ticket_fields (snapshot).
-- Timestamps are ISO 8601 UTC; values that do not convert become NULL.
WITH latest AS (SELECT * FROM latest_zendesk_ticket_fields)
SELECT
    field_id,  -- Zendesk ticket field id
    json_as_text(_raw, 'type') AS type,  -- field type
    json_as_text(_raw, 'title') AS title,  -- title
    json_as_text(_raw, 'description') AS description,  -- description
    TRY_CAST(json_as_text(_raw, 'position') AS INT) AS position,  -- position
    TRY_CAST(json_as_text(_raw, 'active') AS BOOLEAN) AS active,  -- active
    TRY_CAST(json_as_text(_raw, 'required') AS BOOLEAN) AS required,  -- required
    TRY_CAST(json_as_text(_raw, 'collapsed_for_agents') AS BOOLEAN) AS collapsed_for_agents,  -- collapsed for agents
    json_as_text(_raw, 'regexp_for_validation') AS regexp_for_validation,  -- validation regexp
    json_as_text(_raw, 'title_in_portal') AS title_in_portal,  -- title in the help center
    TRY_CAST(json_as_text(_raw, 'visible_in_portal') AS BOOLEAN) AS visible_in_portal,  -- visible in the help center
    TRY_CAST(json_as_text(_raw, 'editable_in_portal') AS BOOLEAN) AS editable_in_portal,  -- editable in the help center
    TRY_CAST(json_as_text(_raw, 'required_in_portal') AS BOOLEAN) AS required_in_portal,  -- required in the help center
    CASE WHEN substr(ltrim(json_get_json(_raw, 'custom_field_options')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'custom_field_options') END AS custom_field_options,  -- drop-down options (JSON)
    CASE WHEN substr(ltrim(json_get_json(_raw, 'system_field_options')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'system_field_options') END AS system_field_options,  -- system field options (JSON)
    utc_timestamp(json_as_text(_raw, 'created_at')) AS created_at,  -- created at (UTC)
    utc_timestamp(json_as_text(_raw, 'updated_at')) AS updated_at,  -- last change (UTC)
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

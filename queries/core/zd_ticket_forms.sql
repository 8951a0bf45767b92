-- @target: core.zd_ticket_forms
-- @key: form_id
-- @strategy: full_refresh
-- @test unique: form_id
-- @test not_null: form_id
-- @test row_count: 1..
-- Zendesk ticket forms, latest version. Source: bronze.zendesk_ticket_forms (snapshot).
-- Timestamps are ISO 8601 UTC; values that do not convert become NULL.
WITH latest AS (SELECT * FROM latest_zendesk_ticket_forms)
SELECT
    form_id,  -- Zendesk ticket form id
    json_as_text(_raw, 'name') AS name,  -- name
    json_as_text(_raw, 'display_name') AS display_name,  -- display name
    TRY_CAST(json_as_text(_raw, 'position') AS INT) AS position,  -- position
    TRY_CAST(json_as_text(_raw, 'active') AS BOOLEAN) AS active,  -- active
    TRY_CAST(json_as_text(_raw, 'default') AS BOOLEAN) AS default_form,  -- the default form (API default)
    TRY_CAST(json_as_text(_raw, 'end_user_visible') AS BOOLEAN) AS end_user_visible,  -- visible to end users
    TRY_CAST(json_as_text(_raw, 'in_all_brands') AS BOOLEAN) AS in_all_brands,  -- in all brands
    CASE WHEN substr(ltrim(json_get_json(_raw, 'restricted_brand_ids')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'restricted_brand_ids') END AS restricted_brand_ids,  -- brand ids (JSON array)
    CASE WHEN substr(ltrim(json_get_json(_raw, 'ticket_field_ids')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'ticket_field_ids') END AS ticket_field_ids,  -- field ids (JSON array)
    utc_timestamp(json_as_text(_raw, 'created_at')) AS created_at,  -- created at (UTC)
    utc_timestamp(json_as_text(_raw, 'updated_at')) AS updated_at,  -- last change (UTC)
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

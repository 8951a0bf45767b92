-- @target: core.pd_organizations
-- @key: scope, org_id
-- @strategy: merge
-- @test unique: scope, org_id
-- @test not_null: scope, org_id
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive organizations per account, latest version. Source: bronze.pipedrive_organizations (GET /api/v2/organizations).
-- Columns read the real API v2 names first and the v1 names the reference read as fallback.
-- Timestamps: v2 sends RFC 3339 UTC, v1 'YYYY-MM-DD HH:MM:SS' in UTC; values that do not convert become NULL.
WITH latest AS (SELECT * FROM latest_pipedrive_organizations)
SELECT
    org_id,  -- Pipedrive organization id
    scope,  -- Pipedrive account: comercial or expansao
    json_as_text(_raw, 'name') AS name,  -- organization name
    COALESCE(TRY_CAST(TRY_CAST(json_as_text(_raw, 'owner_id') AS DOUBLE) AS BIGINT), TRY_CAST(TRY_CAST(json_as_text(_raw, 'owner_id', 'value') AS DOUBLE) AS BIGINT), TRY_CAST(TRY_CAST(json_as_text(_raw, 'owner_id', 'id') AS DOUBLE) AS BIGINT)) AS owner_id,  -- owner user (v1 object: its value/id)
    COALESCE(json_as_text(_raw, 'address', 'value'), CASE WHEN json_get_str(_raw, 'address') IS NOT NULL THEN json_as_text(_raw, 'address') END) AS address,  -- address.value (v2 object), the v1 address string as fallback
    COALESCE(json_as_text(_raw, 'address', 'locality'), json_as_text(_raw, 'address_locality')) AS address_locality,  -- address.locality (v2), address_locality (v1) as fallback
    COALESCE(json_as_text(_raw, 'address', 'country'), json_as_text(_raw, 'address_country')) AS address_country,  -- address.country (v2), address_country (v1) as fallback
    COALESCE(json_as_text(_raw, 'address', 'postal_code'), json_as_text(_raw, 'address_postal_code')) AS address_postal_code,  -- address.postal_code (v2), address_postal_code (v1) as fallback
    json_as_text(_raw, 'cc_email') AS cc_email,  -- Smart BCC e-mail
    COALESCE(NOT TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), TRY_CAST(json_as_text(_raw, 'active_flag') AS BOOLEAN)) AS active_flag,  -- NOT is_deleted (v2), active_flag (v1) as fallback
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'people_count') AS DOUBLE) AS INT) AS people_count,  -- persons in the organization (include_fields only)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'open_deals_count') AS DOUBLE) AS INT) AS open_deals_count,  -- open deals (include_fields only)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'won_deals_count') AS DOUBLE) AS INT) AS won_deals_count,  -- won deals (include_fields only)
    TRY_CAST(TRY_CAST(json_as_text(_raw, 'lost_deals_count') AS DOUBLE) AS INT) AS lost_deals_count,  -- lost deals (include_fields only)
    utc_timestamp(json_as_text(_raw, 'add_time')) AS add_time,  -- creation time (UTC)
    utc_timestamp(json_as_text(_raw, 'update_time')) AS update_time,  -- last change (UTC)
    custom_fields,  -- custom fields keyed by readable names (organizationFields), NULL when none
    COALESCE(TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), NOT TRY_CAST(json_as_text(_raw, 'active_flag') AS BOOLEAN), false) AS is_deleted,  -- deleted in Pipedrive (is_deleted (v2), NOT active_flag (v1)): the row is kept
    CASE WHEN COALESCE(TRY_CAST(json_as_text(_raw, 'is_deleted') AS BOOLEAN), NOT TRY_CAST(json_as_text(_raw, 'active_flag') AS BOOLEAN), false) THEN utc_timestamp(json_as_text(_raw, 'update_time')) END AS _deleted_at,  -- when it was deleted (update_time of the deleted version, UTC); NULL while not deleted
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest
LEFT JOIN pipedrive_custom_fields_organizations USING (scope, org_id)  -- queries/_shared/pipedrive_custom_fields.sql

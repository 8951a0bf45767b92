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
WITH latest AS (SELECT * FROM latest_pipedrive_organizations),
defs AS (
    SELECT scope, field_key, field_name FROM (
        SELECT _scope AS scope,
               COALESCE(json_as_text(_raw, 'field_code'), json_as_text(_raw, 'key')) AS field_key,
               COALESCE(json_as_text(_raw, 'field_name'), json_as_text(_raw, 'name')) AS field_name,
               row_number() OVER (PARTITION BY _scope, COALESCE(json_as_text(_raw, 'field_code'), json_as_text(_raw, 'key'))
                                  ORDER BY _run_id DESC, _source_file DESC, _line DESC) AS _rn
        FROM bronze.pipedrive_organization_fields
    ) d
    WHERE _rn = 1 AND field_key IS NOT NULL
),
cf_obj AS (
    -- API v2 nests custom fields in a custom_fields object keyed by 40-character hashes
    SELECT scope, org_id, json_get_json(_raw, 'custom_fields') AS cf FROM latest
),
cf_kv AS (
    SELECT scope, org_id, cf, unnest(json_object_keys(cf)) AS field_key FROM cf_obj WHERE cf IS NOT NULL
),
cf_named AS (
    SELECT k.scope, k.org_id, k.field_key,
           COALESCE(d.field_name, k.field_key) AS field_name,
           COALESCE(json_get_json(k.cf, k.field_key), 'null') AS value_json
    FROM cf_kv k
    LEFT JOIN defs d ON d.scope = k.scope AND d.field_key = k.field_key
),
cf_unique AS (
    -- two fields with the same readable name keep both, the key appended to tell them apart
    SELECT scope, org_id, value_json,
           CASE WHEN count(*) OVER (PARTITION BY scope, org_id, field_name) > 1
                THEN field_name || ' [' || field_key || ']' ELSE field_name END AS field_name
    FROM cf_named
),
cf_json AS (
    SELECT scope, org_id,
           CAST('{' || string_agg('"' || replace(replace(replace(replace(field_name, '\', '\\'), '"', '\"'), chr(10), '\n'), chr(13), '\r')
                            || '":' || value_json, ',' ORDER BY field_name) || '}' AS VARCHAR) AS custom_fields
    FROM cf_unique
    GROUP BY scope, org_id
)
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
LEFT JOIN cf_json USING (scope, org_id)

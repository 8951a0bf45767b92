-- Custom fields of the latest version of each Pipedrive deal, person and organization, keyed by
-- readable name: `pipedrive_custom_fields_{deals,persons,organizations}` (scope, <id>, custom_fields).
-- API v2 nests them in a custom_fields object keyed by 40-character hashes; the field
-- definitions (latest version of each key) give the names, an unknown key keeps its hash, and
-- two fields with the same readable name keep both, the key appended to tell them apart.
-- @each: deals: id=deal_id, latest=latest_pipedrive_deals, fields=pipedrive_deal_fields
-- @each: persons: id=person_id, latest=latest_pipedrive_persons, fields=pipedrive_person_fields
-- @each: organizations: id=org_id, latest=latest_pipedrive_organizations, fields=pipedrive_organization_fields
WITH defs AS (
    SELECT scope, field_key, field_name FROM (
        SELECT _scope AS scope,
               COALESCE(json_as_text(_raw, 'field_code'), json_as_text(_raw, 'key')) AS field_key,
               COALESCE(json_as_text(_raw, 'field_name'), json_as_text(_raw, 'name')) AS field_name,
               row_number() OVER (PARTITION BY _scope, COALESCE(json_as_text(_raw, 'field_code'), json_as_text(_raw, 'key'))
                                  ORDER BY _run_id DESC, _source_file DESC, _line DESC) AS _rn
        FROM bronze.{fields}
    ) d
    WHERE _rn = 1 AND field_key IS NOT NULL
),
cf_obj AS (
    SELECT scope, {id}, json_get_json(_raw, 'custom_fields') AS cf FROM {latest}
),
cf_kv AS (
    SELECT scope, {id}, cf, unnest(json_object_keys(cf)) AS field_key FROM cf_obj WHERE cf IS NOT NULL
),
cf_named AS (
    SELECT k.scope, k.{id}, k.field_key,
           COALESCE(d.field_name, k.field_key) AS field_name,
           COALESCE(json_get_json(k.cf, k.field_key), 'null') AS value_json
    FROM cf_kv k
    LEFT JOIN defs d ON d.scope = k.scope AND d.field_key = k.field_key
),
cf_unique AS (
    SELECT scope, {id}, value_json,
           CASE WHEN count(*) OVER (PARTITION BY scope, {id}, field_name) > 1
                THEN field_name || ' [' || field_key || ']' ELSE field_name END AS field_name
    FROM cf_named
)
SELECT scope, {id},
       CAST('{' || string_agg('"' || replace(replace(replace(replace(field_name, '\', '\\'), '"', '\"'), chr(10), '\n'), chr(13), '\r')
                        || '":' || value_json, ',' ORDER BY field_name) || '}' AS VARCHAR) AS custom_fields
FROM cf_unique
GROUP BY scope, {id}

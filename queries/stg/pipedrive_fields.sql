-- @target: stg_pipedrive.fields_raw
-- @key: scope, entity_kind, field_key
-- @strategy: merge
-- @test unique: scope, entity_kind, field_key
-- @test not_null: scope, entity_kind, field_key, payload
-- @test accepted_values: entity_kind = 'deal', 'person', 'organization', 'activity'
-- @test row_count: 1..
-- Pipedrive field definitions (dealFields, personFields, organizationFields, activityFields), latest per key.
WITH src AS (
    SELECT _scope AS scope, entity_kind,
           COALESCE(json_as_text(_raw, 'field_code'), json_as_text(_raw, 'key')) AS field_key,
           _raw, _line, _source_file, _run_id, _ingestion_date
    FROM (
        SELECT 'deal' AS entity_kind, * FROM bronze.pipedrive_deal_fields
        UNION ALL SELECT 'person' AS entity_kind, * FROM bronze.pipedrive_person_fields
        UNION ALL SELECT 'organization' AS entity_kind, * FROM bronze.pipedrive_organization_fields
        UNION ALL SELECT 'activity' AS entity_kind, * FROM bronze.pipedrive_activity_fields
    ) f
),
latest AS (
    SELECT * FROM (
        SELECT src.*,
               row_number() OVER (PARTITION BY scope, entity_kind, field_key
                                  ORDER BY _run_id DESC, _source_file DESC, _line DESC) AS _rn
        FROM src
        WHERE scope IS NOT NULL AND field_key IS NOT NULL
    ) ranked
    WHERE _rn = 1
)
SELECT
    scope,  -- Pipedrive account: comercial or expansao
    entity_kind,  -- deal, person, organization or activity
    field_key,  -- field key: attribute name or 40-character custom-field hash (v2 field_code, v1 key)
    _raw AS payload,  -- the record exactly as the API sent it (JSON text, stored as JSONB)
    _source_file AS source_blob_path,  -- lineage: lake path of the bronze part
    CAST(_line AS INT) AS source_line_no,  -- lineage: 1-based line in the bronze part
    _run_id AS run_id,  -- extraction run, YYYYMMDDTHHMMSSZ
    TRY_CAST(_ingestion_date AS DATE) AS ingestion_date  -- ingestion_date= folder of the part
FROM latest

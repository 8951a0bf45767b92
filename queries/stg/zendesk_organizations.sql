-- @target: stg_zendesk.organizations_raw
-- @key: organization_id
-- @strategy: merge
-- @test unique: organization_id
-- @test not_null: organization_id, payload
-- @test row_count: 1..
-- Zendesk organizations: the latest version of each record, as sent.
WITH src AS (
    SELECT
        TRY_CAST(json_as_text(_raw, 'id') AS BIGINT) AS organization_id,
        _raw, _line, _source_file, _run_id, _ingestion_date, _scope
    FROM bronze.zendesk_organizations
),
latest AS (
    SELECT * FROM (
        SELECT src.*,
               row_number() OVER (PARTITION BY organization_id
                                  ORDER BY _run_id DESC, _source_file DESC, _line DESC) AS _rn
        FROM src
        WHERE organization_id IS NOT NULL
    ) ranked
    WHERE _rn = 1
)
SELECT
    organization_id,  -- Zendesk id (payload.id)
    _raw AS payload,  -- the record exactly as the API sent it (JSON text, stored as JSONB)
    _source_file AS source_blob_path,  -- lineage: lake path of the bronze part
    CAST(_line AS INT) AS source_line_no,  -- lineage: 1-based line in the bronze part
    _run_id AS run_id,  -- extraction run, YYYYMMDDTHHMMSSZ
    TRY_CAST(_ingestion_date AS DATE) AS ingestion_date  -- ingestion_date= folder of the part
FROM latest

-- @target: stg_pipedrive.deals_raw
-- @key: scope, deal_id
-- @strategy: merge
-- @test unique: scope, deal_id
-- @test not_null: scope, deal_id, payload
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive deals: the latest version of each record per account, as sent.
WITH src AS (
    SELECT
        _scope AS scope,
        TRY_CAST(json_as_text(_raw, 'id') AS BIGINT) AS deal_id,
        _raw, _line, _source_file, _run_id, _ingestion_date, _scope
    FROM bronze.pipedrive_deals
),
latest AS (
    SELECT * FROM (
        SELECT src.*,
               row_number() OVER (PARTITION BY scope, deal_id
                                  ORDER BY _run_id DESC, _source_file DESC, _line DESC) AS _rn
        FROM src
        WHERE scope IS NOT NULL AND deal_id IS NOT NULL
    ) ranked
    WHERE _rn = 1
)
SELECT
    scope,  -- Pipedrive account: comercial or expansao
    deal_id,  -- Pipedrive id (payload.id)
    _raw AS payload,  -- the record exactly as the API sent it (JSON text, stored as JSONB)
    _source_file AS source_blob_path,  -- lineage: lake path of the bronze part
    CAST(_line AS INT) AS source_line_no,  -- lineage: 1-based line in the bronze part
    _run_id AS run_id,  -- extraction run, YYYYMMDDTHHMMSSZ
    TRY_CAST(_ingestion_date AS DATE) AS ingestion_date  -- ingestion_date= folder of the part
FROM latest

-- @target: stg_zendesk.ticket_forms_raw
-- @key: form_id
-- @strategy: merge
-- @test unique: form_id
-- @test not_null: form_id, payload
-- @test row_count: 1..
-- Zendesk ticket forms: the latest version of each record, as sent.
WITH src AS (SELECT * FROM zendesk_ticket_forms),  -- every record with its key (queries/_shared/zendesk_ticket_forms.sql)
latest AS (SELECT * FROM latest_zendesk_ticket_forms)
SELECT
    form_id,  -- Zendesk id (payload.id)
    _raw AS payload,  -- the record exactly as the API sent it (JSON text, stored as JSONB)
    _source_file AS source_blob_path,  -- lineage: lake path of the bronze part
    CAST(_line AS INT) AS source_line_no,  -- lineage: 1-based line in the bronze part
    _run_id AS run_id,  -- extraction run, YYYYMMDDTHHMMSSZ
    TRY_CAST(_ingestion_date AS DATE) AS ingestion_date  -- ingestion_date= folder of the part
FROM latest

-- @target: stg_evo.entries_raw
-- @key: entry_id, entry_date
-- @strategy: merge
-- @chunk_by: _entry_id
-- @test unique: entry_id, entry_date
-- @test not_null: entry_id, entry_date, raw_data
-- @test row_count: 1..
-- EVO entries (GET /api/v1/entries). The API has no id: entry_id is the reference's synthetic key.
-- Records whose date is missing or empty are not loadable (the reference dropped them too); records
-- whose date does not parse get no entry_date and are left to the loader's quarantine.
-- Partitioning: stg_evo.entries_raw is partitioned by year of entry_date (plus DEFAULT).
WITH src AS (SELECT * FROM evo_entries),  -- every record with its key (queries/_shared/evo_entries.sql)
latest AS (SELECT * FROM latest_evo_entries)
SELECT
    entry_id,  -- synthetic key of docs/data-contract.md#evo-entry-id (evo_entry_id UDF), identical to the reference's
    entry_date,  -- raw date read in evo.source_timezone (default UTC, the reference's session time zone)
    _raw AS raw_data,  -- the record exactly as the API sent it (JSON text, stored as JSONB)
    _source_file,  -- lake path of the bronze part
    CAST(_line AS INT) AS _source_line,  -- 1-based line in the bronze part
    _run_id AS run_id,  -- extraction run, YYYYMMDDTHHMMSSZ
    TRY_CAST(_ingestion_date AS DATE) AS ingestion_date  -- ingestion_date= folder of the part
FROM latest

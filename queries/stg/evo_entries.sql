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
WITH src AS (
    SELECT
        -- _entry_id is the key computed when the part was written (bronze schema v2); for parts
        -- written before, the session computes it from _raw with evo_entry_id (same algorithm).
        CASE WHEN "date" IS NOT NULL AND "date" <> '' THEN _entry_id END AS entry_id,
        evo_timestamp("date") AS entry_date,
        _raw, _line, _source_file, _run_id, _ingestion_date, _scope
    FROM bronze.evo_entries
),
-- The latest version of each key without a window: DataFusion's row_number() over ~1M one-row
-- partitions cost ~8 s of CPU per million entries, while a hash aggregate of each key's greatest
-- version joined back costs ~1 s and never buffers the wide columns (docs/performance.md). The
-- version text sorts like ORDER BY _run_id, _source_file, _line: run ids have one length, the
-- part paths of one key's versions too, and the line is zero-padded.
versioned AS (
    SELECT src.*, _run_id || _source_file || lpad(CAST(_line AS VARCHAR), 10, '0') AS _version
    FROM src
    -- No `entry_date IS NOT NULL` here: the join below never matches a NULL key, so a record
    -- whose date does not parse is dropped all the same, and the filter made DataFusion parse
    -- every date twice (once in the filter, once in the projection): ~10% of the load's CPU.
    WHERE entry_id IS NOT NULL
),
latest AS (
    -- The small side first: DataFusion builds the join's hash table from its left input.
    SELECT versioned.*
    FROM (
        SELECT entry_id, entry_date, max(_version) AS _version
        FROM versioned
        GROUP BY entry_id, entry_date
    ) newest
    JOIN versioned USING (entry_id, entry_date, _version)
)
SELECT
    entry_id,  -- synthetic key of docs/data-contract.md#evo-entry-id (evo_entry_id UDF), identical to the reference's
    entry_date,  -- raw date read in evo.source_timezone (default UTC, the reference's session time zone)
    _raw AS raw_data,  -- the record exactly as the API sent it (JSON text, stored as JSONB)
    _source_file,  -- lake path of the bronze part
    CAST(_line AS INT) AS _source_line,  -- 1-based line in the bronze part
    _run_id AS run_id,  -- extraction run, YYYYMMDDTHHMMSSZ
    TRY_CAST(_ingestion_date AS DATE) AS ingestion_date  -- ingestion_date= folder of the part
FROM latest

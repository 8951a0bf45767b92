-- @target: core.evo_entries
-- @key: entry_id, entry_date
-- @strategy: merge
-- @chunk_by: _entry_id
-- @test unique: entry_id, entry_date
-- @test not_null: entry_id, entry_date
-- @test row_count: 1..
-- EVO turnstile/app entries: one row per (entry_id, entry_date), latest version. Source: bronze.evo_entries
-- (typed columns of GET /api/v1/entries). Records whose date is missing or empty are not loadable (as in the
-- reference); a date that does not parse leaves no key and is left to the loader's quarantine.
-- Partitioning: core.evo_entries is partitioned by year of entry_date (2020-2027 + DEFAULT).
-- Timestamps: EVO sends naive local times; evo_timestamp() reads them in evo.source_timezone (default
-- UTC, the reference's session time zone). Values that do not convert become NULL and are quarantined.
WITH src AS (
    SELECT
        -- _entry_id is the key computed when the part was written (bronze schema v2); for parts
        -- written before, the session computes it from _raw with evo_entry_id (same algorithm).
        CASE WHEN "date" IS NOT NULL AND "date" <> '' THEN _entry_id END AS entry_id,
        evo_timestamp("date") AS entry_date,
        _line, _source_file, _run_id, _ingestion_date, _scope,
        "dateTurn", "timeZone", "idMember", "nameMember", "idProspect", "nameProspect", "idEmployee",
        "nameEmployee", "idBranch", "entryType", "entryAction", device, "blockReason", "releasesByID", "idMigration"
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
    entry_date,  -- raw date read in evo.source_timezone; partition key
    evo_timestamp("dateTurn") AS entry_date_turn,  -- business day (turn) of the entry
    "timeZone" AS timezone,  -- time zone label sent with the entry (not applied)
    "idMember" AS member_id,  -- member who entered
    "nameMember" AS member_name,  -- member name as sent
    "idProspect" AS prospect_id,  -- prospect who entered
    "nameProspect" AS prospect_name,  -- prospect name as sent
    "idEmployee" AS employee_id,  -- employee who entered
    "nameEmployee" AS employee_name,  -- employee name as sent
    "idBranch" AS branch_id,  -- branch of the device
    "entryType" AS entry_type,  -- how the entry was made (Catraca, App, ...)
    "entryAction" AS entry_action,  -- Entrada, Saída, Bloqueado, ...
    device,  -- device name
    "blockReason" AS block_reason,  -- why access was blocked
    "releasesByID" AS releases_by_id,  -- employee who released a blocked access
    "idMigration" AS migration_id,  -- migration id
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

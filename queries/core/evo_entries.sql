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
WITH latest AS (SELECT * FROM latest_evo_entries)  -- queries/_shared/latest_evo_entries.sql
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

-- Every record of bronze.evo_entries (GET /api/v1/entries) with its key (entry_id, entry_date):
-- NULL entry_id when the date is missing or empty (not loadable, as in the reference), NULL
-- entry_date when the date does not parse (left to the loader's quarantine). The API sends no
-- id: entry_id is the synthetic key of docs/data-contract.md#evo-entry-id. `latest_evo_entries`
-- is the latest version of each key. Queries name the columns they need: DataFusion reads only
-- those from the Parquet parts (the stg query `_raw`, the core query the typed columns).
SELECT
    -- _entry_id is the key computed when the part was written (bronze schema v2); for parts
    -- written before, the session computes it from _raw with evo_entry_id (same algorithm).
    CASE WHEN "date" IS NOT NULL AND "date" <> '' THEN _entry_id END AS entry_id,
    evo_timestamp("date") AS entry_date,
    _raw, _line, _source_file, _run_id, _ingestion_date, _scope,
    "dateTurn", "timeZone", "idMember", "nameMember", "idProspect", "nameProspect", "idEmployee",
    "nameEmployee", "idBranch", "entryType", "entryAction", device, "blockReason", "releasesByID", "idMigration"
FROM bronze.evo_entries

-- The latest version of each EVO entry key (entry_id, entry_date), over `evo_entries`
-- (queries/_shared/evo_entries.sql); records without a key are left out.
-- Without a window: DataFusion's row_number() over ~1M one-row partitions is far slower than a
-- hash aggregate of each key's greatest version joined back, which never buffers the wide
-- columns (docs/performance.md). The version text sorts like ORDER BY _run_id, _source_file,
-- _line: run ids have one length, the part paths of one key's versions too, and the line is
-- zero-padded.
WITH versioned AS (
    SELECT evo_entries.*, _run_id || _source_file || lpad(CAST(_line AS VARCHAR), 10, '0') AS _version
    FROM evo_entries
    -- No `entry_date IS NOT NULL` here: the join below never matches a NULL key, so a record
    -- whose date does not parse is dropped all the same, and the filter made DataFusion parse
    -- every date twice (once in the filter, once in the projection).
    WHERE entry_id IS NOT NULL
)
-- The small side first: DataFusion builds the join's hash table from its left input.
SELECT versioned.*
FROM (
    SELECT entry_id, entry_date, max(_version) AS _version
    FROM versioned
    GROUP BY entry_id, entry_date
) newest
JOIN versioned USING (entry_id, entry_date, _version)

-- @target: core.zd_ticket_tags
-- @key: ticket_id, tag
-- @strategy: replace_children
-- @parent_key: ticket_id
-- @test unique: ticket_id, tag
-- @test not_null: ticket_id, tag
-- @test relationships: ticket_id -> core.zd_tickets.ticket_id
-- Tags of each ticket's latest version (tickets.tags[]); a changed ticket's tags are replaced, so removed tags disappear.
WITH src AS (
    SELECT
        TRY_CAST(json_as_text(_raw, 'id') AS BIGINT) AS ticket_id,
        _raw, _line, _source_file, _run_id, _ingestion_date, _scope
    FROM bronze.zendesk_tickets
),
latest AS (
    SELECT * FROM (
        SELECT src.*,
               row_number() OVER (PARTITION BY ticket_id
                                  ORDER BY _run_id DESC, _source_file DESC, _line DESC) AS _rn
        FROM src
        WHERE ticket_id IS NOT NULL
    ) ranked
    WHERE _rn = 1
),
tags AS (
    SELECT ticket_id, _run_id, unnest(json_get_array(_raw, 'tags')) AS elem FROM latest
)
SELECT DISTINCT
    ticket_id,  -- parent ticket
    json_as_text(elem) AS tag,  -- tag text
    _run_id AS _source_run_id  -- extraction run of the ticket version
FROM tags
WHERE json_as_text(elem) IS NOT NULL AND json_as_text(elem) <> ''

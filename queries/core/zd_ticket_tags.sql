-- @target: core.zd_ticket_tags
-- @key: ticket_id, tag
-- @strategy: replace_children
-- @parent_key: ticket_id
-- @parents: latest_zendesk_tickets -> core.zd_tickets
-- @test unique: ticket_id, tag
-- @test not_null: ticket_id, tag
-- @test relationships: ticket_id -> core.zd_tickets.ticket_id
-- Tags of each ticket's latest version (tickets.tags[]); a changed ticket's tags are replaced, so removed tags disappear.
WITH latest AS (SELECT * FROM latest_zendesk_tickets),
tags AS (
    SELECT ticket_id, _run_id, unnest(json_get_array(_raw, 'tags')) AS elem FROM latest
)
SELECT DISTINCT
    ticket_id,  -- parent ticket
    json_as_text(elem) AS tag,  -- tag text
    _run_id AS _source_run_id  -- extraction run of the ticket version
FROM tags
WHERE json_as_text(elem) IS NOT NULL AND json_as_text(elem) <> ''

-- @target: core.zd_ticket_custom_fields
-- @key: ticket_id, field_id
-- @strategy: replace_children
-- @parent_key: ticket_id
-- @parents: latest_zendesk_tickets -> core.zd_tickets
-- @test unique: ticket_id, field_id
-- @test not_null: ticket_id, field_id
-- @test relationships: ticket_id -> core.zd_tickets.ticket_id
-- Non-empty custom field values of each ticket's latest version (tickets.custom_fields[]); a changed ticket's
-- values are replaced, so cleared values disappear.
WITH latest AS (SELECT * FROM latest_zendesk_tickets),
cf AS (
    SELECT ticket_id, _run_id, unnest(json_get_array(_raw, 'custom_fields')) AS elem FROM latest
),
keyed AS (
    SELECT * FROM (
        SELECT cf.*, TRY_CAST(json_as_text(elem, 'id') AS BIGINT) AS field_id,
               row_number() OVER (PARTITION BY ticket_id, TRY_CAST(json_as_text(elem, 'id') AS BIGINT)) AS _rn
        FROM cf
    ) x
    WHERE field_id IS NOT NULL AND _rn = 1
)
SELECT
    ticket_id,  -- parent ticket
    field_id,  -- ticket field (core.zd_ticket_fields)
    json_as_text(elem, 'value') AS value,  -- value as text (strings unquoted, false/0 kept, arrays as JSON text)
    json_get_json(elem, 'value') AS value_json,  -- value as JSON
    _run_id AS _source_run_id  -- extraction run of the ticket version
FROM keyed
WHERE json_as_text(elem, 'value') IS NOT NULL AND json_as_text(elem, 'value') <> ''

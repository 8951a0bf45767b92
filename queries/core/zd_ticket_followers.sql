-- @target: core.zd_ticket_followers
-- @key: ticket_id, user_id
-- @strategy: replace_children
-- @parent_key: ticket_id
-- @parents: latest_zendesk_tickets -> core.zd_tickets
-- @test unique: ticket_id, user_id
-- @test not_null: ticket_id, user_id
-- @test relationships: ticket_id -> core.zd_tickets.ticket_id
-- Users in follower_ids[] of each ticket's latest version; a changed ticket's rows are replaced.
WITH latest AS (SELECT * FROM latest_zendesk_tickets),
ids AS (
    SELECT ticket_id, _run_id, unnest(json_get_array(_raw, 'follower_ids')) AS elem FROM latest
)
SELECT DISTINCT
    ticket_id,  -- parent ticket
    TRY_CAST(json_as_text(elem) AS BIGINT) AS user_id,  -- user (core.zd_users)
    _run_id AS _source_run_id  -- extraction run of the ticket version
FROM ids
WHERE TRY_CAST(json_as_text(elem) AS BIGINT) IS NOT NULL

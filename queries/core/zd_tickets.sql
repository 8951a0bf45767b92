-- @target: core.zd_tickets
-- @key: ticket_id
-- @strategy: merge
-- @test unique: ticket_id
-- @test not_null: ticket_id
-- @test accepted_values: status = 'new', 'open', 'pending', 'hold', 'solved', 'closed', 'deleted'
-- @test row_count: 1..
-- Zendesk tickets, latest version. Source: bronze.zendesk_tickets (incremental cursor export).
-- solved_at is not in the ticket payload unless metric_sets are side-loaded; otherwise it is the earliest
-- updated_at of the ticket versions in bronze that are solved/closed after its last unsolved version.
-- Timestamps are ISO 8601 UTC; values that do not convert become NULL.
WITH src AS (
    SELECT *,
        json_as_text(_raw, 'status') AS status,
        utc_timestamp(json_as_text(_raw, 'created_at')) AS created_at,
        utc_timestamp(json_as_text(_raw, 'updated_at')) AS updated_at
    FROM zendesk_tickets  -- every version with its key (queries/_shared/zendesk_tickets.sql)
),
latest AS (
    SELECT *,
        json_as_text(_raw, 'status') AS status,
        utc_timestamp(json_as_text(_raw, 'created_at')) AS created_at,
        utc_timestamp(json_as_text(_raw, 'updated_at')) AS updated_at
    FROM latest_zendesk_tickets
),
last_open AS (
    SELECT ticket_id, max(CASE WHEN status NOT IN ('solved', 'closed') THEN updated_at END) AS last_unsolved
    FROM src
    WHERE ticket_id IS NOT NULL
    GROUP BY ticket_id
),
s AS (
    SELECT v.ticket_id, min(v.updated_at) AS first_solved
    FROM src v
    JOIN last_open o ON o.ticket_id = v.ticket_id
    WHERE v.status IN ('solved', 'closed') AND (o.last_unsolved IS NULL OR v.updated_at > o.last_unsolved)
    GROUP BY v.ticket_id
)
SELECT
    ticket_id,  -- Zendesk ticket id
    json_as_text(_raw, 'subject') AS subject,  -- subject
    json_as_text(_raw, 'description') AS description,  -- first comment
    json_as_text(_raw, 'status') AS status,  -- new, open, pending, hold, solved, closed, deleted
    json_as_text(_raw, 'priority') AS priority,  -- low, normal, high, urgent
    json_as_text(_raw, 'type') AS type,  -- question, incident, problem, task
    TRY_CAST(json_as_text(_raw, 'requester_id') AS BIGINT) AS requester_id,  -- requester user
    TRY_CAST(json_as_text(_raw, 'submitter_id') AS BIGINT) AS submitter_id,  -- submitter user
    TRY_CAST(json_as_text(_raw, 'assignee_id') AS BIGINT) AS assignee_id,  -- assigned agent
    TRY_CAST(json_as_text(_raw, 'organization_id') AS BIGINT) AS organization_id,  -- organization
    TRY_CAST(json_as_text(_raw, 'group_id') AS BIGINT) AS group_id,  -- group
    TRY_CAST(json_as_text(_raw, 'brand_id') AS BIGINT) AS brand_id,  -- brand
    TRY_CAST(json_as_text(_raw, 'ticket_form_id') AS BIGINT) AS ticket_form_id,  -- ticket form
    json_as_text(_raw, 'external_id') AS external_id,  -- external id
    CASE WHEN json_get_json(_raw, 'via') LIKE '{%' THEN json_as_text(_raw, 'via', 'channel') END AS via_channel,  -- via.channel (NULL when via is not an object)
    CASE WHEN substr(ltrim(json_get_json(_raw, 'via', 'source')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'via', 'source') END AS via_source,  -- via.source (JSON)
    TRY_CAST(json_as_text(_raw, 'is_public') AS BOOLEAN) AS is_public,  -- public
    TRY_CAST(json_as_text(_raw, 'has_incidents') AS BOOLEAN) AS has_incidents,  -- problem with incidents
    TRY_CAST(json_as_text(_raw, 'allow_channelback') AS BOOLEAN) AS allow_channelback,  -- channelback allowed
    TRY_CAST(json_as_text(_raw, 'allow_attachments') AS BOOLEAN) AS allow_attachments,  -- attachments allowed
    CASE WHEN substr(ltrim(json_get_json(_raw, 'tags')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'tags') END AS tags,  -- tags (JSON array)
    CASE WHEN substr(ltrim(json_get_json(_raw, 'custom_fields')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'custom_fields') END AS custom_fields,  -- custom fields [{id, value}] (JSON)
    created_at,  -- created at (UTC)
    updated_at,  -- last change (UTC)
    CASE WHEN status IN ('solved', 'closed') THEN COALESCE(utc_timestamp(json_as_text(_raw, 'metric_set', 'solved_at')), utc_timestamp(json_as_text(_raw, 'solved_at')), s.first_solved) END AS solved_at,  -- metric_set.solved_at when side-loaded, else the earliest updated_at of the current solved/closed streak in bronze
    utc_timestamp(json_as_text(_raw, 'due_at')) AS due_at,  -- due date (task tickets)
    CASE WHEN substr(ltrim(json_get_json(_raw, 'satisfaction_rating')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'satisfaction_rating') END AS satisfaction_rating,  -- satisfaction rating (JSON)
    COALESCE(json_as_text(_raw, 'satisfaction_rating', 'score'), CASE WHEN json_get_str(_raw, 'satisfaction_rating') IS NOT NULL THEN json_as_text(_raw, 'satisfaction_rating') END) AS satisfaction_score,  -- satisfaction_rating.score
    COALESCE(status = 'deleted', false) AS is_deleted,  -- deleted in Zendesk (status deleted): the row is kept
    CASE WHEN status = 'deleted' THEN updated_at END AS _deleted_at,  -- when it was deleted (updated_at of the deleted version, UTC); NULL while not deleted
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest
LEFT JOIN s USING (ticket_id)

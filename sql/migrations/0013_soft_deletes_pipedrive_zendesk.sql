-- Soft deletes for the Pipedrive and Zendesk core tables that receive deletions from their APIs.
-- A deletion keeps the row: is_deleted becomes true and _deleted_at says when, both set by the
-- core query from the newest version of the record. The per-scope views and the reporting views
-- leave deleted rows out; the tables keep them for history and audits.
-- pd_pipelines, pd_stages, pd_users, zd_groups and the ticket child tables are left as they are:
-- they carry their own active/deleted flags or follow their parent ticket.

ALTER TABLE core.pd_deals ADD COLUMN IF NOT EXISTS is_deleted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE core.pd_deals ADD COLUMN IF NOT EXISTS _deleted_at TIMESTAMPTZ;
COMMENT ON COLUMN core.pd_deals.is_deleted IS 'Deleted in Pipedrive: the API flags it is_deleted or lists it with status deleted (deals deleted in the last 30 days are asked for every night). The row is kept; views leave it out.';
COMMENT ON COLUMN core.pd_deals._deleted_at IS 'When the record was deleted in Pipedrive (update_time of the deleted version, UTC); NULL while not deleted.';

ALTER TABLE core.pd_persons ADD COLUMN IF NOT EXISTS is_deleted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE core.pd_persons ADD COLUMN IF NOT EXISTS _deleted_at TIMESTAMPTZ;
COMMENT ON COLUMN core.pd_persons.is_deleted IS 'Deleted in Pipedrive: the API flags it is_deleted (v2) or active_flag false (v1). The row is kept; views leave it out.';
COMMENT ON COLUMN core.pd_persons._deleted_at IS 'When the record was deleted in Pipedrive (update_time of the deleted version, UTC); NULL while not deleted.';

ALTER TABLE core.pd_organizations ADD COLUMN IF NOT EXISTS is_deleted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE core.pd_organizations ADD COLUMN IF NOT EXISTS _deleted_at TIMESTAMPTZ;
COMMENT ON COLUMN core.pd_organizations.is_deleted IS 'Deleted in Pipedrive: the API flags it is_deleted (v2) or active_flag false (v1). The row is kept; views leave it out.';
COMMENT ON COLUMN core.pd_organizations._deleted_at IS 'When the record was deleted in Pipedrive (update_time of the deleted version, UTC); NULL while not deleted.';

ALTER TABLE core.pd_activities ADD COLUMN IF NOT EXISTS is_deleted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE core.pd_activities ADD COLUMN IF NOT EXISTS _deleted_at TIMESTAMPTZ;
COMMENT ON COLUMN core.pd_activities.is_deleted IS 'Deleted in Pipedrive: the API flags it is_deleted (v2) or active_flag false (v1). The row is kept; views leave it out.';
COMMENT ON COLUMN core.pd_activities._deleted_at IS 'When the record was deleted in Pipedrive (update_time of the deleted version, UTC); NULL while not deleted.';

ALTER TABLE core.zd_tickets ADD COLUMN IF NOT EXISTS is_deleted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE core.zd_tickets ADD COLUMN IF NOT EXISTS _deleted_at TIMESTAMPTZ;
COMMENT ON COLUMN core.zd_tickets.is_deleted IS 'Deleted in Zendesk: the incremental export sends it with status deleted. The row is kept; views leave it out.';
COMMENT ON COLUMN core.zd_tickets._deleted_at IS 'When the record was deleted in Zendesk (updated_at of the deleted version, UTC); NULL while not deleted.';

ALTER TABLE core.zd_users ADD COLUMN IF NOT EXISTS is_deleted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE core.zd_users ADD COLUMN IF NOT EXISTS _deleted_at TIMESTAMPTZ;
COMMENT ON COLUMN core.zd_users.is_deleted IS 'Deleted in Zendesk: the incremental export sends it with active false (a suspended user is not deleted: see suspended). The row is kept; views leave it out.';
COMMENT ON COLUMN core.zd_users._deleted_at IS 'When the record was deleted in Zendesk (updated_at of the deleted version, UTC); NULL while not deleted.';

ALTER TABLE core.zd_organizations ADD COLUMN IF NOT EXISTS is_deleted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE core.zd_organizations ADD COLUMN IF NOT EXISTS _deleted_at TIMESTAMPTZ;
COMMENT ON COLUMN core.zd_organizations.is_deleted IS 'Deleted in Zendesk: the incremental export sends it with deleted_at set. The row is kept; views leave it out.';
COMMENT ON COLUMN core.zd_organizations._deleted_at IS 'When the record was deleted in Zendesk (its deleted_at, UTC); NULL while not deleted.';

COMMENT ON TABLE core.zd_tickets IS 'Zendesk support tickets, latest version of each; a deleted ticket keeps its row with status deleted and is_deleted.';

-------------------------------------------------------------------------------------------------
-- Views (0008) redefined to leave deleted rows out; their columns stay the same, the two new
-- table columns appended at the end of the per-scope views (SELECT *).
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW core.vw_pd_deals_comercial AS SELECT * FROM core.pd_deals WHERE scope = 'comercial' AND NOT is_deleted;
CREATE OR REPLACE VIEW core.vw_pd_deals_expansao AS SELECT * FROM core.pd_deals WHERE scope = 'expansao' AND NOT is_deleted;
CREATE OR REPLACE VIEW core.vw_pd_persons_comercial AS SELECT * FROM core.pd_persons WHERE scope = 'comercial' AND NOT is_deleted;
CREATE OR REPLACE VIEW core.vw_pd_persons_expansao AS SELECT * FROM core.pd_persons WHERE scope = 'expansao' AND NOT is_deleted;
CREATE OR REPLACE VIEW core.vw_pd_activities_comercial AS SELECT * FROM core.pd_activities WHERE scope = 'comercial' AND NOT is_deleted;
CREATE OR REPLACE VIEW core.vw_pd_activities_expansao AS SELECT * FROM core.pd_activities WHERE scope = 'expansao' AND NOT is_deleted;
CREATE OR REPLACE VIEW core.vw_pd_organizations_comercial AS SELECT * FROM core.pd_organizations WHERE scope = 'comercial' AND NOT is_deleted;
CREATE OR REPLACE VIEW core.vw_pd_organizations_expansao AS SELECT * FROM core.pd_organizations WHERE scope = 'expansao' AND NOT is_deleted;

COMMENT ON VIEW core.vw_pd_deals_comercial IS 'core.pd_deals of the comercial Pipedrive account, deleted rows left out.';
COMMENT ON VIEW core.vw_pd_deals_expansao IS 'core.pd_deals of the expansao Pipedrive account, deleted rows left out.';
COMMENT ON VIEW core.vw_pd_persons_comercial IS 'core.pd_persons of the comercial Pipedrive account, deleted rows left out.';
COMMENT ON VIEW core.vw_pd_persons_expansao IS 'core.pd_persons of the expansao Pipedrive account, deleted rows left out.';
COMMENT ON VIEW core.vw_pd_activities_comercial IS 'core.pd_activities of the comercial Pipedrive account, deleted rows left out.';
COMMENT ON VIEW core.vw_pd_activities_expansao IS 'core.pd_activities of the expansao Pipedrive account, deleted rows left out.';
COMMENT ON VIEW core.vw_pd_organizations_comercial IS 'core.pd_organizations of the comercial Pipedrive account, deleted rows left out.';
COMMENT ON VIEW core.vw_pd_organizations_expansao IS 'core.pd_organizations of the expansao Pipedrive account, deleted rows left out.';

CREATE OR REPLACE VIEW core.vw_pd_sales_funnel AS
SELECT d.scope,
       p.name            AS pipeline_name,
       s.name            AS stage_name,
       s.order_nr        AS stage_order,
       d.status,
       d.currency,
       count(*)          AS deal_count,
       sum(d.value)      AS total_value,
       avg(d.value)      AS avg_value
FROM core.pd_deals d
JOIN core.pd_pipelines p ON p.pipeline_id = d.pipeline_id AND p.scope = d.scope
JOIN core.pd_stages s ON s.stage_id = d.stage_id AND s.scope = d.scope
WHERE d.status IN ('open', 'won', 'lost') AND NOT d.is_deleted
GROUP BY d.scope, p.name, s.name, s.order_nr, d.status, d.currency
ORDER BY d.scope, p.name, s.order_nr;

COMMENT ON VIEW core.vw_pd_sales_funnel IS 'Deals per account, pipeline, stage (in stage order), status and currency: count, total and average value; deleted deals left out.';

CREATE OR REPLACE VIEW core.vw_pd_seller_performance AS
SELECT d.scope,
       u.name                                         AS seller_name,
       u.email                                        AS seller_email,
       d.currency,
       count(*) FILTER (WHERE d.status = 'open')      AS open_deals,
       count(*) FILTER (WHERE d.status = 'won')       AS won_deals,
       count(*) FILTER (WHERE d.status = 'lost')      AS lost_deals,
       sum(d.value) FILTER (WHERE d.status = 'won')   AS won_value,
       sum(d.value) FILTER (WHERE d.status = 'open')  AS pipeline_value,
       round(100.0 * count(*) FILTER (WHERE d.status = 'won')
             / NULLIF(count(*) FILTER (WHERE d.status IN ('won', 'lost')), 0), 2) AS win_rate_pct
FROM core.pd_deals d
JOIN core.pd_users u ON u.user_id = d.user_id AND u.scope = d.scope
WHERE NOT d.is_deleted
GROUP BY d.scope, u.name, u.email, d.currency;

COMMENT ON VIEW core.vw_pd_seller_performance IS 'Per account, seller and currency: open/won/lost deal counts, won value, open pipeline value and win rate % = 100 x won / (won + lost), NULL without closed deals; deleted deals left out.';

-- Deleted tickets are left out; a ticket whose requester, assignee or organization was deleted
-- keeps their names (the rows are kept for that).
CREATE OR REPLACE VIEW core.vw_zd_ticket_metrics AS
SELECT t.ticket_id,
       t.subject,
       t.status,
       t.priority,
       t.type,
       t.via_channel,
       t.created_at,
       t.solved_at,
       t.updated_at,
       round((extract(epoch FROM (t.solved_at - t.created_at)) / 3600.0)::numeric, 2) AS hours_to_resolution,
       round((extract(epoch FROM (now() - t.created_at)) / 3600.0)::numeric, 2)       AS hours_since_creation,
       t.requester_id,
       r.name  AS requester_name,
       r.email AS requester_email,
       t.organization_id,
       o.name  AS organization_name,
       t.assignee_id,
       a.name  AS assignee_name,
       t.group_id,
       g.name  AS group_name
FROM core.zd_tickets t
LEFT JOIN core.zd_users r ON r.user_id = t.requester_id
LEFT JOIN core.zd_organizations o ON o.organization_id = t.organization_id
LEFT JOIN core.zd_users a ON a.user_id = t.assignee_id
LEFT JOIN core.zd_groups g ON g.group_id = t.group_id
WHERE NOT t.is_deleted;

COMMENT ON VIEW core.vw_zd_ticket_metrics IS 'One row per ticket not deleted, with requester, organization, assignee and group names, hours to resolution (solved_at - created_at, NULL while unsolved) and hours since creation.';

-- Reporting views. core.vw_*: the reference's views (data contract 5.3) with the same names and
-- columns, rewritten for the table layout actually loaded (the reference's vw_pd_sales_funnel
-- needed pd_deals.active and vw_zd_ticket_metrics needed zd_tickets.solved_at, neither of which
-- existed in the loaded layout — bug 6). analytics.*: EVO and Pipedrive summaries for Power BI.
-- Plain views, always consistent with core. They depend on the core tables, so the loader's
-- shadow-table swap (issue 5) must keep them (and their grants) in place.

-------------------------------------------------------------------------------------------------
-- Per-scope Pipedrive views (04/05_scope_views)
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW core.vw_pd_deals_comercial AS SELECT * FROM core.pd_deals WHERE scope = 'comercial';
CREATE OR REPLACE VIEW core.vw_pd_deals_expansao AS SELECT * FROM core.pd_deals WHERE scope = 'expansao';
CREATE OR REPLACE VIEW core.vw_pd_persons_comercial AS SELECT * FROM core.pd_persons WHERE scope = 'comercial';
CREATE OR REPLACE VIEW core.vw_pd_persons_expansao AS SELECT * FROM core.pd_persons WHERE scope = 'expansao';
CREATE OR REPLACE VIEW core.vw_pd_activities_comercial AS SELECT * FROM core.pd_activities WHERE scope = 'comercial';
CREATE OR REPLACE VIEW core.vw_pd_activities_expansao AS SELECT * FROM core.pd_activities WHERE scope = 'expansao';
CREATE OR REPLACE VIEW core.vw_pd_organizations_comercial AS SELECT * FROM core.pd_organizations WHERE scope = 'comercial';
CREATE OR REPLACE VIEW core.vw_pd_organizations_expansao AS SELECT * FROM core.pd_organizations WHERE scope = 'expansao';
CREATE OR REPLACE VIEW core.vw_pd_users_comercial AS SELECT * FROM core.pd_users WHERE scope = 'comercial';
CREATE OR REPLACE VIEW core.vw_pd_users_expansao AS SELECT * FROM core.pd_users WHERE scope = 'expansao';

COMMENT ON VIEW core.vw_pd_deals_comercial IS 'core.pd_deals of the comercial Pipedrive account.';
COMMENT ON VIEW core.vw_pd_deals_expansao IS 'core.pd_deals of the expansao Pipedrive account.';
COMMENT ON VIEW core.vw_pd_persons_comercial IS 'core.pd_persons of the comercial Pipedrive account.';
COMMENT ON VIEW core.vw_pd_persons_expansao IS 'core.pd_persons of the expansao Pipedrive account.';
COMMENT ON VIEW core.vw_pd_activities_comercial IS 'core.pd_activities of the comercial Pipedrive account.';
COMMENT ON VIEW core.vw_pd_activities_expansao IS 'core.pd_activities of the expansao Pipedrive account.';
COMMENT ON VIEW core.vw_pd_organizations_comercial IS 'core.pd_organizations of the comercial Pipedrive account.';
COMMENT ON VIEW core.vw_pd_organizations_expansao IS 'core.pd_organizations of the expansao Pipedrive account.';
COMMENT ON VIEW core.vw_pd_users_comercial IS 'core.pd_users of the comercial Pipedrive account.';
COMMENT ON VIEW core.vw_pd_users_expansao IS 'core.pd_users of the expansao Pipedrive account.';

-------------------------------------------------------------------------------------------------
-- Sales funnel and seller performance (03_core_pipedrive, rewritten for the loaded layout)
-------------------------------------------------------------------------------------------------
-- The reference filtered on pd_deals.active, which the loaded layout lacks; deleted deals are
-- never loaded (API v2 lists exclude them), so "active" = status open/won/lost.
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
WHERE d.status IN ('open', 'won', 'lost')
GROUP BY d.scope, p.name, s.name, s.order_nr, d.status, d.currency
ORDER BY d.scope, p.name, s.order_nr;

COMMENT ON VIEW core.vw_pd_sales_funnel IS 'Deals per account, pipeline, stage (in stage order), status and currency: count, total and average value.';

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
GROUP BY d.scope, u.name, u.email, d.currency;

COMMENT ON VIEW core.vw_pd_seller_performance IS 'Per account, seller and currency: open/won/lost deal counts, won value, open pipeline value and win rate % = 100 x won / (won + lost), NULL without closed deals.';

-------------------------------------------------------------------------------------------------
-- Zendesk ticket metrics (04_core_zendesk; needs solved_at, now present and filled)
-------------------------------------------------------------------------------------------------
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
LEFT JOIN core.zd_groups g ON g.group_id = t.group_id;

COMMENT ON VIEW core.vw_zd_ticket_metrics IS 'One row per ticket with requester, organization, assignee and group names, hours to resolution (solved_at - created_at, NULL while unsolved) and hours since creation.';

-------------------------------------------------------------------------------------------------
-- analytics: EVO
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW analytics.evo_daily_entries_by_branch AS
SELECT (e.entry_date AT TIME ZONE 'UTC')::date                      AS entry_day,
       e.branch_id,
       b.name                                                       AS branch_name,
       count(*)                                                     AS entries,
       count(DISTINCT e.member_id)                                  AS distinct_members,
       count(DISTINCT e.prospect_id)                                AS distinct_prospects,
       count(*) FILTER (WHERE e.entry_action = 'Entrada')           AS entradas,
       count(*) FILTER (WHERE e.entry_action = 'Saída')             AS saidas,
       count(*) FILTER (WHERE e.block_reason IS NOT NULL AND e.block_reason <> '') AS blocked
FROM core.evo_entries e
LEFT JOIN core.evo_branches b ON b.branch_id = e.branch_id
GROUP BY 1, e.branch_id, b.name;

COMMENT ON VIEW analytics.evo_daily_entries_by_branch IS 'Entries per calendar day (entry_date as stored: source local time read as UTC) and branch: total, distinct members and prospects, entradas, saídas, blocked attempts.';

CREATE OR REPLACE VIEW analytics.evo_active_members AS
SELECT DISTINCT ON (m.member_id)
       m.member_id,
       m.full_name,
       m.branch_id,
       coalesce(b.name, m.branch_name) AS branch_name,
       mm.member_membership_id,
       mm.membership_id,
       mm.membership_name,
       mm.start_date,
       mm.end_date,
       mm.value_next_month,
       m.last_access_date
FROM core.evo_members m
JOIN core.evo_member_memberships mm ON mm.member_id = m.member_id
LEFT JOIN core.evo_branches b ON b.branch_id = m.branch_id
WHERE mm.start_date <= now()
  AND (mm.end_date IS NULL OR mm.end_date >= now())
  AND (mm.cancel_date IS NULL OR mm.cancel_date > now())
ORDER BY m.member_id, mm.start_date DESC;

COMMENT ON VIEW analytics.evo_active_members IS 'Members with a contract in force now (started, not ended, not cancelled), one row per member with the most recently started such contract.';

CREATE OR REPLACE VIEW analytics.evo_active_members_by_branch AS
SELECT branch_id, branch_name, count(*) AS active_members
FROM analytics.evo_active_members
GROUP BY branch_id, branch_name;

COMMENT ON VIEW analytics.evo_active_members_by_branch IS 'Number of members with a contract in force now, per home branch.';

CREATE OR REPLACE VIEW analytics.evo_monthly_sales AS
WITH items AS (
    SELECT sale_id, sum(sale_value) AS sale_value, sum(discount) AS discount, count(*) AS items
    FROM core.evo_sale_items
    GROUP BY sale_id
)
SELECT date_trunc('month', s.sale_date AT TIME ZONE 'UTC')::date       AS sale_month,
       s.branch_id,
       b.name                                                         AS branch_name,
       count(*) FILTER (WHERE NOT coalesce(s.removed, false))         AS sales,
       count(*) FILTER (WHERE coalesce(s.removed, false))             AS removed_sales,
       count(DISTINCT s.member_id)                                    AS distinct_members,
       sum(i.items) FILTER (WHERE NOT coalesce(s.removed, false))     AS items,
       sum(i.sale_value) FILTER (WHERE NOT coalesce(s.removed, false)) AS sale_value,
       sum(i.discount) FILTER (WHERE NOT coalesce(s.removed, false))  AS discount
FROM core.evo_sales s
LEFT JOIN items i ON i.sale_id = s.sale_id
LEFT JOIN core.evo_branches b ON b.branch_id = s.branch_id
GROUP BY 1, s.branch_id, b.name;

COMMENT ON VIEW analytics.evo_monthly_sales IS 'Sales per month (sale_date as stored) and branch: sales and removed sales, distinct members, items, value sold and discounts (removed sales excluded from the sums).';

-------------------------------------------------------------------------------------------------
-- analytics: Pipedrive (per scope)
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW analytics.pd_sales_funnel AS
SELECT scope, pipeline_name, stage_name, stage_order, status, currency, deal_count, total_value, avg_value
FROM core.vw_pd_sales_funnel;

COMMENT ON VIEW analytics.pd_sales_funnel IS 'Pipedrive sales funnel per account (scope), pipeline, stage, status and currency (same as core.vw_pd_sales_funnel).';

CREATE OR REPLACE VIEW analytics.pd_seller_performance AS
SELECT scope, seller_name, seller_email, currency, open_deals, won_deals, lost_deals, won_value, pipeline_value, win_rate_pct
FROM core.vw_pd_seller_performance;

COMMENT ON VIEW analytics.pd_seller_performance IS 'Pipedrive seller performance per account (scope), seller and currency (same as core.vw_pd_seller_performance).';

-- EVO changes that reach core: a removed sale is flagged, not deleted. core.evo_sales already had
-- `removed` and `removal_date` (as EVO sends them); is_deleted and _deleted_at are the names every
-- soft-deleting core table uses (0013 adds them to the Pipedrive and Zendesk tables), set by
-- queries/core/evo_sales.sql from the newest version of the sale. The analytics views over EVO
-- leave removed sales, and the contracts they created, out; the tables keep them.

ALTER TABLE core.evo_sales ADD COLUMN IF NOT EXISTS is_deleted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE core.evo_sales ADD COLUMN IF NOT EXISTS _deleted_at TIMESTAMPTZ;
COMMENT ON COLUMN core.evo_sales.is_deleted IS 'Removed in EVO (removed = true in the newest version; sales removed in the window are asked for every night by removalDate). The row is kept; views leave it out.';
COMMENT ON COLUMN core.evo_sales._deleted_at IS 'When the sale was removed in EVO (its removalDate); NULL while not removed.';

-- Rows loaded before this migration: the flag they already carry.
UPDATE core.evo_sales SET is_deleted = true, _deleted_at = removal_date
WHERE coalesce(removed, false) AND NOT is_deleted;

-------------------------------------------------------------------------------------------------
-- Views (0008) redefined to leave removed sales out; their columns stay the same.
-------------------------------------------------------------------------------------------------
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
  AND NOT EXISTS (SELECT 1 FROM core.evo_sales s WHERE s.sale_id = mm.sale_id AND s.is_deleted)
ORDER BY m.member_id, mm.start_date DESC;

COMMENT ON VIEW analytics.evo_active_members IS 'Members with a contract in force now (started, not ended, not cancelled, not created by a removed sale), one row per member with the most recently started such contract.';

CREATE OR REPLACE VIEW analytics.evo_monthly_sales AS
WITH items AS (
    SELECT sale_id, sum(sale_value) AS sale_value, sum(discount) AS discount, count(*) AS items
    FROM core.evo_sale_items
    GROUP BY sale_id
)
SELECT date_trunc('month', s.sale_date AT TIME ZONE 'UTC')::date       AS sale_month,
       s.branch_id,
       b.name                                                         AS branch_name,
       count(*) FILTER (WHERE NOT s.is_deleted)                       AS sales,
       count(*) FILTER (WHERE s.is_deleted)                           AS removed_sales,
       count(DISTINCT s.member_id) FILTER (WHERE NOT s.is_deleted)    AS distinct_members,
       sum(i.items) FILTER (WHERE NOT s.is_deleted)                   AS items,
       sum(i.sale_value) FILTER (WHERE NOT s.is_deleted)              AS sale_value,
       sum(i.discount) FILTER (WHERE NOT s.is_deleted)                AS discount
FROM core.evo_sales s
LEFT JOIN items i ON i.sale_id = s.sale_id
LEFT JOIN core.evo_branches b ON b.branch_id = s.branch_id
GROUP BY 1, s.branch_id, b.name;

COMMENT ON VIEW analytics.evo_monthly_sales IS 'Sales per month (sale_date as stored) and branch: sales, distinct members, items, value sold and discounts of the sales not removed; removed_sales counts the removed ones apart.';

-- The elements of one JSON array of the latest version of each EVO member or sale, one row per
-- element with its 0-based position in the array: `evo_array_elements_{contacts,memberships,
-- sale_items}` ({key}, _run_id, elem, pos). Only JSON arrays are exploded: a null, missing or
-- non-array value gives no rows, so a parent whose list became empty has no elements (its stored
-- children are still replaced, by the child target's @parents).
-- @each: contacts: key=member_id, latest=latest_evo_members, array=contacts
-- @each: memberships: key=member_id, latest=latest_evo_members, array=memberships
-- @each: sale_items: key=sale_id, latest=latest_evo_sales, array=saleItens
WITH arrays AS (
    SELECT {key}, _run_id, json_get_array(_raw, '{array}') AS arr FROM {latest}
)
SELECT {key}, _run_id,
       unnest(arr) AS elem,
       unnest(range(CAST(cardinality(arr) AS BIGINT))) AS pos
FROM arrays
WHERE arr IS NOT NULL

-- @target: stg_pipedrive.deals_raw
-- @key: scope, deal_id
-- @strategy: merge
-- @test unique: scope, deal_id
-- @test not_null: scope, deal_id, payload
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive deals: the latest version of each record per account, as sent.
WITH src AS (SELECT * FROM pipedrive_deals)  -- every record with its key (queries/_shared/pipedrive_deals.sql)
SELECT * FROM pipedrive_stg_deals  -- scope, key, payload and lineage (queries/_shared/pipedrive_stg.sql)

-- @target: stg_pipedrive.organizations_raw
-- @key: scope, org_id
-- @strategy: merge
-- @test unique: scope, org_id
-- @test not_null: scope, org_id, payload
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive organizations: the latest version of each record per account, as sent.
WITH src AS (SELECT * FROM pipedrive_organizations)  -- every record with its key (queries/_shared/pipedrive_organizations.sql)
SELECT * FROM pipedrive_stg_organizations  -- scope, key, payload and lineage (queries/_shared/pipedrive_stg.sql)

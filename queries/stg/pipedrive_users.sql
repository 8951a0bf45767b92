-- @target: stg_pipedrive.users_raw
-- @key: scope, user_id
-- @strategy: merge
-- @test unique: scope, user_id
-- @test not_null: scope, user_id, payload
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive users: the latest version of each record per account, as sent.
WITH src AS (SELECT * FROM pipedrive_users)  -- every record with its key (queries/_shared/pipedrive_users.sql)
SELECT * FROM pipedrive_stg_users  -- scope, key, payload and lineage (queries/_shared/pipedrive_stg.sql)

-- @target: stg_pipedrive.activities_raw
-- @key: scope, activity_id
-- @strategy: merge
-- @test unique: scope, activity_id
-- @test not_null: scope, activity_id, payload
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive activities: the latest version of each record per account, as sent.
WITH src AS (SELECT * FROM pipedrive_activities)  -- every record with its key (queries/_shared/pipedrive_activities.sql)
SELECT * FROM pipedrive_stg_activities  -- scope, key, payload and lineage (queries/_shared/pipedrive_stg.sql)

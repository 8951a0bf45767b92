-- @target: stg_pipedrive.stages_raw
-- @key: scope, stage_id
-- @strategy: merge
-- @test unique: scope, stage_id
-- @test not_null: scope, stage_id, payload
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive stages: the latest version of each record per account, as sent.
WITH src AS (SELECT * FROM pipedrive_stages)  -- every record with its key (queries/_shared/pipedrive_stages.sql)
SELECT * FROM pipedrive_stg_stages  -- scope, key, payload and lineage (queries/_shared/pipedrive_stg.sql)

-- @target: stg_pipedrive.pipelines_raw
-- @key: scope, pipeline_id
-- @strategy: merge
-- @test unique: scope, pipeline_id
-- @test not_null: scope, pipeline_id, payload
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive pipelines: the latest version of each record per account, as sent.
WITH src AS (SELECT * FROM pipedrive_pipelines)  -- every record with its key (queries/_shared/pipedrive_pipelines.sql)
SELECT * FROM pipedrive_stg_pipelines  -- scope, key, payload and lineage (queries/_shared/pipedrive_stg.sql)

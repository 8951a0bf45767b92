-- @target: stg_pipedrive.persons_raw
-- @key: scope, person_id
-- @strategy: merge
-- @test unique: scope, person_id
-- @test not_null: scope, person_id, payload
-- @test accepted_values: scope = 'comercial', 'expansao'
-- @test row_count: 1..
-- Pipedrive persons: the latest version of each record per account, as sent.
WITH src AS (SELECT * FROM pipedrive_persons)  -- every record with its key (queries/_shared/pipedrive_persons.sql)
SELECT * FROM pipedrive_stg_persons  -- scope, key, payload and lineage (queries/_shared/pipedrive_stg.sql)

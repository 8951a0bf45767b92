-- @target: core.evo_employees
-- @key: employee_id
-- @strategy: merge
-- @test unique: employee_id
-- @test not_null: employee_id
-- @test row_count: 1..
-- EVO employees: one row per employee, latest version. Source: bronze.evo_employees (GET /api/v2/employees).
WITH latest AS (SELECT * FROM latest_evo_employees)
SELECT
    employee_id,  -- EVO idEmployee
    TRY_CAST(json_as_text(_raw, 'idBranch') AS BIGINT) AS branch_id,  -- branch (v2)
    json_as_text(_raw, 'branchName') AS branch_name,  -- branch name (v2)
    json_as_text(_raw, 'name') AS name,  -- employee name
    COALESCE(json_as_text(_raw, 'currentEmail'), json_as_text(_raw, 'email')) AS email,  -- currentEmail (v2), email (v1) as fallback
    json_as_text(_raw, 'telephone') AS telephone,  -- phone (v1)
    json_as_text(_raw, 'jobPosition') AS job_position,  -- job title
    json_as_text(_raw, 'status') AS status,  -- status as sent (v2 text, v1 boolean as text)
    json_as_text(_raw, 'photoUrl') AS photo_url,  -- photo URL (v1)
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

-- @target: core.evo_branches
-- @key: branch_id
-- @strategy: full_refresh
-- @test unique: branch_id
-- @test not_null: branch_id
-- @test row_count: 1..
-- EVO branches: one row per branch, latest version. Source: bronze.evo_branches (GET /api/v1/configuration).
-- Timestamps: EVO sends naive local times; evo_timestamp() reads them in evo.source_timezone (default
-- UTC, the reference's session time zone). Values that do not convert become NULL and are quarantined.
WITH latest AS (SELECT * FROM latest_evo_branches)
SELECT
    branch_id,  -- EVO idBranch
    json_as_text(_raw, 'name') AS name,  -- branch name
    json_as_text(_raw, 'internalName') AS internal_name,  -- internal name
    json_as_text(_raw, 'cnpj') AS cnpj,  -- CNPJ
    json_as_text(_raw, 'address') AS address,  -- street
    json_as_text(_raw, 'number') AS address_number,  -- street number
    json_as_text(_raw, 'complement') AS complement,  -- address complement
    json_as_text(_raw, 'neighborhood') AS neighborhood,  -- neighborhood
    json_as_text(_raw, 'city') AS city,  -- city
    TRY_CAST(json_as_text(_raw, 'idState') AS BIGINT) AS state_id,  -- EVO idState
    json_as_text(_raw, 'state') AS state,  -- state
    json_as_text(_raw, 'stateShort') AS state_short,  -- state abbreviation
    json_as_text(_raw, 'zipCode') AS zip_code,  -- postal code
    json_as_text(_raw, 'telephone') AS telephone,  -- phone
    json_as_text(_raw, 'website') AS website,  -- website
    TRY_CAST(json_as_text(_raw, 'latitude') AS DOUBLE) AS latitude,  -- latitude
    TRY_CAST(json_as_text(_raw, 'longitude') AS DOUBLE) AS longitude,  -- longitude
    evo_timestamp(json_as_text(_raw, 'openingDate')) AS opening_date,  -- opening date
    CASE WHEN substr(ltrim(json_get_json(_raw, 'businessHours')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'businessHours') END AS business_hours,  -- opening hours as sent (JSON)
    CASE WHEN substr(ltrim(json_get_json(_raw, 'searchTerms')), 1, 1) IN ('[', '{') THEN json_get_json(_raw, 'searchTerms') END AS search_terms,  -- search terms as sent (JSON)
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

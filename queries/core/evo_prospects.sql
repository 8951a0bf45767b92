-- @target: core.evo_prospects
-- @key: prospect_id
-- @strategy: merge
-- @test unique: prospect_id
-- @test not_null: prospect_id
-- @test row_count: 1..
-- EVO prospects: one row per prospect, latest version. Source: bronze.evo_prospects (GET /api/v1/prospects).
-- Timestamps: EVO sends naive local times; evo_timestamp() reads them in evo.source_timezone (default
-- UTC, the reference's session time zone). Values that do not convert become NULL and are quarantined.
WITH latest AS (SELECT * FROM latest_evo_prospects)
SELECT
    prospect_id,  -- EVO idProspect
    TRY_CAST(json_as_text(_raw, 'idBranch') AS BIGINT) AS branch_id,  -- branch
    json_as_text(_raw, 'branchName') AS branch_name,  -- branch name as sent
    json_as_text(_raw, 'firstName') AS first_name,  -- first name
    json_as_text(_raw, 'lastName') AS last_name,  -- last name
    json_as_text(_raw, 'document') AS document,  -- CPF
    json_as_text(_raw, 'email') AS email,  -- e-mail
    json_as_text(_raw, 'cellphone') AS cellphone,  -- mobile phone
    json_as_text(_raw, 'gender') AS gender,  -- gender
    TRY_CAST(substr(json_as_text(_raw, 'birthDate'), 1, 10) AS DATE) AS birth_date,  -- birth date (date part of the text)
    json_as_text(_raw, 'address') AS address,  -- street
    COALESCE(json_as_text(_raw, 'number'), json_as_text(_raw, 'addressNumber')) AS address_number,  -- street number
    json_as_text(_raw, 'complement') AS complement,  -- address complement
    json_as_text(_raw, 'neighborhood') AS neighborhood,  -- neighborhood
    json_as_text(_raw, 'city') AS city,  -- city
    json_as_text(_raw, 'state') AS state,  -- state
    json_as_text(_raw, 'country') AS country,  -- country
    json_as_text(_raw, 'zipCode') AS zip_code,  -- postal code
    json_as_text(_raw, 'signupType') AS signup_type,  -- signup channel
    json_as_text(_raw, 'mktChannel') AS mkt_channel,  -- marketing channel
    json_as_text(_raw, 'currentStep') AS current_step,  -- funnel step
    json_as_text(_raw, 'gympassId') AS gympass_id,  -- Gympass id
    evo_timestamp(json_as_text(_raw, 'conversionDate')) AS conversion_date,  -- conversion timestamp
    TRY_CAST(json_as_text(_raw, 'idMember') AS BIGINT) AS member_id,  -- member the prospect became
    COALESCE(json_as_text(_raw, 'responsible', 'name'), json_as_text(_raw, 'financiallyResponsibles', 0, 'name')) AS responsible_name,  -- responsible.name (API), financiallyResponsibles[0].name as fallback
    COALESCE(json_as_text(_raw, 'responsible', 'document'), json_as_text(_raw, 'financiallyResponsibles', 0, 'cpf')) AS responsible_document,  -- responsible.document (API), financiallyResponsibles[0].cpf as fallback
    COALESCE(TRY_CAST(json_as_text(_raw, 'responsible', 'financialResponsible') AS BOOLEAN), TRY_CAST(json_as_text(_raw, 'financiallyResponsibles', 0, 'financialResponsible') AS BOOLEAN)) AS responsible_is_financial,  -- responsible pays
    evo_timestamp(json_as_text(_raw, 'registerDate')) AS register_date,  -- registration timestamp
    CASE WHEN json_contains(_raw, 'interests') THEN '{"interests":' || json_get_json(_raw, 'interests') || ',"notes":' || COALESCE(json_get_json(_raw, 'notes'), 'null') || ',"temperature":' || COALESCE(json_get_json(_raw, 'temperature'), 'null') || '}' END AS custom_fields,  -- {interests, notes, temperature} as sent when the record has an interests key, else NULL
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

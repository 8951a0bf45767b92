-- @target: core.evo_members
-- @key: member_id
-- @strategy: merge
-- @version: update_date
-- @test unique: member_id
-- @test not_null: member_id
-- @test row_count: 1..
-- EVO members: one row per member, latest version. Source: bronze.evo_members (GET /api/v2/members).
-- Timestamps: EVO sends naive local times; evo_timestamp() reads them in evo.source_timezone (default
-- UTC, the reference's session time zone). Values that do not convert become NULL and are quarantined.
WITH latest AS (SELECT * FROM latest_evo_members),
contacts_pos AS (SELECT member_id, elem, pos FROM evo_array_elements_contacts),
picks AS (
    -- email/cellphone: description of the first contact (array order) of the wanted types
    SELECT member_id,
           first_value(CASE WHEN TRY_CAST(json_as_text(elem, 'idContactType') AS INT) IN (3, 4) THEN json_as_text(elem, 'description') END IGNORE NULLS)
               OVER (PARTITION BY member_id ORDER BY pos ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS email,
           first_value(CASE WHEN TRY_CAST(json_as_text(elem, 'idContactType') AS INT) IN (1, 2) THEN json_as_text(elem, 'description') END IGNORE NULLS)
               OVER (PARTITION BY member_id ORDER BY pos ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS cellphone,
           pos
    FROM contacts_pos
),
e AS (SELECT member_id, email, cellphone FROM picks WHERE pos = 0)
SELECT
    member_id,  -- EVO idMember
    TRY_CAST(json_as_text(_raw, 'idBranch') AS BIGINT) AS branch_id,  -- home branch
    json_as_text(_raw, 'branchName') AS branch_name,  -- branch name as sent
    json_as_text(_raw, 'firstName') AS first_name,  -- first name
    json_as_text(_raw, 'lastName') AS last_name,  -- last name
    json_as_text(_raw, 'registerName') AS register_name,  -- preferred (social) first name
    json_as_text(_raw, 'registerLastName') AS register_last_name,  -- preferred last name
    COALESCE(TRY_CAST(json_as_text(_raw, 'usePreferredName') AS BOOLEAN), false) AS use_preferred_name,  -- use the preferred name (NULL read as false)
    json_as_text(_raw, 'document') AS document,  -- CPF
    json_as_text(_raw, 'documentId') AS document_id,  -- RG
    e.email AS email,  -- first contact with idContactType 3 or 4
    e.cellphone AS cellphone,  -- first contact with idContactType 1 or 2
    json_as_text(_raw, 'gender') AS gender,  -- gender as sent
    TRY_CAST(substr(json_as_text(_raw, 'birthDate'), 1, 10) AS DATE) AS birth_date,  -- birth date (date part of the text)
    json_as_text(_raw, 'maritalStatus') AS marital_status,  -- marital status as sent
    json_as_text(_raw, 'address') AS address,  -- street
    COALESCE(json_as_text(_raw, 'number'), json_as_text(_raw, 'addressNumber')) AS address_number,  -- street number: number (API), addressNumber (reference) as fallback
    json_as_text(_raw, 'complement') AS complement,  -- address complement
    json_as_text(_raw, 'neighborhood') AS neighborhood,  -- neighborhood
    json_as_text(_raw, 'city') AS city,  -- city
    json_as_text(_raw, 'state') AS state,  -- state
    json_as_text(_raw, 'country') AS country,  -- country
    json_as_text(_raw, 'zipCode') AS zip_code,  -- postal code
    json_as_text(_raw, 'accessCardNumber') AS access_card_number,  -- access card number
    COALESCE(TRY_CAST(json_as_text(_raw, 'accessBlocked') AS BOOLEAN), false) AS access_blocked,  -- turnstile access blocked (NULL read as false)
    json_as_text(_raw, 'blockedReason') AS blocked_reason,  -- why access is blocked
    json_as_text(_raw, 'status') AS status,  -- member status as sent
    json_as_text(_raw, 'membershipStatus') AS membership_status,  -- current contract status as sent
    COALESCE(TRY_CAST(json_as_text(_raw, 'penalized') AS BOOLEAN), false) AS penalized,  -- penalized (NULL read as false)
    TRY_CAST(json_as_text(_raw, 'totalFitCoins') AS DECIMAL(15,2)) AS total_fit_coins,  -- loyalty coin balance
    evo_timestamp(json_as_text(_raw, 'registerDate')) AS register_date,  -- registration timestamp
    evo_timestamp(json_as_text(_raw, 'conversionDate')) AS conversion_date,  -- prospect-to-member conversion timestamp
    evo_timestamp(json_as_text(_raw, 'lastAccessDate')) AS last_access_date,  -- last access timestamp
    evo_timestamp(json_as_text(_raw, 'updateDate')) AS update_date,  -- last change in EVO (may carry an offset)
    COALESCE(NULLIF(json_as_text(_raw, 'photoUrl'), ''), json_as_text(_raw, 'photo')) AS photo_url,  -- photo URL: photoUrl (API), photo (reference) as fallback
    json_as_text(_raw, 'gympassId') AS gympass_id,  -- Gympass id
    json_as_text(_raw, 'codeTotalpass') AS code_totalpass,  -- TotalPass code
    json_as_text(_raw, 'userIdGurupass') AS user_id_gurupass,  -- GuruPass user id
    COALESCE(TRY_CAST(json_as_text(_raw, 'clientWithPromotionalRestriction') AS BOOLEAN), false) AS client_with_promotional_restriction,  -- promotional restriction (NULL read as false)
    COALESCE(TRY_CAST(json_as_text(_raw, 'personalTrainer') AS BOOLEAN), false) AS personal_trainer,  -- member is a personal trainer (NULL read as false)
    json_as_text(_raw, 'personalType') AS personal_type,  -- personal trainer type
    json_as_text(_raw, 'cref') AS cref,  -- CREF registration
    TRY_CAST(substr(json_as_text(_raw, 'crefExpirationDate'), 1, 10) AS DATE) AS cref_expiration_date,  -- CREF expiry date
    COALESCE(TRY_CAST(json_as_text(_raw, 'idEmployeeConsultant') AS BIGINT), TRY_CAST(json_as_text(_raw, 'employeeConsultant', 'idEmployee') AS BIGINT)) AS employee_consultant_id,  -- consultant: flat id, nested object as fallback
    COALESCE(json_as_text(_raw, 'nameEmployeeConsultant'), json_as_text(_raw, 'employeeConsultant', 'name')) AS employee_consultant_name,  -- consultant name
    COALESCE(TRY_CAST(json_as_text(_raw, 'idEmployeeInstructor') AS BIGINT), TRY_CAST(json_as_text(_raw, 'employeeInstructor', 'idEmployee') AS BIGINT)) AS employee_instructor_id,  -- instructor: flat id, nested object as fallback
    COALESCE(json_as_text(_raw, 'nameEmployeeInstructor'), json_as_text(_raw, 'employeeInstructor', 'name')) AS employee_instructor_name,  -- instructor name
    COALESCE(TRY_CAST(json_as_text(_raw, 'idEmployeePersonalTrainer') AS BIGINT), TRY_CAST(json_as_text(_raw, 'employeePersonal', 'idEmployee') AS BIGINT)) AS employee_personal_id,  -- personal trainer: flat id, nested object as fallback
    COALESCE(json_as_text(_raw, 'nameEmployeePersonalTrainer'), json_as_text(_raw, 'employeePersonal', 'name')) AS employee_personal_name,  -- personal trainer name
    COALESCE(json_as_text(_raw, 'idMemberMigration'), json_as_text(_raw, 'memberMigrationId')) AS member_migration_id,  -- migration id: idMemberMigration (API), memberMigrationId as fallback
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest
LEFT JOIN e USING (member_id)

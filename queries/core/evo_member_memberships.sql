-- @target: core.evo_member_memberships
-- @key: member_id, member_membership_id
-- @strategy: replace_children
-- @parent_key: member_id
-- @parents: latest_evo_members -> core.evo_members
-- @chunk_by: idMember
-- @test unique: member_id, member_membership_id
-- @test not_null: member_id, member_membership_id
-- @test relationships: member_id -> core.evo_members.member_id
-- @test row_count: 1..
-- Contracts of each member, exploded from the latest member version's memberships[] array.
-- Elements without idMemberMembership cannot be keyed and are skipped; a contract listed twice keeps its last element.
-- Timestamps: EVO sends naive local times; evo_timestamp() reads them in evo.source_timezone (default
-- UTC, the reference's session time zone). Values that do not convert become NULL and are quarantined.
WITH elems AS (SELECT * FROM evo_array_elements_memberships),
keyed AS (
    SELECT * FROM (
        SELECT elems.*, TRY_CAST(json_as_text(elem, 'idMemberMembership') AS BIGINT) AS _mmid,
               row_number() OVER (PARTITION BY member_id, TRY_CAST(json_as_text(elem, 'idMemberMembership') AS BIGINT) ORDER BY pos DESC) AS _rn
        FROM elems
    ) x
    WHERE _mmid IS NOT NULL AND _rn = 1
)
SELECT
    TRY_CAST(json_as_text(elem, 'idMemberMembership') AS BIGINT) AS member_membership_id,  -- EVO idMemberMembership (contract)
    member_id,  -- parent member
    TRY_CAST(json_as_text(elem, 'idMembership') AS BIGINT) AS membership_id,  -- plan id
    COALESCE(json_as_text(elem, 'name'), json_as_text(elem, 'membershipName')) AS membership_name,  -- plan name: name (API), membershipName (reference) as fallback
    COALESCE(TRY_CAST(json_as_text(elem, 'idMemberMembershipRenewed') AS BIGINT), TRY_CAST(json_as_text(elem, 'idMembershipRenewed') AS BIGINT)) AS membership_renewed_id,  -- renewed contract: idMemberMembershipRenewed (API), idMembershipRenewed as fallback
    TRY_CAST(json_as_text(elem, 'idSale') AS BIGINT) AS sale_id,  -- sale that created the contract
    evo_timestamp(json_as_text(elem, 'saleDate')) AS sale_date,  -- sale timestamp
    evo_timestamp(json_as_text(elem, 'startDate')) AS start_date,  -- contract start
    evo_timestamp(json_as_text(elem, 'endDate')) AS end_date,  -- contract end
    evo_timestamp(json_as_text(elem, 'cancelDate')) AS cancel_date,  -- cancellation date
    evo_timestamp(json_as_text(elem, 'cancelDateOn')) AS cancel_date_on,  -- cancellation effective date
    evo_timestamp(json_as_text(elem, 'cancelCreationDate')) AS cancel_creation_date,  -- when the cancellation was entered
    json_as_text(elem, 'membershipStatus') AS membership_status,  -- contract status as sent
    TRY_CAST(json_as_text(elem, 'valueNextMonth') AS DECIMAL(15,2)) AS value_next_month,  -- next monthly charge
    TRY_CAST(json_as_text(elem, 'originalValue') AS DECIMAL(15,2)) AS original_value,  -- original contract value
    evo_timestamp(json_as_text(elem, 'nextCharge')) AS next_charge,  -- next charge date (text or number in the API; non-dates become NULL)
    evo_timestamp(json_as_text(elem, 'nextDateSuspension')) AS next_date_suspension,  -- next suspension date
    TRY_CAST(json_as_text(elem, 'idCategoryMembership') AS BIGINT) AS category_membership_id,  -- plan category
    evo_timestamp(json_as_text(elem, 'loyaltyEndDate')) AS loyalty_end_date,  -- end of the loyalty period
    evo_timestamp(json_as_text(elem, 'assessmentEndDate')) AS assessment_end_date,  -- end of the physical assessment validity
    evo_timestamp(json_as_text(elem, 'acceptanceDate')) AS acceptance_date,  -- terms acceptance date
    TRY_CAST(json_as_text(elem, 'numMembers') AS INT) AS num_members,  -- members covered by the contract
    TRY_CAST(json_as_text(elem, 'flAllowLocker') AS BOOLEAN) AS fl_allow_locker,  -- locker allowed
    TRY_CAST(json_as_text(elem, 'flAdditionalMembership') AS BOOLEAN) AS fl_additional_membership,  -- additional contract
    TRY_CAST(json_as_text(elem, 'allowLesMills') AS BOOLEAN) AS allow_les_mills,  -- Les Mills classes allowed
    TRY_CAST(json_as_text(elem, 'allowsCancellationByApp') AS BOOLEAN) AS allows_cancellation_by_app,  -- cancellation by app allowed
    TRY_CAST(json_as_text(elem, 'signedTerms') AS BOOLEAN) AS signed_terms,  -- terms signed
    TRY_CAST(json_as_text(elem, 'limitless') AS BOOLEAN) AS limitless,  -- unlimited access
    TRY_CAST(json_as_text(elem, 'weeklyLimit') AS INT) AS weekly_limit,  -- weekly access limit
    TRY_CAST(json_as_text(elem, 'bioimpedanceAmount') AS INT) AS bioimpedance_amount,  -- bioimpedance exams included
    TRY_CAST(json_as_text(elem, 'concludedSessions') AS INT) AS concluded_sessions,  -- sessions concluded
    TRY_CAST(json_as_text(elem, 'pendingSessions') AS INT) AS pending_sessions,  -- sessions pending
    TRY_CAST(json_as_text(elem, 'scheduledSessions') AS INT) AS scheduled_sessions,  -- sessions scheduled
    TRY_CAST(json_as_text(elem, 'pendingRepositions') AS INT) AS pending_repositions,  -- make-up sessions pending
    TRY_CAST(json_as_text(elem, 'repositionsTotal') AS INT) AS repositions_total,  -- make-up sessions total
    TRY_CAST(json_as_text(elem, 'bonusSessions') AS INT) AS bonus_sessions,  -- bonus sessions
    TRY_CAST(json_as_text(elem, 'numberSuspensionTimes') AS INT) AS number_suspension_times,  -- times suspended
    TRY_CAST(json_as_text(elem, 'maxSuspensionDays') AS INT) AS max_suspension_days,  -- maximum suspension days
    TRY_CAST(json_as_text(elem, 'minimumSuspensionDays') AS INT) AS minimum_suspension_days,  -- minimum suspension days
    TRY_CAST(json_as_text(elem, 'disponibleSuspensionDays') AS INT) AS disponible_suspension_days,  -- suspension days available
    TRY_CAST(json_as_text(elem, 'disponibleSuspensionTimes') AS INT) AS disponible_suspension_times,  -- suspensions available
    TRY_CAST(json_as_text(elem, 'daysLeftToFreeze') AS INT) AS days_left_to_freeze,  -- freeze days left
    json_as_text(elem, 'contractPrinting') AS contract_printing,  -- contract document URL
    json_get_json(elem, 'freezes') AS freezes,  -- freezes as sent (JSON)
    json_get_json(elem, 'sessions') AS sessions  -- session credits as sent (JSON)
FROM keyed

-- @target: core.evo_member_contacts
-- @key: member_id, contact_position
-- @strategy: replace_children
-- @parent_key: member_id
-- @parents: latest_evo_members -> core.evo_members
-- @chunk_by: idMember
-- @test unique: member_id, contact_position
-- @test not_null: member_id, contact_position
-- @test relationships: member_id -> core.evo_members.member_id
-- @test row_count: 1..
-- Phones and e-mails of each member, exploded from the latest member version's contacts[] array.
-- Keyed by position; an idPhone repeated within one member keeps only its first element (phone_id is unique per member).
-- Timestamps: EVO sends naive local times; evo_timestamp() reads them in evo.source_timezone (default
-- UTC, the reference's session time zone). Values that do not convert become NULL and are quarantined.
WITH elems AS (SELECT * FROM evo_array_elements_contacts),
keyed AS (
    SELECT *,
           CASE WHEN row_number() OVER (PARTITION BY member_id, TRY_CAST(json_as_text(elem, 'idPhone') AS BIGINT) ORDER BY pos) = 1
                THEN TRY_CAST(json_as_text(elem, 'idPhone') AS BIGINT) END AS phone_id
    FROM elems
)
SELECT
    phone_id,  -- EVO idPhone (may be NULL)
    member_id,  -- parent member
    CAST(pos AS INT) AS contact_position,  -- 0-based position in the contacts array (row key)
    TRY_CAST(json_as_text(elem, 'idContactType') AS INT) AS contact_type_id,  -- 1/2 phone types, 3/4 e-mail types
    COALESCE(json_as_text(elem, 'contactType'), json_as_text(elem, 'typeDescription')) AS contact_type,  -- type label: contactType (API), typeDescription (reference) as fallback
    json_as_text(elem, 'ddi') AS ddi,  -- international dialling code
    json_as_text(elem, 'description') AS description  -- phone number or e-mail address
FROM keyed
WHERE phone_id IS NOT NULL OR TRY_CAST(json_as_text(elem, 'idPhone') AS BIGINT) IS NULL

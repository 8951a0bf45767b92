-- The stg row of each Pipedrive record: the latest version per account and key, as the API sent
-- it, with its lineage. `pipedrive_stg_<entity>` for each entity below (queries/stg/pipedrive_*.sql).
-- @each: deals: entity=deals, id=deal_id
-- @each: persons: entity=persons, id=person_id
-- @each: organizations: entity=organizations, id=org_id
-- @each: activities: entity=activities, id=activity_id
-- @each: pipelines: entity=pipelines, id=pipeline_id
-- @each: stages: entity=stages, id=stage_id
-- @each: users: entity=users, id=user_id
SELECT
    scope,  -- Pipedrive account: comercial or expansao
    {id},  -- Pipedrive id (payload.id)
    _raw AS payload,  -- the record exactly as the API sent it (JSON text, stored as JSONB)
    _source_file AS source_blob_path,  -- lineage: lake path of the bronze part
    CAST(_line AS INT) AS source_line_no,  -- lineage: 1-based line in the bronze part
    _run_id AS run_id,  -- extraction run, YYYYMMDDTHHMMSSZ
    TRY_CAST(_ingestion_date AS DATE) AS ingestion_date  -- ingestion_date= folder of the part
FROM latest_pipedrive_{entity}

-- stg_pipedrive and stg_zendesk: the API record as JSONB (column payload, as in the reference's
-- 01_stg_pipedrive.sql / 02_stg_zendesk.sql) with its file position and run. Unlike the
-- reference, which added one row per record per run (a file-position key only), each table
-- keeps one row per business key (latest run wins) in a business-key column; the reference's
-- file-position key stays unique and its index names are kept.

CREATE TABLE IF NOT EXISTS stg_pipedrive.deals_raw (
    id               BIGSERIAL   PRIMARY KEY,
    scope            TEXT        NOT NULL,
    deal_id          BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_pd_deals_raw_key UNIQUE (scope, deal_id),
    CONSTRAINT uq_pd_deals_raw_pos UNIQUE (scope, source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_deals_raw_run ON stg_pipedrive.deals_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_deals_raw_date ON stg_pipedrive.deals_raw (ingestion_date);
CREATE INDEX IF NOT EXISTS idx_deals_raw_deal_id ON stg_pipedrive.deals_raw ((payload->>'id'));
COMMENT ON TABLE stg_pipedrive.deals_raw IS 'Pipedrive deals (GET /api/v2/deals): latest version of each record per account, as JSONB, with bronze lineage.';
COMMENT ON COLUMN stg_pipedrive.deals_raw.deal_id IS 'Pipedrive id of the record (payload.id); unique per scope.';
COMMENT ON COLUMN stg_pipedrive.deals_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_pipedrive.deals_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_pipedrive.deals_raw.scope IS 'Pipedrive account the record belongs to: comercial or expansao.';
COMMENT ON COLUMN stg_pipedrive.deals_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_pipedrive.deals_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_pipedrive.deals_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_pipedrive.deals_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_pipedrive.deals_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_pipedrive.persons_raw (
    id               BIGSERIAL   PRIMARY KEY,
    scope            TEXT        NOT NULL,
    person_id        BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_pd_persons_raw_key UNIQUE (scope, person_id),
    CONSTRAINT uq_pd_persons_raw_pos UNIQUE (scope, source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_persons_raw_run ON stg_pipedrive.persons_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_persons_raw_date ON stg_pipedrive.persons_raw (ingestion_date);
CREATE INDEX IF NOT EXISTS idx_persons_raw_person_id ON stg_pipedrive.persons_raw ((payload->>'id'));
COMMENT ON TABLE stg_pipedrive.persons_raw IS 'Pipedrive persons (GET /api/v2/persons): latest version of each record per account, as JSONB, with bronze lineage.';
COMMENT ON COLUMN stg_pipedrive.persons_raw.person_id IS 'Pipedrive id of the record (payload.id); unique per scope.';
COMMENT ON COLUMN stg_pipedrive.persons_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_pipedrive.persons_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_pipedrive.persons_raw.scope IS 'Pipedrive account the record belongs to: comercial or expansao.';
COMMENT ON COLUMN stg_pipedrive.persons_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_pipedrive.persons_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_pipedrive.persons_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_pipedrive.persons_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_pipedrive.persons_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_pipedrive.organizations_raw (
    id               BIGSERIAL   PRIMARY KEY,
    scope            TEXT        NOT NULL,
    org_id           BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_pd_organizations_raw_key UNIQUE (scope, org_id),
    CONSTRAINT uq_pd_organizations_raw_pos UNIQUE (scope, source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_pd_orgs_raw_run ON stg_pipedrive.organizations_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_pd_orgs_raw_date ON stg_pipedrive.organizations_raw (ingestion_date);
CREATE INDEX IF NOT EXISTS idx_pd_orgs_raw_org_id ON stg_pipedrive.organizations_raw ((payload->>'id'));
COMMENT ON TABLE stg_pipedrive.organizations_raw IS 'Pipedrive organizations (GET /api/v2/organizations): latest version of each record per account, as JSONB, with bronze lineage.';
COMMENT ON COLUMN stg_pipedrive.organizations_raw.org_id IS 'Pipedrive id of the record (payload.id); unique per scope.';
COMMENT ON COLUMN stg_pipedrive.organizations_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_pipedrive.organizations_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_pipedrive.organizations_raw.scope IS 'Pipedrive account the record belongs to: comercial or expansao.';
COMMENT ON COLUMN stg_pipedrive.organizations_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_pipedrive.organizations_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_pipedrive.organizations_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_pipedrive.organizations_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_pipedrive.organizations_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_pipedrive.activities_raw (
    id               BIGSERIAL   PRIMARY KEY,
    scope            TEXT        NOT NULL,
    activity_id      BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_pd_activities_raw_key UNIQUE (scope, activity_id),
    CONSTRAINT uq_pd_activities_raw_pos UNIQUE (scope, source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_activities_raw_run ON stg_pipedrive.activities_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_activities_raw_date ON stg_pipedrive.activities_raw (ingestion_date);
CREATE INDEX IF NOT EXISTS idx_activities_raw_act_id ON stg_pipedrive.activities_raw ((payload->>'id'));
COMMENT ON TABLE stg_pipedrive.activities_raw IS 'Pipedrive activities (GET /api/v2/activities): latest version of each record per account, as JSONB, with bronze lineage.';
COMMENT ON COLUMN stg_pipedrive.activities_raw.activity_id IS 'Pipedrive id of the record (payload.id); unique per scope.';
COMMENT ON COLUMN stg_pipedrive.activities_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_pipedrive.activities_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_pipedrive.activities_raw.scope IS 'Pipedrive account the record belongs to: comercial or expansao.';
COMMENT ON COLUMN stg_pipedrive.activities_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_pipedrive.activities_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_pipedrive.activities_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_pipedrive.activities_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_pipedrive.activities_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_pipedrive.pipelines_raw (
    id               BIGSERIAL   PRIMARY KEY,
    scope            TEXT        NOT NULL,
    pipeline_id      BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_pd_pipelines_raw_key UNIQUE (scope, pipeline_id),
    CONSTRAINT uq_pd_pipelines_raw_pos UNIQUE (scope, source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_pipelines_raw_run ON stg_pipedrive.pipelines_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_pipelines_raw_date ON stg_pipedrive.pipelines_raw (ingestion_date);
CREATE INDEX IF NOT EXISTS idx_pipelines_raw_pipeline_id ON stg_pipedrive.pipelines_raw ((payload->>'id'));
COMMENT ON TABLE stg_pipedrive.pipelines_raw IS 'Pipedrive pipelines (GET /api/v2/pipelines): latest version of each record per account, as JSONB, with bronze lineage.';
COMMENT ON COLUMN stg_pipedrive.pipelines_raw.pipeline_id IS 'Pipedrive id of the record (payload.id); unique per scope.';
COMMENT ON COLUMN stg_pipedrive.pipelines_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_pipedrive.pipelines_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_pipedrive.pipelines_raw.scope IS 'Pipedrive account the record belongs to: comercial or expansao.';
COMMENT ON COLUMN stg_pipedrive.pipelines_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_pipedrive.pipelines_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_pipedrive.pipelines_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_pipedrive.pipelines_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_pipedrive.pipelines_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_pipedrive.stages_raw (
    id               BIGSERIAL   PRIMARY KEY,
    scope            TEXT        NOT NULL,
    stage_id         BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_pd_stages_raw_key UNIQUE (scope, stage_id),
    CONSTRAINT uq_pd_stages_raw_pos UNIQUE (scope, source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_stages_raw_run ON stg_pipedrive.stages_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_stages_raw_date ON stg_pipedrive.stages_raw (ingestion_date);
CREATE INDEX IF NOT EXISTS idx_stages_raw_stage_id ON stg_pipedrive.stages_raw ((payload->>'id'));
COMMENT ON TABLE stg_pipedrive.stages_raw IS 'Pipedrive stages (GET /api/v2/stages): latest version of each record per account, as JSONB, with bronze lineage.';
COMMENT ON COLUMN stg_pipedrive.stages_raw.stage_id IS 'Pipedrive id of the record (payload.id); unique per scope.';
COMMENT ON COLUMN stg_pipedrive.stages_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_pipedrive.stages_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_pipedrive.stages_raw.scope IS 'Pipedrive account the record belongs to: comercial or expansao.';
COMMENT ON COLUMN stg_pipedrive.stages_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_pipedrive.stages_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_pipedrive.stages_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_pipedrive.stages_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_pipedrive.stages_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_pipedrive.users_raw (
    id               BIGSERIAL   PRIMARY KEY,
    scope            TEXT        NOT NULL,
    user_id          BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_pd_users_raw_key UNIQUE (scope, user_id),
    CONSTRAINT uq_pd_users_raw_pos UNIQUE (scope, source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_pd_users_raw_run ON stg_pipedrive.users_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_pd_users_raw_date ON stg_pipedrive.users_raw (ingestion_date);
CREATE INDEX IF NOT EXISTS idx_pd_users_raw_user_id ON stg_pipedrive.users_raw ((payload->>'id'));
COMMENT ON TABLE stg_pipedrive.users_raw IS 'Pipedrive users (GET /api/v1/users): latest version of each record per account, as JSONB, with bronze lineage.';
COMMENT ON COLUMN stg_pipedrive.users_raw.user_id IS 'Pipedrive id of the record (payload.id); unique per scope.';
COMMENT ON COLUMN stg_pipedrive.users_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_pipedrive.users_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_pipedrive.users_raw.scope IS 'Pipedrive account the record belongs to: comercial or expansao.';
COMMENT ON COLUMN stg_pipedrive.users_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_pipedrive.users_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_pipedrive.users_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_pipedrive.users_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_pipedrive.users_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_pipedrive.fields_raw (
    id               BIGSERIAL   PRIMARY KEY,
    scope            TEXT        NOT NULL,
    entity_kind      TEXT        NOT NULL CHECK (entity_kind IN ('deal', 'person', 'organization', 'activity')),
    field_key        TEXT        NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_pd_fields_raw_key UNIQUE (scope, entity_kind, field_key),
    CONSTRAINT uq_pd_fields_raw_pos UNIQUE (scope, source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_pd_fields_raw_run ON stg_pipedrive.fields_raw (run_id);
COMMENT ON TABLE stg_pipedrive.fields_raw IS 'Pipedrive field definitions (dealFields, personFields, organizationFields, activityFields): one row per account, entity and field key; maps the 40-character custom-field hashes to readable names.';
COMMENT ON COLUMN stg_pipedrive.fields_raw.entity_kind IS 'Entity the field belongs to: deal, person, organization or activity.';
COMMENT ON COLUMN stg_pipedrive.fields_raw.field_key IS 'Field key: the API attribute name for system fields, the 40-character hash for custom fields (v1 key / v2 field_code).';
COMMENT ON COLUMN stg_pipedrive.fields_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_pipedrive.fields_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_pipedrive.fields_raw.scope IS 'Pipedrive account the record belongs to: comercial or expansao.';
COMMENT ON COLUMN stg_pipedrive.fields_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_pipedrive.fields_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_pipedrive.fields_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_pipedrive.fields_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_pipedrive.fields_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_zendesk.tickets_raw (
    id               BIGSERIAL   PRIMARY KEY,
    ticket_id        BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_zd_tickets_raw_key UNIQUE (ticket_id),
    CONSTRAINT uq_zd_tickets_raw_pos UNIQUE (source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_tickets_raw_run ON stg_zendesk.tickets_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_tickets_raw_date ON stg_zendesk.tickets_raw (ingestion_date);
CREATE INDEX IF NOT EXISTS idx_tickets_raw_ticket_id ON stg_zendesk.tickets_raw ((payload->>'id'));
COMMENT ON TABLE stg_zendesk.tickets_raw IS 'Zendesk tickets (GET /api/v2/incremental/tickets/cursor.json): latest version of each record, as JSONB, with bronze lineage (scope support).';
COMMENT ON COLUMN stg_zendesk.tickets_raw.ticket_id IS 'Zendesk id of the record (payload.id).';
COMMENT ON COLUMN stg_zendesk.tickets_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_zendesk.tickets_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_zendesk.tickets_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_zendesk.tickets_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_zendesk.tickets_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_zendesk.tickets_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_zendesk.tickets_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_zendesk.users_raw (
    id               BIGSERIAL   PRIMARY KEY,
    user_id          BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_zd_users_raw_key UNIQUE (user_id),
    CONSTRAINT uq_zd_users_raw_pos UNIQUE (source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_users_raw_run ON stg_zendesk.users_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_users_raw_date ON stg_zendesk.users_raw (ingestion_date);
CREATE INDEX IF NOT EXISTS idx_users_raw_user_id ON stg_zendesk.users_raw ((payload->>'id'));
COMMENT ON TABLE stg_zendesk.users_raw IS 'Zendesk users (GET /api/v2/incremental/users.json): latest version of each record, as JSONB, with bronze lineage (scope support).';
COMMENT ON COLUMN stg_zendesk.users_raw.user_id IS 'Zendesk id of the record (payload.id).';
COMMENT ON COLUMN stg_zendesk.users_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_zendesk.users_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_zendesk.users_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_zendesk.users_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_zendesk.users_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_zendesk.users_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_zendesk.users_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_zendesk.organizations_raw (
    id               BIGSERIAL   PRIMARY KEY,
    organization_id  BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_zd_organizations_raw_key UNIQUE (organization_id),
    CONSTRAINT uq_zd_organizations_raw_pos UNIQUE (source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_orgs_raw_run ON stg_zendesk.organizations_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_orgs_raw_date ON stg_zendesk.organizations_raw (ingestion_date);
CREATE INDEX IF NOT EXISTS idx_orgs_raw_org_id ON stg_zendesk.organizations_raw ((payload->>'id'));
COMMENT ON TABLE stg_zendesk.organizations_raw IS 'Zendesk organizations (GET /api/v2/incremental/organizations.json): latest version of each record, as JSONB, with bronze lineage (scope support).';
COMMENT ON COLUMN stg_zendesk.organizations_raw.organization_id IS 'Zendesk id of the record (payload.id).';
COMMENT ON COLUMN stg_zendesk.organizations_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_zendesk.organizations_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_zendesk.organizations_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_zendesk.organizations_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_zendesk.organizations_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_zendesk.organizations_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_zendesk.organizations_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_zendesk.groups_raw (
    id               BIGSERIAL   PRIMARY KEY,
    group_id         BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_zd_groups_raw_key UNIQUE (group_id),
    CONSTRAINT uq_zd_groups_raw_pos UNIQUE (source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_groups_raw_run ON stg_zendesk.groups_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_groups_raw_group_id ON stg_zendesk.groups_raw ((payload->>'id'));
COMMENT ON TABLE stg_zendesk.groups_raw IS 'Zendesk groups (GET /api/v2/groups.json): latest version of each record, as JSONB, with bronze lineage (scope support).';
COMMENT ON COLUMN stg_zendesk.groups_raw.group_id IS 'Zendesk id of the record (payload.id).';
COMMENT ON COLUMN stg_zendesk.groups_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_zendesk.groups_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_zendesk.groups_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_zendesk.groups_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_zendesk.groups_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_zendesk.groups_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_zendesk.groups_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_zendesk.ticket_fields_raw (
    id               BIGSERIAL   PRIMARY KEY,
    field_id         BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_zd_ticket_fields_raw_key UNIQUE (field_id),
    CONSTRAINT uq_zd_ticket_fields_raw_pos UNIQUE (source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_fields_raw_run ON stg_zendesk.ticket_fields_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_fields_raw_field_id ON stg_zendesk.ticket_fields_raw ((payload->>'id'));
COMMENT ON TABLE stg_zendesk.ticket_fields_raw IS 'Zendesk ticket fields (GET /api/v2/ticket_fields.json): latest version of each record, as JSONB, with bronze lineage (scope support).';
COMMENT ON COLUMN stg_zendesk.ticket_fields_raw.field_id IS 'Zendesk id of the record (payload.id).';
COMMENT ON COLUMN stg_zendesk.ticket_fields_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_zendesk.ticket_fields_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_zendesk.ticket_fields_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_zendesk.ticket_fields_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_zendesk.ticket_fields_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_zendesk.ticket_fields_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_zendesk.ticket_fields_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';

CREATE TABLE IF NOT EXISTS stg_zendesk.ticket_forms_raw (
    id               BIGSERIAL   PRIMARY KEY,
    form_id          BIGINT      NOT NULL,
    payload          JSONB       NOT NULL,
    source_blob_path TEXT        NOT NULL,
    source_line_no   INTEGER     NOT NULL,
    run_id           TEXT        NOT NULL,
    ingestion_date   DATE        NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_zd_ticket_forms_raw_key UNIQUE (form_id),
    CONSTRAINT uq_zd_ticket_forms_raw_pos UNIQUE (source_blob_path, source_line_no)
);
CREATE INDEX IF NOT EXISTS idx_forms_raw_run ON stg_zendesk.ticket_forms_raw (run_id);
CREATE INDEX IF NOT EXISTS idx_forms_raw_form_id ON stg_zendesk.ticket_forms_raw ((payload->>'id'));
COMMENT ON TABLE stg_zendesk.ticket_forms_raw IS 'Zendesk ticket forms (GET /api/v2/ticket_forms.json): latest version of each record, as JSONB, with bronze lineage (scope support).';
COMMENT ON COLUMN stg_zendesk.ticket_forms_raw.form_id IS 'Zendesk id of the record (payload.id).';
COMMENT ON COLUMN stg_zendesk.ticket_forms_raw.id IS 'Surrogate row id.';
COMMENT ON COLUMN stg_zendesk.ticket_forms_raw.payload IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_zendesk.ticket_forms_raw.source_blob_path IS 'Lake path of the bronze part the record came from (lineage: _source_file).';
COMMENT ON COLUMN stg_zendesk.ticket_forms_raw.source_line_no IS '1-based line of the record in its bronze part (lineage: _source_line).';
COMMENT ON COLUMN stg_zendesk.ticket_forms_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_zendesk.ticket_forms_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_zendesk.ticket_forms_raw.loaded_at IS 'When the stored version was loaded (lineage: _loaded_at).';


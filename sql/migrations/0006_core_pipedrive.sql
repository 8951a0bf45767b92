-- core Pipedrive tables: the 04_core_tables.sql layout the reference's normalizer wrote (data
-- contract 3.5-3.11), names, keys and indexes unchanged, one row per (id, scope). Fixes: TEXT
-- instead of VARCHAR(n) (bug 44: one long value failed the batch), no DROP ... CASCADE, columns read
-- from the real API v2 names first (owner_id, emails, phones, is_deleted, nested address) with the
-- v1 names as fallback (bug 39), custom_fields keyed by readable field names.

CREATE TABLE IF NOT EXISTS core.pd_pipelines (
    pipeline_id                 BIGINT NOT NULL,
    scope                       TEXT NOT NULL,
    name                        TEXT,
    url_title                   TEXT,
    order_nr                    INTEGER,
    active                      BOOLEAN,
    deal_probability            BOOLEAN,
    add_time                    TIMESTAMPTZ,
    update_time                 TIMESTAMPTZ,
    _source_run_id              TEXT,
    _loaded_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pd_pipelines_pkey PRIMARY KEY (pipeline_id, scope)
);
COMMENT ON TABLE core.pd_pipelines IS 'Pipedrive pipelines per account (GET /api/v2/pipelines).';
COMMENT ON COLUMN core.pd_pipelines.pipeline_id IS 'Pipedrive pipeline id (unique per scope).';
COMMENT ON COLUMN core.pd_pipelines.scope IS 'Pipedrive account: comercial or expansao.';
COMMENT ON COLUMN core.pd_pipelines.url_title IS 'v1 url_title (not sent by API v2: NULL).';
COMMENT ON COLUMN core.pd_pipelines.order_nr IS 'Display order.';
COMMENT ON COLUMN core.pd_pipelines.active IS 'Pipeline in use: NOT is_deleted (v2); v1 active as fallback.';
COMMENT ON COLUMN core.pd_pipelines.deal_probability IS 'Deal probability enabled: is_deal_probability_enabled (v2); v1 deal_probability as fallback.';
COMMENT ON COLUMN core.pd_pipelines._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.pd_pipelines._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.pd_pipelines._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.pd_stages (
    stage_id                    BIGINT NOT NULL,
    scope                       TEXT NOT NULL,
    pipeline_id                 BIGINT,
    name                        TEXT,
    order_nr                    INTEGER,
    active_flag                 BOOLEAN,
    deal_probability            INTEGER,
    rotten_flag                 BOOLEAN,
    rotten_days                 INTEGER,
    add_time                    TIMESTAMPTZ,
    update_time                 TIMESTAMPTZ,
    _source_run_id              TEXT,
    _loaded_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pd_stages_pkey PRIMARY KEY (stage_id, scope)
);
COMMENT ON TABLE core.pd_stages IS 'Pipedrive pipeline stages per account (GET /api/v2/stages).';
COMMENT ON COLUMN core.pd_stages.stage_id IS 'Pipedrive stage id (unique per scope).';
COMMENT ON COLUMN core.pd_stages.scope IS 'Pipedrive account: comercial or expansao.';
COMMENT ON COLUMN core.pd_stages.pipeline_id IS 'Pipeline of the stage; see core.pd_pipelines.';
COMMENT ON COLUMN core.pd_stages.order_nr IS 'Position of the stage in its pipeline.';
COMMENT ON COLUMN core.pd_stages.active_flag IS 'Stage in use: NOT is_deleted (v2); v1 active_flag as fallback.';
COMMENT ON COLUMN core.pd_stages.deal_probability IS 'Win probability of deals in this stage, percent.';
COMMENT ON COLUMN core.pd_stages.rotten_flag IS 'Deal rotting enabled: is_deal_rot_enabled (v2); v1 rotten_flag as fallback.';
COMMENT ON COLUMN core.pd_stages.rotten_days IS 'Days until a deal rots: days_to_rotten (v2); v1 rotten_days as fallback.';
COMMENT ON COLUMN core.pd_stages._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.pd_stages._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.pd_stages._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.pd_users (
    user_id                     BIGINT NOT NULL,
    scope                       TEXT NOT NULL,
    name                        TEXT,
    email                       TEXT,
    active_flag                 BOOLEAN,
    is_admin                    BOOLEAN,
    role_id                     BIGINT,
    icon_url                    TEXT,
    timezone_name               TEXT,
    timezone_offset             TEXT,
    phone                       TEXT,
    created                     TIMESTAMPTZ,
    modified                    TIMESTAMPTZ,
    _source_run_id              TEXT,
    _loaded_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pd_users_pkey PRIMARY KEY (user_id, scope)
);
COMMENT ON TABLE core.pd_users IS 'Pipedrive users (sellers) per account (GET /api/v1/users; v1 has no v2 equivalent).';
COMMENT ON COLUMN core.pd_users.user_id IS 'Pipedrive user id.';
COMMENT ON COLUMN core.pd_users.scope IS 'Pipedrive account: comercial or expansao.';
COMMENT ON COLUMN core.pd_users.active_flag IS 'User active.';
COMMENT ON COLUMN core.pd_users.is_admin IS 'Admin user (v1 sends 0/1).';
COMMENT ON COLUMN core.pd_users.timezone_offset IS 'e.g. -03:00.';
COMMENT ON COLUMN core.pd_users.created IS 'Creation time (v1 YYYY-MM-DD HH:MM:SS, UTC).';
COMMENT ON COLUMN core.pd_users.modified IS 'Last change (UTC).';
COMMENT ON COLUMN core.pd_users._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.pd_users._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.pd_users._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.pd_organizations (
    org_id                      BIGINT NOT NULL,
    scope                       TEXT NOT NULL,
    name                        TEXT,
    owner_id                    BIGINT,
    address                     TEXT,
    address_locality            TEXT,
    address_country             TEXT,
    address_postal_code         TEXT,
    cc_email                    TEXT,
    active_flag                 BOOLEAN,
    people_count                INTEGER,
    open_deals_count            INTEGER,
    won_deals_count             INTEGER,
    lost_deals_count            INTEGER,
    add_time                    TIMESTAMPTZ,
    update_time                 TIMESTAMPTZ,
    custom_fields               JSONB,
    _source_run_id              TEXT,
    _loaded_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pd_organizations_pkey PRIMARY KEY (org_id, scope)
);
COMMENT ON TABLE core.pd_organizations IS 'Pipedrive organizations per account (GET /api/v2/organizations).';
COMMENT ON COLUMN core.pd_organizations.org_id IS 'Pipedrive organization id.';
COMMENT ON COLUMN core.pd_organizations.scope IS 'Pipedrive account: comercial or expansao.';
COMMENT ON COLUMN core.pd_organizations.owner_id IS 'Owner user; see core.pd_users.';
COMMENT ON COLUMN core.pd_organizations.address IS 'Full address: address.value (v2); the v1 address string as fallback.';
COMMENT ON COLUMN core.pd_organizations.address_locality IS 'address.locality (v2); v1 address_locality as fallback.';
COMMENT ON COLUMN core.pd_organizations.address_country IS 'address.country (v2); v1 address_country as fallback.';
COMMENT ON COLUMN core.pd_organizations.address_postal_code IS 'address.postal_code (v2); v1 address_postal_code as fallback.';
COMMENT ON COLUMN core.pd_organizations.active_flag IS 'NOT is_deleted (v2); v1 active_flag as fallback.';
COMMENT ON COLUMN core.pd_organizations.people_count IS 'Only filled when extracted with include_fields.';
COMMENT ON COLUMN core.pd_organizations.custom_fields IS 'Custom fields keyed by their readable names (from organizationFields); NULL when none.';
COMMENT ON COLUMN core.pd_organizations._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.pd_organizations._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.pd_organizations._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.pd_persons (
    person_id                   BIGINT NOT NULL,
    scope                       TEXT NOT NULL,
    name                        TEXT,
    first_name                  TEXT,
    last_name                   TEXT,
    org_id                      BIGINT,
    owner_id                    BIGINT,
    primary_email               TEXT,
    emails                      JSONB,
    primary_phone               TEXT,
    phones                      JSONB,
    visible_to                  INTEGER,
    active_flag                 BOOLEAN,
    open_deals_count            INTEGER,
    related_open_deals_count    INTEGER,
    closed_deals_count          INTEGER,
    related_closed_deals_count  INTEGER,
    won_deals_count             INTEGER,
    related_won_deals_count     INTEGER,
    lost_deals_count            INTEGER,
    related_lost_deals_count    INTEGER,
    add_time                    TIMESTAMPTZ,
    update_time                 TIMESTAMPTZ,
    custom_fields               JSONB,
    _source_run_id              TEXT,
    _loaded_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pd_persons_pkey PRIMARY KEY (person_id, scope)
);
CREATE INDEX IF NOT EXISTS idx_pd_persons_org ON core.pd_persons (org_id, scope);
CREATE INDEX IF NOT EXISTS idx_pd_persons_email ON core.pd_persons (primary_email);
COMMENT ON TABLE core.pd_persons IS 'Pipedrive persons (contacts/leads) per account (GET /api/v2/persons).';
COMMENT ON COLUMN core.pd_persons.person_id IS 'Pipedrive person id.';
COMMENT ON COLUMN core.pd_persons.scope IS 'Pipedrive account: comercial or expansao.';
COMMENT ON COLUMN core.pd_persons.org_id IS 'Organization; see core.pd_organizations.';
COMMENT ON COLUMN core.pd_persons.owner_id IS 'Owner user; see core.pd_users.';
COMMENT ON COLUMN core.pd_persons.primary_email IS 'Value of the first e-mail flagged primary, else of the first e-mail (v2 emails; v1 email as fallback).';
COMMENT ON COLUMN core.pd_persons.emails IS 'All e-mails as sent: [{value, primary, label}].';
COMMENT ON COLUMN core.pd_persons.primary_phone IS 'Value of the first phone flagged primary, else of the first phone (v2 phones; v1 phone as fallback).';
COMMENT ON COLUMN core.pd_persons.phones IS 'All phones as sent: [{value, primary, label}].';
COMMENT ON COLUMN core.pd_persons.visible_to IS 'Visibility level (1 owner, 3 company, ...).';
COMMENT ON COLUMN core.pd_persons.active_flag IS 'NOT is_deleted (v2); v1 active_flag as fallback.';
COMMENT ON COLUMN core.pd_persons.open_deals_count IS 'Counts are only filled when extracted with include_fields.';
COMMENT ON COLUMN core.pd_persons.custom_fields IS 'Custom fields keyed by their readable names (from personFields); NULL when none.';
COMMENT ON COLUMN core.pd_persons._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.pd_persons._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.pd_persons._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.pd_deals (
    deal_id                     BIGINT NOT NULL,
    scope                       TEXT NOT NULL,
    title                       TEXT,
    value                       NUMERIC(15,2),
    currency                    TEXT,
    status                      TEXT,
    person_id                   BIGINT,
    org_id                      BIGINT,
    user_id                     BIGINT,
    pipeline_id                 BIGINT,
    stage_id                    BIGINT,
    expected_close_date         DATE,
    probability                 INTEGER,
    won_time                    TIMESTAMPTZ,
    lost_time                   TIMESTAMPTZ,
    close_time                  TIMESTAMPTZ,
    add_time                    TIMESTAMPTZ,
    update_time                 TIMESTAMPTZ,
    stage_change_time           TIMESTAMPTZ,
    lost_reason                 TEXT,
    visible_to                  INTEGER,
    activities_count            INTEGER,
    done_activities_count       INTEGER,
    undone_activities_count     INTEGER,
    files_count                 INTEGER,
    notes_count                 INTEGER,
    followers_count             INTEGER,
    email_messages_count        INTEGER,
    products_count              INTEGER,
    next_activity_date          DATE,
    last_activity_date          DATE,
    origin                      TEXT,
    channel                     INTEGER,
    custom_fields               JSONB,
    _source_run_id              TEXT,
    _loaded_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pd_deals_pkey PRIMARY KEY (deal_id, scope)
);
CREATE INDEX IF NOT EXISTS idx_pd_deals_status ON core.pd_deals (status, scope);
CREATE INDEX IF NOT EXISTS idx_pd_deals_pipeline ON core.pd_deals (pipeline_id, stage_id, scope);
CREATE INDEX IF NOT EXISTS idx_pd_deals_person ON core.pd_deals (person_id, scope);
CREATE INDEX IF NOT EXISTS idx_pd_deals_org ON core.pd_deals (org_id, scope);
CREATE INDEX IF NOT EXISTS idx_pd_deals_user ON core.pd_deals (user_id, scope);
CREATE INDEX IF NOT EXISTS idx_pd_deals_add_time ON core.pd_deals (add_time);
COMMENT ON TABLE core.pd_deals IS 'Pipedrive deals per account (GET /api/v2/deals): the CRM sales opportunities.';
COMMENT ON COLUMN core.pd_deals.deal_id IS 'Pipedrive deal id.';
COMMENT ON COLUMN core.pd_deals.scope IS 'Pipedrive account: comercial or expansao.';
COMMENT ON COLUMN core.pd_deals.value IS 'Deal value in currency.';
COMMENT ON COLUMN core.pd_deals.currency IS 'ISO currency code.';
COMMENT ON COLUMN core.pd_deals.status IS 'open, won or lost.';
COMMENT ON COLUMN core.pd_deals.person_id IS 'Contact person; see core.pd_persons.';
COMMENT ON COLUMN core.pd_deals.org_id IS 'Organization; see core.pd_organizations.';
COMMENT ON COLUMN core.pd_deals.user_id IS 'Owner (seller): owner_id (v2); v1 user_id as fallback. See core.pd_users.';
COMMENT ON COLUMN core.pd_deals.pipeline_id IS 'See core.pd_pipelines.';
COMMENT ON COLUMN core.pd_deals.stage_id IS 'See core.pd_stages.';
COMMENT ON COLUMN core.pd_deals.probability IS 'Deal win probability, percent.';
COMMENT ON COLUMN core.pd_deals.stage_change_time IS 'Last stage change.';
COMMENT ON COLUMN core.pd_deals.visible_to IS 'Visibility level.';
COMMENT ON COLUMN core.pd_deals.activities_count IS 'Counts are only filled when extracted with include_fields.';
COMMENT ON COLUMN core.pd_deals.next_activity_date IS 'v1 only (removed in API v2).';
COMMENT ON COLUMN core.pd_deals.last_activity_date IS 'v1 only (removed in API v2).';
COMMENT ON COLUMN core.pd_deals.origin IS 'How the deal was created (e.g. ManuallyCreated, WebForms, API).';
COMMENT ON COLUMN core.pd_deals.channel IS 'Marketing channel id.';
COMMENT ON COLUMN core.pd_deals.custom_fields IS 'Custom fields keyed by their readable names (from dealFields); NULL when none.';
COMMENT ON COLUMN core.pd_deals._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.pd_deals._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.pd_deals._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.pd_activities (
    activity_id                 BIGINT NOT NULL,
    scope                       TEXT NOT NULL,
    type                        TEXT,
    subject                     TEXT,
    note                        TEXT,
    done                        BOOLEAN,
    busy_flag                   BOOLEAN,
    user_id                     BIGINT,
    deal_id                     BIGINT,
    person_id                   BIGINT,
    org_id                      BIGINT,
    lead_id                     TEXT,
    project_id                  BIGINT,
    due_date                    DATE,
    due_time                    TEXT,
    duration                    TEXT,
    add_time                    TIMESTAMPTZ,
    marked_as_done_time         TIMESTAMPTZ,
    update_time                 TIMESTAMPTZ,
    location                    TEXT,
    location_formatted_address  TEXT,
    participants                JSONB,
    attendees                   JSONB,
    conference_meeting_client   TEXT,
    conference_meeting_url      TEXT,
    conference_meeting_id       TEXT,
    public_description          TEXT,
    active_flag                 BOOLEAN,
    _source_run_id              TEXT,
    _loaded_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pd_activities_pkey PRIMARY KEY (activity_id, scope)
);
CREATE INDEX IF NOT EXISTS idx_pd_activities_deal ON core.pd_activities (deal_id, scope);
CREATE INDEX IF NOT EXISTS idx_pd_activities_person ON core.pd_activities (person_id, scope);
CREATE INDEX IF NOT EXISTS idx_pd_activities_user ON core.pd_activities (user_id, scope);
CREATE INDEX IF NOT EXISTS idx_pd_activities_due ON core.pd_activities (due_date);
COMMENT ON TABLE core.pd_activities IS 'Pipedrive activities per account (GET /api/v2/activities): calls, meetings, tasks.';
COMMENT ON COLUMN core.pd_activities.activity_id IS 'Pipedrive activity id.';
COMMENT ON COLUMN core.pd_activities.scope IS 'Pipedrive account: comercial or expansao.';
COMMENT ON COLUMN core.pd_activities.type IS 'Activity type key (call, meeting, task, ...).';
COMMENT ON COLUMN core.pd_activities.note IS 'Note (HTML).';
COMMENT ON COLUMN core.pd_activities.busy_flag IS 'busy (v2); v1 busy_flag as fallback.';
COMMENT ON COLUMN core.pd_activities.user_id IS 'Owner: owner_id (v2); v1 user_id as fallback. See core.pd_users.';
COMMENT ON COLUMN core.pd_activities.deal_id IS 'See core.pd_deals.';
COMMENT ON COLUMN core.pd_activities.person_id IS 'See core.pd_persons.';
COMMENT ON COLUMN core.pd_activities.org_id IS 'See core.pd_organizations.';
COMMENT ON COLUMN core.pd_activities.lead_id IS 'Lead UUID.';
COMMENT ON COLUMN core.pd_activities.due_time IS 'HH:MM as sent.';
COMMENT ON COLUMN core.pd_activities.duration IS 'HH:MM as sent.';
COMMENT ON COLUMN core.pd_activities.location IS 'location.value (v2 object); the v1 string as fallback.';
COMMENT ON COLUMN core.pd_activities.location_formatted_address IS 'location.formatted_address (v2); v1 location_formatted_address as fallback.';
COMMENT ON COLUMN core.pd_activities.participants IS 'Participants as sent: [{person_id, primary}].';
COMMENT ON COLUMN core.pd_activities.attendees IS 'Attendees as sent (include_fields only).';
COMMENT ON COLUMN core.pd_activities.active_flag IS 'NOT is_deleted (v2); v1 active_flag as fallback.';
COMMENT ON COLUMN core.pd_activities._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.pd_activities._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.pd_activities._updated_at IS 'When the row was last written.';


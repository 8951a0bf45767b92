-- core Zendesk tables: the 04_core_tables.sql layout the reference's normalizer wrote (data
-- contract 4.5-4.12), names, keys and indexes unchanged. Fixes: TEXT instead of VARCHAR(n)
-- (bug 44), solved_at (plus due_at and satisfaction) on zd_tickets so resolution metrics work
-- (bugs 6, 38), tags and custom-field values taken from the latest ticket version only and
-- replaced per ticket so removed tags/cleared values disappear (bugs 36, 37).

CREATE TABLE IF NOT EXISTS core.zd_organizations (
    organization_id        BIGINT NOT NULL,
    name                   TEXT,
    domain_names           JSONB,
    group_id               BIGINT,
    shared_tickets         BOOLEAN,
    shared_comments        BOOLEAN,
    external_id            TEXT,
    tags                   JSONB,
    organization_fields    JSONB,
    created_at             TIMESTAMPTZ,
    updated_at             TIMESTAMPTZ,
    _source_run_id         TEXT,
    _loaded_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT zd_organizations_pkey PRIMARY KEY (organization_id)
);
COMMENT ON TABLE core.zd_organizations IS 'Zendesk organizations (customers'' companies/units).';
COMMENT ON COLUMN core.zd_organizations.organization_id IS 'Zendesk organization id.';
COMMENT ON COLUMN core.zd_organizations.domain_names IS 'Array of e-mail domains.';
COMMENT ON COLUMN core.zd_organizations.group_id IS 'Default group; see core.zd_groups.';
COMMENT ON COLUMN core.zd_organizations.tags IS 'Array of tags.';
COMMENT ON COLUMN core.zd_organizations.organization_fields IS 'Custom organization fields (object).';
COMMENT ON COLUMN core.zd_organizations._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.zd_organizations._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.zd_organizations._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.zd_users (
    user_id                BIGINT NOT NULL,
    name                   TEXT,
    email                  TEXT,
    phone                  TEXT,
    role                   TEXT,
    organization_id        BIGINT,
    time_zone              TEXT,
    locale                 TEXT,
    active                 BOOLEAN,
    verified               BOOLEAN,
    suspended              BOOLEAN,
    tags                   JSONB,
    user_fields            JSONB,
    external_id            TEXT,
    alias                  TEXT,
    notes                  TEXT,
    details                TEXT,
    default_group_id       BIGINT,
    only_private_comments  BOOLEAN,
    restricted_agent       BOOLEAN,
    shared                 BOOLEAN,
    shared_agent           BOOLEAN,
    signature              TEXT,
    ticket_restriction     TEXT,
    created_at             TIMESTAMPTZ,
    updated_at             TIMESTAMPTZ,
    last_login_at          TIMESTAMPTZ,
    _source_run_id         TEXT,
    _loaded_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT zd_users_pkey PRIMARY KEY (user_id)
);
CREATE INDEX IF NOT EXISTS idx_zd_users_email ON core.zd_users (email);
CREATE INDEX IF NOT EXISTS idx_zd_users_org ON core.zd_users (organization_id);
COMMENT ON TABLE core.zd_users IS 'Zendesk users: end-users (requesters), agents and admins.';
COMMENT ON COLUMN core.zd_users.user_id IS 'Zendesk user id.';
COMMENT ON COLUMN core.zd_users.role IS 'end-user, agent or admin.';
COMMENT ON COLUMN core.zd_users.organization_id IS 'See core.zd_organizations.';
COMMENT ON COLUMN core.zd_users.tags IS 'Array of tags.';
COMMENT ON COLUMN core.zd_users.user_fields IS 'Custom user fields (object).';
COMMENT ON COLUMN core.zd_users.default_group_id IS 'Agents: default group; see core.zd_groups.';
COMMENT ON COLUMN core.zd_users.ticket_restriction IS 'Which tickets the user can see (e.g. requested, organization).';
COMMENT ON COLUMN core.zd_users._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.zd_users._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.zd_users._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.zd_groups (
    group_id               BIGINT NOT NULL,
    name                   TEXT,
    description            TEXT,
    is_public              BOOLEAN,
    deleted                BOOLEAN,
    created_at             TIMESTAMPTZ,
    updated_at             TIMESTAMPTZ,
    _source_run_id         TEXT,
    _loaded_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT zd_groups_pkey PRIMARY KEY (group_id)
);
COMMENT ON TABLE core.zd_groups IS 'Zendesk agent groups.';
COMMENT ON COLUMN core.zd_groups.group_id IS 'Zendesk group id.';
COMMENT ON COLUMN core.zd_groups._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.zd_groups._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.zd_groups._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.zd_ticket_fields (
    field_id               BIGINT NOT NULL,
    type                   TEXT,
    title                  TEXT,
    description            TEXT,
    position               INTEGER,
    active                 BOOLEAN,
    required               BOOLEAN,
    collapsed_for_agents   BOOLEAN,
    regexp_for_validation  TEXT,
    title_in_portal        TEXT,
    visible_in_portal      BOOLEAN,
    editable_in_portal     BOOLEAN,
    required_in_portal     BOOLEAN,
    custom_field_options   JSONB,
    system_field_options   JSONB,
    created_at             TIMESTAMPTZ,
    updated_at             TIMESTAMPTZ,
    _source_run_id         TEXT,
    _loaded_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT zd_ticket_fields_pkey PRIMARY KEY (field_id)
);
COMMENT ON TABLE core.zd_ticket_fields IS 'Zendesk ticket field definitions (system and custom); names the field_id of core.zd_ticket_custom_fields.';
COMMENT ON COLUMN core.zd_ticket_fields.field_id IS 'Zendesk ticket field id.';
COMMENT ON COLUMN core.zd_ticket_fields.type IS 'Field type (text, tagger, checkbox, ...).';
COMMENT ON COLUMN core.zd_ticket_fields.custom_field_options IS 'Options of drop-down fields: [{id, name, value}].';
COMMENT ON COLUMN core.zd_ticket_fields.system_field_options IS 'Options of system fields.';
COMMENT ON COLUMN core.zd_ticket_fields._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.zd_ticket_fields._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.zd_ticket_fields._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.zd_ticket_forms (
    form_id                BIGINT NOT NULL,
    name                   TEXT,
    display_name           TEXT,
    position               INTEGER,
    active                 BOOLEAN,
    default_form           BOOLEAN,
    end_user_visible       BOOLEAN,
    in_all_brands          BOOLEAN,
    restricted_brand_ids   JSONB,
    ticket_field_ids       JSONB,
    created_at             TIMESTAMPTZ,
    updated_at             TIMESTAMPTZ,
    _source_run_id         TEXT,
    _loaded_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT zd_ticket_forms_pkey PRIMARY KEY (form_id)
);
COMMENT ON TABLE core.zd_ticket_forms IS 'Zendesk ticket forms.';
COMMENT ON COLUMN core.zd_ticket_forms.form_id IS 'Zendesk ticket form id.';
COMMENT ON COLUMN core.zd_ticket_forms.default_form IS 'The account''s default form (API default).';
COMMENT ON COLUMN core.zd_ticket_forms.restricted_brand_ids IS 'Array of brand ids.';
COMMENT ON COLUMN core.zd_ticket_forms.ticket_field_ids IS 'Array of the form''s ticket field ids.';
COMMENT ON COLUMN core.zd_ticket_forms._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.zd_ticket_forms._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.zd_ticket_forms._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.zd_tickets (
    ticket_id              BIGINT NOT NULL,
    subject                TEXT,
    description            TEXT,
    status                 TEXT,
    priority               TEXT,
    type                   TEXT,
    requester_id           BIGINT,
    submitter_id           BIGINT,
    assignee_id            BIGINT,
    organization_id        BIGINT,
    group_id               BIGINT,
    brand_id               BIGINT,
    ticket_form_id         BIGINT,
    external_id            TEXT,
    via_channel            TEXT,
    via_source             JSONB,
    is_public              BOOLEAN,
    has_incidents          BOOLEAN,
    allow_channelback      BOOLEAN,
    allow_attachments      BOOLEAN,
    tags                   JSONB,
    custom_fields          JSONB,
    created_at             TIMESTAMPTZ,
    updated_at             TIMESTAMPTZ,
    solved_at              TIMESTAMPTZ,
    due_at                 TIMESTAMPTZ,
    satisfaction_rating    JSONB,
    satisfaction_score     TEXT,
    _source_run_id         TEXT,
    _loaded_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT zd_tickets_pkey PRIMARY KEY (ticket_id)
);
CREATE INDEX IF NOT EXISTS idx_zd_tickets_status ON core.zd_tickets (status);
CREATE INDEX IF NOT EXISTS idx_zd_tickets_requester ON core.zd_tickets (requester_id);
CREATE INDEX IF NOT EXISTS idx_zd_tickets_assignee ON core.zd_tickets (assignee_id);
CREATE INDEX IF NOT EXISTS idx_zd_tickets_org ON core.zd_tickets (organization_id);
CREATE INDEX IF NOT EXISTS idx_zd_tickets_created ON core.zd_tickets (created_at);
CREATE INDEX IF NOT EXISTS idx_zd_tickets_solved ON core.zd_tickets (solved_at);
COMMENT ON TABLE core.zd_tickets IS 'Zendesk support tickets, latest version of each (deleted tickets are excluded at the source).';
COMMENT ON COLUMN core.zd_tickets.ticket_id IS 'Zendesk ticket id.';
COMMENT ON COLUMN core.zd_tickets.description IS 'First comment.';
COMMENT ON COLUMN core.zd_tickets.status IS 'new, open, pending, hold, solved or closed.';
COMMENT ON COLUMN core.zd_tickets.priority IS 'low, normal, high or urgent.';
COMMENT ON COLUMN core.zd_tickets.type IS 'question, incident, problem or task.';
COMMENT ON COLUMN core.zd_tickets.requester_id IS 'See core.zd_users.';
COMMENT ON COLUMN core.zd_tickets.submitter_id IS 'See core.zd_users.';
COMMENT ON COLUMN core.zd_tickets.assignee_id IS 'Agent; see core.zd_users.';
COMMENT ON COLUMN core.zd_tickets.organization_id IS 'See core.zd_organizations.';
COMMENT ON COLUMN core.zd_tickets.group_id IS 'See core.zd_groups.';
COMMENT ON COLUMN core.zd_tickets.ticket_form_id IS 'See core.zd_ticket_forms.';
COMMENT ON COLUMN core.zd_tickets.via_channel IS 'via.channel: web, email, api, ... (NULL when via is not an object).';
COMMENT ON COLUMN core.zd_tickets.via_source IS 'via.source: {from, to, rel}.';
COMMENT ON COLUMN core.zd_tickets.tags IS 'Array of tags (also exploded in core.zd_ticket_tags).';
COMMENT ON COLUMN core.zd_tickets.custom_fields IS 'Array of {id, value} (also exploded in core.zd_ticket_custom_fields).';
COMMENT ON COLUMN core.zd_tickets.solved_at IS 'When the ticket was solved: metric_set.solved_at when side-loaded, else the earliest updated_at of the current solved/closed streak seen in bronze; NULL while unsolved.';
COMMENT ON COLUMN core.zd_tickets.due_at IS 'Due date of task tickets.';
COMMENT ON COLUMN core.zd_tickets.satisfaction_rating IS 'Satisfaction rating object as sent.';
COMMENT ON COLUMN core.zd_tickets.satisfaction_score IS 'satisfaction_rating.score (unoffered, offered, good, bad).';
COMMENT ON COLUMN core.zd_tickets._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.zd_tickets._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.zd_tickets._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.zd_ticket_tags (
    ticket_id      BIGINT NOT NULL,
    tag            TEXT   NOT NULL,
    _source_run_id TEXT,
    _loaded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT zd_ticket_tags_pkey PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX IF NOT EXISTS idx_zd_ticket_tags_tag ON core.zd_ticket_tags (tag);
COMMENT ON TABLE core.zd_ticket_tags IS 'One row per tag of each ticket''s latest version (exploded from tickets.tags[]); a ticket''s rows are replaced when the ticket changes.';
COMMENT ON COLUMN core.zd_ticket_tags.ticket_id IS 'See core.zd_tickets.';
COMMENT ON COLUMN core.zd_ticket_tags.tag IS 'The tag text.';
COMMENT ON COLUMN core.zd_ticket_tags._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the ticket version.';

CREATE TABLE IF NOT EXISTS core.zd_ticket_custom_fields (
    ticket_id      BIGINT NOT NULL,
    field_id       BIGINT NOT NULL,
    value          TEXT,
    value_json     JSONB,
    _source_run_id TEXT,
    _loaded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT zd_ticket_custom_fields_pkey PRIMARY KEY (ticket_id, field_id)
);
CREATE INDEX IF NOT EXISTS idx_zd_tcf_field ON core.zd_ticket_custom_fields (field_id);
COMMENT ON TABLE core.zd_ticket_custom_fields IS 'Non-empty custom field values of each ticket''s latest version (exploded from tickets.custom_fields[]); a ticket''s rows are replaced when the ticket changes, so cleared values disappear.';
COMMENT ON COLUMN core.zd_ticket_custom_fields.ticket_id IS 'See core.zd_tickets.';
COMMENT ON COLUMN core.zd_ticket_custom_fields.field_id IS 'See core.zd_ticket_fields.';
COMMENT ON COLUMN core.zd_ticket_custom_fields.value IS 'Value as text: strings unquoted, false/0 kept as ''false''/''0'', arrays (multi-select) as JSON text.';
COMMENT ON COLUMN core.zd_ticket_custom_fields.value_json IS 'Value as JSON, keeping its type.';
COMMENT ON COLUMN core.zd_ticket_custom_fields._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the ticket version.';

CREATE TABLE IF NOT EXISTS core.zd_ticket_collaborators (
    ticket_id      BIGINT NOT NULL,
    user_id        BIGINT NOT NULL,
    _source_run_id TEXT,
    _loaded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT zd_ticket_collaborators_pkey PRIMARY KEY (ticket_id, user_id)
);
COMMENT ON TABLE core.zd_ticket_collaborators IS 'CC''d users of each ticket''s latest version (tickets.collaborator_ids[]); defined but never filled by the reference.';
COMMENT ON COLUMN core.zd_ticket_collaborators.user_id IS 'See core.zd_users.';

CREATE TABLE IF NOT EXISTS core.zd_ticket_followers (
    ticket_id      BIGINT NOT NULL,
    user_id        BIGINT NOT NULL,
    _source_run_id TEXT,
    _loaded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT zd_ticket_followers_pkey PRIMARY KEY (ticket_id, user_id)
);
COMMENT ON TABLE core.zd_ticket_followers IS 'Agents following each ticket''s latest version (tickets.follower_ids[]); defined but never filled by the reference.';
COMMENT ON COLUMN core.zd_ticket_followers.user_id IS 'See core.zd_users.';

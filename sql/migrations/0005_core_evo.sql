-- core EVO star schema: names, types and keys of the reference's evo_schemas.sql v5 (data
-- contract 2.5) so existing reports keep working, with its bugs fixed: BIGINT identity surrogate
-- ids on the child tables (bug 43), a 2027 partition and a DEFAULT partition for entries
-- (bug 33), no NOT NULL that can refuse an API record (prospects.register_date), and the two
-- tables the reference only drew (evo_employees, evo_branches).
-- Timestamps: EVO sends naive local times; they are stored as read in the source time zone
-- (default UTC, the reference's session time zone).

-------------------------------------------------------------------------------------------------
-- Members
-------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS core.evo_members (
    member_id                           BIGINT PRIMARY KEY,
    branch_id                           BIGINT,
    branch_name                         TEXT,
    first_name                          TEXT,
    last_name                           TEXT,
    full_name                           TEXT GENERATED ALWAYS AS
                                            (trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) STORED,
    register_name                       TEXT,
    register_last_name                  TEXT,
    use_preferred_name                  BOOLEAN DEFAULT FALSE,
    document                            TEXT,
    document_id                         TEXT,
    email                               TEXT,
    cellphone                           TEXT,
    gender                              TEXT,
    birth_date                          DATE,
    marital_status                      TEXT,
    address                             TEXT,
    address_number                      TEXT,
    complement                          TEXT,
    neighborhood                        TEXT,
    city                                TEXT,
    state                               TEXT,
    country                             TEXT,
    zip_code                            TEXT,
    access_card_number                  TEXT,
    access_blocked                      BOOLEAN DEFAULT FALSE,
    blocked_reason                      TEXT,
    status                              TEXT,
    membership_status                   TEXT,
    penalized                           BOOLEAN DEFAULT FALSE,
    total_fit_coins                     DECIMAL(15,2),
    register_date                       TIMESTAMPTZ,
    conversion_date                     TIMESTAMPTZ,
    last_access_date                    TIMESTAMPTZ,
    update_date                         TIMESTAMPTZ,
    photo_url                           TEXT,
    gympass_id                          TEXT,
    code_totalpass                      TEXT,
    user_id_gurupass                    TEXT,
    client_with_promotional_restriction BOOLEAN DEFAULT FALSE,
    personal_trainer                    BOOLEAN DEFAULT FALSE,
    personal_type                       TEXT,
    cref                                TEXT,
    cref_expiration_date                DATE,
    employee_consultant_id              BIGINT,
    employee_consultant_name            TEXT,
    employee_instructor_id              BIGINT,
    employee_instructor_name            TEXT,
    employee_personal_id                BIGINT,
    employee_personal_name              TEXT,
    member_migration_id                 TEXT,
    _source_run_id                      TEXT,
    _loaded_at                          TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at                         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_core_members_branch ON core.evo_members (branch_id);
CREATE INDEX IF NOT EXISTS idx_core_members_status ON core.evo_members (status);

COMMENT ON TABLE core.evo_members IS 'EVO members (clients of the gyms), one row per member: profile, address, access status and assigned employees.';
COMMENT ON COLUMN core.evo_members.member_id IS 'EVO idMember.';
COMMENT ON COLUMN core.evo_members.branch_id IS 'Home branch (idBranch); see core.evo_branches.';
COMMENT ON COLUMN core.evo_members.full_name IS 'Generated: first_name and last_name joined by a space, trimmed.';
COMMENT ON COLUMN core.evo_members.register_name IS 'Preferred (social) first name, when the member registered one.';
COMMENT ON COLUMN core.evo_members.use_preferred_name IS 'Whether the preferred name is used instead of the legal name (NULL read as false).';
COMMENT ON COLUMN core.evo_members.document IS 'CPF (Brazilian taxpayer id).';
COMMENT ON COLUMN core.evo_members.document_id IS 'RG (identity card number).';
COMMENT ON COLUMN core.evo_members.email IS 'First contact (array order) whose idContactType is 3 or 4 (e-mail types).';
COMMENT ON COLUMN core.evo_members.cellphone IS 'First contact (array order) whose idContactType is 1 or 2 (phone types).';
COMMENT ON COLUMN core.evo_members.address_number IS 'Street number (API number; addressNumber as fallback).';
COMMENT ON COLUMN core.evo_members.access_blocked IS 'Turnstile access blocked (NULL read as false).';
COMMENT ON COLUMN core.evo_members.status IS 'Member status as sent by EVO (e.g. Active/Inactive).';
COMMENT ON COLUMN core.evo_members.membership_status IS 'Status of the member''s current contract as sent by EVO.';
COMMENT ON COLUMN core.evo_members.total_fit_coins IS 'Loyalty coin balance, 2 decimals.';
COMMENT ON COLUMN core.evo_members.register_date IS 'When the member was registered in EVO.';
COMMENT ON COLUMN core.evo_members.conversion_date IS 'When the prospect became a member.';
COMMENT ON COLUMN core.evo_members.last_access_date IS 'Last turnstile/app access.';
COMMENT ON COLUMN core.evo_members.update_date IS 'Last change of the record in EVO.';
COMMENT ON COLUMN core.evo_members.photo_url IS 'Photo URL (API photoUrl; photo as fallback).';
COMMENT ON COLUMN core.evo_members.employee_consultant_id IS 'Sales consultant (idEmployeeConsultant, or employeeConsultant.idEmployee).';
COMMENT ON COLUMN core.evo_members.employee_instructor_id IS 'Instructor (idEmployeeInstructor, or employeeInstructor.idEmployee).';
COMMENT ON COLUMN core.evo_members.employee_personal_id IS 'Personal trainer (idEmployeePersonalTrainer, or employeePersonal.idEmployee).';
COMMENT ON COLUMN core.evo_members.member_migration_id IS 'Id in the system the member was migrated from (idMemberMigration; memberMigrationId as fallback).';
COMMENT ON COLUMN core.evo_members._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON COLUMN core.evo_members._loaded_at IS 'When the row was first loaded.';
COMMENT ON COLUMN core.evo_members._updated_at IS 'When the row was last written.';

CREATE TABLE IF NOT EXISTS core.evo_member_memberships (
    id                          BIGSERIAL PRIMARY KEY,
    member_membership_id        BIGINT NOT NULL,
    member_id                   BIGINT NOT NULL,
    membership_id               BIGINT,
    membership_name             TEXT,
    membership_renewed_id       BIGINT,
    sale_id                     BIGINT,
    sale_date                   TIMESTAMPTZ,
    start_date                  TIMESTAMPTZ,
    end_date                    TIMESTAMPTZ,
    cancel_date                 TIMESTAMPTZ,
    cancel_date_on              TIMESTAMPTZ,
    cancel_creation_date        TIMESTAMPTZ,
    membership_status           TEXT,
    value_next_month            DECIMAL(15,2),
    original_value              DECIMAL(15,2),
    next_charge                 TIMESTAMPTZ,
    next_date_suspension        TIMESTAMPTZ,
    category_membership_id      BIGINT,
    loyalty_end_date            TIMESTAMPTZ,
    assessment_end_date         TIMESTAMPTZ,
    acceptance_date             TIMESTAMPTZ,
    num_members                 INT,
    fl_allow_locker             BOOLEAN,
    fl_additional_membership    BOOLEAN,
    allow_les_mills             BOOLEAN,
    allows_cancellation_by_app  BOOLEAN,
    signed_terms                BOOLEAN,
    limitless                   BOOLEAN,
    weekly_limit                INT,
    bioimpedance_amount         INT,
    concluded_sessions          INT,
    pending_sessions            INT,
    scheduled_sessions          INT,
    pending_repositions         INT,
    repositions_total           INT,
    bonus_sessions              INT,
    number_suspension_times     INT,
    max_suspension_days         INT,
    minimum_suspension_days     INT,
    disponible_suspension_days  INT,
    disponible_suspension_times INT,
    days_left_to_freeze         INT,
    contract_printing           TEXT,
    freezes                     JSONB,
    sessions                    JSONB,
    _loaded_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT evo_member_memberships_member_id_member_membership_id_key UNIQUE (member_id, member_membership_id)
);

COMMENT ON TABLE core.evo_member_memberships IS 'Contracts (plans) of each member, exploded from members.memberships[]; rows of a member are replaced whenever the member changes.';
COMMENT ON COLUMN core.evo_member_memberships.id IS 'Surrogate id (BIGSERIAL; the reference''s INT SERIAL could overflow).';
COMMENT ON COLUMN core.evo_member_memberships.member_membership_id IS 'EVO idMemberMembership: the contract.';
COMMENT ON COLUMN core.evo_member_memberships.member_id IS 'Member holding the contract; see core.evo_members.';
COMMENT ON COLUMN core.evo_member_memberships.membership_id IS 'Plan (idMembership).';
COMMENT ON COLUMN core.evo_member_memberships.membership_name IS 'Plan name (API name; membershipName as fallback).';
COMMENT ON COLUMN core.evo_member_memberships.membership_renewed_id IS 'Contract this one renews (idMemberMembershipRenewed; idMembershipRenewed as fallback).';
COMMENT ON COLUMN core.evo_member_memberships.sale_id IS 'Sale that created the contract; see core.evo_sales.';
COMMENT ON COLUMN core.evo_member_memberships.value_next_month IS 'Amount of the next monthly charge.';
COMMENT ON COLUMN core.evo_member_memberships.next_charge IS 'Next charge date (sent as a date string, sometimes quoted differently; unparseable values are NULL).';
COMMENT ON COLUMN core.evo_member_memberships.freezes IS 'Contract freezes (suspensions) as sent: array of {idFreeze, startSuspend, endSuspend, reason, ...}.';
COMMENT ON COLUMN core.evo_member_memberships.sessions IS 'Session credits as sent: array of {idSession, expirationDate, flBonusSession}.';
COMMENT ON COLUMN core.evo_member_memberships.disponible_suspension_days IS 'Suspension days still available (EVO spelling "disponible").';

CREATE TABLE IF NOT EXISTS core.evo_member_contacts (
    id               BIGSERIAL PRIMARY KEY,
    phone_id         BIGINT,
    member_id        BIGINT NOT NULL,
    contact_position INT    NOT NULL,
    contact_type_id  INT,
    contact_type     TEXT,
    ddi              TEXT,
    description      TEXT,
    _loaded_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT evo_member_contacts_member_id_phone_id_key UNIQUE (member_id, phone_id),
    CONSTRAINT uq_evo_member_contacts_position UNIQUE (member_id, contact_position)
);

COMMENT ON TABLE core.evo_member_contacts IS 'Phones and e-mails of each member, exploded from members.contacts[]; rows of a member are replaced whenever the member changes.';
COMMENT ON COLUMN core.evo_member_contacts.id IS 'Surrogate id (BIGSERIAL).';
COMMENT ON COLUMN core.evo_member_contacts.phone_id IS 'EVO idPhone; may be NULL (several NULLs per member allowed).';
COMMENT ON COLUMN core.evo_member_contacts.contact_position IS '0-based position of the contact in the member''s contacts array: the row key when idPhone is missing.';
COMMENT ON COLUMN core.evo_member_contacts.contact_type_id IS 'idContactType: 1/2 phone types, 3/4 e-mail types.';
COMMENT ON COLUMN core.evo_member_contacts.contact_type IS 'Contact type label (API contactType; typeDescription as fallback).';
COMMENT ON COLUMN core.evo_member_contacts.ddi IS 'International dialling code of the phone.';
COMMENT ON COLUMN core.evo_member_contacts.description IS 'The phone number or e-mail address.';

-------------------------------------------------------------------------------------------------
-- Sales
-------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS core.evo_sales (
    sale_id                    BIGINT PRIMARY KEY,
    member_id                  BIGINT,
    prospect_id                BIGINT,
    employee_id                BIGINT,
    employee_sale_id           BIGINT,
    employee_sale_name         TEXT,
    personal_id                BIGINT,
    branch_id                  BIGINT,
    sale_date                  TIMESTAMPTZ,
    sale_date_server           TIMESTAMPTZ,
    update_date                TIMESTAMPTZ,
    sale_source                INT,
    observations               TEXT,
    corporate_partnership_id   BIGINT,
    corporate_partnership_name TEXT,
    sale_recurrency_id         BIGINT,
    removed                    BOOLEAN DEFAULT FALSE,
    removal_date               TIMESTAMPTZ,
    employee_removal_id        BIGINT,
    sale_migration_id          TEXT,
    cart_token                 TEXT,
    _source_run_id             TEXT,
    _loaded_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at                TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_core_sales_member ON core.evo_sales (member_id);
CREATE INDEX IF NOT EXISTS idx_core_sales_date ON core.evo_sales (sale_date);

COMMENT ON TABLE core.evo_sales IS 'EVO sales (contracts, products, services sold), one row per sale header; lines in core.evo_sale_items, instalments in core.evo_receivables.';
COMMENT ON COLUMN core.evo_sales.sale_id IS 'EVO idSale.';
COMMENT ON COLUMN core.evo_sales.member_id IS 'Buying member, if any; see core.evo_members.';
COMMENT ON COLUMN core.evo_sales.prospect_id IS 'Buying prospect, if the buyer was not yet a member.';
COMMENT ON COLUMN core.evo_sales.employee_sale_id IS 'Employee credited with the sale.';
COMMENT ON COLUMN core.evo_sales.sale_date IS 'Sale date/time (local time as sent).';
COMMENT ON COLUMN core.evo_sales.sale_date_server IS 'Server-side timestamp of the sale.';
COMMENT ON COLUMN core.evo_sales.sale_source IS 'EVO sale channel code (saleSource).';
COMMENT ON COLUMN core.evo_sales.corporate_partnership_id IS 'Corporate agreement (API coporatePartnershipId, sic; idCorporatePartnership as fallback).';
COMMENT ON COLUMN core.evo_sales.corporate_partnership_name IS 'Corporate agreement name (corporatePartnershipName; nameCorporatePartnership as fallback).';
COMMENT ON COLUMN core.evo_sales.sale_recurrency_id IS 'Recurring-billing id of the sale.';
COMMENT ON COLUMN core.evo_sales.removed IS 'Sale was removed (cancelled) in EVO (NULL read as false).';
COMMENT ON COLUMN core.evo_sales.sale_migration_id IS 'Id in the system the sale was migrated from (idSaleMigration; saleMigrationId as fallback).';
COMMENT ON COLUMN core.evo_sales.cart_token IS 'Online cart token (cartToken; idCartToken as fallback).';
COMMENT ON COLUMN core.evo_sales._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';

CREATE TABLE IF NOT EXISTS core.evo_sale_items (
    sale_item_id               BIGINT PRIMARY KEY,
    sale_id                    BIGINT NOT NULL,
    description                TEXT,
    item                       TEXT,
    item_value                 DECIMAL(15,2),
    sale_value                 DECIMAL(15,2),
    sale_value_without_credit  DECIMAL(15,2),
    quantity                   INT,
    discount                   DECIMAL(15,2),
    corporate_discount         DECIMAL(15,2),
    tax                        DECIMAL(15,2),
    value_next_month           DECIMAL(15,2),
    membership_id              BIGINT,
    membership_renewed_id      BIGINT,
    member_membership_id       BIGINT,
    product_id                 BIGINT,
    service_id                 BIGINT,
    corporate_partnership_id   BIGINT,
    corporate_partnership_name TEXT,
    membership_start_date      TIMESTAMPTZ,
    num_members                INT,
    voucher                    TEXT,
    accounting_code            TEXT,
    municipal_service_code     TEXT,
    fl_receipt_only            BOOLEAN,
    fl_swimming                BOOLEAN,
    fl_allow_locker            BOOLEAN,
    sale_item_migration_id     TEXT,
    _loaded_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at                TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_core_sale_items_sale ON core.evo_sale_items (sale_id);

COMMENT ON TABLE core.evo_sale_items IS 'Lines of each sale, exploded from sales.saleItens[] (API spelling); rows of a sale are replaced whenever the sale changes.';
COMMENT ON COLUMN core.evo_sale_items.sale_item_id IS 'EVO idSaleItem (global, not per sale).';
COMMENT ON COLUMN core.evo_sale_items.sale_id IS 'Parent sale; see core.evo_sales.';
COMMENT ON COLUMN core.evo_sale_items.item_value IS 'List price of the item.';
COMMENT ON COLUMN core.evo_sale_items.sale_value IS 'Value sold.';
COMMENT ON COLUMN core.evo_sale_items.sale_value_without_credit IS 'Value sold without credits used (API saleValueWithoutCreditValue; saleValueWithoutCredit as fallback).';
COMMENT ON COLUMN core.evo_sale_items.member_membership_id IS 'Contract created by the line; see core.evo_member_memberships.member_membership_id.';
COMMENT ON COLUMN core.evo_sale_items.corporate_partnership_id IS 'Corporate agreement (coporatePartnershipId, sic; idCorporatePartnership as fallback).';
COMMENT ON COLUMN core.evo_sale_items.sale_item_migration_id IS 'Id in the system the line was migrated from (idSaleItemMigration; saleItemMigrationId as fallback).';

CREATE TABLE IF NOT EXISTS core.evo_receivables (
    receivable_id       BIGINT PRIMARY KEY,
    sale_id             BIGINT NOT NULL,
    registration_date   TIMESTAMPTZ,
    due_date            TIMESTAMPTZ,
    receiving_date      TIMESTAMPTZ,
    cancellation_date   TIMESTAMPTZ,
    update_date         TIMESTAMPTZ,
    amount              DECIMAL(15,2),
    amount_paid         DECIMAL(15,2),
    status_id           INT,
    status_name         TEXT,
    current_installment INT,
    total_installments  INT,
    payment_type_id     INT,
    payment_type_name   TEXT,
    "authorization"     TEXT,
    tid                 TEXT,
    nsu                 TEXT,
    card_flag           TEXT,
    transaction_token   TEXT,
    _loaded_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_core_receivables_sale ON core.evo_receivables (sale_id);
CREATE INDEX IF NOT EXISTS idx_core_receivables_due ON core.evo_receivables (due_date);

COMMENT ON TABLE core.evo_receivables IS 'Instalments (accounts receivable) of each sale: sales.receivables[] merged with GET /api/v1/receivables, the latest version of each receivable winning.';
COMMENT ON COLUMN core.evo_receivables.receivable_id IS 'EVO idReceivable.';
COMMENT ON COLUMN core.evo_receivables.sale_id IS 'Parent sale; see core.evo_sales.';
COMMENT ON COLUMN core.evo_receivables.registration_date IS 'When the receivable was created.';
COMMENT ON COLUMN core.evo_receivables.due_date IS 'Due date.';
COMMENT ON COLUMN core.evo_receivables.receiving_date IS 'When it was paid (NULL while unpaid).';
COMMENT ON COLUMN core.evo_receivables.amount IS 'Amount due (API ammount, sic; amount as fallback).';
COMMENT ON COLUMN core.evo_receivables.amount_paid IS 'Amount paid (API ammountPaid, sic).';
COMMENT ON COLUMN core.evo_receivables.status_id IS 'status.id: 1 open, 2 received, 3 cancelled, 4 overdue.';
COMMENT ON COLUMN core.evo_receivables.status_name IS 'status.name as sent.';
COMMENT ON COLUMN core.evo_receivables.payment_type_id IS 'paymentType.id (paymentType.idPaymentType as fallback): 1 cash, 2 credit card, 3 debit card, 5 boleto, 18 Pix, ...';
COMMENT ON COLUMN core.evo_receivables."authorization" IS 'Card authorization code.';
COMMENT ON COLUMN core.evo_receivables.tid IS 'Card transaction id (TID).';
COMMENT ON COLUMN core.evo_receivables.nsu IS 'Card transaction sequence number (NSU).';

-------------------------------------------------------------------------------------------------
-- Entries (partitioned by year of entry_date, plus DEFAULT)
-------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS core.evo_entries (
    entry_id        BIGINT      NOT NULL,
    entry_date      TIMESTAMPTZ NOT NULL,
    entry_date_turn TIMESTAMPTZ,
    timezone        TEXT,
    member_id       BIGINT,
    member_name     TEXT,
    prospect_id     BIGINT,
    prospect_name   TEXT,
    employee_id     BIGINT,
    employee_name   TEXT,
    branch_id       BIGINT,
    entry_type      TEXT,
    entry_action    TEXT,
    device          TEXT,
    block_reason    TEXT,
    releases_by_id  BIGINT,
    migration_id    TEXT,
    _source_run_id  TEXT,
    _loaded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT evo_entries_pkey PRIMARY KEY (entry_id, entry_date)
) PARTITION BY RANGE (entry_date);
CREATE TABLE IF NOT EXISTS core.evo_entries_2020 PARTITION OF core.evo_entries FOR VALUES FROM ('2020-01-01 00:00:00+00') TO ('2021-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS core.evo_entries_2021 PARTITION OF core.evo_entries FOR VALUES FROM ('2021-01-01 00:00:00+00') TO ('2022-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS core.evo_entries_2022 PARTITION OF core.evo_entries FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2023-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS core.evo_entries_2023 PARTITION OF core.evo_entries FOR VALUES FROM ('2023-01-01 00:00:00+00') TO ('2024-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS core.evo_entries_2024 PARTITION OF core.evo_entries FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS core.evo_entries_2025 PARTITION OF core.evo_entries FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2026-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS core.evo_entries_2026 PARTITION OF core.evo_entries FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2027-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS core.evo_entries_2027 PARTITION OF core.evo_entries FOR VALUES FROM ('2027-01-01 00:00:00+00') TO ('2028-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS core.evo_entries_default PARTITION OF core.evo_entries DEFAULT;
CREATE INDEX IF NOT EXISTS idx_core_entries_date ON core.evo_entries (entry_date);
CREATE INDEX IF NOT EXISTS idx_core_entries_member ON core.evo_entries (member_id) WHERE member_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_core_entries_branch ON core.evo_entries (branch_id);

COMMENT ON TABLE core.evo_entries IS 'Turnstile and app entries (GET /api/v1/entries), one row per (entry_id, entry_date); partitioned by year of entry_date with a DEFAULT partition for dates outside the yearly partitions.';
COMMENT ON COLUMN core.evo_entries.entry_id IS 'Synthetic key, bit-for-bit the reference''s: MD5 of date|idMember|idProspect|idEmployee|idBranch|device|entryAction, first 15 hex digits mod 10^15 (data contract 2.4.6).';
COMMENT ON COLUMN core.evo_entries.entry_date IS 'When the entry happened (raw.date, read in the source time zone, default UTC); partition key.';
COMMENT ON COLUMN core.evo_entries.entry_date_turn IS 'Business day (turn) the entry counts for (raw.dateTurn).';
COMMENT ON COLUMN core.evo_entries.timezone IS 'Time zone label EVO sends with the entry (raw.timeZone); not applied to entry_date.';
COMMENT ON COLUMN core.evo_entries.member_id IS 'Member who entered, if any; see core.evo_members.';
COMMENT ON COLUMN core.evo_entries.prospect_id IS 'Prospect who entered (trial class), if any; see core.evo_prospects.';
COMMENT ON COLUMN core.evo_entries.employee_id IS 'Employee who entered, if any.';
COMMENT ON COLUMN core.evo_entries.branch_id IS 'Branch of the turnstile; see core.evo_branches.';
COMMENT ON COLUMN core.evo_entries.entry_type IS 'How the entry was made (e.g. Catraca, App).';
COMMENT ON COLUMN core.evo_entries.entry_action IS 'What happened (e.g. Entrada, Saída, Bloqueado).';
COMMENT ON COLUMN core.evo_entries.device IS 'Turnstile/device name.';
COMMENT ON COLUMN core.evo_entries.block_reason IS 'Why access was blocked, when it was.';
COMMENT ON COLUMN core.evo_entries.releases_by_id IS 'Employee who released a blocked access (raw.releasesByID).';
COMMENT ON COLUMN core.evo_entries.migration_id IS 'Id in the system the entry was migrated from (raw.idMigration).';
COMMENT ON COLUMN core.evo_entries._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';
COMMENT ON TABLE core.evo_entries_default IS 'Entries outside every yearly partition; the loader moves them into a new yearly partition.';

-------------------------------------------------------------------------------------------------
-- Prospects
-------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS core.evo_prospects (
    prospect_id              BIGINT PRIMARY KEY,
    branch_id                BIGINT,
    branch_name              TEXT,
    first_name               TEXT,
    last_name                TEXT,
    full_name                TEXT GENERATED ALWAYS AS
                                 (trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) STORED,
    document                 TEXT,
    email                    TEXT,
    cellphone                TEXT,
    gender                   TEXT,
    birth_date               DATE,
    address                  TEXT,
    address_number           TEXT,
    complement               TEXT,
    neighborhood             TEXT,
    city                     TEXT,
    state                    TEXT,
    country                  TEXT,
    zip_code                 TEXT,
    signup_type              TEXT,
    mkt_channel              TEXT,
    current_step             TEXT,
    gympass_id               TEXT,
    conversion_date          TIMESTAMPTZ,
    member_id                BIGINT,
    is_converted             BOOLEAN GENERATED ALWAYS AS (member_id IS NOT NULL) STORED,
    responsible_name         TEXT,
    responsible_document     TEXT,
    responsible_is_financial BOOLEAN,
    register_date            TIMESTAMPTZ,
    custom_fields            JSONB,
    _source_run_id           TEXT,
    _loaded_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);

COMMENT ON TABLE core.evo_prospects IS 'EVO prospects (leads registered at a branch), one row per prospect; converted prospects carry the member_id they became.';
COMMENT ON COLUMN core.evo_prospects.prospect_id IS 'EVO idProspect.';
COMMENT ON COLUMN core.evo_prospects.full_name IS 'Generated: first_name and last_name joined by a space, trimmed.';
COMMENT ON COLUMN core.evo_prospects.document IS 'CPF, when given.';
COMMENT ON COLUMN core.evo_prospects.address_number IS 'Street number (API number).';
COMMENT ON COLUMN core.evo_prospects.signup_type IS 'How the prospect signed up (e.g. Site, Balcão, App).';
COMMENT ON COLUMN core.evo_prospects.mkt_channel IS 'Marketing channel that brought the prospect.';
COMMENT ON COLUMN core.evo_prospects.current_step IS 'Step of the sales funnel the prospect is in.';
COMMENT ON COLUMN core.evo_prospects.member_id IS 'Member the prospect became, once converted; see core.evo_members.';
COMMENT ON COLUMN core.evo_prospects.is_converted IS 'Generated: member_id IS NOT NULL.';
COMMENT ON COLUMN core.evo_prospects.responsible_name IS 'Financially responsible person (API responsible.name; financiallyResponsibles[0].name as fallback).';
COMMENT ON COLUMN core.evo_prospects.responsible_document IS 'Responsible''s CPF (responsible.document; financiallyResponsibles[0].cpf as fallback).';
COMMENT ON COLUMN core.evo_prospects.responsible_is_financial IS 'Responsible pays (responsible.financialResponsible; financiallyResponsibles[0].financialResponsible as fallback).';
COMMENT ON COLUMN core.evo_prospects.register_date IS 'When the prospect was registered. Nullable here (NOT NULL in the reference aborted the whole load on one missing value).';
COMMENT ON COLUMN core.evo_prospects.custom_fields IS 'When the record has an interests key: {"interests", "notes", "temperature"} as sent; else NULL.';
COMMENT ON COLUMN core.evo_prospects._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';

-------------------------------------------------------------------------------------------------
-- Employees and branches (drawn but never built by the reference)
-------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS core.evo_employees (
    employee_id    BIGINT PRIMARY KEY,
    branch_id      BIGINT,
    branch_name    TEXT,
    name           TEXT,
    email          TEXT,
    telephone      TEXT,
    job_position   TEXT,
    status         TEXT,
    photo_url      TEXT,
    _source_run_id TEXT,
    _loaded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_core_employees_branch ON core.evo_employees (branch_id);

COMMENT ON TABLE core.evo_employees IS 'EVO employees (GET /api/v2/employees): consultants, instructors, personal trainers, reception.';
COMMENT ON COLUMN core.evo_employees.employee_id IS 'EVO idEmployee (referenced by members, sales and entries).';
COMMENT ON COLUMN core.evo_employees.branch_id IS 'Branch the employee works at; see core.evo_branches.';
COMMENT ON COLUMN core.evo_employees.email IS 'E-mail (v2 currentEmail; v1 email as fallback).';
COMMENT ON COLUMN core.evo_employees.job_position IS 'Job title.';
COMMENT ON COLUMN core.evo_employees.status IS 'Status as sent (v2 text such as Ativo/Inativo; v1 boolean as true/false).';
COMMENT ON COLUMN core.evo_employees._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';

CREATE TABLE IF NOT EXISTS core.evo_branches (
    branch_id      BIGINT PRIMARY KEY,
    name           TEXT,
    internal_name  TEXT,
    cnpj           TEXT,
    address        TEXT,
    address_number TEXT,
    complement     TEXT,
    neighborhood   TEXT,
    city           TEXT,
    state_id       BIGINT,
    state          TEXT,
    state_short    TEXT,
    zip_code       TEXT,
    telephone      TEXT,
    website        TEXT,
    latitude       DOUBLE PRECISION,
    longitude      DOUBLE PRECISION,
    opening_date   TIMESTAMPTZ,
    business_hours JSONB,
    search_terms   JSONB,
    _source_run_id TEXT,
    _loaded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

COMMENT ON TABLE core.evo_branches IS 'EVO branches (gyms) from GET /api/v1/configuration, one row per branch.';
COMMENT ON COLUMN core.evo_branches.branch_id IS 'EVO idBranch (referenced by members, sales, entries, prospects, employees).';
COMMENT ON COLUMN core.evo_branches.internal_name IS 'Internal name of the branch.';
COMMENT ON COLUMN core.evo_branches.cnpj IS 'CNPJ (Brazilian company id) of the branch.';
COMMENT ON COLUMN core.evo_branches.address_number IS 'Street number (API number).';
COMMENT ON COLUMN core.evo_branches.state_id IS 'EVO idState.';
COMMENT ON COLUMN core.evo_branches.state_short IS 'State abbreviation (UF).';
COMMENT ON COLUMN core.evo_branches.opening_date IS 'When the branch opened.';
COMMENT ON COLUMN core.evo_branches.business_hours IS 'Opening hours as sent: array of {weekDay, open, close}.';
COMMENT ON COLUMN core.evo_branches.search_terms IS 'Search terms as sent (array).';
COMMENT ON COLUMN core.evo_branches._source_run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the version loaded.';

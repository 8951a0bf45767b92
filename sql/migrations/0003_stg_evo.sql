-- stg_evo: one row per EVO business key holding the latest API record as JSONB, with lineage
-- (bronze part, line, run, ingestion date). Names follow the reference's evo_schemas.sql; the
-- reference's bug 3 (prospects_raw.source_line_no missing) is fixed, entries get a partition for
-- 2027 and a DEFAULT partition (bug 33), and the entities the reference never loaded
-- (receivables, employees, branches) get tables of the same shape.

CREATE TABLE IF NOT EXISTS stg_evo.members_raw (
    member_id       BIGINT      PRIMARY KEY,
    raw_data        JSONB       NOT NULL,
    _source_file    TEXT,
    _source_line    INTEGER,
    run_id          TEXT,
    ingestion_date  DATE,
    _loaded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_stg_members_run ON stg_evo.members_raw (run_id);
COMMENT ON TABLE stg_evo.members_raw IS 'EVO members (GET /api/v2/members with memberships and contacts): latest version of each record exactly as the API sent it (JSONB), one row per member_id, with bronze lineage.';
COMMENT ON COLUMN stg_evo.members_raw.member_id IS 'idMember of the member (GET /api/v2/members).';
COMMENT ON COLUMN stg_evo.members_raw.raw_data IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_evo.members_raw._source_file IS 'Lake path of the bronze part the record came from.';
COMMENT ON COLUMN stg_evo.members_raw._source_line IS '1-based line of the record in its bronze part.';
COMMENT ON COLUMN stg_evo.members_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_evo.members_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_evo.members_raw._loaded_at IS 'When the key was first loaded into stg.';
COMMENT ON COLUMN stg_evo.members_raw._updated_at IS 'When the stored version was last replaced.';

CREATE TABLE IF NOT EXISTS stg_evo.sales_raw (
    sale_id         BIGINT      PRIMARY KEY,
    raw_data        JSONB       NOT NULL,
    _source_file    TEXT,
    _source_line    INTEGER,
    run_id          TEXT,
    ingestion_date  DATE,
    _loaded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_stg_sales_run ON stg_evo.sales_raw (run_id);
COMMENT ON TABLE stg_evo.sales_raw IS 'EVO sales (GET /api/v2/sales with saleItens and receivables): latest version of each record exactly as the API sent it (JSONB), one row per sale_id, with bronze lineage.';
COMMENT ON COLUMN stg_evo.sales_raw.sale_id IS 'idSale of the sale (GET /api/v2/sales).';
COMMENT ON COLUMN stg_evo.sales_raw.raw_data IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_evo.sales_raw._source_file IS 'Lake path of the bronze part the record came from.';
COMMENT ON COLUMN stg_evo.sales_raw._source_line IS '1-based line of the record in its bronze part.';
COMMENT ON COLUMN stg_evo.sales_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_evo.sales_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_evo.sales_raw._loaded_at IS 'When the key was first loaded into stg.';
COMMENT ON COLUMN stg_evo.sales_raw._updated_at IS 'When the stored version was last replaced.';

CREATE TABLE IF NOT EXISTS stg_evo.prospects_raw (
    prospect_id     BIGINT      PRIMARY KEY,
    raw_data        JSONB       NOT NULL,
    _source_file    TEXT,
    _source_line    INTEGER,
    source_line_no  INTEGER,
    run_id          TEXT,
    ingestion_date  DATE,
    _loaded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_stg_prospects_run ON stg_evo.prospects_raw (run_id);
COMMENT ON TABLE stg_evo.prospects_raw IS 'EVO prospects (GET /api/v1/prospects): latest version of each record exactly as the API sent it (JSONB), one row per prospect_id, with bronze lineage.';
COMMENT ON COLUMN stg_evo.prospects_raw.prospect_id IS 'idProspect of the prospect (GET /api/v1/prospects).';
COMMENT ON COLUMN stg_evo.prospects_raw.raw_data IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_evo.prospects_raw._source_file IS 'Lake path of the bronze part the record came from.';
COMMENT ON COLUMN stg_evo.prospects_raw._source_line IS '1-based line of the record in its bronze part.';
COMMENT ON COLUMN stg_evo.prospects_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_evo.prospects_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_evo.prospects_raw._loaded_at IS 'When the key was first loaded into stg.';
COMMENT ON COLUMN stg_evo.prospects_raw._updated_at IS 'When the stored version was last replaced.';
COMMENT ON COLUMN stg_evo.prospects_raw.source_line_no IS 'Same as _source_line; kept because the reference''s prospects loader writes this name.';

CREATE TABLE IF NOT EXISTS stg_evo.receivables_raw (
    receivable_id   BIGINT      PRIMARY KEY,
    raw_data        JSONB       NOT NULL,
    _source_file    TEXT,
    _source_line    INTEGER,
    run_id          TEXT,
    ingestion_date  DATE,
    _loaded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_stg_receivables_run ON stg_evo.receivables_raw (run_id);
COMMENT ON TABLE stg_evo.receivables_raw IS 'EVO receivables (GET /api/v1/receivables, incremental on updateDate): latest version of each record exactly as the API sent it (JSONB), one row per receivable_id, with bronze lineage.';
COMMENT ON COLUMN stg_evo.receivables_raw.receivable_id IS 'idReceivable of the receivable (GET /api/v1/receivables).';
COMMENT ON COLUMN stg_evo.receivables_raw.raw_data IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_evo.receivables_raw._source_file IS 'Lake path of the bronze part the record came from.';
COMMENT ON COLUMN stg_evo.receivables_raw._source_line IS '1-based line of the record in its bronze part.';
COMMENT ON COLUMN stg_evo.receivables_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_evo.receivables_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_evo.receivables_raw._loaded_at IS 'When the key was first loaded into stg.';
COMMENT ON COLUMN stg_evo.receivables_raw._updated_at IS 'When the stored version was last replaced.';

CREATE TABLE IF NOT EXISTS stg_evo.employees_raw (
    employee_id     BIGINT      PRIMARY KEY,
    raw_data        JSONB       NOT NULL,
    _source_file    TEXT,
    _source_line    INTEGER,
    run_id          TEXT,
    ingestion_date  DATE,
    _loaded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_stg_employees_run ON stg_evo.employees_raw (run_id);
COMMENT ON TABLE stg_evo.employees_raw IS 'EVO employees (GET /api/v2/employees): latest version of each record exactly as the API sent it (JSONB), one row per employee_id, with bronze lineage.';
COMMENT ON COLUMN stg_evo.employees_raw.employee_id IS 'idEmployee of the employee (GET /api/v2/employees).';
COMMENT ON COLUMN stg_evo.employees_raw.raw_data IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_evo.employees_raw._source_file IS 'Lake path of the bronze part the record came from.';
COMMENT ON COLUMN stg_evo.employees_raw._source_line IS '1-based line of the record in its bronze part.';
COMMENT ON COLUMN stg_evo.employees_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_evo.employees_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_evo.employees_raw._loaded_at IS 'When the key was first loaded into stg.';
COMMENT ON COLUMN stg_evo.employees_raw._updated_at IS 'When the stored version was last replaced.';

CREATE TABLE IF NOT EXISTS stg_evo.branches_raw (
    branch_id       BIGINT      PRIMARY KEY,
    raw_data        JSONB       NOT NULL,
    _source_file    TEXT,
    _source_line    INTEGER,
    run_id          TEXT,
    ingestion_date  DATE,
    _loaded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    _updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_stg_branches_run ON stg_evo.branches_raw (run_id);
COMMENT ON TABLE stg_evo.branches_raw IS 'EVO branches (GET /api/v1/configuration): latest version of each record exactly as the API sent it (JSONB), one row per branch_id, with bronze lineage.';
COMMENT ON COLUMN stg_evo.branches_raw.branch_id IS 'idBranch of the branch (GET /api/v1/configuration).';
COMMENT ON COLUMN stg_evo.branches_raw.raw_data IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_evo.branches_raw._source_file IS 'Lake path of the bronze part the record came from.';
COMMENT ON COLUMN stg_evo.branches_raw._source_line IS '1-based line of the record in its bronze part.';
COMMENT ON COLUMN stg_evo.branches_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_evo.branches_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_evo.branches_raw._loaded_at IS 'When the key was first loaded into stg.';
COMMENT ON COLUMN stg_evo.branches_raw._updated_at IS 'When the stored version was last replaced.';

-- Entries: no id in the API; entry_id is the reference's synthetic key (data contract 2.4.6).
-- Partitioned by year of entry_date; the DEFAULT partition takes any date outside the yearly
-- partitions so no row is ever refused (the loader splits it into a yearly partition later).
CREATE TABLE IF NOT EXISTS stg_evo.entries_raw (
    entry_id        BIGINT      NOT NULL,
    entry_date      TIMESTAMPTZ NOT NULL,
    raw_data        JSONB       NOT NULL,
    _source_file    TEXT,
    _source_line    INTEGER,
    run_id          TEXT,
    ingestion_date  DATE,
    _loaded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT entries_raw_pkey PRIMARY KEY (entry_id, entry_date)
) PARTITION BY RANGE (entry_date);
CREATE TABLE IF NOT EXISTS stg_evo.entries_raw_2020 PARTITION OF stg_evo.entries_raw FOR VALUES FROM ('2020-01-01 00:00:00+00') TO ('2021-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS stg_evo.entries_raw_2021 PARTITION OF stg_evo.entries_raw FOR VALUES FROM ('2021-01-01 00:00:00+00') TO ('2022-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS stg_evo.entries_raw_2022 PARTITION OF stg_evo.entries_raw FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2023-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS stg_evo.entries_raw_2023 PARTITION OF stg_evo.entries_raw FOR VALUES FROM ('2023-01-01 00:00:00+00') TO ('2024-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS stg_evo.entries_raw_2024 PARTITION OF stg_evo.entries_raw FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS stg_evo.entries_raw_2025 PARTITION OF stg_evo.entries_raw FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2026-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS stg_evo.entries_raw_2026 PARTITION OF stg_evo.entries_raw FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2027-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS stg_evo.entries_raw_2027 PARTITION OF stg_evo.entries_raw FOR VALUES FROM ('2027-01-01 00:00:00+00') TO ('2028-01-01 00:00:00+00');
CREATE TABLE IF NOT EXISTS stg_evo.entries_raw_default PARTITION OF stg_evo.entries_raw DEFAULT;
CREATE INDEX IF NOT EXISTS idx_stg_entries_date ON stg_evo.entries_raw (entry_date);
CREATE INDEX IF NOT EXISTS idx_stg_entries_run ON stg_evo.entries_raw (run_id);

COMMENT ON TABLE stg_evo.entries_raw IS 'EVO turnstile/app entries (GET /api/v1/entries): one row per (entry_id, entry_date) with the record as sent, partitioned by year of entry_date (plus a DEFAULT partition).';
COMMENT ON COLUMN stg_evo.entries_raw.entry_id IS 'Synthetic key: MD5 of date|idMember|idProspect|idEmployee|idBranch|device|entryAction, first 15 hex digits mod 10^15 (data contract 2.4.6, identical to the reference).';
COMMENT ON COLUMN stg_evo.entries_raw.entry_date IS 'raw.date parsed as a timestamp (naive EVO times read as UTC, the reference''s session time zone); partition key.';
COMMENT ON COLUMN stg_evo.entries_raw.raw_data IS 'The API record as sent (NUL characters made storable).';
COMMENT ON COLUMN stg_evo.entries_raw._source_file IS 'Lake path of the bronze part the record came from.';
COMMENT ON COLUMN stg_evo.entries_raw._source_line IS '1-based line of the record in its bronze part.';
COMMENT ON COLUMN stg_evo.entries_raw.run_id IS 'Extraction run (YYYYMMDDTHHMMSSZ) of the stored version.';
COMMENT ON COLUMN stg_evo.entries_raw.ingestion_date IS 'UTC date of the bronze ingestion_date= folder of the stored version.';
COMMENT ON COLUMN stg_evo.entries_raw._loaded_at IS 'When the row was loaded into stg.';
COMMENT ON TABLE stg_evo.entries_raw_default IS 'Entries whose entry_date falls outside every yearly partition; the loader moves them into a new yearly partition.';

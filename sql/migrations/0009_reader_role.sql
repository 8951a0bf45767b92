-- Read-only reporting role for Power BI: SELECT on core and analytics, nothing on stg_* or meta.
-- Roles are cluster-wide, so it is created only if missing. NOLOGIN: grant it to a login role
-- (e.g. CREATE ROLE powerbi LOGIN PASSWORD '...' IN ROLE skyfit_reader).
-- Default privileges apply to tables and views later created by the role running the
-- migrations (the loader), so shadow tables swapped in by a full refresh get SELECT as well.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'skyfit_reader') THEN
        CREATE ROLE skyfit_reader NOLOGIN;
        COMMENT ON ROLE skyfit_reader IS 'Read-only reporting role (Power BI): SELECT on core and analytics; no access to stg_* or meta.';
    END IF;
END
$$;

GRANT USAGE ON SCHEMA core, analytics TO skyfit_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA core, analytics TO skyfit_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA core, analytics GRANT SELECT ON TABLES TO skyfit_reader;

REVOKE ALL ON SCHEMA stg_evo, stg_pipedrive, stg_zendesk, meta FROM skyfit_reader;
REVOKE ALL ON ALL TABLES IN SCHEMA stg_evo, stg_pipedrive, stg_zendesk, meta FROM skyfit_reader;
-- The reference granted core to PUBLIC; this warehouse does not.
REVOKE ALL ON ALL TABLES IN SCHEMA core, analytics FROM PUBLIC;

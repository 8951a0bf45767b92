-- The reporting role cannot create temporary tables. PostgreSQL grants TEMPORARY on every
-- database to PUBLIC, so skyfit_reader (and any login in it) could create temp tables here,
-- which a read-only reporting role has no business doing. TEMPORARY is taken from PUBLIC and
-- given back to the role running the migrations, the loader, whose merges stage rows in temp
-- tables. Another application's role that needs temp tables in this database must be granted
-- TEMPORARY explicitly.

DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), current_user);
END
$$;

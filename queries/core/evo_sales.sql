-- @target: core.evo_sales
-- @key: sale_id
-- @strategy: merge
-- @version: update_date
-- @test unique: sale_id
-- @test not_null: sale_id
-- @test row_count: 1..
-- EVO sales: one row per sale header, latest version. Source: bronze.evo_sales (GET /api/v2/sales).
-- A removed sale (removed, removalDate) keeps its row, flagged is_deleted with _deleted_at.
-- Timestamps: EVO sends naive local times; evo_timestamp() reads them in evo.source_timezone (default
-- UTC, the reference's session time zone). Values that do not convert become NULL and are quarantined.
WITH latest AS (SELECT * FROM latest_evo_sales)
SELECT
    sale_id,  -- EVO idSale
    TRY_CAST(json_as_text(_raw, 'idMember') AS BIGINT) AS member_id,  -- buying member
    TRY_CAST(json_as_text(_raw, 'idProspect') AS BIGINT) AS prospect_id,  -- buying prospect
    TRY_CAST(json_as_text(_raw, 'idEmployee') AS BIGINT) AS employee_id,  -- employee who registered the sale
    TRY_CAST(json_as_text(_raw, 'idEmployeeSale') AS BIGINT) AS employee_sale_id,  -- employee credited with the sale
    json_as_text(_raw, 'nameEmployeeSale') AS employee_sale_name,  -- name of the employee credited
    TRY_CAST(json_as_text(_raw, 'idPersonal') AS BIGINT) AS personal_id,  -- personal trainer
    TRY_CAST(json_as_text(_raw, 'idBranch') AS BIGINT) AS branch_id,  -- branch
    evo_timestamp(json_as_text(_raw, 'saleDate')) AS sale_date,  -- sale timestamp
    evo_timestamp(json_as_text(_raw, 'saleDateServer')) AS sale_date_server,  -- server timestamp of the sale
    evo_timestamp(json_as_text(_raw, 'updateDate')) AS update_date,  -- last change in EVO
    TRY_CAST(json_as_text(_raw, 'saleSource') AS INT) AS sale_source,  -- sale channel code
    json_as_text(_raw, 'observations') AS observations,  -- free-text notes
    COALESCE(TRY_CAST(json_as_text(_raw, 'coporatePartnershipId') AS BIGINT), TRY_CAST(json_as_text(_raw, 'idCorporatePartnership') AS BIGINT)) AS corporate_partnership_id,  -- coporatePartnershipId (API, sic), idCorporatePartnership as fallback
    COALESCE(NULLIF(json_as_text(_raw, 'corporatePartnershipName'), ''), json_as_text(_raw, 'nameCorporatePartnership')) AS corporate_partnership_name,  -- corporatePartnershipName (API), nameCorporatePartnership as fallback
    TRY_CAST(json_as_text(_raw, 'idSaleRecurrency') AS BIGINT) AS sale_recurrency_id,  -- recurring billing id
    COALESCE(TRY_CAST(json_as_text(_raw, 'removed') AS BOOLEAN), false) AS removed,  -- sale removed (NULL read as false)
    evo_timestamp(json_as_text(_raw, 'removalDate')) AS removal_date,  -- removal timestamp
    TRY_CAST(json_as_text(_raw, 'idEmployeeRemoval') AS BIGINT) AS employee_removal_id,  -- employee who removed the sale
    COALESCE(json_as_text(_raw, 'idSaleMigration'), json_as_text(_raw, 'saleMigrationId')) AS sale_migration_id,  -- idSaleMigration (API), saleMigrationId as fallback
    COALESCE(json_as_text(_raw, 'cartToken'), json_as_text(_raw, 'idCartToken')) AS cart_token,  -- cartToken, idCartToken as fallback
    COALESCE(TRY_CAST(json_as_text(_raw, 'removed') AS BOOLEAN), false) AS is_deleted,  -- removed in EVO (= removed): the row is kept, views leave it out
    CASE WHEN TRY_CAST(json_as_text(_raw, 'removed') AS BOOLEAN) THEN evo_timestamp(json_as_text(_raw, 'removalDate')) END AS _deleted_at,  -- when it was removed (removalDate of the removed version); NULL while not removed
    _run_id AS _source_run_id  -- extraction run of the version loaded
FROM latest

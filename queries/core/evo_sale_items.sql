-- @target: core.evo_sale_items
-- @key: sale_item_id
-- @strategy: replace_children
-- @parent_key: sale_id
-- @parents: latest_evo_sales -> core.evo_sales
-- @test unique: sale_item_id
-- @test not_null: sale_item_id, sale_id
-- @test relationships: sale_id -> core.evo_sales.sale_id
-- @test row_count: 1..
-- Lines of each sale, exploded from the latest sale version's saleItens[] array (API spelling).
-- Elements without idSaleItem cannot be keyed and are skipped; an item listed under two sales keeps the latest sale version.
-- Timestamps: EVO sends naive local times; evo_timestamp() reads them in evo.source_timezone (default
-- UTC, the reference's session time zone). Values that do not convert become NULL and are quarantined.
WITH elems AS (SELECT * FROM evo_array_elements_sale_items),
keyed AS (
    SELECT * FROM (
        SELECT elems.*, TRY_CAST(json_as_text(elem, 'idSaleItem') AS BIGINT) AS sale_item_id,
               row_number() OVER (PARTITION BY TRY_CAST(json_as_text(elem, 'idSaleItem') AS BIGINT) ORDER BY _run_id DESC, sale_id DESC, pos DESC) AS _rn
        FROM elems
    ) x
    WHERE sale_item_id IS NOT NULL AND _rn = 1
)
SELECT
    sale_item_id,  -- EVO idSaleItem (global)
    sale_id,  -- parent sale
    json_as_text(elem, 'description') AS description,  -- line description
    json_as_text(elem, 'item') AS item,  -- item name
    TRY_CAST(json_as_text(elem, 'itemValue') AS DECIMAL(15,2)) AS item_value,  -- list price
    TRY_CAST(json_as_text(elem, 'saleValue') AS DECIMAL(15,2)) AS sale_value,  -- value sold
    COALESCE(TRY_CAST(json_as_text(elem, 'saleValueWithoutCreditValue') AS DECIMAL(15,2)), TRY_CAST(json_as_text(elem, 'saleValueWithoutCredit') AS DECIMAL(15,2))) AS sale_value_without_credit,  -- saleValueWithoutCreditValue (API), saleValueWithoutCredit as fallback
    TRY_CAST(json_as_text(elem, 'quantity') AS INT) AS quantity,  -- quantity
    TRY_CAST(json_as_text(elem, 'discount') AS DECIMAL(15,2)) AS discount,  -- discount
    TRY_CAST(json_as_text(elem, 'corporateDiscount') AS DECIMAL(15,2)) AS corporate_discount,  -- corporate discount
    TRY_CAST(json_as_text(elem, 'tax') AS DECIMAL(15,2)) AS tax,  -- tax
    TRY_CAST(json_as_text(elem, 'valueNextMonth') AS DECIMAL(15,2)) AS value_next_month,  -- next monthly charge
    TRY_CAST(json_as_text(elem, 'idMembership') AS BIGINT) AS membership_id,  -- plan sold
    TRY_CAST(json_as_text(elem, 'idMembershipRenewed') AS BIGINT) AS membership_renewed_id,  -- plan renewed
    TRY_CAST(json_as_text(elem, 'idMemberMembership') AS BIGINT) AS member_membership_id,  -- contract created (core.evo_member_memberships)
    TRY_CAST(json_as_text(elem, 'idProduct') AS BIGINT) AS product_id,  -- product sold
    TRY_CAST(json_as_text(elem, 'idService') AS BIGINT) AS service_id,  -- service sold
    COALESCE(TRY_CAST(json_as_text(elem, 'coporatePartnershipId') AS BIGINT), TRY_CAST(json_as_text(elem, 'idCorporatePartnership') AS BIGINT)) AS corporate_partnership_id,  -- coporatePartnershipId (API, sic), idCorporatePartnership as fallback
    COALESCE(json_as_text(elem, 'corporatePartnershipName'), json_as_text(elem, 'nameCorporatePartnership')) AS corporate_partnership_name,  -- corporatePartnershipName (API), nameCorporatePartnership as fallback
    evo_timestamp(json_as_text(elem, 'membershipStartDate')) AS membership_start_date,  -- contract start
    TRY_CAST(json_as_text(elem, 'numMembers') AS INT) AS num_members,  -- members covered
    json_as_text(elem, 'voucher') AS voucher,  -- voucher code
    json_as_text(elem, 'accountingCode') AS accounting_code,  -- accounting code
    json_as_text(elem, 'municipalServiceCode') AS municipal_service_code,  -- municipal service code (invoice)
    TRY_CAST(json_as_text(elem, 'flReceiptOnly') AS BOOLEAN) AS fl_receipt_only,  -- receipt only
    TRY_CAST(json_as_text(elem, 'flSwimming') AS BOOLEAN) AS fl_swimming,  -- swimming
    TRY_CAST(json_as_text(elem, 'flAllowLocker') AS BOOLEAN) AS fl_allow_locker,  -- locker allowed
    COALESCE(json_as_text(elem, 'idSaleItemMigration'), json_as_text(elem, 'saleItemMigrationId')) AS sale_item_migration_id  -- idSaleItemMigration (API), saleItemMigrationId as fallback
FROM keyed

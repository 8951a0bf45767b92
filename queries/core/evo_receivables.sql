-- @target: core.evo_receivables
-- @key: receivable_id
-- @strategy: replace_children
-- @version: update_date
-- @parent_key: sale_id
-- @parents: latest_evo_sales -> core.evo_sales
-- @test unique: receivable_id
-- @test not_null: receivable_id, sale_id
-- @test row_count: 1..
-- Instalments of each sale: the receivables[] array of the latest sale versions, merged with the
-- standalone GET /api/v1/receivables records; per receivable the latest run wins (then the standalone
-- record, which carries updateDate changes of old sales). Receivables without idReceivable or idSale
-- cannot be keyed or attached to a sale and are skipped.
-- Timestamps: EVO sends naive local times; evo_timestamp() reads them in evo.source_timezone (default
-- UTC, the reference's session time zone). Values that do not convert become NULL and are quarantined.
WITH latest AS (SELECT * FROM latest_evo_sales),
arrays AS (
    SELECT sale_id, _run_id, json_get_array(_raw, 'receivables') AS arr FROM latest
),
nested AS (
    SELECT sale_id, _run_id, unnest(arr) AS elem, 0 AS _prio, '' AS _source_file, CAST(0 AS BIGINT) AS _line
    FROM arrays
    WHERE arr IS NOT NULL
),
standalone AS (
    SELECT TRY_CAST(json_as_text(_raw, 'idSale') AS BIGINT) AS sale_id, _run_id, _raw AS elem, 1 AS _prio, _source_file, _line
    FROM bronze.evo_receivables
),
keyed AS (
    SELECT * FROM (
        SELECT u.*, TRY_CAST(json_as_text(elem, 'idReceivable') AS BIGINT) AS receivable_id,
               row_number() OVER (PARTITION BY TRY_CAST(json_as_text(elem, 'idReceivable') AS BIGINT)
                                  ORDER BY _run_id DESC, _prio DESC, _source_file DESC, _line DESC) AS _rn
        FROM (SELECT * FROM nested UNION ALL SELECT * FROM standalone) u
    ) x
    WHERE receivable_id IS NOT NULL AND sale_id IS NOT NULL AND _rn = 1
)
SELECT
    receivable_id,  -- EVO idReceivable
    sale_id,  -- parent sale
    evo_timestamp(json_as_text(elem, 'registrationDate')) AS registration_date,  -- when the receivable was created
    evo_timestamp(json_as_text(elem, 'dueDate')) AS due_date,  -- due date
    evo_timestamp(json_as_text(elem, 'receivingDate')) AS receiving_date,  -- payment date
    evo_timestamp(json_as_text(elem, 'cancellationDate')) AS cancellation_date,  -- cancellation date
    evo_timestamp(json_as_text(elem, 'updateDate')) AS update_date,  -- last change in EVO
    COALESCE(TRY_CAST(json_as_text(elem, 'ammount') AS DECIMAL(15,2)), TRY_CAST(json_as_text(elem, 'amount') AS DECIMAL(15,2))) AS amount,  -- ammount (API, sic), amount as fallback
    COALESCE(TRY_CAST(json_as_text(elem, 'ammountPaid') AS DECIMAL(15,2)), TRY_CAST(json_as_text(elem, 'amountPaid') AS DECIMAL(15,2))) AS amount_paid,  -- ammountPaid (API, sic)
    TRY_CAST(json_as_text(elem, 'status', 'id') AS INT) AS status_id,  -- 1 open, 2 received, 3 cancelled, 4 overdue
    json_as_text(elem, 'status', 'name') AS status_name,  -- status label
    TRY_CAST(json_as_text(elem, 'currentInstallment') AS INT) AS current_installment,  -- instalment number
    TRY_CAST(json_as_text(elem, 'totalInstallments') AS INT) AS total_installments,  -- number of instalments
    COALESCE(TRY_CAST(json_as_text(elem, 'paymentType', 'id') AS INT), TRY_CAST(json_as_text(elem, 'paymentType', 'idPaymentType') AS INT)) AS payment_type_id,  -- paymentType.id (API), paymentType.idPaymentType as fallback
    json_as_text(elem, 'paymentType', 'name') AS payment_type_name,  -- payment type label
    json_as_text(elem, 'authorization') AS "authorization",  -- card authorization code
    json_as_text(elem, 'tid') AS tid,  -- card transaction id
    json_as_text(elem, 'nsu') AS nsu,  -- card transaction sequence number
    json_as_text(elem, 'cardFlag') AS card_flag,  -- card brand
    json_as_text(elem, 'transactionToken') AS transaction_token  -- gateway transaction token
FROM keyed

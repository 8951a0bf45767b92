//! Changes between nights reach core: a parent whose children were all removed upstream loses
//! them, and a late older run (a re-delivered night, a backfill) overwrites nothing newer.

use serde_json::json;
use skyfit_core::{RunId, Source};
use skyfit_lake::{BronzeWriter, EntityKey, LakeStore, PageRef};
use skyfit_pipeline::{LoadOptions, load};
use skyfit_test_utils::TestDb;

use crate::support::{queries, run_id};

/// One complete run of `source[/scope]/entity` holding `recs`, one part per 2 records (so a
/// run has several parts).
async fn write(
    lake: &LakeStore,
    source: Source,
    scope: Option<&str>,
    entity: &str,
    run: &RunId,
    recs: &[serde_json::Value],
) {
    let key = EntityKey::try_new(source, scope, entity).unwrap();
    let mut w = BronzeWriter::builder(lake, key, run.clone())
        .create()
        .await
        .unwrap();
    w.begin_window("w1", None);
    let lines: Vec<String> = recs.iter().map(|r| r.to_string()).collect();
    for (page, chunk) in lines.chunks(2).enumerate() {
        let p = PageRef {
            window: "w1",
            page: page as u64,
            cursor: None,
        };
        w.write_page(&p, chunk.iter().map(String::as_str))
            .await
            .unwrap();
        w.flush().await.unwrap();
    }
    w.complete_window("w1").unwrap();
    w.finish().await.unwrap();
}

fn member(id: i64, name: &str, contacts: serde_json::Value) -> serde_json::Value {
    json!({"idMember": id, "firstName": name, "idBranch": 1, "contacts": contacts,
           "memberships": [{"idMemberMembership": id * 10, "idMembership": 1, "name": "Plano"}]})
}

fn contact(id: i64, phone: &str) -> serde_json::Value {
    json!({"idPhone": id, "idContactType": 1, "contactType": "Telefone", "description": phone})
}

fn ticket(id: i64, tags: serde_json::Value) -> serde_json::Value {
    json!({"id": id, "subject": format!("ticket {id}"), "status": "open", "tags": tags,
           "updated_at": "2026-11-01T10:00:00Z"})
}

struct Lake {
    lake: LakeStore,
    _dir: tempfile::TempDir,
}

fn new_lake() -> Lake {
    let dir = tempfile::tempdir().unwrap();
    let lake = LakeStore::try_new(dir.path().join("lake").to_str().unwrap()).unwrap();
    Lake { lake, _dir: dir }
}

/// Night 1: members 1 (two contacts) and 2 (one), tickets 10 (tags a, b) and 11 (tag c).
async fn night_1(lake: &LakeStore) {
    let members = [
        member(1, "Ana", json!([contact(101, "111"), contact(102, "222")])),
        member(2, "Bia", json!([contact(201, "333")])),
    ];
    write(lake, Source::Evo, None, "members", &run_id(1), &members).await;
    let tickets = [ticket(10, json!(["a", "b"])), ticket(11, json!(["c"]))];
    let scope = Some("support");
    write(
        lake,
        Source::Zendesk,
        scope,
        "tickets",
        &run_id(1),
        &tickets,
    )
    .await;
}

/// Night 2: member 1's contacts list is empty, ticket 10's tags were all cleared (one as an
/// empty array, the other without the field); member 2 and ticket 11 did not change.
async fn night_2(lake: &LakeStore) {
    let members = [member(1, "Ana", json!([])), member(3, "Caio", json!(null))];
    write(lake, Source::Evo, None, "members", &run_id(2), &members).await;
    let mut cleared = ticket(12, json!(null));
    cleared.as_object_mut().unwrap().remove("tags");
    let tickets = [ticket(10, json!([])), cleared];
    let scope = Some("support");
    write(
        lake,
        Source::Zendesk,
        scope,
        "tickets",
        &run_id(2),
        &tickets,
    )
    .await;
}

fn options(chunk_records: u64) -> LoadOptions {
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["members".into(), "tickets".into()];
    opts.allow_simulated = true;
    opts.chunk_records = chunk_records;
    opts
}

async fn children(db: &TestDb, table: &str, parent: &str) -> Vec<(i64, i64)> {
    db.client()
        .query(
            &format!("SELECT {parent}, count(*) FROM {table} GROUP BY 1 ORDER BY 1"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

async fn assert_night_2(db: &TestDb) {
    // Member 1 and ticket 10 have no children left; member 2 and ticket 11, absent from night 2,
    // keep theirs; the memberships of member 1 (still listed) are still there.
    assert_eq!(
        children(db, "core.evo_member_contacts", "member_id").await,
        [(2, 1)]
    );
    assert_eq!(
        children(db, "core.evo_member_memberships", "member_id").await,
        [(1, 1), (2, 1), (3, 1)]
    );
    assert_eq!(
        children(db, "core.zd_ticket_tags", "ticket_id").await,
        [(11, 1)]
    );
}

async fn night_by_night(chunk_records: u64) {
    let l = new_lake();
    let db = TestDb::new().await;
    night_1(&l.lake).await;
    load(&l.lake, db.database(), &options(chunk_records))
        .await
        .unwrap();
    assert_eq!(
        children(&db, "core.evo_member_contacts", "member_id").await,
        [(1, 2), (2, 1)]
    );
    assert_eq!(
        children(&db, "core.zd_ticket_tags", "ticket_id").await,
        [(10, 2), (11, 1)]
    );
    night_2(&l.lake).await;
    let s = load(&l.lake, db.database(), &options(chunk_records))
        .await
        .unwrap();
    if chunk_records == 1 {
        let contacts = s
            .targets
            .iter()
            .find(|t| t.target == "core.evo_member_contacts")
            .unwrap();
        assert!(contacts.passes > 1, "{contacts:?}");
    }
    assert_night_2(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_whose_children_were_all_removed_loses_them() {
    night_by_night(1_250_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_whose_children_were_all_removed_loses_them_in_a_load_of_several_passes() {
    night_by_night(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nights_loaded_at_once_keep_the_children_of_the_newest_versions() {
    let l = new_lake();
    let db = TestDb::new().await;
    night_1(&l.lake).await;
    night_2(&l.lake).await;
    load(&l.lake, db.database(), &options(1)).await.unwrap();
    assert_night_2(&db).await;
}

fn sale(id: i64, update: &str, observations: &str) -> serde_json::Value {
    json!({"idSale": id, "idMember": 1, "idBranch": 1, "saleDate": "2026-10-01T10:00:00",
           "updateDate": update, "observations": observations,
           "saleItens": [{"idSaleItem": id * 10, "item": observations, "saleValue": 10.0}],
           "receivables": [{"idReceivable": id * 100, "idSale": id, "ammount": 10.0,
                            "updateDate": update}]})
}

async fn text(db: &TestDb, sql: &str) -> Vec<String> {
    db.client()
        .query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn updated_at(db: &TestDb, sql: &str) -> chrono::DateTime<chrono::Utc> {
    db.client().query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_older_run_overwrites_nothing_newer() {
    let (newer, older) = (new_lake(), new_lake());
    let db = TestDb::new().await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["members".into(), "sales".into()];
    // Night 2 arrives first …
    write(
        &newer.lake,
        Source::Evo,
        None,
        "members",
        &run_id(2),
        &[member(1, "Ana Maria", json!([contact(101, "999")]))],
    )
    .await;
    let night_2_sales = [sale(5, "2026-11-02T09:00:00", "paid")];
    write(
        &newer.lake,
        Source::Evo,
        None,
        "sales",
        &run_id(2),
        &night_2_sales,
    )
    .await;
    load(&newer.lake, db.database(), &opts).await.unwrap();
    // … then night 1, re-delivered late (its own lake: the same database, an older run).
    write(
        &older.lake,
        Source::Evo,
        None,
        "members",
        &run_id(1),
        &[member(1, "Ana", json!([contact(101, "111")]))],
    )
    .await;
    let night_1_sales = [sale(5, "2026-11-01T09:00:00", "open")];
    write(
        &older.lake,
        Source::Evo,
        None,
        "sales",
        &run_id(1),
        &night_1_sales,
    )
    .await;
    load(&older.lake, db.database(), &opts).await.unwrap();

    let names = "SELECT first_name FROM core.evo_members";
    assert_eq!(text(&db, names).await, ["Ana Maria"]);
    let sales = "SELECT observations FROM core.evo_sales";
    assert_eq!(text(&db, sales).await, ["paid"]);
    let raw = "SELECT raw_data->>'observations' FROM stg_evo.sales_raw";
    assert_eq!(text(&db, raw).await, ["paid"]);
    let raw = "SELECT raw_data->>'firstName' FROM stg_evo.members_raw";
    assert_eq!(text(&db, raw).await, ["Ana Maria"]);
    let receivable = "SELECT to_char(update_date, 'YYYY-MM-DD') FROM core.evo_receivables";
    assert_eq!(text(&db, receivable).await, ["2026-11-02"]);
    // The children follow their parent's version, not the last load.
    let contacts = "SELECT description FROM core.evo_member_contacts";
    assert_eq!(text(&db, contacts).await, ["999"]);
    let items = "SELECT item FROM core.evo_sale_items";
    assert_eq!(text(&db, items).await, ["paid"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updated_at_moves_when_an_upsert_changes_a_row_and_only_then() {
    let l = new_lake();
    let db = TestDb::new().await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["sales".into(), "tickets".into()];
    let core = "SELECT _updated_at FROM core.evo_sales WHERE sale_id = 5";
    let stg = "SELECT _updated_at FROM stg_evo.sales_raw WHERE sale_id = 5";
    let zd = "SELECT loaded_at FROM stg_zendesk.tickets_raw WHERE ticket_id = 10";
    let night = |day: u32, update: &'static str, obs: &'static str, tags| {
        let lake = &l.lake;
        async move {
            write(
                lake,
                Source::Evo,
                None,
                "sales",
                &run_id(day),
                &[sale(5, update, obs)],
            )
            .await;
            let t = [ticket(10, tags)];
            write(
                lake,
                Source::Zendesk,
                Some("support"),
                "tickets",
                &run_id(day),
                &t,
            )
            .await;
        }
    };
    night(1, "2026-11-01T09:00:00", "open", json!(["a"])).await;
    load(&l.lake, db.database(), &opts).await.unwrap();
    let first = (
        updated_at(&db, core).await,
        updated_at(&db, stg).await,
        updated_at(&db, zd).await,
    );
    // The same records again in a later run: lineage changes, content does not.
    night(2, "2026-11-01T09:00:00", "open", json!(["a"])).await;
    load(&l.lake, db.database(), &opts).await.unwrap();
    assert_eq!(
        updated_at(&db, core).await,
        first.0,
        "core, content unchanged"
    );
    let runs = "SELECT _source_run_id FROM core.evo_sales";
    assert_eq!(text(&db, runs).await, [run_id(2).to_string()]);
    // Changed records: every layer records the change.
    night(3, "2026-11-03T09:00:00", "paid", json!(["b"])).await;
    load(&l.lake, db.database(), &opts).await.unwrap();
    assert!(updated_at(&db, core).await > first.0, "core");
    assert!(updated_at(&db, stg).await > first.1, "stg_evo");
    assert!(updated_at(&db, zd).await > first.2, "stg_zendesk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_sale_is_flagged_kept_and_left_out_of_the_views() {
    let l = new_lake();
    let db = TestDb::new().await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["sales".into()];
    let kept = sale(6, "2026-11-01T09:00:00", "kept");
    let night_1 = [sale(5, "2026-11-01T09:00:00", "open"), kept.clone()];
    write(&l.lake, Source::Evo, None, "sales", &run_id(1), &night_1).await;
    load(&l.lake, db.database(), &opts).await.unwrap();
    let mut removed = sale(5, "2026-11-02T09:00:00", "open");
    let r = removed.as_object_mut().unwrap();
    r.insert("removed".into(), json!(true));
    r.insert("removalDate".into(), json!("2026-11-02T08:30:00"));
    write(&l.lake, Source::Evo, None, "sales", &run_id(2), &[removed]).await;
    load(&l.lake, db.database(), &opts).await.unwrap();

    let flags = "SELECT sale_id::text || ' ' || is_deleted || ' ' || \
                 coalesce(to_char(_deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-') \
                 FROM core.evo_sales ORDER BY sale_id";
    assert_eq!(
        text(&db, flags).await,
        ["5 true 2026-11-02 08:30", "6 false -"]
    );
    let monthly = "SELECT sales::text || ' ' || removed_sales || ' ' || sale_value::text \
                   FROM analytics.evo_monthly_sales";
    assert_eq!(text(&db, monthly).await, ["1 1 10.00"]);
}

/// EVO receivable `id` of sale 5 as GET /api/v1/receivables (or a sale's array) sends it.
fn receivable(id: i64, status: &str, update: &str) -> serde_json::Value {
    json!({"idReceivable": id, "idSale": 5, "ammount": 10.0, "status": {"id": 1, "name": status},
           "updateDate": update})
}

async fn receivables(db: &TestDb) -> Vec<String> {
    let sql =
        "SELECT receivable_id::text || ' ' || status_name FROM core.evo_receivables ORDER BY 1";
    text(db, sql).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivables_from_their_own_endpoint_are_neither_delayed_nor_drop_their_siblings() {
    let l = new_lake();
    let db = TestDb::new().await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["sales".into(), "receivables".into()];
    let mut s = sale(5, "2026-11-01T09:00:00", "open");
    s["receivables"] = json!([
        receivable(500, "Em aberto", "2026-11-01T09:00:00"),
        receivable(501, "Em aberto", "2026-11-01T09:00:00"),
    ]);
    write(&l.lake, Source::Evo, None, "sales", &run_id(1), &[s]).await;
    load(&l.lake, db.database(), &opts).await.unwrap();
    assert_eq!(receivables(&db).await, ["500 Em aberto", "501 Em aberto"]);

    // Night 2: receivable 500 was paid; the sales endpoint has nothing new.
    let paid = [receivable(500, "Recebido", "2026-11-02T10:00:00")];
    write(&l.lake, Source::Evo, None, "receivables", &run_id(2), &paid).await;
    load(&l.lake, db.database(), &opts).await.unwrap();
    assert_eq!(receivables(&db).await, ["500 Recebido", "501 Em aberto"]);

    // Night 3: the sale comes again listing receivable 500 alone.
    let mut s = sale(5, "2026-11-03T09:00:00", "open");
    s["receivables"] = json!([receivable(500, "Recebido", "2026-11-02T10:00:00")]);
    write(&l.lake, Source::Evo, None, "sales", &run_id(3), &[s]).await;
    load(&l.lake, db.database(), &opts).await.unwrap();
    assert_eq!(receivables(&db).await, ["500 Recebido"]);
}

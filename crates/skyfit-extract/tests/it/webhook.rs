//! EVO webhooks, the optional push path: the receiver over real HTTP into a lake in a temp
//! dir (accepted callbacks stored, bad ones refused and counted), then an extraction against
//! the simulator that re-fetches exactly the ids of the callbacks into bronze and moves them to
//! `processed/`, and a failed re-fetch that leaves them pending.

use std::collections::BTreeSet;
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::ObjectStoreExt;
use object_store::memory::InMemory;
use object_store::path::Path;
use serde_json::Value;
use skyfit_api_sim::evo::{members, sales};
use skyfit_api_sim::synth::time::DEFAULT_NOW;
use skyfit_api_sim::{Api, ApiFaults, FaultConfig, PageFault, Scale};
use skyfit_core::{RunId, Secret, Source};
use skyfit_extract::ExtractRequest;
use skyfit_extract::webhook::{self, ServeOptions, WebhookStats};
use skyfit_lake::{EntityKey, LakeStore, RunRef, WindowStatus};
use skyfit_test_utils::faults::{Fault, FaultyStore, Op};

use crate::common::{Env, day};

const SECRET: &str = "s3cret-for-tests-only";
const DAY: i64 = 86_400;

struct Receiver {
    url: String,
    stats: Arc<WebhookStats>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    http: reqwest::Client,
}

impl Receiver {
    async fn start(lake: &LakeStore) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let stats = Arc::new(WebhookStats::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let opts = ServeOptions {
            lake: lake.clone(),
            secret: Secret::new(SECRET),
            stats: stats.clone(),
        };
        tokio::spawn(async move {
            webhook::serve(listener, opts, async {
                let _ = rx.await;
            })
            .await
            .expect("receiver serves");
        });
        Receiver {
            url,
            stats,
            stop: Some(tx),
            http: reqwest::Client::new(),
        }
    }

    async fn post(&self, secret: Option<&str>, body: &str) -> u16 {
        let mut req = self
            .http
            .post(format!("{}/webhooks/evo", self.url))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(s) = secret {
            req = req.header("X-Skyfit-Webhook-Secret", s);
        }
        req.send().await.expect("request").status().as_u16()
    }

    async fn callback(&self, event: &str, id: u64) {
        let body = format!(r#"{{"IdW12":1,"IdBranch":1,"IdRecord":{id},"EventType":"{event}"}}"#);
        assert_eq!(self.post(Some(SECRET), &body).await, 200, "{body}");
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Object names under a lake prefix.
async fn names(lake: &LakeStore, prefix: &str) -> Vec<String> {
    let metas: Vec<_> = lake
        .object_store()
        .list(Some(&Path::from(prefix)))
        .try_collect()
        .await
        .expect("list");
    metas.into_iter().map(|m| m.location.to_string()).collect()
}

#[tokio::test]
async fn the_receiver_stores_authenticated_callbacks_and_counts_refusals() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lake = LakeStore::try_new(dir.path().to_str().expect("utf-8")).expect("lake");
    let r = Receiver::start(&lake).await;
    r.callback("AlterMember", 17).await;
    r.callback("AlterReceivables", 9).await;
    // The secret in the registered URL instead of a header.
    let status = r
        .http
        .post(format!("{}/webhooks/evo?secret={SECRET}", r.url))
        .body(r#"{"IdW12":1,"IdBranch":2,"IdRecord":"33","EventType":"Freeze"}"#)
        .send()
        .await
        .expect("request")
        .status();
    assert_eq!(status.as_u16(), 200);

    let valid = r#"{"IdW12":1,"IdBranch":1,"IdRecord":5,"EventType":"AlterMember"}"#;
    assert_eq!(r.post(Some("wrong"), valid).await, 401, "wrong secret");
    assert_eq!(r.post(None, valid).await, 401, "no secret");
    assert_eq!(r.post(Some(SECRET), "{not json").await, 400, "malformed");
    let unknown = r#"{"IdW12":1,"IdBranch":1,"IdRecord":5,"EventType":"DropTables"}"#;
    assert_eq!(r.post(Some(SECRET), unknown).await, 400, "unknown type");
    assert_eq!(
        r.post(Some(SECRET), r#"{"IdRecord":5,"EventType":"Freeze"}"#)
            .await,
        400,
        "missing fields"
    );

    let health: Value = r
        .http
        .get(format!("{}/health", r.url))
        .send()
        .await
        .expect("health")
        .text()
        .await
        .map(|t| serde_json::from_str(&t).expect("health JSON"))
        .expect("health body");
    assert_eq!(health["stats"]["accepted"], 3, "{health}");
    assert_eq!(health["stats"]["refused_unauthorized"], 2, "{health}");
    assert_eq!(health["stats"]["refused_malformed"], 3, "{health}");
    assert_eq!(r.stats.snapshot().accepted, 3);

    let (pending, bad) = webhook::list_pending(&lake).await.expect("pending");
    assert!(bad.is_empty());
    let got: BTreeSet<(String, u64, u64)> = pending
        .iter()
        .map(|p| {
            let c = &p.stored.callback;
            (c.event_type.clone(), c.id_record, c.id_branch)
        })
        .collect();
    let want: BTreeSet<(String, u64, u64)> = [
        ("AlterMember".to_string(), 17, 1),
        ("AlterReceivables".to_string(), 9, 1),
        ("Freeze".to_string(), 33, 2),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want);
    // Outside bronze: bronze readers never see callbacks.
    assert!(names(&lake, "bronze").await.is_empty());
    let all = names(&lake, webhook::PENDING).await;
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(
        !std::fs::read_dir(dir.path().join(webhook::PENDING))
            .expect("pending dir")
            .filter_map(|e| e.ok())
            .any(|e| std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .contains(SECRET)),
        "the secret is never stored"
    );
}

#[tokio::test]
async fn a_callback_the_lake_cannot_store_is_answered_503_and_stored_once_resent() {
    let store = FaultyStore::new(Arc::new(InMemory::new()));
    let lake = LakeStore::from_object_store(store.clone(), "lake", "faulty://lake");
    let r = Receiver::start(&lake).await;
    store.inject(Fault::on(Op::Put).matching(webhook::PENDING).times(1));
    let body = r#"{"IdW12":1,"IdBranch":1,"IdRecord":41,"EventType":"AlterMember"}"#;
    assert_eq!(
        r.post(Some(SECRET), body).await,
        503,
        "a failed write is not acknowledged"
    );
    assert_eq!(store.injected().len(), 1);
    let s = r.stats.snapshot();
    assert_eq!((s.accepted, s.store_failures), (0, 1), "{s:?}");
    assert!(
        names(&lake, webhook::PENDING).await.is_empty(),
        "nothing stored"
    );
    // EVO sends it again: stored whole, once.
    assert_eq!(r.post(Some(SECRET), body).await, 200);
    let (pending, bad) = webhook::list_pending(&lake).await.expect("pending");
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].stored.callback.id_record, 41);
}

/// Records of an entity's run, as parsed JSON.
async fn run_records(env: &Env, entity: &str, run: &RunId) -> Vec<Value> {
    let key = EntityKey::try_new(Source::Evo, None, entity).expect("key");
    let Some(manifest) = env
        .lake
        .read_manifest(&RunRef::new(key, run.clone()))
        .await
        .expect("manifest")
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for part in &manifest.parts {
        let jsonl = env.lake.read_part_verified(part).await.expect("read part");
        for (_, rec) in jsonl.records() {
            out.push(serde_json::from_slice(rec).expect("bronze record is JSON"));
        }
    }
    out
}

/// The `webhook:` windows of an entity's run, all complete: how many, and their records.
async fn hook_windows(env: &Env, entity: &str, run: &RunId) -> (usize, u64) {
    let key = EntityKey::try_new(Source::Evo, None, entity).expect("key");
    let manifest = env
        .lake
        .read_manifest(&RunRef::new(key, run.clone()))
        .await
        .expect("manifest")
        .expect("exists");
    let windows: Vec<_> = manifest
        .windows
        .iter()
        .filter(|w| w.id.starts_with("webhook:"))
        .collect();
    assert!(
        windows.iter().all(|w| w.status == WindowStatus::Complete),
        "{windows:?}"
    );
    (windows.len(), windows.iter().map(|w| w.records).sum())
}

/// The ids the simulator was asked for with `param` (CSV values split).
fn asked_ids(env: &Env, path: &str, param: &str) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    for line in env.sim.requests(Api::Evo) {
        let Some((p, q)) = line.split_once('?') else {
            continue;
        };
        if p != path {
            continue;
        }
        for kv in q.split('&') {
            if let Some(v) = kv.strip_prefix(&format!("{param}=")) {
                let v = v.replace("%2C", ",");
                out.extend(v.split(',').filter_map(|s| s.parse::<u64>().ok()));
            }
        }
    }
    out
}

fn parse(s: &str) -> Value {
    serde_json::from_str(s).expect("simulator JSON")
}

fn run_at(secs: i64) -> RunId {
    RunId::from_time(chrono::DateTime::<chrono::Utc>::from_timestamp(secs, 0).expect("valid time"))
}

fn env_scale() -> Scale {
    let mut scale = Scale::tiny();
    scale.evo_members = 3_000;
    scale.evo_sales = 20_000;
    scale
}

#[tokio::test]
async fn an_extraction_refetches_exactly_the_callback_ids_and_moves_them_to_processed() {
    let mut env = Env::start(env_scale(), FaultConfig::none()).await;
    env.config.evo.resweep_days = 0;
    let t1 = DEFAULT_NOW;
    let t2 = t1 + 30 * DAY;
    let (g1, g2) = (env.sim.generator().at(t1), env.sim.generator().at(t2));
    // Members registered long ago whose record changed between the two clocks, topped up with
    // unchanged ones to more than one `idsMembers` batch (50).
    let mut member_ids: Vec<u64> = (1..=1_500)
        .filter(|id| members::record_json_at(&g1, *id) != members::record_json_at(&g2, *id))
        .take(40)
        .collect();
    assert!(
        member_ids.len() >= 5,
        "too few members changed: {member_ids:?}"
    );
    let unchanged: Vec<u64> = (1..=200)
        .filter(|id| !member_ids.contains(id))
        .take(20)
        .collect();
    member_ids.extend(unchanged);
    // Receivables change while their sale is recent: look from the newest one back.
    let (mut lo, mut hi) = (1u64, 1u64 << 24);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if sales::receivable_json_at(&g1, mid).is_some() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let receivable_ids: Vec<u64> = (1..=lo)
        .rev()
        .filter(|id| sales::receivable_json_at(&g1, *id) != sales::receivable_json_at(&g2, *id))
        .take(3)
        .collect();
    assert_eq!(receivable_ids.len(), 3, "receivables changed");
    let prospect_id = 4;

    env.sim.set_now(t2);
    let r = Receiver::start(&env.lake).await;
    for id in &member_ids {
        r.callback("AlterMember", *id).await;
    }
    // A second event for the same member: one id fetched, both callbacks processed.
    r.callback("Freeze", member_ids[0]).await;
    for id in &receivable_ids {
        r.callback("AlterReceivables", *id).await;
    }
    r.callback("TransferProspect", prospect_id).await;
    // Not re-fetchable by id here: left pending and reported.
    r.callback("NewSale", 12).await;
    r.callback("entries", 99).await;
    drop(r);

    let run = run_at(t2 + 1_800);
    let summary = env
        .extract(
            &ExtractRequest::new(Source::Evo)
                .with_entities(["members", "prospects", "receivables"])
                // Only recent dates: old members can arrive through their callbacks only.
                .with_range(Some(day(2026, 12, 20)), None)
                .with_run_id(run.clone()),
        )
        .await
        .expect("extraction");

    let report = summary.webhooks.clone().expect("webhook report");
    let handled = member_ids.len() + 1 + receivable_ids.len() + 1;
    assert_eq!(report.pending as usize, handled + 2, "{report:?}");
    assert_eq!(report.processed as usize, handled, "{report:?}");
    assert_eq!(report.refetched_ids["members"] as usize, member_ids.len());
    let left: BTreeSet<&str> = report
        .left_pending
        .iter()
        .map(|l| l.event_type.as_str())
        .collect();
    assert_eq!(left, BTreeSet::from(["NewSale", "entries"]), "{report:?}");
    assert!(summary.render().contains("webhooks left pending"));

    // Exactly those ids were asked for by id.
    let want: BTreeSet<u64> = member_ids.iter().copied().collect();
    assert_eq!(asked_ids(&env, "/api/v2/members", "idsMembers"), want);
    assert_eq!(
        asked_ids(&env, "/api/v1/receivables", "idReceivable"),
        receivable_ids.iter().copied().collect()
    );
    assert_eq!(
        asked_ids(&env, "/api/v1/prospects", "idProspect"),
        BTreeSet::from([prospect_id])
    );

    // Their records at the new clock are in the run's bronze, in windows of their own.
    let got = run_records(&env, "members", &run).await;
    for id in &member_ids {
        let now = parse(&members::record_json_at(&g2, *id).expect("member exists"));
        assert!(got.contains(&now), "member {id} not re-fetched");
    }
    let got = run_records(&env, "receivables", &run).await;
    for id in &receivable_ids {
        let now = parse(&sales::receivable_json_at(&g2, *id).expect("receivable exists"));
        assert!(got.contains(&now), "receivable {id} not re-fetched");
    }
    let got = run_records(&env, "prospects", &run).await;
    assert!(
        got.iter().any(|p| p["idProspect"] == prospect_id),
        "prospect re-fetched"
    );
    assert_eq!(
        hook_windows(&env, "members", &run).await,
        (2, member_ids.len() as u64),
        "two idsMembers batches, one record per id"
    );
    assert_eq!(
        hook_windows(&env, "receivables", &run).await,
        (3, 3),
        "one idReceivable window and record per id"
    );
    assert_eq!(hook_windows(&env, "prospects", &run).await, (1, 1));

    // Pending now holds just the two unhandled ones; the rest are under processed/<run>/.
    let (pending, _) = webhook::list_pending(&env.lake).await.expect("pending");
    let pending: BTreeSet<&str> = pending
        .iter()
        .map(|p| p.stored.callback.event_type.as_str())
        .collect();
    assert_eq!(pending, BTreeSet::from(["NewSale", "entries"]));
    let processed = names(&env.lake, &format!("{}/{run}", webhook::PROCESSED)).await;
    assert_eq!(processed.len(), handled);

    // The next run has nothing to re-fetch by id.
    env.sim.advance(DAY);
    let next = env
        .extract(
            &ExtractRequest::new(Source::Evo)
                .with_entities(["members"])
                .with_range(Some(day(2026, 12, 20)), None)
                .with_run_id(run_at(t2 + DAY + 1_800)),
        )
        .await
        .expect("next run");
    let report = next.webhooks.expect("still two pending");
    assert_eq!((report.pending, report.processed), (2, 0));
    assert!(report.refetched_ids.is_empty());
}

#[tokio::test]
async fn a_failed_refetch_leaves_its_callbacks_pending() {
    let env = Env::start(env_scale(), FaultConfig::none()).await;
    let r = Receiver::start(&env.lake).await;
    r.callback("AlterMember", 7).await;
    r.callback("CreateMembership", 8).await;
    r.callback("ClearedDebt", 21).await;
    drop(r);
    // Receivable 21 always answers 500: its window fails, and with it the run.
    env.sim.set_faults(
        Api::Evo,
        ApiFaults {
            fail_page: Some(PageFault {
                path: "/api/v1/receivables".into(),
                param: "idReceivable".into(),
                value: "21".into(),
            }),
            ..ApiFaults::default()
        },
    );
    let req = ExtractRequest::new(Source::Evo)
        .with_entities(["members", "receivables"])
        .with_range(Some(day(2026, 11, 20)), None);
    let err = env.extract(&req).await.expect_err("receivable 21 fails");
    assert!(err.to_string().contains("webhook:idReceivable:21"), "{err}");
    let (pending, _) = webhook::list_pending(&env.lake).await.expect("pending");
    let left: Vec<&str> = pending
        .iter()
        .map(|p| p.stored.callback.event_type.as_str())
        .collect();
    // The members' window completed before the receivables failed: theirs are done.
    assert_eq!(left, vec!["ClearedDebt"], "{pending:?}");

    env.sim.set_faults(Api::Evo, ApiFaults::default());
    let summary = env
        .extract(&req.clone().with_resume(true))
        .await
        .expect("resumed run");
    assert_eq!(summary.webhooks.expect("report").processed, 1);
    let (pending, _) = webhook::list_pending(&env.lake).await.expect("pending");
    assert!(pending.is_empty(), "{pending:?}");
}

/// The newest sale id the simulator shows at `g`'s clock.
fn newest_sale(g: &skyfit_api_sim::Gen) -> u64 {
    let (mut lo, mut hi) = (1u64, 1u64 << 24);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if sales::record_json_at(g, mid).is_some() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The by-id sale requests the simulator saw: `(id, showReceivables=true was sent)`.
fn sales_asked_by_id(env: &Env) -> BTreeSet<(u64, bool)> {
    env.sim
        .requests(Api::Evo)
        .iter()
        .filter_map(|line| {
            let (p, q) = line.split_once('?').unwrap_or((line.as_str(), ""));
            let id = p.strip_prefix("/api/v2/sales/")?.parse::<u64>().ok()?;
            Some((id, q.split('&').any(|kv| kv == "showReceivables=true")))
        })
        .collect()
}

#[tokio::test]
async fn sale_callbacks_are_refetched_by_id_and_a_missing_sale_is_settled_with_its_reason() {
    let mut env = Env::start(env_scale(), FaultConfig::none()).await;
    env.config.evo.resweep_days = 0;
    let t1 = DEFAULT_NOW;
    let t2 = t1 + 30 * DAY;
    let (g1, g2) = (env.sim.generator().at(t1), env.sim.generator().at(t2));
    let newest = newest_sale(&g1);
    // A sale that existed before and changed between the two clocks (its receivables move).
    let changed = (1..=newest)
        .rev()
        .find(|id| sales::record_json_at(&g1, *id) != sales::record_json_at(&g2, *id))
        .expect("a sale changed");
    let unknown = 900_000_000;
    assert!(sales::record_json_at(&g2, unknown).is_none());

    env.sim.set_now(t2);
    let r = Receiver::start(&env.lake).await;
    r.callback("NewSale", changed).await;
    r.callback("SalesItensUpdated", changed).await;
    r.callback("RecurrentSale", unknown).await;
    drop(r);

    let run = run_at(t2 + 1_800);
    let summary = env
        .extract(
            &ExtractRequest::new(Source::Evo)
                .with_entities(["sales"])
                .with_range(Some(day(2026, 12, 20)), None)
                .with_run_id(run.clone()),
        )
        .await
        .expect("a sale that answers 404 does not fail the run");

    assert_eq!(
        sales_asked_by_id(&env),
        BTreeSet::from([(changed, true), (unknown, true)]),
        "each sale asked for once by id, with its receivables"
    );
    let now = parse(&sales::record_json_at(&g2, changed).expect("sale exists"));
    assert!(
        run_records(&env, "sales", &run).await.contains(&now),
        "sale {changed} re-fetched at the new clock"
    );
    assert_eq!(
        hook_windows(&env, "sales", &run).await,
        (2, 1),
        "one window per sale id; the unknown one lands no record"
    );

    let report = summary.webhooks.clone().expect("webhook report");
    assert_eq!((report.pending, report.processed), (3, 3), "{report:?}");
    assert_eq!(report.refetched_ids["sales"], 2);
    assert!(report.left_pending.is_empty(), "{report:?}");
    assert_eq!(report.settled_without_record.len(), 1, "{report:?}");
    let gone = &report.settled_without_record[0];
    assert_eq!(
        (gone.event_type.as_str(), gone.callbacks),
        ("RecurrentSale", 1)
    );
    assert!(gone.reason.contains("404"), "{gone:?}");
    assert!(
        summary
            .render()
            .contains("webhooks settled without a record: 1 RecurrentSale")
    );

    let (pending, _) = webhook::list_pending(&env.lake).await.expect("pending");
    assert!(pending.is_empty(), "{pending:?}");
    let processed = names(&env.lake, &format!("{}/{run}", webhook::PROCESSED)).await;
    assert_eq!(processed.len(), 3);
    let notes: Vec<(u64, Option<String>)> =
        futures::future::join_all(processed.iter().map(|name| async {
            let bytes = env
                .lake
                .object_store()
                .get(&Path::from(name.as_str()))
                .await
                .expect("get")
                .bytes()
                .await
                .expect("bytes");
            let s: webhook::StoredCallback = serde_json::from_slice(&bytes).expect("stored");
            (s.callback.id_record, s.note)
        }))
        .await;
    for (id, note) in notes {
        assert_eq!(note.is_some(), id == unknown, "{id}: {note:?}");
    }
}

#[tokio::test]
async fn a_sale_that_fails_by_id_stays_pending_and_fails_the_run() {
    let env = Env::start(env_scale(), FaultConfig::none()).await;
    let sale = newest_sale(&env.sim.generator().at(DEFAULT_NOW)) - 3;
    let r = Receiver::start(&env.lake).await;
    r.callback("NewSale", sale).await;
    drop(r);
    // This sale always answers 500 on its by-id path, after every client retry.
    env.sim.set_faults(
        Api::Evo,
        ApiFaults {
            fail_page: Some(PageFault {
                path: format!("/api/v2/sales/{sale}"),
                param: "showReceivables".into(),
                value: "true".into(),
            }),
            ..ApiFaults::default()
        },
    );
    let req = ExtractRequest::new(Source::Evo)
        .with_entities(["sales"])
        .with_range(Some(day(2026, 11, 20)), None);
    let err = env.extract(&req).await.expect_err("the sale answers 500");
    assert!(
        err.to_string().contains(&format!("webhook:idSale:{sale}")),
        "{err}"
    );
    let (pending, _) = webhook::list_pending(&env.lake).await.expect("pending");
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert!(names(&env.lake, webhook::PROCESSED).await.is_empty());

    env.sim.set_faults(Api::Evo, ApiFaults::default());
    let summary = env
        .extract(&req.clone().with_resume(true))
        .await
        .expect("resumed run");
    let report = summary.webhooks.expect("report");
    assert_eq!(report.processed, 1, "{report:?}");
    assert!(report.settled_without_record.is_empty(), "{report:?}");
    let (pending, _) = webhook::list_pending(&env.lake).await.expect("pending");
    assert!(pending.is_empty(), "{pending:?}");
}

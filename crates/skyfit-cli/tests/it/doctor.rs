//! `skyfit doctor`'s checks for the night ahead: free space against the last run's volume,
//! the server's version and settings, the reporting role's privileges, stale watermarks.

use crate::support::{LocalEnv, output, text};

fn line<'t>(t: &'t str, what: &str) -> &'t str {
    t.lines()
        .find(|l| {
            l.trim_start()
                .split_once("  ")
                .is_some_and(|(_, rest)| rest.trim_start().starts_with(what))
        })
        .unwrap_or_else(|| panic!("no `{what}` line: {t}"))
}

/// After a run, doctor reports the space against that run's volume, the server and the
/// reader role; a core table the reader cannot read is named, with the grant that fixes it.
#[tokio::test(flavor = "multi_thread")]
async fn doctor_checks_space_server_and_names_a_table_the_reader_cannot_read() {
    let env = LocalEnv::new().await;
    let out = env.run(&["run", "--sim-scale", "tiny"]).await;
    assert!(out.status.success(), "{}", text(&out));

    let out = env.run(&["doctor"]).await;
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    let lake = line(&t, "lake space:");
    assert!(lake.starts_with("  ok    lake space: "), "{lake}");
    assert!(lake.contains("free at "), "{lake}");
    assert!(lake.contains("tonight's expected volume"), "{lake}");
    assert!(lake.contains("entities)"), "{lake}");
    let version = line(&t, "PostgreSQL version:");
    assert!(
        version.starts_with("  ok    PostgreSQL version: "),
        "{version}"
    );
    let settings = line(&t, "PostgreSQL settings:");
    assert!(settings.contains("max_connections="), "{settings}");
    assert!(settings.contains("maintenance_work_mem="), "{settings}");
    let db = line(&t, "database space:");
    assert!(db.contains("database "), "{db}");
    assert!(db.contains("tonight's expected volume up to"), "{db}");
    let reader = line(&t, "reader role:");
    assert!(
        reader.starts_with("  ok    reader role: skyfit_reader reads core and analytics"),
        "{reader}"
    );
    let wm = line(&t, "watermarks:");
    assert!(wm.starts_with("  ok    watermarks: "), "{wm}");

    env.db
        .client()
        .batch_execute("REVOKE SELECT ON core.evo_branches FROM skyfit_reader")
        .await
        .unwrap();
    let out = env.run(&["doctor"]).await;
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains("  FAIL  reader role: skyfit_reader cannot read core.evo_branches: GRANT SELECT ON core.evo_branches TO skyfit_reader"),
        "{t}"
    );
}

/// A watermark that has not moved for longer than its source's freshness limit is named.
#[tokio::test(flavor = "multi_thread")]
async fn doctor_names_a_stale_watermark() {
    let env = LocalEnv::new().await;
    let out = env.run(&["db", "migrate"]).await;
    assert!(out.status.success(), "{}", text(&out));
    env.db
        .client()
        .batch_execute(
            "INSERT INTO meta.watermarks (source, scope, entity, value, updated_at) VALUES
               ('evo', '', 'members', '{}', now() - interval '3 days'),
               ('pipedrive', 'comercial', 'deals', '{}', now() - interval '1 hour')",
        )
        .await
        .unwrap();
    let out = env.run(&["doctor"]).await;
    let t = text(&out);
    let wm = line(&t, "watermarks:");
    assert!(
        wm.starts_with("  warn  watermarks: stale: evo/members (72 h old, limit 26 h)"),
        "{wm}"
    );
    assert!(!wm.contains("deals"), "{wm}");
    // A limit of its own per source: four days make the EVO watermark fresh again.
    let mut c = env.skyfit(&["doctor"]);
    c.env("SKYFIT_FRESHNESS_EVO_HOURS", "96");
    let out = output(c).await;
    let t = text(&out);
    assert!(
        line(&t, "watermarks:").starts_with("  ok    watermarks: 2 fresh"),
        "{t}"
    );
}

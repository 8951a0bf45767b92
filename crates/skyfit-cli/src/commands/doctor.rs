//! `skyfit doctor`: checks each part of the set-up and says, in plain words, what is wrong
//! and what to do. Exits non-zero when any check fails.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Result;
use skyfit_core::Config;
use skyfit_core::config::ConfigSources;
use skyfit_warehouse::MigrationState;

use super::doctor_report::Report;
use crate::cli::GlobalArgs;
use crate::context::Context;

pub async fn run(g: &GlobalArgs) -> Result<ExitCode> {
    let mut r = Report::default();
    println!("SkyFit Lake doctor");
    let env: HashMap<String, String> = std::env::vars().collect();
    let config = match Config::load(&ConfigSources {
        file: g.config.clone(),
        env,
    }) {
        Ok(c) => {
            r.ok("configuration", "loaded");
            c
        }
        Err(e) => {
            r.fail("configuration", e);
            println!(
                "\n1 problem found: fix the configuration first (see docs/operations.md#configuration)."
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    sources(&r, &config);
    let ctx = Context::new(config, g.queries.clone());
    lake(&mut r, &ctx).await;
    database(&mut r, &ctx).await;
    super::doctor_checks::run(&mut r, &ctx).await;
    apis(&mut r, &ctx.config).await;
    if r.failures == 0 {
        println!("\nAll checks passed.");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("\n{} problem(s) found.", r.failures);
        Ok(ExitCode::FAILURE)
    }
}

/// What happens to a source without credentials: the simulator stands in, unless this binary
/// was built without it (Cargo feature `sim`).
const NO_CREDENTIALS: &str = if cfg!(feature = "sim") {
    "the simulator stands in"
} else {
    "this binary has no simulator: leave the source out with --sources"
};

fn sources(r: &Report, c: &Config) {
    match c.evo.credentials() {
        Some((user, _)) => r.ok("EVO", format!("{} as {user}", c.evo.api_url)),
        None => r.note(
            "EVO",
            format!("no EVO_USERNAME/EVO_PASSWORD: {NO_CREDENTIALS}"),
        ),
    }
    let scopes: Vec<&str> = c.pipedrive.scopes().iter().map(|(s, _)| *s).collect();
    if scopes.is_empty() {
        r.note(
            "Pipedrive",
            format!("no PIPEDRIVE_TOKEN_*: {NO_CREDENTIALS}"),
        );
    } else {
        r.ok(
            "Pipedrive",
            format!(
                "{} ({})",
                c.pipedrive.base_url().unwrap_or_default(),
                scopes.join(", ")
            ),
        );
    }
    match c.zendesk.credentials() {
        Some((email, _)) => r.ok(
            "Zendesk",
            format!("{} as {email}", c.zendesk.base_url().unwrap_or_default()),
        ),
        None => r.note(
            "Zendesk",
            format!("no ZENDESK_EMAIL/ZENDESK_API_TOKEN: {NO_CREDENTIALS}"),
        ),
    }
}

async fn lake(r: &mut Report, ctx: &Context) {
    let lake = match ctx.lake() {
        Ok(l) => l,
        Err(e) => {
            return r.fail(
                "lake",
                format!("{e:#}. Check lake.url (SKYFIT_LAKE_URL) and the Azure settings"),
            );
        }
    };
    match lake.check_writable().await {
        Ok(()) => r.ok("lake", format!("{} (write, read, delete)", lake.url())),
        Err(e) => {
            let hint = if missing_container(&e.to_string()) {
                "the container named in lake.url does not exist: create it (`az storage container create --name <container> --account-name <account>`, or in the Azure portal), then run `skyfit doctor` again".to_string()
            } else {
                "check the lake URL and its credentials (AZURE_STORAGE_ACCOUNT_KEY / AZURE_STORAGE_SAS_TOKEN)".to_string()
            };
            return r.fail("lake", format!("{e}. {hint}"));
        }
    }
    // The loader reads the lake through DataFusion, not through the calls above: check that
    // path too, on the same store, with the same table registration.
    let want = skyfit_transform::probe::PROBE_ROWS;
    match skyfit_transform::probe::check_read_path(&lake).await {
        Ok(n) if n == want => r.ok(
            "lake read path",
            format!("{n} rows written as Parquet and read back through DataFusion"),
        ),
        Ok(n) => r.fail(
            "lake read path",
            format!(
                "wrote {want} rows as Parquet, DataFusion read back {n}: loads from this lake would miss records. Report this with the lake URL's scheme"
            ),
        ),
        Err(e) => r.fail("lake read path", e),
    }
}

/// Azure answers a request into a container that does not exist with `ContainerNotFound`.
fn missing_container(error: &str) -> bool {
    error.contains("ContainerNotFound") || error.contains("The specified container does not exist")
}

/// One authenticated request per configured API; a source without credentials is not probed.
async fn apis(r: &mut Report, c: &Config) {
    let http = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .build()
    {
        Ok(h) => h,
        Err(e) => return r.fail("APIs", e),
    };
    if let Some((user, pass)) = c.evo.credentials() {
        let req = http
            .get(format!(
                "{}/api/v2/members",
                c.evo.api_url.trim_end_matches('/')
            ))
            .query(&[("take", "1")])
            .basic_auth(user, Some(pass.expose()));
        probe(r, "EVO API", req, "EVO_USERNAME / EVO_PASSWORD").await;
    }
    if let Some(base) = c.pipedrive.base_url() {
        for (scope, token) in c.pipedrive.scopes() {
            let req = http
                .get(format!("{}/api/v1/users/me", base.trim_end_matches('/')))
                .header("x-api-token", token.expose());
            let var = format!("PIPEDRIVE_TOKEN_{}", scope.to_ascii_uppercase());
            probe(r, &format!("Pipedrive API ({scope})"), req, &var).await;
        }
    }
    if let (Some(base), Some((email, token))) = (c.zendesk.base_url(), c.zendesk.credentials()) {
        let req = http
            .get(format!(
                "{}/api/v2/users/me.json",
                base.trim_end_matches('/')
            ))
            .basic_auth(format!("{email}/token"), Some(token.expose()));
        probe(r, "Zendesk API", req, "ZENDESK_EMAIL / ZENDESK_API_TOKEN").await;
    }
}

async fn probe(r: &mut Report, what: &str, req: reqwest::RequestBuilder, credential: &str) {
    match req.send().await {
        Ok(resp) if resp.status().is_success() => r.ok(
            what,
            format!("reachable, credentials accepted ({})", resp.status()),
        ),
        Ok(resp) if resp.status() == 401 || resp.status() == 403 => r.fail(
            what,
            format!(
                "the API refused the credentials ({}): check {credential}",
                resp.status()
            ),
        ),
        Ok(resp) => r.note(what, format!("reachable, answered {}", resp.status())),
        // reqwest's error text holds the URL, never headers or passwords.
        Err(e) => r.fail(what, format!("unreachable: {e}")),
    }
}

async fn database(r: &mut Report, ctx: &Context) {
    let db = match ctx.database().await {
        Ok(db) => db,
        Err(e) => return r.fail("database", format!("{e:#}")),
    };
    let client = match skyfit_warehouse::connect_with_retry(&db, std::time::Duration::from_secs(10))
        .await
    {
        Ok(c) => c,
        Err(e) => {
            return r.fail(
                "database",
                format!("{e}. Check PG_HOST, PG_PORT, PG_USER, PG_PASSWORD and PG_SSLMODE (or DATABASE_URL)"),
            );
        }
    };
    match client.query_one("SHOW server_version", &[]).await {
        Ok(row) => r.ok(
            "database",
            format!(
                "{} (PostgreSQL {}, sslmode={})",
                db.target(),
                row.get::<_, String>(0),
                db.sslmode()
            ),
        ),
        Err(e) => return r.fail("database", e),
    }
    match skyfit_warehouse::status(&client).await {
        Ok(st) => {
            let pending = st
                .iter()
                .filter(|(_, s)| *s == MigrationState::Pending)
                .count();
            let edited: Vec<_> = st
                .iter()
                .filter(|(_, s)| *s == MigrationState::Edited)
                .map(|(m, _)| m.name)
                .collect();
            if !edited.is_empty() {
                r.fail(
                    "migrations",
                    format!("edited after being applied: {}", edited.join(", ")),
                );
            } else if pending > 0 {
                r.note(
                    "migrations",
                    format!("{pending} pending; `skyfit db migrate` (or any run) applies them"),
                );
            } else {
                r.ok("migrations", format!("{} applied", st.len()));
            }
        }
        Err(e) => r.fail("migrations", e),
    }
}

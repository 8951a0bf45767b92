use skyfit_test_utils::TestDb;

use crate::support::{parts, skyfit, text};

#[tokio::test]
async fn migrate_twice_through_the_cli_is_idempotent() {
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let url = db.url();
    let first = skyfit(dir.path())
        .args(["db", "migrate"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("Applied"), "{}", text(&first));
    let second = skyfit(dir.path())
        .args(["db", "migrate"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(second.status.success(), "{}", text(&second));
    assert!(text(&second).contains("is up to date"), "{}", text(&second));
    let status = skyfit(dir.path())
        .args(["db", "status"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        text(&status).contains("0001_schemas_and_meta.sql"),
        "{}",
        text(&status)
    );
}

/// Secrets must not reach logs or errors, even at the most verbose level.
#[tokio::test]
async fn secrets_never_appear_in_verbose_logs_or_errors() {
    let db = TestDb::empty().await;
    let (host, port, _, name) = parts(&db);
    let role = format!("secret_probe_{}", std::process::id());
    let password = format!("Pw-{}-never-print", std::process::id());
    db.client()
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password}'"
        ))
        .await
        .unwrap();
    let secrets = [
        password.as_str(),
        "evo-pass-7731",
        "pd-token-comercial-5521",
        "zd-token-8812",
        "azure-key-4471",
    ];
    let dir = tempfile::tempdir().unwrap();
    let run = |pw: &str, args: &[&str]| {
        skyfit(dir.path())
            .args(args)
            .env("PG_HOST", &host)
            .env("PG_PORT", &port)
            .env("PG_DATABASE", &name)
            .env("PG_USER", &role)
            .env("PG_PASSWORD", pw)
            .env("PG_SSLMODE", "require")
            .env("EVO_USERNAME", "evo-user")
            .env("EVO_PASSWORD", secrets[1])
            .env("PIPEDRIVE_COMPANY_DOMAIN", "skyfit")
            .env("PIPEDRIVE_TOKEN_COMERCIAL", secrets[2])
            .env("ZENDESK_SUBDOMAIN", "skyfit")
            .env("ZENDESK_EMAIL", "ops@example.com")
            .env("ZENDESK_API_TOKEN", secrets[3])
            .env("AZURE_STORAGE_KEY", secrets[4])
            .output()
            .unwrap()
    };
    for args in [
        &["-vv", "db", "migrate"][..],
        &["-vv", "doctor"],
        &["-vv", "--log-format", "json", "status"],
    ] {
        let out = run(&password, args);
        let t = text(&out);
        // doctor also probes the (unreachable from here) real APIs with the credentials: it
        // reports them as failing, which must not print them either.
        if args[1] != "doctor" {
            assert!(out.status.success(), "{args:?}: {t}");
        } else {
            assert!(t.contains("ok    database"), "{t}");
            assert!(t.contains("EVO API"), "{t}");
        }
        for s in secrets {
            assert!(!t.contains(s), "{args:?} printed a secret: {t}");
        }
    }
    // A failing login: the error names the server and user, never the password tried.
    let out = run("wrong-Pw-5150", &["-vv", "db", "status"]);
    let t = text(&out);
    assert!(!out.status.success());
    assert!(t.contains("password authentication failed"), "{t}");
    assert!(!t.contains("wrong-Pw-5150"), "{t}");
    db.client()
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await
        .ok();
}

/// `doctor` checks the lake and, for a configured API, that it answers and takes the credentials.
#[tokio::test(flavor = "multi_thread")]
async fn doctor_checks_lake_database_and_api_credentials() {
    use skyfit_api_sim::{Scale, SimConfig, Simulator};
    let sim = Simulator::start(
        SimConfig::new(1, Scale::tiny()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let doctor = |password: &str| {
        skyfit(dir.path())
            .args(["doctor"])
            .env("DATABASE_URL", db.url())
            .env("EVO_API_URL", sim.evo_url())
            .env("EVO_USERNAME", &sim.credentials().evo_user)
            .env("EVO_PASSWORD", password)
            .output()
            .unwrap()
    };
    let good = doctor(&sim.credentials().evo_password.clone());
    let t = text(&good);
    assert!(good.status.success(), "{t}");
    assert!(t.contains("ok    lake"), "{t}");
    assert!(
        t.contains("ok    lake read path: 1000 rows written as Parquet and read back"),
        "{t}"
    );
    assert!(
        t.contains("ok    EVO API: reachable, credentials accepted"),
        "{t}"
    );
    let bad = doctor("not-the-password-313");
    let t = text(&bad);
    assert!(!bad.status.success(), "{t}");
    assert!(t.contains("FAIL  EVO API: the API refused the credentials (401 Unauthorized): check EVO_USERNAME / EVO_PASSWORD"), "{t}");
    assert!(!t.contains("not-the-password-313"), "{t}");
}

/// On an Azure lake, doctor checks the whole read path the loader uses, and a container that
/// does not exist gets the command that creates it.
#[tokio::test]
async fn doctor_on_azurite_checks_the_read_path_and_names_a_missing_container() {
    let az = skyfit_test_utils::azurite::Azurite::start();
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let doctor = || {
        let mut c = skyfit(dir.path());
        for (k, v) in az.env("datalake", "doctor/lake") {
            c.env(k, v);
        }
        c.args(["doctor"])
            .env("DATABASE_URL", db.url())
            .output()
            .unwrap()
    };
    let out = doctor();
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains("FAIL  lake") && t.contains("container named in lake.url does not exist"),
        "{t}"
    );
    assert!(!t.contains(skyfit_test_utils::azurite::KEY), "{t}");

    az.create_container("datalake");
    let out = doctor();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("ok    lake read path: 1000 rows written as Parquet and read back"),
        "{t}"
    );
}

use crate::support::{skyfit, text};

#[test]
fn doctor_names_the_broken_setting_and_where_to_set_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = skyfit(dir.path())
        .args(["doctor"])
        .env("PG_PORT", "five-four-three-two")
        .output()
        .unwrap();
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains("`database.port` must be a whole number, but PG_PORT is `five-four-three-two`"),
        "{t}"
    );
}

#[test]
fn a_secret_in_skyfit_toml_is_refused_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("skyfit.toml"),
        "[evo]\npassword = \"toml-secret-991\"\n",
    )
    .unwrap();
    let out = skyfit(dir.path()).args(["doctor"]).output().unwrap();
    let t = text(&out);
    assert!(!out.status.success());
    assert!(t.contains("`evo.password` is a secret"), "{t}");
    assert!(t.contains("EVO_PASSWORD"), "{t}");
    assert!(!t.contains("toml-secret-991"), "{t}");
}

#[test]
fn dotenv_in_the_working_directory_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "PG_SSLMODE=sometimes\n").unwrap();
    let out = skyfit(dir.path()).args(["doctor"]).output().unwrap();
    let t = text(&out);
    assert!(!out.status.success());
    assert!(t.contains("sometimes"), "{t}");
}

#[test]
fn every_subcommand_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    for sub in [
        "run",
        "extract",
        "load",
        "transform",
        "query",
        "sim",
        "db",
        "status",
        "doctor",
    ] {
        let out = skyfit(dir.path()).args([sub, "--help"]).output().unwrap();
        let t = text(&out);
        assert!(out.status.success(), "{sub}: {t}");
        assert!(t.contains("Usage: skyfit"), "{sub}: {t}");
    }
}

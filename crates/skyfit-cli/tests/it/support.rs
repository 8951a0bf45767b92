use std::process::{Command, Output};

/// `skyfit` with a clean environment: no inherited SKYFIT_*/PG_*/EVO_* settings, run in a
/// temporary directory so no skyfit.toml or .env of the developer's leaks in.
pub fn skyfit(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_skyfit"));
    c.current_dir(dir).env_clear();
    for keep in ["PATH", "HOME", "TMPDIR", "LANG"] {
        if let Ok(v) = std::env::var(keep) {
            c.env(keep, v);
        }
    }
    c
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// host, port, user, database of a test database.
pub fn parts(db: &skyfit_test_utils::TestDb) -> (String, String, String, String) {
    let target = db.database().target();
    let (user, rest) = target.split_once('@').unwrap();
    let (hostport, name) = rest.split_once('/').unwrap();
    let (host, port) = hostport.rsplit_once(':').unwrap();
    (host.into(), port.into(), user.into(), name.into())
}

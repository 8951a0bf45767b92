use std::process::{Command, Output};

use skyfit_test_utils::TestDb;

use crate::lakes::{LakeKind, TestLake};

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

/// splitmix64: random kill moments, reproducible from the printed seed.
pub struct Rng(pub u64);

impl Rng {
    /// A value in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The kill tests' seed: `SKYFIT_KILL_SEED` to replay a failure, else the clock.
pub fn kill_seed() -> u64 {
    std::env::var("SKYFIT_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

/// A temporary working directory, a local lake and an empty database: what a CLI test runs the
/// binary in.
pub struct LocalEnv {
    pub lake: TestLake,
    pub db: TestDb,
    pub dir: tempfile::TempDir,
}

impl LocalEnv {
    pub async fn new() -> LocalEnv {
        LocalEnv {
            lake: TestLake::start(LakeKind::Local),
            db: TestDb::empty().await,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// `skyfit ARGS` on this lake and database.
    pub fn skyfit(&self, args: &[&str]) -> Command {
        let mut c = skyfit(self.dir.path());
        self.lake.apply(&mut c);
        c.args(args).env("DATABASE_URL", self.db.url());
        c
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        output(self.skyfit(args)).await
    }
}

/// Runs `cmd` to its end off the async runtime's threads.
pub async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

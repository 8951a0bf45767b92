//! `skyfit extract` onto a lake that runs out of space: the run stops with the disk's error and
//! a non-zero exit, and once space is freed both `--resume` and a plain rerun end with exactly
//! the records of an uninterrupted run. The disk is a real one: a small tmpfs mounted under the
//! test's directory (this needs root, as CI has; elsewhere the test says so and passes).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::extract_kill::{bronze, extract, run_ok, start_sim, truth};
use crate::support::text;

/// A tmpfs mounted at a directory for the life of the value.
struct Tmpfs {
    at: PathBuf,
}

impl Tmpfs {
    /// Mounts `bytes` of tmpfs at `at`; `None` where this machine does not allow it.
    fn mount(at: &Path, bytes: u64) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).expect("mount point");
        let size = format!("size={bytes}");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &size, "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs { at: at.to_owned() })
    }

    /// Grows (or shrinks) the filesystem in place, keeping its files.
    fn resize(&self, bytes: u64) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}"), "tmpfs"])
            .arg(&self.at)
            .status()
            .expect("mount runs");
        assert!(status.success(), "remount {}", self.at.display());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_lake_disk_stops_the_run_and_a_resume_or_rerun_loses_nothing() {
    let sim = start_sim().await;
    let truth = truth(&sim);
    for resume in [true, false] {
        let dir = tempfile::tempdir().expect("temp dir");
        // About a third of what the run writes.
        let Some(disk) = Tmpfs::mount(&dir.path().join("lake"), 1 << 20) else {
            eprintln!(
                "SKIPPED: cannot mount a tmpfs here (needs root); the full-disk path is untested"
            );
            return;
        };

        let out = tokio::process::Command::from(extract(dir.path(), &sim, &[]))
            .output()
            .await
            .expect("skyfit runs");
        let said = text(&out);
        assert!(
            !out.status.success(),
            "a full disk must fail the run: {said}"
        );
        assert!(
            said.contains("No space left on device") && said.contains("entries"),
            "the error names the disk's complaint and the entity: {said}"
        );
        assert_eq!(
            bronze(dir.path()).await.1,
            0,
            "no run may claim to be complete"
        );
        println!(
            "full disk: {}",
            said.trim_end().lines().last().unwrap_or_default()
        );

        disk.resize(64 << 20);
        let again: &[&str] = if resume { &["--resume"] } else { &[] };
        run_ok(extract(dir.path(), &sim, again), "after freeing space").await;
        let (got, runs) = bronze(dir.path()).await;
        assert_eq!(runs, 1, "resume: {resume}");
        assert_eq!(
            got.values().map(|n| u64::from(*n)).sum::<u64>(),
            truth.len() as u64,
            "resume: {resume}"
        );
        assert!(got == truth, "same records, each once (resume: {resume})");
        println!("full disk, then {}: {} records", again.join(" "), got.len());
    }
    sim.shutdown().await;
}

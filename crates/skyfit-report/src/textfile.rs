//! Writing the metrics file for node_exporter's textfile collector.
//!
//! The collector reads every `*.prom` file of its directory at each scrape, so the file must
//! never be seen half-written: the text goes to a temporary sibling first
//! (`.NAME.PID.tmp`, which the collector ignores as it does not end in `.prom`), is flushed
//! to disk, and is renamed over the file, an atomic replace within one directory. The file
//! is made readable by all (mode 0644, whatever the umask): node_exporter runs as another
//! user.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Atomically replaces `path` with `contents`.
pub fn write_atomic(path: &Path, contents: &str) -> Result<()> {
    if path.extension().and_then(|e| e.to_str()) != Some("prom") {
        tracing::warn!(
            path = %path.display(),
            "The metrics file does not end in .prom; node_exporter's textfile collector will not read it."
        );
    }
    let tmp = temp_path(path);
    let fail = |source| Error::Textfile {
        path: path.to_path_buf(),
        source,
    };
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(contents.as_bytes())?;
        // Readable by node_exporter's user whatever the umask (a hardened unit's 0077).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(0o644))?;
        }
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(fail(e));
    }
    // Make the rename itself durable; a failure here loses nothing already visible.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "metrics".into());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_file_is_a_hidden_sibling_the_collector_ignores() {
        let t = temp_path(Path::new("/var/lib/node_exporter/skyfit.prom"));
        assert_eq!(t.parent(), Some(Path::new("/var/lib/node_exporter")));
        let name = t.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with(".skyfit.prom.") && name.ends_with(".tmp"),
            "{name}"
        );
    }

    #[test]
    fn replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skyfit.prom");
        write_atomic(&path, "a 1\n").unwrap();
        write_atomic(&path, "a 2\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "a 2\n");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("skyfit.prom")]);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope/skyfit.prom");
        let err = write_atomic(&path, "a 1\n").unwrap_err();
        assert!(err.to_string().contains("skyfit.prom"), "{err}");
        assert!(!err.is_transient());
    }
}

//! Azurite for tests: installed once with npm, started per test on a free port, killed on drop.
//!
//! CI can pre-install it with the command [`install_command`] prints:
//! `npm install --prefix target/azurite azurite`. Set `AZURITE_DIR` to use another directory.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::{Digest, Sha256};

pub const ACCOUNT: &str = "devstoreaccount1";
pub const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Where azurite is (or will be) installed.
pub fn azurite_dir() -> PathBuf {
    match std::env::var_os("AZURITE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/azurite")),
    }
}

pub fn install_command() -> String {
    format!(
        "npm install --prefix {} azurite --no-audit --no-fund",
        azurite_dir().display()
    )
}

/// The `azurite-blob` executable, installing azurite with npm on first use.
pub fn ensure_azurite() -> Result<PathBuf, String> {
    let dir = azurite_dir();
    let bin = dir.join("node_modules/.bin/azurite-blob");
    if bin.exists() {
        return Ok(bin);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let status = Command::new("npm")
        .args(["install", "--prefix"])
        .arg(&dir)
        .args(["azurite", "--no-audit", "--no-fund"])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| {
            format!(
                "azurite is not installed and npm could not be run ({e}). Install Node.js/npm, then run: {}",
                install_command()
            )
        })?;
    if !status.success() || !bin.exists() {
        return Err(format!(
            "installing azurite failed ({status}). Run it by hand: {}",
            install_command()
        ));
    }
    Ok(bin)
}

/// A running `azurite-blob`; killed when dropped.
pub struct Azurite {
    child: Child,
    pub port: u16,
    _workdir: tempfile::TempDir,
}

impl Azurite {
    pub fn start() -> Azurite {
        let bin = ensure_azurite().unwrap_or_else(|e| panic!("Azurite is required: {e}"));
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        // In-memory persistence; the working directory only catches azurite's log.
        let workdir = tempfile::tempdir().expect("tempdir");
        let log_path = workdir.path().join("azurite.log");
        let log = std::fs::File::create(&log_path).expect("log file");
        let child = Command::new(&bin)
            .args([
                "--inMemoryPersistence",
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
            ])
            .arg(port.to_string())
            .args(["--skipApiVersionCheck", "--loose"])
            .current_dir(workdir.path())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut az = Azurite {
            child,
            port,
            _workdir: workdir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = az.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("Azurite did not start on port {port} ({exited:?}): {log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        az
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The lake URL, credentials and endpoint that point `skyfit` (its `SKYFIT_*`/`AZURE_*`
    /// environment) at `container/prefix` on this Azurite.
    pub fn env(&self, container: &str, prefix: &str) -> Vec<(&'static str, String)> {
        vec![
            ("SKYFIT_LAKE_URL", format!("az://{container}/{prefix}")),
            ("AZURE_STORAGE_ACCOUNT_NAME", ACCOUNT.to_string()),
            ("AZURE_STORAGE_ACCOUNT_KEY", KEY.to_string()),
            (
                "SKYFIT_LAKE_AZURE_ENDPOINT",
                format!("{}/{ACCOUNT}", self.endpoint()),
            ),
        ]
    }

    /// Create a container with a SharedKey-signed REST call (object_store cannot).
    pub fn create_container(&self, name: &str) {
        let version = "2021-08-06";
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let string_to_sign = format!(
            "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{ACCOUNT}/{ACCOUNT}/{name}\nrestype:container"
        );
        let key = base64::engine::general_purpose::STANDARD
            .decode(KEY)
            .unwrap();
        let sig = base64::engine::general_purpose::STANDARD
            .encode(hmac_sha256(&key, string_to_sign.as_bytes()));
        let request = format!(
            "PUT /{ACCOUNT}/{name}?restype=container HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nx-ms-date: {date}\r\nx-ms-version: {version}\r\nAuthorization: SharedKey {ACCOUNT}:{sig}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            port = self.port
        );
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        let status = response.lines().next().unwrap_or_default().to_string();
        assert!(
            status.contains(" 201 ") || status.contains(" 409 "),
            "create container: {status}\n{response}"
        );
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

#[cfg(test)]
#[test]
fn hmac_matches_rfc4231_case_2() {
    let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
    assert_eq!(
        hex::encode(mac),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

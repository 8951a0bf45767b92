//! Embeds `queries/**/*.sql` into the binary (as `skyfit-warehouse` embeds the migrations), so a
//! release runs the SQL its tables were written for, wherever it is started from; `--queries DIR`
//! overrides it.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn sql_files(dir: &Path, out: &mut Vec<PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let entries = std::fs::read_dir(dir).expect("queries/ is readable");
    for e in entries {
        let p = e.expect("queries/ entry").path();
        if p.is_dir() {
            sql_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "sql") {
            out.push(p);
        }
    }
}

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../../queries")
            .canonicalize()
            .expect("queries/ exists");
    let mut files = Vec::new();
    sql_files(&root, &mut files);
    files.sort();
    let mut out = String::from("pub(crate) static QUERIES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&root)
            .expect("under queries/")
            .to_str()
            .expect("utf-8 path")
            .replace('\\', "/");
        writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            f.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("queries.rs");
    std::fs::write(dest, out).expect("write queries.rs");
}

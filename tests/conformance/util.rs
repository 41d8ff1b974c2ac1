//! Shared helpers for the conformance tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The corpus root. Panics (fails the test) when it is missing: a conformance run without its
/// corpus must not pass silently.
pub fn corpus() -> PathBuf {
    let root = std::env::var_os("FPX_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    assert!(
        root.join("PROVENANCE.md").is_file(),
        "corpus not found at {} (set FPX_CORPUS)",
        root.display()
    );
    root
}

/// The seed documents (`../shared/seeds`, next to the corpus).
pub fn seeds() -> PathBuf {
    let dir = corpus().join("../seeds");
    assert!(
        dir.join("README.md").is_file(),
        "seeds not found at {}",
        dir.display()
    );
    dir
}

/// Every file under `dir` (recursively) whose name satisfies `pred`, sorted.
pub fn files_where(dir: &Path, pred: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if pred(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

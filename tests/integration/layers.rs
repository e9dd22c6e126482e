//! The folders of `src/` are layers and imports point one way: a file may use its own layer
//! and the ones below it, never one above (docs/ARCHITECTURE.md). This test reads every source
//! file of the library and fails on the first upward import, naming file, line and layers.

use std::path::{Path, PathBuf};

/// The library's top-level modules, lowest first; a module may import its own rank or below.
const LAYERS: &[(&str, u32)] = &[
    ("error", 0),
    ("version", 0),
    ("go", 1),
    ("snapshot", 2),
    ("model", 3),
    ("write", 4),
    ("report", 5),
    ("live", 6),
];

fn rank(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

/// The module path of a library file: `src/report/acl/json.rs` is `report::acl::json`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    if last != "mod.rs" && last != "lib.rs" {
        parts.push(last.trim_end_matches(".rs").to_string());
    }
    parts
}

/// Upward imports in the text of the file at `rel` (relative to `src/`): (line, message).
fn violations_in(rel: &Path, text: &str) -> Vec<(usize, String)> {
    let here = module_path(rel);
    let Some(own) = here.first().and_then(|m| rank(m)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut targets = Vec::new();
        // Absolute paths: `crate::report::...`.
        for (i, _) in line.match_indices("crate::") {
            let rest = &line[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            targets.push(name);
        }
        // Relative paths that climb out of the layer: `super::super::report`.
        for (i, _) in line.match_indices("super::") {
            if i >= 7 && &line[i - 7..i] == "super::" {
                continue; // counted from the first `super::` of a chain
            }
            let mut rest = &line[i..];
            let mut up = 0;
            while let Some(r) = rest.strip_prefix("super::") {
                up += 1;
                rest = r;
            }
            let depth = here.len();
            if up >= depth {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                targets.push(name);
            }
        }
        for t in targets {
            match rank(&t) {
                Some(r) if r > own => out.push((
                    n + 1,
                    format!("{} (layer {own}) imports {t} (layer {r})", here.join("::")),
                )),
                None if t == "cmd" => out.push((
                    n + 1,
                    format!("{} imports the binary's cmd", here.join("::")),
                )),
                _ => {}
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_layer_imports_a_higher_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut found = Vec::new();
    let mut checked = 0;
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        if rel.starts_with("cmd") || rel == Path::new("main.rs") || rel == Path::new("lib.rs") {
            continue; // the binary and the crate root sit above every layer
        }
        let top = rel.iter().next().unwrap().to_string_lossy();
        let top = top.trim_end_matches(".rs");
        assert!(
            rank(top).is_some(),
            "src/{} is in no layer: add its folder to LAYERS and docs/ARCHITECTURE.md",
            rel.display()
        );
        checked += 1;
        for (line, msg) in violations_in(rel, &std::fs::read_to_string(f).unwrap()) {
            found.push(format!("src/{}:{line}: {msg}", rel.display()));
        }
    }
    assert!(checked > 40, "only {checked} library files found");
    assert!(found.is_empty(), "upward imports:\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_upward_imports() {
    let go = Path::new("go/tar.rs");
    assert_eq!(violations_in(go, "use crate::report::verify;").len(), 1);
    assert_eq!(violations_in(go, "use crate::error::Result;").len(), 0);
    let model = Path::new("model/shape.rs");
    assert_eq!(
        violations_in(model, "use crate::snapshot::state::Record;").len(),
        0
    );
    assert_eq!(
        violations_in(model, "x = crate::live::consul::Client::new();").len(),
        1
    );
    // Climbing out of the layer with super:: counts as well.
    let deep = Path::new("snapshot/archive.rs");
    assert_eq!(violations_in(deep, "use super::super::write::x;").len(), 1);
    assert_eq!(violations_in(deep, "use super::state::Record;").len(), 0);
    let folder = Path::new("report/acl/json.rs");
    assert_eq!(violations_in(folder, "use super::*;").len(), 0);
    assert_eq!(
        violations_in(folder, "use super::super::super::live;").len(),
        1
    );
    // The base modules use nothing above them.
    assert_eq!(
        violations_in(Path::new("error.rs"), "crate::go::tar").len(),
        1
    );
}

/// Files short enough to read in one sitting, and a small crate root: at most six `.rs` files
/// directly in `src/`, none in `src/` over 800 lines.
#[test]
fn files_are_short_and_the_root_is_small() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 800).then(|| format!("{} ({n} lines)", f.strip_prefix(&src).unwrap().display()))
        })
        .collect();
    assert!(long.is_empty(), "over 800 lines: {long:?}");
    let at_root = files
        .iter()
        .filter(|f| f.parent() == Some(src.as_path()))
        .count();
    assert!(at_root <= 6, "{at_root} .rs files directly in src/");
}

//! The public API, held as a snapshot (tests/it/snapshots/public-api.txt): what caro and the
//! binary compile against is the flat `pub use` list in src/lib.rs, so a change to it (an
//! item added, removed or moved) shows as a reviewed diff, and no room becomes public by
//! accident.

use std::fs;
use std::path::Path;

use crate::common::assert_snapshot;

/// Every public item of src/lib.rs, one per line (its name, not the private room it comes
/// from, which may change freely), and the public modules with the feature they need.
fn public_items(lib: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut feature = None;
    let mut statement = String::new();
    for line in lib.lines().map(str::trim) {
        if line.starts_with("//") || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("#[cfg(feature = \"") {
            feature = rest.split('"').next().map(str::to_string);
            continue;
        }
        if statement.is_empty() && !line.starts_with("pub ") {
            feature = None;
            continue;
        }
        statement.push_str(line);
        statement.push(' ');
        if !line.ends_with(';') {
            continue;
        }
        let gate = feature
            .take()
            .map(|f| format!("  [feature {f}]"))
            .unwrap_or_default();
        let text = std::mem::take(&mut statement);
        let text = text.trim().trim_end_matches(';');
        if let Some(module) = text.strip_prefix("pub mod ") {
            items.push(format!("mod {module}{gate}"));
        } else if let Some(path) = text.strip_prefix("pub use ") {
            // Only the name: the private room it comes from may change freely.
            let names = match path.split_once('{') {
                Some((_, names)) => names.trim_end_matches('}'),
                None => path.rsplit_once("::").map_or(path, |(_, name)| name),
            };
            for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                items.push(format!("{name}{gate}"));
            }
        }
    }
    items.sort();
    items
}

#[test]
fn the_public_api_is_the_reviewed_list() {
    let lib = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("src/lib.rs");
    let items = public_items(&lib);
    let modules: Vec<_> = items.iter().filter(|i| i.starts_with("mod ")).collect();
    for module in &modules {
        assert!(
            module.ends_with("[feature publish]"),
            "only the publisher's modules may be public, and only behind its feature: {module}"
        );
    }
    assert!(
        items.iter().any(|i| i == "SelfUpdate"),
        "caro's entry point must stay public"
    );
    assert_snapshot("public-api", &(items.join("\n") + "\n"), &[]);
}

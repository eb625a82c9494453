//! The README's Rust examples can be pasted from the rendered page: no rustdoc-hidden
//! `# ` lines (they vanish when rendered, so the pasted code would not compile). That the
//! blocks compile and run is the doctest of `ReadmeDoctests` in `src/lib.rs`.

#[test]
fn readme_rust_blocks_have_no_hidden_lines() {
    let readme = include_str!("../README.md");
    let mut in_rust = false;
    let mut hidden = Vec::new();
    for (n, line) in readme.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            in_rust = !in_rust && info.starts_with("rust");
            continue;
        }
        let trimmed = line.trim_start();
        if in_rust && (trimmed == "#" || trimmed.starts_with("# ")) {
            hidden.push(format!("README.md:{}: {line}", n + 1));
        }
    }
    assert!(hidden.is_empty(), "hidden lines:\n{}", hidden.join("\n"));
}

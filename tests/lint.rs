//! Source lints that keep the safety mechanisms the only way in: every file certctl writes goes
//! through `safepath` + `fsx`/`certset` (directory handles reached from `/` by the safe-path
//! rule), every file it opens for reading goes through `input_file`, `safepath` or `certset`.
//! A stray call anywhere else fails here, naming the file and line.

use std::path::{Path, PathBuf};

/// Calls that create, change or remove files, and the only modules allowed to make them.
const WRITES: &[&str] = &[
    "fs::write",
    "File::create",
    "create_dir",
    "fs::rename",
    "remove_file",
    "remove_dir",
    "set_permissions",
    "fs::copy",
    "hard_link",
    "unix::fs::symlink",
    "unix::fs::chown",
    "mkdirat(",
    "renameat(",
    "unlinkat(",
    "symlinkat(",
    "linkat(",
    "fchmod(",
    "fchown(",
    "DirBuilder",
];
const WRITERS: &[&str] = &["src/fsx.rs", "src/safepath.rs", "src/certset.rs"];

/// Opening files (for reading too, and any open that could create): only where the checks live.
const OPENS: &[&str] = &[
    "OpenOptions",
    "File::open",
    "rustix::fs::open(",
    "openat(",
    "openat2(",
];
const OPENERS: &[&str] = &[
    "src/fsx.rs",
    "src/safepath.rs",
    "src/certset.rs",
    "src/input_file.rs",
];

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

/// The file's lines outside its `#[cfg(test)]` module (tests may use std::fs freely).
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, l)) = lines.next() {
        if l.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|(_, n)| n.trim_start().starts_with("mod tests"))
        {
            break;
        }
        let code = l.split("//").next().unwrap_or("");
        out.push((i + 1, code));
    }
    out
}

fn strays(patterns: &[&str], allowed: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 30, "found only {} source files", files.len());
    let mut found = Vec::new();
    for f in files {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if allowed.contains(&rel.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in non_test_lines(&text) {
            for p in patterns {
                if line.contains(p) {
                    found.push(format!("{rel}:{n}: `{p}` in `{}`", line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn only_the_safe_path_modules_write_files() {
    let found = strays(WRITES, WRITERS);
    assert!(
        found.is_empty(),
        "files may only be written through safepath + fsx/certset (directory handles reached \
         from / by the safe-path rule); strays:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_checked_readers_open_files_by_path() {
    let found = strays(OPENS, OPENERS);
    assert!(
        found.is_empty(),
        "open files through input_file (bounded, regular files only), safepath (trusted files) \
         or certset (directory handles); strays:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_lint_sees_a_stray() {
    // The scanner itself must find what it looks for, or the two tests above prove nothing.
    let text = "fn f() {\n    std::fs::write(p, b)?;\n}\n#[cfg(test)]\nmod tests {\n    fs::write(x);\n}\n";
    let lines = non_test_lines(text);
    let hits: Vec<usize> = lines
        .iter()
        .filter(|(_, l)| WRITES.iter().any(|p| l.contains(p)))
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(hits, vec![2]);
}

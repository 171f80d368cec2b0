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

/// `text` with the contents of string literals blanked (parentheses in messages do not count).
fn without_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_str = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_str {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => {
                    in_str = false;
                    out.push('"');
                    continue;
                }
                _ => escaped = false,
            }
            out.push(if c == '\n' { '\n' } else { ' ' });
        } else {
            if c == '"' {
                in_str = true;
            }
            out.push(c);
        }
    }
    out
}

/// The name of the function whose body holds byte `at` (the last `fn NAME` before it).
fn enclosing_fn(code: &str, at: usize) -> String {
    code[..at]
        .rfind("fn ")
        .map(|i| {
            code[i + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .unwrap_or_default()
}

/// What the innermost unclosed `(` before byte `at` follows, e.g. `self.send`.
fn call_around(code: &str, at: usize) -> String {
    let mut depth = 0i32;
    for (i, c) in code[..at].char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => {
                return code[..i]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
            }
            '(' => depth -= 1,
            _ => {}
        }
    }
    String::new()
}

/// Every SDK call in `src/aws/sdk.rs` and what is wrong with it: a `block_on(` outside
/// `within` (the one function that bounds a future by the deadline), or a `.send()` future not
/// handed straight to `self.send` / `self.send_write`.
fn sdk_strays(source: &str) -> Vec<String> {
    let code: String = non_test_lines(source)
        .iter()
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let code = without_strings(&code);
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut found = Vec::new();
    for (at, _) in code.match_indices("block_on(") {
        let f = enclosing_fn(&code, at);
        if f != "within" {
            found.push(format!(
                "src/aws/sdk.rs:{}: `block_on(` in fn {f}",
                line_of(at)
            ));
        }
    }
    let mut sends = 0;
    for (at, _) in code.match_indices(".send()") {
        sends += 1;
        let call = call_around(&code, at);
        if call != "self.send" && call != "self.send_write" {
            found.push(format!(
                "src/aws/sdk.rs:{}: `.send()` passed to `{call}`, not self.send/self.send_write",
                line_of(at)
            ));
        }
    }
    if sends == 0 {
        found.push("src/aws/sdk.rs: no `.send()` at all (has the SDK file moved?)".into());
    }
    found
}

#[test]
fn every_sdk_call_goes_through_the_one_deadline_bound_send() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("src/aws/sdk.rs")).unwrap();
    let found = sdk_strays(&source);
    assert!(
        found.is_empty(),
        "every AWS call must run through Sdk::send (bounded by the command's deadline) and \
         every future through `within`; strays:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_sdk_lint_sees_a_stray_send_and_block_on() {
    let good = "fn within() {\n    rt.block_on(f)\n}\nfn a(&self) {\n    self.send(\"x (y)\", self.acm.list().send())?;\n    self.send_write(\"w\", || self.elb.m().a(b(c)).send())?;\n}\n";
    assert!(sdk_strays(good).is_empty(), "{:?}", sdk_strays(good));
    let bad = "fn within() {}\nfn r(&self) {\n    let r = self.rt.block_on(self.route53.list().send());\n}\n";
    let found = sdk_strays(bad);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("sdk.rs:3") && found[0].contains("block_on"));
    assert!(found[1].contains("self.rt.block_on"), "{found:?}");
}

/// Functions longer than `max` lines in `source` (rustfmt layout: a `fn` line, its body to the
/// closing brace at the same indentation), as "name: lines".
fn long_functions(source: &str, max: usize) -> Vec<String> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let indent = l.len() - t.len();
        let is_fn = [
            "fn ",
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "const fn ",
        ]
        .iter()
        .any(|p| t.starts_with(p));
        if !is_fn || t.ends_with(';') {
            continue;
        }
        let close = " ".repeat(indent) + "}";
        if let Some(end) = lines[i + 1..].iter().position(|x| *x == close) {
            let n = end + 2;
            if n > max {
                let name = t.split('(').next().unwrap_or(t);
                found.push(format!("{name}: {n} lines (line {})", i + 1));
            }
        }
    }
    found
}

#[test]
fn no_function_under_src_trust_is_longer_than_120_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/trust"), &mut files);
    assert!(files.len() >= 5, "found only {} files", files.len());
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for l in long_functions(&text, 120) {
            found.push(format!("{}: {l}", f.strip_prefix(root).unwrap().display()));
        }
    }
    assert!(
        found.is_empty(),
        "split these into phases of at most ~80 lines:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_length_lint_measures_a_function_to_its_closing_brace() {
    let body = "    x();\n".repeat(121);
    let long = format!("fn a() {{\n{body}}}\nfn b() {{\n    y();\n}}\n");
    assert_eq!(long_functions(&long, 120), vec!["fn a: 123 lines (line 1)"]);
    let short = format!(
        "    pub(crate) fn c() {{\n{}    }}\n",
        "        z();\n".repeat(10)
    );
    assert!(long_functions(&short, 120).is_empty());
}

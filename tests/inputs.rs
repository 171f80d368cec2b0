//! Inputs that never end: every file a command reads is a regular file or an explicit `-`
//! (stdin), never a device, FIFO or socket, and never more than its cap.

mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::*;

/// Runs certctl with `stdin`, killing it (and failing) after 15 s; returns (code, stdout,
/// stderr, how long it ran).
fn run_bounded(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String, Duration) {
    let start = Instant::now();
    let mut child = certctl()
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        let mut w = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = w.write_all(&bytes);
        });
    }
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("certctl {args:?} still running after 15 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    (
        status.code().unwrap_or(-1),
        out_t.join().unwrap(),
        err_t.join().unwrap(),
        elapsed,
    )
}

fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo {} failed", p.display());
}

/// A file of `len` zero bytes that takes no disk space.
fn sparse(p: &Path, len: u64) {
    std::fs::File::create(p).unwrap().set_len(len).unwrap();
}

/// Every command and flag that reads a file, with `{}` where the file goes.
fn readers(good: &Fixture) -> Vec<Vec<String>> {
    let cert = good.full.as_str();
    let root = good.root.as_str();
    let out = good.dir.path().join("list.tsv");
    let out_dir = good.dir.path().join("issued");
    let lines: Vec<Vec<&str>> = vec![
        vec!["check", "{}"],
        vec!["inspect", "{}"],
        vec!["policy", "check", "{}"],
        vec!["rotate", "--config", "{}"],
        vec![
            "truststore",
            "update",
            "--from",
            "{}",
            "--out",
            out.to_str().unwrap(),
        ],
        vec!["check", cert, "--trust-store", root, "--chain", "{}"],
        vec!["check", cert, "--trust-store", "{}"],
        vec!["check", cert, "--trust-store", root, "--policy", "{}"],
        vec![
            "issue",
            "onprem",
            "--dns",
            "lb.example.internal",
            "--format",
            "pkcs12",
            "--p12-password-file",
            "{}",
            "--out-dir",
            out_dir.to_str().unwrap(),
        ],
    ];
    lines
        .into_iter()
        .map(|l| l.into_iter().map(String::from).collect())
        .collect()
}

struct Fixture {
    dir: tempfile::TempDir,
    full: String,
    root: String,
}

fn fixture() -> Fixture {
    let c = chain("api.example.com");
    let dir = tempdir();
    let full = write(
        dir.path(),
        "full.pem",
        format!("{}{}", c.leaf.pem, c.inter.pem),
    );
    let root = write(dir.path(), "root.pem", &c.root.pem);
    Fixture {
        full: full.display().to_string(),
        root: root.display().to_string(),
        dir,
    }
}

fn with(args: &[String], file: &str) -> Vec<String> {
    args.iter()
        .map(|a| {
            if a == "{}" {
                file.to_string()
            } else {
                a.clone()
            }
        })
        .collect()
}

fn expect_refused(args: &[String], words: &str) {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut all = vec!["--at", AT];
    all.extend(refs);
    let (code, _, err, took) = run_bounded(&all, None);
    assert_no_panic(&err);
    assert_eq!(code, 2, "certctl {args:?}: {err}");
    assert!(
        err.contains(words),
        "certctl {args:?}: expected \"{words}\" in: {err}"
    );
    assert!(
        took < Duration::from_secs(5),
        "certctl {args:?} took {took:?}"
    );
}

#[test]
fn a_device_is_refused_by_every_reader_without_reading_it() {
    let f = fixture();
    for args in readers(&f) {
        expect_refused(
            &with(&args, "/dev/zero"),
            "is a character device, not a regular file",
        );
    }
}

#[test]
fn a_fifo_without_a_writer_is_refused_by_every_reader_at_once() {
    let f = fixture();
    let fifo = f.dir.path().join("pipe.pem");
    mkfifo(&fifo);
    for args in readers(&f) {
        expect_refused(&with(&args, fifo.to_str().unwrap()), "is a FIFO");
    }
}

#[test]
fn a_fifo_or_device_inside_a_trust_store_directory_is_refused() {
    let f = fixture();
    let store = tempdir();
    std::fs::copy(&f.root, store.path().join("root.pem")).unwrap();
    mkfifo(&store.path().join("zz-pipe.pem"));
    let args: Vec<String> = [
        "check",
        &f.full,
        "--trust-store",
        store.path().to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    expect_refused(&args, "zz-pipe.pem: is a FIFO");
    std::fs::remove_file(store.path().join("zz-pipe.pem")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", store.path().join("zero.crt")).unwrap();
    expect_refused(&args, "zero.crt: is a character device");
}

#[test]
fn a_file_over_the_cap_is_refused_and_the_cap_is_named() {
    let f = fixture();
    let cases = [
        // (size, the readers it is too large for, the cap named)
        (
            16 * 1024 * 1024 + 1,
            vec![0usize, 1, 5, 6],
            "more than 16 MiB, the limit for a certificate file",
        ),
        (
            1024 * 1024 + 1,
            vec![2, 3, 7],
            "more than 1 MiB, the limit for a config or policy file",
        ),
        (
            16 * 1024 * 1024 + 1,
            vec![4],
            "more than 16 MiB, the limit for a saved trust-list page",
        ),
        (
            64 * 1024 + 1,
            vec![8],
            "more than 64 KiB, the limit for a password file",
        ),
    ];
    let readers = readers(&f);
    for (i, (size, which, words)) in cases.iter().enumerate() {
        let big = f.dir.path().join(format!("big-{i}"));
        sparse(&big, *size);
        for r in which {
            expect_refused(&with(&readers[*r], big.to_str().unwrap()), words);
        }
    }
    // At the cap is fine for the reader (the content then decides).
    let at_cap = f.dir.path().join("at-cap.toml");
    let mut text = b"min-days = 30\n".to_vec();
    text.resize(1024 * 1024, b'\n');
    std::fs::write(&at_cap, text).unwrap();
    let (code, _, err, _) = run_bounded(&["policy", "check", at_cap.to_str().unwrap()], None);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn stdin_is_read_only_as_an_explicit_dash() {
    let f = fixture();
    let pem = std::fs::read(&f.full).unwrap();
    // `check -` reads the chain from stdin.
    let (code, out, err, _) = run_bounded(
        &["--json", "--at", AT, "check", "-", "--trust-store", &f.root],
        Some(&pem),
    );
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["verdict"], "trusted");
    // `inspect -` too.
    let (code, out, err, _) = run_bounded(&["--json", "inspect", "-"], Some(&pem));
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["certificates"].as_array().unwrap().len(), 2);
    // `policy check -` validates a policy piped in.
    let (code, out, err, _) = run_bounded(
        &["--json", "policy", "check", "-"],
        Some(b"min-days = 21\n"),
    );
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["min_days"], 21);
    // Endless stdin stops at the cap.
    let endless = vec![b'#'; 1024 * 1024 + 10];
    let (code, _, err, _) = run_bounded(&["policy", "check", "-"], Some(&endless));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("-: more than 1 MiB"), "{err}");
    // A file named `-` elsewhere in a path is a file, not stdin.
    let (code, _, err, _) = run_bounded(&["check", "./-"], Some(&pem));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such file"), "{err}");
}

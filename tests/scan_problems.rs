//! `scan` is never silent about what it could not look at: files over `--max-file-size`,
//! unreadable files, dangling links and FIFOs are problems (exit 1) in the human report, the
//! JSON and the metrics; and the metrics textfile is valid Prometheus text, one series per
//! label set, as a real parser reads it.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// An expired self-signed certificate (as PEM).
fn expired(host: &str) -> String {
    let mut s = Spec::leaf(host);
    s.not_before = AT_UNIX - 400 * DAY;
    s.not_after = AT_UNIX - 10 * DAY;
    s.self_signed().pem
}

fn problems(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap().to_string(),
                p["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn metric(text: &str, name: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")).map(str::to_string))
}

#[test]
fn a_certificate_in_a_file_over_the_cap_is_a_too_large_problem() {
    let d = tempdir();
    let dir = d.path().join("certs");
    std::fs::create_dir(&dir).unwrap();
    write(&dir, "fine.pem", &chain("fine.example.com").leaf.pem);
    // An expired certificate followed by 1.1 MB of comment text.
    let mut big = expired("big.example.com");
    big.push_str(&"# padding\n".repeat(110_000));
    let big_path = write(&dir, "big.pem", &big);
    // Files that are simply not certificates are not problems.
    write(&dir, "notes.txt", "hello");
    write(
        &dir,
        "key.pem",
        Spec::leaf("k.example.com")
            .self_signed()
            .key
            .serialize_pem(),
    );
    let metrics = d.path().join("m.prom");
    let base = ["scan", dir.to_str().unwrap(), "--at", AT];

    let (code, doc, err) = run_json(
        base.iter()
            .copied()
            .chain(["--metrics", metrics.to_str().unwrap()]),
    );
    assert_eq!(code, 1, "{doc:#}\n{err}");
    assert_eq!(doc["expired"], 0, "{doc:#}");
    assert_eq!(
        problems(&doc),
        vec![("too-large".to_string(), big_path.display().to_string())]
    );
    let reason = doc["problems"][0]["error"].as_str().unwrap();
    assert!(
        reason.contains("more than --max-file-size 1 MiB"),
        "{reason}"
    );
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert_eq!(metric(&text, "certctl_scan_problems").as_deref(), Some("1"));

    let (code, out, _) = run(base);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("too-large: {}: ", big_path.display())),
        "{out}"
    );

    // A larger cap reads it: the expired certificate is found, no problem left.
    let (code, doc, _) = run_json(base.iter().copied().chain(["--max-file-size", "2MiB"]));
    assert_eq!(code, 1);
    assert_eq!(doc["expired"], 1, "{doc:#}");
    assert!(problems(&doc).is_empty(), "{doc:#}");
    let (code, doc, _) = run_json(base.iter().copied().chain(["--max-file-size", "2000000"]));
    assert_eq!((code, doc["expired"].as_i64()), (1, Some(1)));
    // A bad size is a usage error.
    for bad in ["lots", "0", "1 parsec"] {
        let (code, _, err) = run(base.iter().copied().chain(["--max-file-size", bad]));
        assert_eq!(code, 2, "{bad}: {err}");
    }
    // Only the fine certificate and a key: exit 0, nothing to report.
    std::fs::remove_file(&big_path).unwrap();
    let (code, doc, _) = run_json(base);
    assert_eq!(code, 0, "{doc:#}");
    assert!(problems(&doc).is_empty());
}

#[test]
fn fifos_and_dangling_links_are_unreadable_problems_and_do_not_block() {
    let d = tempdir();
    let dir = d.path();
    write(dir, "fine.pem", &chain("fine.example.com").leaf.pem);
    let fifo = dir.join("expired.pem");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let gone = dir.join("gone.pem");
    std::os::unix::fs::symlink(dir.join("was-here.pem"), &gone).unwrap();
    let metrics = d.path().join("m.prom");
    let start = std::time::Instant::now();
    let (code, doc, err) = run_json([
        "scan",
        dir.to_str().unwrap(),
        "--at",
        AT,
        "--metrics",
        metrics.to_str().unwrap(),
    ]);
    assert!(start.elapsed().as_secs() < 5);
    assert_eq!(code, 1, "{doc:#}\n{err}");
    assert_eq!(
        problems(&doc),
        vec![
            ("unreadable".to_string(), fifo.display().to_string()),
            ("unreadable".to_string(), gone.display().to_string()),
        ]
    );
    assert!(doc["problems"][0]["error"]
        .as_str()
        .unwrap()
        .contains("FIFO"));
    assert!(doc["problems"][1]["error"]
        .as_str()
        .unwrap()
        .contains("dangling symbolic link"));
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert_eq!(metric(&text, "certctl_scan_problems").as_deref(), Some("2"));
    let (code, out, _) = run(["scan", dir.to_str().unwrap(), "--at", AT]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("unreadable: {}: ", gone.display())),
        "{out}"
    );
}

/// certctl copied where an unprivileged user can run it.
fn runnable_copy(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("certctl");
    std::fs::copy(env!("CARGO_BIN_EXE_certctl"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[test]
fn an_expired_certificate_in_an_unreadable_file_is_an_unreadable_problem() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempdir();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = d.path().join("certs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let locked = write(&dir, "expired.pem", expired("locked.example.com"));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let bin = runnable_copy(d.path());
    // Mode bits do not stop root: as root (CI), run certctl as nobody.
    let root = effective_uid() == 0;
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    cmd.args(["--json", "scan", dir.to_str().unwrap(), "--at", AT]);
    // A fresh copy can be "Text file busy" for a moment: a child another test thread forked
    // while the copy was open for writing holds it until that child execs. Run it again then
    // (certctl's own exec fails with ETXTBSY; setpriv's says so on stderr).
    let busy = |r: &std::io::Result<std::process::Output>| match r {
        Err(e) => e.raw_os_error() == Some(libc::ETXTBSY),
        Ok(o) => String::from_utf8_lossy(&o.stderr).contains("Text file busy"),
    };
    let mut out = cmd.output();
    for _ in 0..50 {
        if !busy(&out) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        out = cmd.output();
    }
    let out = out.expect("setpriv (util-linux) runs certctl as an unprivileged user");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    assert_eq!(doc["certificates"], 0);
    assert_eq!(
        problems(&doc),
        vec![("unreadable".to_string(), locked.display().to_string())]
    );
    assert!(doc["problems"][0]["error"]
        .as_str()
        .unwrap()
        .contains("ermission denied"));
}

/// The effective user id, from `id -u`.
fn effective_uid() -> u32 {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// One parsed sample: metric name, labels (sorted), value.
type Sample = (String, Vec<(String, String)>, f64);

/// Parses a textfile with the Prometheus Python client's parser; returns every sample as
/// (name, labels sorted, value), or the parser's error.
fn prometheus_parse(text: &Path) -> Result<Vec<Sample>, String> {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: scripts/test installs the test venv",
        python.display()
    );
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(open(sys.argv[1], encoding="utf-8").read()):
    for s in fam.samples:
        out.append([s.name, sorted(s.labels.items()), s.value])
print(json.dumps(out))
"#;
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(text)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named"),
        "the prometheus-client package is missing from .venv (scripts/test installs it): {stderr}"
    );
    if !out.status.success() {
        return Err(stderr.into_owned());
    }
    let v: Vec<Sample> = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    Ok(v)
}

#[test]
fn metrics_are_valid_prometheus_text_with_one_series_per_label_set() {
    let d = tempdir();
    let dir = d.path().join("certs");
    std::fs::create_dir(&dir).unwrap();
    let c = chain("api.example.com");
    // A bundle that holds the same certificate twice, and the intermediate once.
    write(
        &dir,
        "bundle.pem",
        format!("{}{}{}", c.leaf.pem, c.inter.pem, c.leaf.pem),
    );
    // Labels that need escaping: a quote and a backslash in the subject and the path.
    let odd = Spec::leaf("odd.example.com");
    let mut odd_made = {
        let mut s = odd;
        s.cn = "odd \"quoted\" back\\slash".into();
        s.self_signed()
    };
    let odd_path = write(&dir, "we\"ird\\name.pem", std::mem::take(&mut odd_made.pem));
    let metrics = d.path().join("certctl.prom");
    let (code, doc, err) = run_json([
        "scan",
        dir.to_str().unwrap(),
        "--at",
        AT,
        "--metrics",
        metrics.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{doc:#}\n{err}");
    assert_eq!(doc["certificates"], 4);
    let text = std::fs::read_to_string(&metrics).unwrap();

    // HELP and TYPE once per metric.
    for name in [
        "certctl_certificate_expiry_timestamp_seconds",
        "certctl_certificate_days_left",
        "certctl_scan_certificates",
        "certctl_scan_problems",
        "certctl_scan_timestamp_seconds",
    ] {
        assert_eq!(
            text.matches(&format!("# HELP {name} ")).count(),
            1,
            "{name}"
        );
        assert_eq!(
            text.matches(&format!("# TYPE {name} gauge\n")).count(),
            1,
            "{name}"
        );
    }

    let samples = prometheus_parse(&metrics).unwrap_or_else(|e| panic!("{e}\n{text}"));
    // The parser does not reject duplicate series; Prometheus does. Find them here.
    let mut seen = std::collections::HashSet::new();
    for (name, labels, _) in &samples {
        assert!(
            seen.insert((name.clone(), labels.clone())),
            "duplicate series {name}{labels:?} in:\n{text}"
        );
    }
    let expiry: Vec<_> = samples
        .iter()
        .filter(|(n, _, _)| n == "certctl_certificate_expiry_timestamp_seconds")
        .collect();
    // leaf (once), intermediate, odd.
    assert_eq!(expiry.len(), 3, "{text}");
    let odd_series = expiry
        .iter()
        .find(|(_, l, _)| {
            l.iter()
                .any(|(k, v)| k == "path" && v == &odd_path.display().to_string())
        })
        .unwrap_or_else(|| panic!("no series for {}: {text}", odd_path.display()));
    assert!(
        odd_series
            .1
            .iter()
            .any(|(k, v)| k == "subject" && v.contains("odd \"quoted\" back\\slash")),
        "{:?}",
        odd_series.1
    );
    let scan_certs = samples
        .iter()
        .find(|(n, _, _)| n == "certctl_scan_certificates")
        .unwrap();
    assert_eq!(scan_certs.2, 4.0);
}

/// The human line of the certificate stored in `file`, or a failure.
fn item_of<'a>(doc: &'a serde_json::Value, file: &str) -> &'a serde_json::Value {
    doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with(file))
        .unwrap_or_else(|| panic!("{file} not reported: {doc:#}"))
}

fn item_codes(item: &serde_json::Value) -> Vec<&str> {
    item["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

#[test]
fn every_encoding_of_a_certificate_is_read_and_an_expired_one_is_reported_expired() {
    let d = tempdir();
    let dir = d.path().join("certs");
    std::fs::create_dir(&dir).unwrap();
    let src = d.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let exp = |host: &str, name: &str| write(&src, name, expired(host));
    exp("trusted.example.com", "t.pem");
    exp("p7-pem.example.com", "p7a.pem");
    exp("p7-der.example.com", "p7b.pem");
    let x509 = expired("x509.example.com")
        .replace("BEGIN CERTIFICATE", "BEGIN X509 CERTIFICATE")
        .replace("END CERTIFICATE", "END X509 CERTIFICATE");
    write(&dir, "x509.pem", x509);
    let out = dir.to_str().unwrap();
    openssl(
        &[
            "x509",
            "-in",
            "t.pem",
            "-trustout",
            "-addtrust",
            "serverAuth",
            "-out",
            &format!("{out}/trusted.pem"),
        ],
        &src,
    );
    openssl(
        &[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            "p7a.pem",
            "-out",
            &format!("{out}/bundle.p7c"),
        ],
        &src,
    );
    openssl(
        &[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            "p7b.pem",
            "-outform",
            "DER",
            "-out",
            &format!("{out}/bundle.p7b"),
        ],
        &src,
    );
    let trusted = std::fs::read_to_string(dir.join("trusted.pem")).unwrap();
    assert!(trusted.contains("BEGIN TRUSTED CERTIFICATE"), "{trusted}");
    // A DER certificate followed by bytes that are not part of it.
    let mut s = Spec::leaf("trailing.example.com");
    s.not_before = AT_UNIX - 400 * DAY;
    s.not_after = AT_UNIX - 10 * DAY;
    let mut der = s.self_signed().der;
    der.extend(b"\nnot part of it\n");
    write(&dir, "trailing.der", &der);
    // A cut PKCS#7 bundle and a DER key: the first a problem, the second not a certificate.
    let p7 = std::fs::read(dir.join("bundle.p7b")).unwrap();
    write(&dir, "cut.p7b", &p7[..p7.len() / 2]);
    let key = Spec::leaf("k.example.com")
        .self_signed()
        .key
        .serialize_der();
    write(&dir, "key.der", key);

    let (code, doc, err) = run_json(["scan", out, "--at", AT]);
    assert_eq!(code, 1, "{doc:#}\n{err}");
    for (file, host) in [
        ("trusted.pem", "trusted.example.com"),
        ("x509.pem", "x509.example.com"),
        ("bundle.p7c", "p7-pem.example.com"),
        ("bundle.p7b", "p7-der.example.com"),
        ("trailing.der", "trailing.example.com"),
    ] {
        let item = item_of(&doc, file);
        assert!(item["subject"].as_str().unwrap().contains(host), "{item:#}");
        assert!(item_codes(item).contains(&"expired"), "{file}: {item:#}");
    }
    assert!(item_codes(item_of(&doc, "trailing.der")).contains(&"trailing-data"));
    assert!(!item_codes(item_of(&doc, "trusted.pem")).contains(&"trailing-data"));
    assert_eq!(doc["expired"], 5, "{doc:#}");
    let probs = problems(&doc);
    assert_eq!(probs.len(), 1, "{doc:#}");
    assert_eq!(probs[0].0, "malformed");
    assert!(probs[0].1.ends_with("cut.p7b"), "{probs:?}");
    let (code, out_text, _) = run(["scan", out, "--at", AT]);
    assert_eq!(code, 1);
    for f in [
        "trusted.pem",
        "x509.pem",
        "bundle.p7c",
        "bundle.p7b",
        "trailing.der",
        "cut.p7b",
    ] {
        assert!(out_text.contains(f), "{f} missing:\n{out_text}");
    }
}

#[test]
fn a_7000_attribute_subject_is_one_bounded_cell_and_every_other_file_is_reported() {
    let d = tempdir();
    let dir = d.path().join("certs");
    std::fs::create_dir(&dir).unwrap();
    let mut cnf =
        String::from("[req]\nprompt=no\ndistinguished_name=dn\n[dn]\nCN=long.example.com\n");
    for i in 0..7000 {
        cnf.push_str(&format!("{i}.OU=unit {i:05} of a long subject\n"));
    }
    let cnf = write(d.path(), "long.cnf", cnf);
    let long = dir.join("long.pem");
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "/dev/null",
            "-days",
            "36500",
            "-config",
            cnf.to_str().unwrap(),
            "-out",
            long.to_str().unwrap(),
        ],
        d.path(),
    );
    write(&dir, "fine.pem", &chain("fine.example.com").leaf.pem);
    write(&dir, "old.pem", expired("old.example.com"));
    let out = dir.to_str().unwrap();

    let (code, doc, err) = run_json(["scan", out, "--at", AT]);
    assert_eq!(code, 1, "the expired certificate: {err}");
    let subject = item_of(&doc, "long.pem")["subject"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(subject.len() > 200_000, "{}", subject.len());
    assert_eq!(subject.matches("OU=").count(), 7000);
    item_of(&doc, "fine.pem");
    assert!(item_codes(item_of(&doc, "old.pem")).contains(&"expired"));

    let (code, text, err) = run(["scan", out, "--at", AT]);
    assert_no_panic(&err);
    assert_eq!(code, 1, "{err}");
    assert!(
        text.contains("fine.example.com") && text.contains("old.example.com"),
        "{text}"
    );
    let line = text
        .lines()
        .find(|l| l.contains("long.pem"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("…"), "{line}");
    assert!(
        line.chars().count() < 400,
        "{} characters",
        line.chars().count()
    );
    // Without a report at all, with -q: every failing file, one line each.
    let (code, _, err) = run(["scan", out, "--at", AT, "-q"]);
    assert_eq!(code, 1);
    assert!(err.contains("old.pem"), "{err}");
}

/// `openssl req -x509` makes a CA:TRUE certificate even for a server: scan flags it
/// `self-signed` as `check` does (named for a host by its CN or a SAN), and still leaves a root
/// CA named like one alone.
#[test]
fn an_openssl_req_x509_server_certificate_is_self_signed_and_a_root_ca_is_not() {
    let d = tempdir();
    let dir = d.path().join("certs");
    std::fs::create_dir(&dir).unwrap();
    for (file, subj, san) in [
        ("by-cn.pem", "/CN=lb.example.internal", None),
        ("by-ip-cn.pem", "/CN=10.0.0.5", None),
        (
            "by-san.pem",
            "/CN=load balancer",
            Some("subjectAltName=DNS:lb.example.internal"),
        ),
        ("root.pem", "/CN=Example Root CA/O=Example", None),
    ] {
        let mut args = vec![
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "/dev/null",
            "-out",
            file,
            "-days",
            "36500",
            "-subj",
            subj,
        ];
        if let Some(s) = san {
            args.extend(["-addext", s]);
        }
        openssl(&args, &dir);
    }
    let (_, doc, err) = run_json(["scan", dir.to_str().unwrap(), "--at", AT]);
    assert_no_panic(&err);
    for file in ["by-cn.pem", "by-ip-cn.pem", "by-san.pem"] {
        assert!(
            item_codes(item_of(&doc, file)).contains(&"self-signed"),
            "{file}: {doc:#}"
        );
    }
    assert!(
        !item_codes(item_of(&doc, "root.pem")).contains(&"self-signed"),
        "{doc:#}"
    );
    // check says the same of the server certificate.
    let (_, check, _) = run_json(["check", dir.join("by-cn.pem").to_str().unwrap(), "--at", AT]);
    assert!(
        codes(&check).contains(&"self-signed".to_string()),
        "{check:#}"
    );
}

//! On-prem lifecycle end to end in temp dirs: ca init, issue onprem (every key type and format),
//! rotate (window, changes, dry run, rollback, lock), scan (JSON and metrics); every written
//! file re-parsed.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use support::*;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Parses a PEM file's first certificate.
fn cert(p: &Path) -> certctl::x509::CertInfo {
    let bytes = std::fs::read(p).unwrap();
    let ders = certctl::pem::decode_certificates(&bytes).unwrap();
    certctl::x509::CertInfo::parse(&ders[0]).unwrap()
}

fn key_fits(dir: &Path) -> bool {
    let key = certctl::keys::load_pem(&std::fs::read(dir.join("key.pem")).unwrap()).unwrap();
    certctl::keys::matches(&key, &cert(&dir.join("cert.pem")))
}

#[test]
fn issue_onprem_self_signed_every_key_type() {
    for (alg, label) in [
        ("ecdsa-p256", "EC P-256"),
        ("ecdsa-p384", "EC P-384"),
        ("rsa-2048", "RSA 2048"),
        ("rsa-3072", "RSA 3072"),
    ] {
        let d = tempdir();
        let out = d.path().join("lb");
        let (code, doc, err) = run_json([
            "issue",
            "onprem",
            "--dns",
            "lb.onprem.example.internal",
            "--ip",
            "10.0.0.5",
            "--key",
            alg,
            "--days",
            "90",
            "--out-dir",
            out.to_str().unwrap(),
            "--at",
            AT,
        ]);
        assert_eq!(code, 0, "{alg}: {err}");
        assert_eq!(doc["certificate"]["key"], label);
        let c = cert(&out.join("cert.pem"));
        assert_eq!(c.dns_names, vec!["lb.onprem.example.internal".to_string()]);
        assert_eq!(
            c.ip_addresses,
            vec!["10.0.0.5".parse::<std::net::IpAddr>().unwrap()]
        );
        assert_eq!(c.not_after, AT_UNIX + 90 * DAY);
        assert!(c.not_before <= AT_UNIX);
        assert!(c.is_self_issued());
        assert!(key_fits(&out), "{alg}");
        assert_eq!(mode(&out.join("key.pem")), 0o600);
        assert_eq!(mode(&out.join("cert.pem")), 0o644);
        assert_eq!(cert(&out.join("fullchain.pem")).sha256, c.sha256);
        // What API Gateway would say, and what a private store says.
        let full = out.join("fullchain.pem");
        let (code, doc, _) = run_json([
            "check",
            full.to_str().unwrap(),
            "--at",
            AT,
            "--hostname",
            "lb.onprem.example.internal",
        ]);
        assert_eq!(code, 1);
        assert_eq!(codes(&doc), vec!["self-signed".to_string()]);
        let (code, _, _) = run_json([
            "check",
            full.to_str().unwrap(),
            "--trust-store",
            full.to_str().unwrap(),
            "--at",
            AT,
            "--hostname",
            "10.0.0.5",
        ]);
        assert_eq!(code, 0, "{alg}");
        // No private key bytes in any output.
        let (_, out_h, err_h) = run(["-v", "inspect", out.join("key.pem").to_str().unwrap()]);
        assert!(!out_h.contains("PRIVATE KEY") && !err_h.contains("PRIVATE KEY"));
    }
}

#[test]
fn issue_onprem_with_a_ca_haproxy_and_pkcs12() {
    let d = tempdir();
    let ca = d.path().join("ca");
    let (code, _, err) = run([
        "ca",
        "init",
        "--dir",
        ca.to_str().unwrap(),
        "--name",
        "Test On-Prem CA",
        "--days",
        "100",
        "--at",
        AT,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&ca.join("ca.key")), 0o600);
    let (code, human, _) = run([
        "ca",
        "init",
        "--dir",
        d.path().join("ca2").to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(code, 0);
    assert!(
        human.contains("subject") && !human.contains("names"),
        "{human}"
    );
    // Never overwritten without --force.
    let (code, _, err) = run(["ca", "init", "--dir", ca.to_str().unwrap(), "--at", AT]);
    assert_eq!(code, 2, "{err}");
    let pw = write(d.path(), "pw", "s3cret\n");
    let out = d.path().join("f5");
    let (code, doc, err) = run_json([
        "issue",
        "onprem",
        "--dns",
        "f5.example.internal",
        "--ca",
        ca.to_str().unwrap(),
        "--days",
        "365",
        "--format",
        "haproxy",
        "--format",
        "pkcs12",
        "--p12-password-file",
        pw.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(code, 0, "{err}");
    // Capped at the CA's expiry, with a warning.
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 1, "{doc:#}");
    let c = cert(&out.join("cert.pem"));
    let ca_cert = cert(&ca.join("ca.pem"));
    assert_eq!(c.not_after, ca_cert.not_after);
    assert!(c.issued_by(&ca_cert));
    assert_eq!(mode(&out.join("haproxy.pem")), 0o600);
    assert_eq!(mode(&out.join("cert.p12")), 0o600);
    // The root stays out of what the server sends (fullchain, haproxy), not out of chain.pem.
    let haproxy = std::fs::read_to_string(out.join("haproxy.pem")).unwrap();
    assert_eq!(haproxy.matches("BEGIN CERTIFICATE").count(), 1);
    assert_eq!(haproxy.matches("BEGIN PRIVATE KEY").count(), 1);
    let fullchain = std::fs::read_to_string(out.join("fullchain.pem")).unwrap();
    assert_eq!(fullchain.matches("BEGIN CERTIFICATE").count(), 1);
    let chain = std::fs::read_to_string(out.join("chain.pem")).unwrap();
    assert_eq!(
        chain,
        std::fs::read_to_string(ca.join("ca.pem")).unwrap(),
        "chain.pem holds the CA"
    );
    // openssl reads the PKCS#12 with the password.
    let o = std::process::Command::new("openssl")
        .args([
            "pkcs12",
            "-in",
            out.join("cert.p12").to_str().unwrap(),
            "-passin",
            "pass:s3cret",
            "-nokeys",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("f5.example.internal"));
    // The chain verifies against the CA.
    let full = out.join("fullchain.pem");
    let (code, doc, _) = run_json([
        "check",
        full.to_str().unwrap(),
        "--trust-store",
        ca.join("ca.pem").to_str().unwrap(),
        "--at",
        AT,
        "--hostname",
        "f5.example.internal",
    ]);
    assert_eq!(code, 0);
    assert!(!codes(&doc).contains(&"root-sent".to_string()), "{doc:#}");
    // --include-root puts it back, and check says so.
    let with_root = d.path().join("with-root");
    let (code, _, err) = run([
        "issue",
        "onprem",
        "--dns",
        "f5.example.internal",
        "--ca",
        ca.to_str().unwrap(),
        "--include-root",
        "--out-dir",
        with_root.to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, doc, _) = run_json([
        "check",
        with_root.join("fullchain.pem").to_str().unwrap(),
        "--trust-store",
        ca.join("ca.pem").to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert!(codes(&doc).contains(&"root-sent".to_string()), "{doc:#}");
    // A group-readable CA key is refused.
    std::fs::set_permissions(ca.join("ca.key"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, _, err) = run([
        "issue",
        "onprem",
        "--dns",
        "x.example.internal",
        "--ca",
        ca.to_str().unwrap(),
        "--out-dir",
        d.path().join("x").to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("readable by group or others"), "{err}");
    assert!(!d.path().join("x").join("cert.pem").exists());
}

#[test]
fn issue_onprem_refuses_bad_input_and_writes_nothing() {
    let d = tempdir();
    let out = d.path().join("lb");
    let o = out.to_str().unwrap();
    for (args, needle) in [
        (vec!["--dns", "*.*.example"], "wildcard"),
        (vec!["--dns", "a..example"], "empty label"),
        (vec!["--dns", &"a".repeat(254)], "253"),
        (
            vec!["--dns", "ok.example", "--ip", "10.0.0.300"],
            "not an IP address",
        ),
        (vec!["--dns", "ok.example", "--days", "0"], "--days"),
        (
            vec!["--dns", "ok.example", "--key", "dsa-1024"],
            "unknown key algorithm",
        ),
        (
            vec!["--dns", "ok.example", "--format", "jks"],
            "unknown --format",
        ),
        (
            vec!["--dns", "ok.example", "--format", "pkcs12"],
            "PKCS#12 password",
        ),
    ] {
        let mut a = vec!["issue", "onprem", "--out-dir", o, "--at", AT];
        a.extend(args.iter().copied());
        let (code, _, err) = run(&a);
        assert_eq!(code, 2, "{a:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{a:?}: {err}"
        );
        assert!(
            !out.join("cert.pem").exists() && !out.join("key.pem").exists(),
            "{a:?} wrote files"
        );
        // Each mistake gets its own hint: a bad IP is not told about DNS labels.
        if needle == "not an IP address" {
            assert!(err.contains("hint: IP addresses"), "{err}");
            assert!(!err.contains("wildcard"), "{err}");
        }
    }
    // An out dir that cannot be created (a file stands in its way).
    let blocker = write(d.path(), "blocker", "x");
    let (code, _, err) = run([
        "issue",
        "onprem",
        "--dns",
        "ok.example",
        "--out-dir",
        blocker.join("lb").to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("blocker is not a directory"), "{err}");
    // A CA whose key is of the wrong type (a certificate where the key should be).
    let ca = d.path().join("ca");
    assert_eq!(
        run(["ca", "init", "--dir", ca.to_str().unwrap(), "--at", AT]).0,
        0
    );
    std::fs::copy(ca.join("ca.pem"), ca.join("ca.key")).unwrap();
    std::fs::set_permissions(ca.join("ca.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, _, err) = run([
        "issue",
        "onprem",
        "--dns",
        "ok.example",
        "--ca",
        ca.to_str().unwrap(),
        "--out-dir",
        o,
        "--at",
        AT,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ca.key") && err.contains("certificate"),
        "{err}"
    );
    assert!(!out.join("cert.pem").exists());
    // An out dir that is a symlink to somewhere else.
    let real = d.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = d.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let (code, _, err) = run([
        "issue",
        "onprem",
        "--dns",
        "ok.example",
        "--out-dir",
        link.to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(&real).unwrap().count(), 0);
    // An existing pair needs --force; with it, the old pair is kept for rollback.
    assert_eq!(
        run([
            "issue",
            "onprem",
            "--dns",
            "ok.example",
            "--out-dir",
            o,
            "--at",
            AT
        ])
        .0,
        0
    );
    let first = cert(&out.join("cert.pem")).sha256;
    let (code, _, err) = run([
        "issue",
        "onprem",
        "--dns",
        "ok.example",
        "--out-dir",
        o,
        "--at",
        AT,
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(cert(&out.join("cert.pem")).sha256, first);
    assert_eq!(
        run([
            "issue",
            "onprem",
            "--dns",
            "ok.example",
            "--out-dir",
            o,
            "--at",
            AT,
            "--force"
        ])
        .0,
        0
    );
    assert_ne!(cert(&out.join("cert.pem")).sha256, first);
    assert!(key_fits(&out));
}

fn config(dir: &Path, extra: &str) -> std::path::PathBuf {
    write(
        dir,
        "onprem.toml",
        format!(
            "[[cert]]\nname = \"onprem-lb\"\ndns = [\"lb.onprem.example.internal\"]\nip = [\"10.0.0.5\"]\nout-dir = \"lb\"\ndays = 365\nrenew-before = \"30d\"\n{extra}"
        ),
    )
}

#[test]
fn rotate_renews_only_when_due_and_runs_the_hook_on_change() {
    let d = tempdir();
    let cfg = config(d.path(), "deploy-hook = \"echo $CERTCTL_ACTION $CERTCTL_FINGERPRINT >> hook.log; test -r \\\"$CERTCTL_KEY\\\"\"\n");
    let c = cfg.to_str().unwrap();
    let hook_lines = || {
        std::fs::read_to_string(d.path().join("hook.log"))
            .unwrap_or_default()
            .lines()
            .count()
    };
    // Hooks run in the current directory: run certctl from the temp dir.
    let rotate = |extra: &[&str]| {
        let mut a = vec!["--json", "rotate", "--config", c];
        a.extend_from_slice(extra);
        let out = certctl().args(&a).current_dir(d.path()).output().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), doc)
    };
    let (code, doc) = rotate(&["--at", AT]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["sets"][0]["action"], "renewed");
    assert_eq!(doc["sets"][0]["reasons"], serde_json::json!(["missing"]));
    assert_eq!(hook_lines(), 1);
    let lb = d.path().join("lb");
    assert!(key_fits(&lb));
    // Not due: unchanged, no hook.
    let (code, doc) = rotate(&["--at", AT]);
    assert_eq!(code, 0);
    assert_eq!(doc["sets"][0]["action"], "unchanged");
    assert_eq!(hook_lines(), 1);
    // Inside the window (335 days later): renewed.
    let later = "2031-05-02T00:00:00Z";
    let (code, doc) = rotate(&["--at", later, "--dry-run"]);
    assert_eq!(code, 0);
    assert_eq!(doc["sets"][0]["action"], "would-renew");
    assert_eq!(hook_lines(), 1, "a dry run runs nothing");
    let (code, doc) = rotate(&["--at", later]);
    assert_eq!(code, 0);
    assert_eq!(doc["sets"][0]["action"], "renewed");
    assert_eq!(
        doc["sets"][0]["reasons"],
        serde_json::json!(["renew-window"])
    );
    assert_ne!(
        doc["sets"][0]["old"]["sha256"],
        doc["sets"][0]["new"]["sha256"]
    );
    assert_eq!(hook_lines(), 2);
    // Changed names: renewed.
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("ip = [\"10.0.0.5\"]", "ip = [\"10.0.0.6\"]");
    std::fs::write(&cfg, text).unwrap();
    let (_, doc) = rotate(&["--at", later]);
    assert_eq!(
        doc["sets"][0]["reasons"],
        serde_json::json!(["names-changed"])
    );
    assert_eq!(
        cert(&lb.join("cert.pem")).ip_addresses,
        vec!["10.0.0.6".parse::<std::net::IpAddr>().unwrap()]
    );
    // A key that does not fit the certificate: renewed.
    let other = certctl::keys::generate(certctl::keys::KeyAlg::EcdsaP256).unwrap();
    let key_path = std::fs::canonicalize(lb.join("key.pem")).unwrap();
    std::fs::write(&key_path, certctl::keys::to_pem(&other)).unwrap();
    let (_, doc) = rotate(&["--at", later]);
    assert_eq!(
        doc["sets"][0]["reasons"],
        serde_json::json!(["key-mismatch"])
    );
    assert!(key_fits(&lb));
    // Key type change.
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("days = 365", "days = 365\nkey = \"ecdsa-p384\"");
    std::fs::write(&cfg, text).unwrap();
    let (_, doc) = rotate(&["--at", later]);
    assert_eq!(
        doc["sets"][0]["reasons"],
        serde_json::json!(["key-type-changed"])
    );
    assert_eq!(doc["sets"][0]["new"]["key"], "EC P-384");
}

#[test]
fn a_failing_hook_restores_the_previous_pair() {
    let d = tempdir();
    let cfg = config(d.path(), "");
    let c = cfg.to_str().unwrap();
    assert_eq!(run(["rotate", "--config", c, "--at", AT]).0, 0);
    let lb = d.path().join("lb");
    let before = cert(&lb.join("cert.pem")).sha256;
    let text = std::fs::read_to_string(&cfg).unwrap()
        + "deploy-hook = \"echo reload failed >&2; exit 7\"\n";
    std::fs::write(&cfg, text).unwrap();
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT, "--force"]);
    assert_eq!(code, 1);
    let s = &doc["sets"][0];
    assert_eq!(s["action"], "failed");
    assert_eq!(s["rolled_back"], true);
    assert_eq!(s["hook"]["exit_code"], 7);
    assert!(s["hook"]["output"]
        .as_str()
        .unwrap()
        .contains("reload failed"));
    assert_eq!(cert(&lb.join("cert.pem")).sha256, before);
    assert!(key_fits(&lb));
}

#[test]
fn rotate_config_errors_are_reported_at_once() {
    let d = tempdir();
    let cfg = write(d.path(), "bad.toml", "[[cert]]\nname = \"a\"\ndns = [\"*.*.example\"]\nip = [\"nope\"]\nout-dir = \"a\"\ndays = 0\nrenew-before = \"sometime\"\nhook = \"x\"\n");
    let (code, _, err) = run(["rotate", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 2);
    for l in ["line 3", "line 4", "line 6", "line 7", "line 8"] {
        assert!(err.contains(l), "{l}: {err}");
    }
    assert!(!d.path().join("a").exists(), "nothing written");
    // The hint names something a binary-only user has, not a file of the source tree.
    assert!(
        err.contains("hint: `certctl rotate --example-config`"),
        "{err}"
    );
    assert!(!err.contains("policies/"), "{err}");
    let (code, _, err) = run([
        "rotate",
        "--config",
        d.path().join("missing.toml").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    // The documented template is printed by the binary itself.
    let (code, example, _) = run(["rotate", "--example-config"]);
    assert_eq!(code, 0);
    assert_eq!(
        example,
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/onprem.toml"))
            .unwrap()
    );
}

#[test]
fn two_concurrent_rotations_renew_once() {
    let d = tempdir();
    // A slow hook keeps the lock held while the second run waits for it.
    let cfg = config(d.path(), "deploy-hook = \"sleep 1; echo x >> hook.log\"\n");
    let c = cfg.to_str().unwrap().to_string();
    let spawn = || {
        certctl()
            .args(["--json", "rotate", "--config", &c, "--at", AT])
            .current_dir(d.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn();
    let b = spawn();
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let actions: Vec<String> = outs
        .iter()
        .map(|o| {
            assert_eq!(o.status.code(), Some(0));
            let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            doc["sets"][0]["action"].as_str().unwrap().to_string()
        })
        .collect();
    let mut sorted = actions.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec!["renewed".to_string(), "unchanged".to_string()],
        "{actions:?}"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("hook.log"))
            .unwrap()
            .lines()
            .count(),
        1
    );
}

#[test]
fn scan_reports_expiry_and_writes_metrics() {
    let d = tempdir();
    let soon = chain_with("soon.example.com", |s| s.not_after = AT_UNIX + 5 * DAY);
    let gone = chain_with("gone.example.com", |s| s.not_after = AT_UNIX - 5 * DAY);
    let fine = chain("fine.example.com");
    std::fs::create_dir_all(d.path().join("a/b")).unwrap();
    write(d.path(), "a/soon.pem", &soon.leaf.pem);
    write(d.path(), "a/b/gone.crt", &gone.leaf.pem);
    write(d.path(), "a/b/fine.der", &fine.leaf.der);
    write(
        d.path(),
        "a/bundle.pem",
        format!("{}{}", fine.leaf.pem, fine.inter.pem),
    );
    write(d.path(), "a/key.pem", fine.leaf.key.serialize_pem());
    write(d.path(), "a/notes.txt", "hello");
    write(
        d.path(),
        "a/broken.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n",
    );
    // A link to a file already scanned is not counted twice.
    std::os::unix::fs::symlink(d.path().join("a/soon.pem"), d.path().join("a/b/again.pem"))
        .unwrap();
    let metrics = d.path().join("certctl.prom");
    let (code, doc, _) = run_json([
        "scan",
        d.path().join("a").to_str().unwrap(),
        "--metrics",
        metrics.to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["certificates"], 5);
    assert_eq!(doc["expired"], 1);
    assert_eq!(doc["expiring"], 1);
    assert_eq!(doc["problems"].as_array().unwrap().len(), 1);
    for item in doc["items"].as_array().unwrap() {
        for k in ["path", "subject", "not_after", "days_left", "findings"] {
            assert!(!item[k].is_null(), "{k}");
        }
    }
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert_eq!(
        text.matches("certctl_certificate_expiry_timestamp_seconds{")
            .count(),
        5
    );
    assert!(text.contains(&format!("{} {}", "certctl_scan_timestamp_seconds", AT_UNIX)));
    assert!(text.contains("subject=\"CN=gone.example.com\""));
    // Only fine certificates: exit 0.
    let (code, _, _) = run_json([
        "scan",
        d.path().join("a/b/fine.der").to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(code, 0);
    assert_eq!(run(["scan", d.path().join("nope").to_str().unwrap()]).0, 2);
}

#[test]
fn waits_longer_than_a_second_show_progress_unless_quiet() {
    // stderr is a pipe here, so progress comes as plain lines (a terminal gets a spinner).
    let d = tempdir();
    let cfg = config(d.path(), "deploy-hook = \"sleep 1.6\"\n");
    let c = cfg.to_str().unwrap();
    let (code, _, err) = run(["rotate", "--config", c, "--at", AT, "--force"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("running the deploy hook"))
        .collect();
    assert_eq!(lines.len(), 2, "a start and an end line: {err}");
    assert!(lines[0].starts_with("[") && lines[0].contains("onprem-lb: running the deploy hook"));
    assert!(lines[1].ends_with(": exit 0"), "{err}");

    // Quiet: nothing on stderr at all.
    let (code, out, err) = run(["rotate", "--config", c, "--at", AT, "--force", "-q"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!((out.as_str(), err.as_str()), ("", ""));

    // A wait shorter than a second shows nothing.
    let cfg = config(d.path(), "deploy-hook = \"true\"\n");
    let (code, _, err) = run([
        "rotate",
        "--config",
        cfg.to_str().unwrap(),
        "--at",
        AT,
        "--force",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("deploy hook"), "{err}");
}

#[test]
fn messages_read_as_sentences() {
    let d = tempdir();
    // A dry run's plan: no "a ecdsa-p256".
    let cfg = config(d.path(), "deploy-hook = \"true\"\n");
    let (code, out, err) = run([
        "rotate",
        "--config",
        cfg.to_str().unwrap(),
        "--at",
        AT,
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("onprem-lb: would issue a certificate for lb.onprem.example.internal, 10.0.0.5 (ecdsa-p256 key, valid 365 days)\n"),
        "{out}"
    );
    assert!(
        !out.contains(" a ecdsa") && !out.contains(" a rsa"),
        "{out}"
    );
    // A second `ca init` says what replacing the CA would do.
    let ca = d.path().join("ca");
    let init = ["ca", "init", "--dir", ca.to_str().unwrap(), "--at", AT];
    assert_eq!(run(init).0, 0);
    let (code, _, err) = run(init);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("already holds a CA; pass --force to replace it (certificates signed by the old CA then stop chaining to the new one)"),
        "{err}"
    );
}

#[test]
fn scan_shows_each_certificate_once_with_all_its_paths() {
    let d = tempdir();
    let p = |n: &str| d.path().join(n).display().to_string();
    assert_eq!(run(["ca", "init", "--dir", &p("ca"), "--at", AT]).0, 0);
    let issue = [
        "issue",
        "onprem",
        "--dns",
        "lb.example.internal",
        "--ca",
        &p("ca"),
        "--out-dir",
        &p("lb"),
        "--at",
        AT,
    ];
    assert_eq!(run(issue).0, 0);
    let (code, out, err) = run(["scan", &p(""), "--at", AT]);
    assert_eq!(code, 0, "{err}");
    // The leaf is in cert.pem and fullchain.pem, the CA in ca.pem and chain.pem: one row each,
    // the second path on the line below.
    assert_eq!(out.matches("CN=lb.example.internal").count(), 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    let leaf = lines
        .iter()
        .position(|l| l.contains("CN=lb.example.internal"))
        .unwrap();
    assert!(lines[leaf].ends_with(&p("lb/cert.pem")), "{out}");
    assert_eq!(lines[leaf + 1].trim(), p("lb/fullchain.pem"), "{out}");
    assert!(lines[leaf + 1].starts_with("     "), "{out}");
    assert!(out.contains("4 certificates (2 distinct)"), "{out}");
    // JSON keeps one item per file.
    let (_, doc, _) = run_json(["scan", &p(""), "--at", AT]);
    assert_eq!(doc["items"].as_array().unwrap().len(), 4, "{doc:#}");
    // -q: one line per expired certificate, naming its files.
    let (code, out, err) = run(["-q", "scan", &p(""), "--at", "2032-01-01T00:00:00Z"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("/lb/cert.pem, ")
            && lines[0].contains("/lb/fullchain.pem: CN=lb.example.internal expired"),
        "{err}"
    );
}

fn rfc3339(t: i64) -> String {
    ts(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// One day-count rule (floor of the seconds left / 86400) in issue, check, scan and inspect,
/// at instants on and between day boundaries, before and after expiry.
#[test]
fn issue_check_scan_and_inspect_count_days_alike() {
    let dir = tempdir();
    let out = dir.path().join("leaf");
    let (code, issued, err) = run_json(
        [
            "--at",
            AT,
            "issue",
            "onprem",
            "--dns",
            "days.example.com",
            "--out-dir",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([out.display().to_string()]),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(issued["certificate"]["days_left"], 365);
    let cert = out.join("cert.pem");
    let cert = cert.to_str().unwrap();
    for (offset, want) in [
        (0, 365),
        (1, 364),
        (DAY - 1, 364),
        (DAY, 364),
        (365 * DAY - 1, 0),
        (365 * DAY, 0),
        (365 * DAY + 1, -1),
        (370 * DAY + DAY / 2, -6),
    ] {
        let at = rfc3339(AT_UNIX + offset);
        let (_, checked, _) = run_json(["--at", &at, "check", cert]);
        assert_eq!(checked["path"][0]["days_left"], want, "check at {at}");
        let (_, scanned, _) = run_json(["--at", &at, "scan", cert]);
        assert_eq!(scanned["items"][0]["days_left"], want, "scan at {at}");
        let (_, inspected, _) = run(["--at", &at, "inspect", cert]);
        let human = if want < 0 {
            format!("(expired {} days ago)", -want)
        } else {
            format!("({want} days left)")
        };
        assert!(inspected.contains(&human), "inspect at {at}: {inspected}");
        if want < 0 {
            let message = format!("({} days ago)", -want);
            assert!(
                checked["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f["code"] == "expired"
                        && f["message"].as_str().unwrap().contains(&message)),
                "check at {at}: {checked}"
            );
            let scan_msg = format!("expired {} days ago", -want);
            assert!(scanned.to_string().contains(&scan_msg), "scan at {at}");
        }
    }
}

/// `--min-days` takes days with or without `d`, or weeks; `--at` takes a date.
#[test]
fn min_days_takes_days_or_weeks_and_at_takes_a_date() {
    let dir = tempdir();
    let out = dir.path().join("leaf");
    let o = out.to_str().unwrap();
    let (code, _, err) = run([
        "--at",
        "2030-06-01",
        "issue",
        "onprem",
        "--dns",
        "d.example.com",
        "--days",
        "20",
        "--out-dir",
        o,
    ]);
    assert_eq!(code, 0, "{err}");
    let cert = out.join("cert.pem");
    let cert = cert.to_str().unwrap();
    // 20 days left: within 3w (21 days) and 21d, not within 2w or 14.
    for (min, soon) in [
        ("14", false),
        ("2w", false),
        ("14d", false),
        ("21d", true),
        ("3w", true),
        ("21", true),
    ] {
        let (_, doc, err) = run_json(["--at", AT, "scan", cert, "--min-days", min]);
        assert_eq!(doc["min_days"].as_u64().unwrap() > 20, soon, "{min}: {err}");
        let (_, doc, _) = run_json(["--at", AT, "check", cert, "--min-days", min]);
        assert_eq!(
            codes(&doc).contains(&"expires-soon".to_string()),
            soon,
            "check --min-days {min}"
        );
    }
    for bad in ["12h", "2 weeks", "-1", "1.5"] {
        let flag = format!("--min-days={bad}");
        let (code, _, err) = run(["--at", AT, "scan", cert, &flag]);
        assert_eq!(code, 2, "{bad}");
        assert!(
            err.contains(&format!(
                "invalid number of days \"{bad}\": expected whole days: 7, 7d or 2w"
            )),
            "{err}"
        );
    }
    // A date is midnight UTC: the same report as the full instant.
    let (_, by_date, _) = run_json(["--at", "2030-06-01", "check", cert]);
    let (_, by_instant, _) = run_json(["--at", "2030-06-01T00:00:00Z", "check", cert]);
    assert_eq!(by_date, by_instant);
    let (code, _, err) = run(["--at", "2030-06", "check", cert]);
    assert_eq!(code, 2);
    assert!(
        err.contains("error: bad --at \"2030-06\": not an RFC 3339 instant or a date"),
        "{err}"
    );
    assert!(
        err.contains(
            "hint: use RFC 3339 (2026-01-01T00:00:00Z) or a date (2026-01-01, midnight UTC)"
        ),
        "{err}"
    );
    assert!(!err.contains("separator"), "{err}");
}

/// `include-root` in a rotate set means what `issue onprem --include-root` means: the root CA
/// in fullchain.pem too; without it, the leaf alone (the CA is a root).
#[test]
fn rotate_include_root_puts_the_root_in_fullchain() {
    let d = tempdir();
    let ca = d.path().join("ca");
    let (code, _, err) = run(["--at", AT, "ca", "init", "--dir", ca.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let count = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .matches("-----BEGIN CERTIFICATE-----")
            .count()
    };
    for (extra, want) in [
        ("include-root = true\n", 2),
        ("include-root = false\n", 1),
        ("", 1),
    ] {
        let cfg = config(d.path(), &format!("ca-dir = \"ca\"\n{extra}"));
        let (code, _, err) = run([
            "--at",
            AT,
            "rotate",
            "--force",
            "--config",
            cfg.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{extra}: {err}");
        assert_eq!(count(&d.path().join("lb/fullchain.pem")), want, "{extra}");
    }
    let cfg = config(d.path(), "include-root = \"yes\"\n");
    let (code, _, err) = run(["--at", AT, "rotate", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`include-root` must be true or false"),
        "{err}"
    );
}

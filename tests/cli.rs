//! The command-line contract: bad input gives one clear error line and the right exit code,
//! `--help` carries examples and exit codes, and reports match their snapshots.

mod support;

use std::path::Path;

use support::*;

fn expect_input_error(args: &[&str], needle: &str) {
    let (code, out, err) = run(args);
    assert_eq!(code, 2, "{args:?}: stdout {out} stderr {err}");
    let first = err.lines().next().unwrap_or("");
    assert!(first.starts_with("error: "), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in {err}"
    );
    assert_no_panic(&err);
}

#[test]
fn bad_certificate_inputs_are_one_line_errors() {
    let d = tempdir();
    let p = |n: &str| d.path().join(n).display().to_string();
    write(d.path(), "empty.pem", "");
    write(d.path(), "text.pem", "hello, this is not a certificate\n");
    let c = chain("api.example.com");
    let pem = &c.leaf.pem;
    write(d.path(), "truncated.pem", &pem[..pem.len() / 2]);
    write(d.path(), "key.pem", c.leaf.key.serialize_pem());
    let csr = rcgen::CertificateParams::new(vec!["a.example.com".to_string()])
        .unwrap()
        .serialize_request(&c.leaf.key)
        .unwrap();
    write(d.path(), "csr.pem", csr.pem().unwrap());
    write(
        d.path(),
        "junk.der",
        [0x30u8, 0x82, 0x01, 0x00, 0x02, 0x01, 0x00],
    );
    let big = std::fs::File::create(d.path().join("big.pem")).unwrap();
    big.set_len(100 * 1024 * 1024).unwrap();

    expect_input_error(&["check", &p("empty.pem")], "empty");
    expect_input_error(&["check", &p("text.pem")], "no certificate found");
    expect_input_error(&["check", &p("truncated.pem")], "malformed PEM");
    expect_input_error(&["check", &p("key.pem")], "private key");
    expect_input_error(&["check", &p("csr.pem")], "signing request");
    expect_input_error(&["check", &p("junk.der")], "not a valid X.509 certificate");
    let start = std::time::Instant::now();
    expect_input_error(&["check", &p("big.pem")], "more than");
    assert!(
        start.elapsed().as_secs() < 5,
        "a 100 MB file must be refused before reading it"
    );
    expect_input_error(&["check", d.path().to_str().unwrap()], "is a directory");
    expect_input_error(&["check", &p("missing.pem")], "no such file");
    expect_input_error(
        &["check", &p("key.pem"), "--hostname", "bad_host!"],
        "bad hostname",
    );
    expect_input_error(
        &["check", "https://api.example.com", "--at", "yesterday"],
        "bad --at",
    );
    expect_input_error(&["check", "http://api.example.com"], "https://");
    expect_input_error(&["inspect", &p("key.pem")], "private key");
    expect_input_error(&["truststore", "show", "no-such-alias"], "no-such-alias");
    expect_input_error(
        &["check", &p("text.pem"), "--trust-store", &p("empty.pem")],
        "",
    );
}

#[test]
fn an_unresolvable_host_is_an_operational_error() {
    let (code, _, err) = run(["check", "https://host.invalid", "--timeout", "5"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.starts_with("error: cannot resolve host.invalid"),
        "{err}"
    );
}

#[test]
fn json_errors_are_one_document() {
    let (code, doc, err) = run_json(["check", "/no/such/file.pem"]);
    assert_eq!(code, 2);
    assert_eq!(doc["exit_code"], 2);
    assert_eq!(doc["schema_version"], 1);
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no such file"));
    assert!(err.starts_with("error: "));
}

#[test]
fn every_subcommand_help_has_examples_and_exit_codes() {
    for args in [
        vec!["check"],
        vec!["inspect"],
        vec!["truststore", "list"],
        vec!["truststore", "show"],
        vec!["truststore", "export"],
        vec!["truststore", "update"],
        vec!["truststore", "verify"],
        vec!["policy", "check"],
        vec!["ca", "init"],
        vec!["issue", "onprem"],
        vec!["rotate"],
        vec!["scan"],
        vec!["acm", "request"],
        vec!["acm", "records"],
        vec!["acm", "status"],
        vec!["acm", "list"],
        vec!["acm", "attach"],
        vec!["doctor"],
        vec!["completions"],
        vec!["man"],
    ] {
        let mut a = args.clone();
        a.push("--help");
        let (code, out, _) = run(&a);
        assert_eq!(code, 0, "{a:?}");
        assert!(
            out.contains("EXAMPLES:") && out.contains("EXIT CODES:"),
            "{a:?}:\n{out}"
        );
    }
}

/// Replaces what changes from run to run (fingerprints, dates, temp paths, serials).
fn mask(text: &str, dir: &Path) -> String {
    let text = text.replace(&dir.display().to_string(), "<DIR>");
    let mut out = String::new();
    for word in text.split_inclusive(|c: char| c.is_whitespace() || c == '"' || c == ',') {
        let core = word.trim_end_matches(|c: char| c.is_whitespace() || c == '"' || c == ',');
        let tail = &word[core.len()..];
        let hexish = core.len() >= 16 && core.chars().all(|c| c.is_ascii_hexdigit() || c == ':');
        let masked = if hexish {
            "<HEX>".to_string()
        } else {
            core.to_string()
        };
        out.push_str(&masked);
        out.push_str(tail);
    }
    out
}

fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {name}; run with UPDATE_SNAPSHOTS=1"));
    assert_eq!(
        actual, expected,
        "snapshot {name} differs; run with UPDATE_SNAPSHOTS=1 to accept"
    );
}

#[test]
fn help_snapshots() {
    snapshot("help.txt", &help_at(&[], "100"));
    snapshot("check-help.txt", &help_at(&["check".to_string()], "100"));
    // Every other subcommand too: a help text changes only on purpose.
    let mut paths = Vec::new();
    subcommand_paths(&certctl::helptext::command(), Vec::new(), &mut paths);
    for path in paths.iter().filter(|p| p.as_slice() != ["check"]) {
        snapshot(
            &format!("help/{}.txt", path.join("-")),
            &help_at(path, "100"),
        );
    }
}

#[test]
fn report_snapshots() {
    let c = chain("api.example.com");
    let d = tempdir();
    let leaf = write(d.path(), "leaf.pem", &c.leaf.pem);
    let root = write(d.path(), "root.pem", &c.root.pem);
    let args = [
        "check",
        leaf.to_str().unwrap(),
        "--trust-store",
        root.to_str().unwrap(),
        "--hostname",
        "api.example.com",
        "--at",
        AT,
        "--no-color",
    ];
    let (code, human, _) = run(args);
    assert_eq!(code, 1);
    snapshot("check-missing-intermediate.txt", &mask(&human, d.path()));
    let (code, json, _) = run(std::iter::once("--json").chain(args));
    assert_eq!(code, 1);
    snapshot("check-missing-intermediate.json", &mask(&json, d.path()));
}

#[test]
fn truststore_list_export_verify_update() {
    let (code, doc, _) = run_json(["truststore", "list", "--at", AT]);
    assert_eq!(code, 0);
    let entries = doc["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 398);
    assert!(entries.iter().any(|e| e["status"] == "expired"));
    assert!(entries.iter().any(|e| e["status"] == "fingerprint-only"));
    assert!(entries.iter().any(|e| e["status"] == "valid"));

    let (code, doc, _) = run_json(["truststore", "verify"]);
    assert_eq!(code, 0);
    assert_eq!(doc["mismatches"], 0);
    assert!(doc["roots"].as_u64().unwrap() >= 100);

    let d = tempdir();
    let out = d.path().join("apigw.pem");
    let (code, doc, _) = run_json([
        "truststore",
        "export",
        "--out",
        out.to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(code, 0);
    let exported = doc["exported"].as_u64().unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text.matches("-----BEGIN CERTIFICATE-----").count() as u64,
        exported
    );
    let openssl = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("openssl crl2pkcs7 -nocrl -certfile {} | openssl pkcs7 -print_certs -noout | grep -c '^subject='", out.display()))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&openssl.stdout).trim(),
        exported.to_string()
    );

    // A saved page: two real entries and one new alias.
    let page = "Alias name: amazonrootca1\n\t SHA1: 8D:A7:F9:65:EC:5E:FC:37:91:0F:1C:6E:59:FD:C1:CC:6A:6E:DE:16\n\t SHA256: 8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E\n\nAlias name: newca2027\n\t SHA1: 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\n\t SHA256: 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n";
    let pagef = write(d.path(), "page.txt", page);
    let list = d.path().join("list.tsv");
    // A page that would drop 397 of 398 aliases is a truncated save: refused, nothing written.
    let (code, doc, _) = run_json([
        "truststore",
        "update",
        "--from",
        pagef.to_str().unwrap(),
        "--out",
        list.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("397 of the 398"),
        "{doc:#}"
    );
    assert!(!list.exists());
    // There is no default output file inside a source tree: --out is required.
    let (code, _, err) = run(["truststore", "update", "--from", pagef.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("--out"), "{err}");
    let (code, doc, _) = run_json([
        "truststore",
        "update",
        "--from",
        pagef.to_str().unwrap(),
        "--out",
        list.to_str().unwrap(),
        "--allow-shrink",
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["added"], serde_json::json!(["newca2027"]));
    assert_eq!(doc["removed"].as_array().unwrap().len(), 397);
    assert_eq!(doc["written"], true);
    let (code, doc, _) = run_json([
        "truststore",
        "update",
        "--from",
        pagef.to_str().unwrap(),
        "--out",
        list.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["written"], false);
    assert_eq!(doc["added"].as_array().unwrap().len(), 0);
    let empty = write(d.path(), "empty.txt", "nothing to see\n");
    let (code, _, err) = run([
        "truststore",
        "update",
        "--from",
        empty.to_str().unwrap(),
        "--out",
        list.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn policy_check_lists_codes_and_reports_every_problem() {
    let (code, doc, _) = run_json(["policy", "check"]);
    assert_eq!(code, 0);
    assert!(doc["levels"].as_array().unwrap().len() >= 20);
    let d = tempdir();
    let bad = write(
        d.path(),
        "bad.toml",
        "min-days = 99999\n[levels]\nuntrusted-root = \"allow\"\nbogus-code = \"deny\"\n",
    );
    let (code, _, err) = run(["policy", "check", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("2 problems") && err.contains("line 1") && err.contains("line 4"),
        "{err}"
    );
}

/// Each problem of a config on its own line, a misspelled key with the closest one, a missing
/// file as "no such file": in rotate configs and policies alike.
#[test]
fn config_problems_one_per_line_with_suggestions() {
    let d = tempdir();
    let cfg = write(
        d.path(),
        "rotate.toml",
        "[[cert]]\nname = \"a\"\ndsn = [\"a.example.com\"]\nout-dir = \"a\"\nrenew_befor = \"10d\"\ninclude-roots = true\nkeep = 0\n",
    );
    let (code, _, err) = run(["rotate", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with("error: invalid config ") && lines[0].ends_with(": 5 problems"),
        "{err}"
    );
    for want in [
        "caused by: line 1: [[cert]] is missing `dns (or ip)`",
        "caused by: line 3: unknown key `dsn` in [[cert]] (did you mean `dns`?)",
        "caused by: line 5: unknown key `renew_befor` in [[cert]] (did you mean `renew-before`?)",
        "caused by: line 6: unknown key `include-roots` in [[cert]] (did you mean `include-root`?)",
        "caused by: line 7: `keep` must be between 1 and 100, found 0",
    ] {
        assert!(lines.contains(&want), "{want}\n{err}");
    }
    assert!(lines.iter().all(|l| l.len() < 120), "{err}");
    let (_, doc, _) = run_json(["rotate", "--config", cfg.to_str().unwrap()]);
    assert_eq!(
        doc["error"]["causes"].as_array().unwrap().len(),
        5,
        "{doc:#}"
    );

    let policy = write(
        d.path(),
        "p.toml",
        "min-dayz = 3\nlint = 3\n[levels]\nexpird = \"warn\"\n",
    );
    for args in [
        vec!["policy", "check", policy.to_str().unwrap()],
        vec!["check", "x.pem", "--policy", policy.to_str().unwrap()],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("caused by: line 1: unknown key `min-dayz` (did you mean `min-days`?)\n"),
            "{err}"
        );
        assert!(
            err.contains("\ncaused by: line 2: `lint` must be true or false"),
            "{err}"
        );
        assert!(err.lines().next().unwrap().ends_with("problems"), "{err}");
    }

    let missing = d.path().join("missing.toml");
    let (code, _, err) = run(["rotate", "--config", missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no such file") && !err.contains("entity not found"),
        "{err}"
    );
    let (code, _, err) = run(["check", "x.pem", "--policy", missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no such file") && !err.contains("policy check FILE"),
        "{err}"
    );
}

/// `policy show` prints each built-in policy as a file `policy check` and `check --policy`
/// accept with the same levels as the built-in name.
#[test]
fn policy_show_round_trips_through_policy_check() {
    let d = tempdir();
    for name in ["gateway", "strict"] {
        let (code, text, err) = run(["policy", "show", name]);
        assert_eq!(code, 0, "{err}");
        assert!(text.contains("[levels]"), "{text}");
        let file = write(d.path(), &format!("{name}.toml"), &text);
        let (code, from_file, err) = run_json(["policy", "check", file.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let (_, built_in, _) = run_json(["policy", "check", name]);
        for field in [
            "levels",
            "min_days",
            "min_rsa_bits",
            "min_ec_bits",
            "allowed_signature_algorithms",
        ] {
            assert_eq!(from_file[field], built_in[field], "{name}: {field}");
        }
        let (code, doc, _) = run_json(["policy", "show", name]);
        assert_eq!(code, 0);
        assert_eq!(doc["policy"], name);
        assert_eq!(doc["toml"], text.as_str());
    }
    // The two differ (strict runs the lints), so each name is its own file.
    let (_, g, _) = run(["policy", "show"]);
    let (_, s, _) = run(["policy", "show", "strict"]);
    assert_ne!(g, s);
    assert!(s.contains("lint = true") && g.contains("lint = false"));
    let (code, _, _) = run(["policy", "show", "bogus"]);
    assert_eq!(code, 2);
}

#[test]
fn the_readme_iam_policy_allows_every_aws_call_certctl_makes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sdk = std::fs::read_to_string(root.join("src/aws/sdk.rs")).unwrap();
    let readme = std::fs::read_to_string(root.join("docs/acm.md")).unwrap();
    // Every operation sdk.rs names ("service:Operation"); API Gateway's reads (v1 and v2)
    // are all allowed by apigateway:GET.
    let services = ["acm:", "route53:", "elasticloadbalancing:", "apigateway"];
    let mut actions: Vec<&str> = sdk
        .split('"')
        .filter(|t| {
            services.iter().any(|s| t.starts_with(s))
                && t.contains(':')
                && !t.contains(char::is_whitespace)
        })
        .map(|t| {
            if t.starts_with("apigateway") {
                "apigateway:GET"
            } else {
                t
            }
        })
        .collect();
    actions.sort();
    actions.dedup();
    assert!(actions.len() >= 10, "found {actions:?}");
    for a in actions {
        assert!(
            readme.contains(&format!("\"{a}\"")),
            "{a} is missing from the README's IAM policy"
        );
    }
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (code, out, _) = run(["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        assert!(
            out.contains("certctl") && out.contains("rotate") && out.contains("doctor"),
            "{shell}"
        );
    }
    let (code, _, err) = run(["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
    let (code, out, _) = run(["man"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(".ie") && out.contains(".TH certctl 1"),
        "{}",
        &out[..200.min(out.len())]
    );
}

#[test]
fn a_panic_is_one_line_and_exit_3() {
    let out = certctl()
        .env("CERTCTL_DEBUG_PANIC", "1")
        .env("RUST_BACKTRACE", "1")
        .args(["scan", "."])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "one line, no backtrace: {err}");
    assert!(
        err.starts_with("error: internal error: deliberate panic second line at src/main.rs:")
            && err.trim_end().ends_with(", please report"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

/// README.md's JSON schema is exhaustive: every field every command prints, at every depth, is
/// documented, and every document it lists is run here (the AWS documents against the
/// emulator in tests/acm.rs, tests/audit.rs, tests/doctor.rs and tests/faults.rs). `run_json`
/// checks every document of every test the same way; these runs reach the optional objects
/// (an anchor, API Gateway's refusal, a scan problem, a hook result, a dry run's plan, exit 2
/// and 3).
#[test]
fn json_documents_match_the_readme_schema() {
    let d = tempdir();
    let p = |name: &str| d.path().join(name).to_str().unwrap().to_string();
    let lb = p("lb");
    let junk = p("junk");
    std::fs::create_dir(&junk).unwrap();
    write(
        Path::new(&junk),
        "broken.pem",
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
    );
    let page = write(
        d.path(),
        "page.txt",
        "Alias name: amazonrootca1\n\t SHA1: 8D:A7:F9:65:EC:5E:FC:37:91:0F:1C:6E:59:FD:C1:CC:6A:6E:DE:16\n\t SHA256: 8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E\n",
    );
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = write(
        d.path(),
        "r.toml",
        "[[cert]]\nname = \"lb\"\ndns = [\"lb.example.internal\"]\nout-dir = \"r\"\ndeploy-hook = \"echo deployed\"\n",
    );
    let cfg = cfg.to_str().unwrap().to_string();
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<String>>();
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "issue onprem",
            s(&[
                "issue",
                "onprem",
                "--dns",
                "lb.example.internal",
                "--out-dir",
                &lb,
            ]),
        ),
        (
            "ca init",
            s(&["ca", "init", "--dir", &p("ca"), "--name", "Test CA"]),
        ),
        (
            "issue client",
            s(&[
                "issue",
                "client",
                "--ca",
                &p("ca"),
                "--cn",
                "apigw-test",
                "--out-dir",
                &p("client"),
            ]),
        ),
        (
            "truststore bundle",
            s(&[
                "truststore",
                "bundle",
                "--for",
                "alb",
                &format!("{}/ca.pem", p("ca")),
                "--out",
                &p("bundle.pem"),
            ]),
        ),
        // A refused client and an admitted one, with a finding (the leaf in the bundle).
        (
            "truststore lint",
            s(&[
                "truststore",
                "lint",
                "--for",
                "alb",
                &format!("{}/fullchain.pem", p("client")),
                "--client",
                &format!("{}/fullchain.pem", p("client")),
                "--client",
                &format!("{lb}/cert.pem"),
            ]),
        ),
        (
            "truststore lint",
            s(&[
                "truststore",
                "lint",
                "--for",
                "alb",
                &p("bundle.pem"),
                "--client",
                &format!("{}/fullchain.pem", p("client")),
            ]),
        ),
        // Self-signed: API Gateway refuses, with the line it would log.
        ("check", s(&["check", &format!("{lb}/fullchain.pem")])),
        (
            "check",
            s(&[
                "check",
                &format!("{lb}/cert.pem"),
                "--hostname",
                "lb.example.internal",
                "--fix-chain",
                &p("fixed.pem"),
            ]),
        ),
        // Anchored in a trust store.
        (
            "check",
            s(&[
                "check",
                &format!("{lb}/cert.pem"),
                "--hostname",
                "lb.example.internal",
                "--trust-store",
                &format!("{lb}/cert.pem"),
            ]),
        ),
        ("inspect", s(&["inspect", &format!("{lb}/cert.pem")])),
        ("inspect", s(&["inspect", &format!("{}/ca.pem", p("ca"))])),
        (
            "policy check",
            s(&[
                "policy",
                "check",
                concat!(env!("CARGO_MANIFEST_DIR"), "/policies/gateway.toml"),
            ]),
        ),
        ("policy show", s(&["policy", "show", "strict"])),
        ("scan", s(&["scan", &lb])),
        ("scan", s(&["scan", &lb, &junk, "--metrics", &p("m.prom")])),
        ("truststore list", s(&["truststore", "list"])),
        (
            "truststore show",
            s(&["truststore", "show", "amazonrootca1"]),
        ),
        (
            "truststore export",
            s(&["truststore", "export", "--out", &p("apigw.pem")]),
        ),
        (
            "truststore update",
            s(&[
                "truststore",
                "update",
                "--from",
                page.to_str().unwrap(),
                "--out",
                &p("list.tsv"),
                "--allow-shrink",
                "--dry-run",
            ]),
        ),
        ("truststore verify", s(&["truststore", "verify"])),
        ("man --dir", s(&["man", "--dir", &p("man1")])),
        // Issued, its hook run; then a dry run's plan.
        ("rotate", s(&["rotate", "--config", &cfg, "--at", AT])),
        (
            "rotate",
            s(&[
                "rotate",
                "--config",
                &cfg,
                "--at",
                AT,
                "--force",
                "--dry-run",
            ]),
        ),
        // Exit 2 (bad input) and exit 3 (could not look).
        ("any error", s(&["check", &p("missing.pem")])),
        (
            "any error",
            s(&[
                "check",
                &format!("https://127.0.0.1:{closed}"),
                "--timeout",
                "5s",
            ]),
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (document, args) in cases {
        let (code, doc, err) = run_json(&args);
        assert_no_panic(&err);
        // run_json checked the document against the README; this is the one expected.
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(document_of(&words, &doc), document, "{args:?}: {doc:#}");
        if document == "any error" {
            assert_eq!(doc["exit_code"], code, "{doc:#}");
        }
        seen.insert(document.to_string());
    }
    assert!(seen.contains("any error"));
    // Where each run reached: an anchor, API Gateway's refusal, a problem, a hook, a plan.
    let (_, doc, _) = run_json(["scan", &junk]);
    assert_eq!(doc["problems"][0]["code"], "malformed", "{doc:#}");
    let (_, doc, _) = run_json(["rotate", "--config", &cfg, "--at", AT, "--force"]);
    assert_eq!(doc["sets"][0]["hook"]["exit_code"], 0, "{doc:#}");
    // The AWS documents are run against the emulator (acm import: tests/acm_import.rs checks
    // every document it prints, refusals included; mtls: tests/mtls.rs).
    for aws in [
        "mtls plan",
        "mtls apply",
        "mtls status",
        "acm import",
        "acm request",
        "acm records",
        "acm status",
        "acm list",
        "acm attach",
        "acm audit",
        "doctor",
    ] {
        seen.insert(aws.to_string());
    }
    let listed: std::collections::BTreeSet<String> = schema().documents.iter().cloned().collect();
    assert_eq!(seen, listed, "every README document is run");
}

/// The schema check looks at every depth and names the exact path: a field added to a nested
/// object, or one the README promises gone missing, fails it.
#[test]
fn the_schema_check_names_the_exact_undocumented_path() {
    let d = tempdir();
    let c = chain("api.example.com");
    let full = write(
        d.path(),
        "full.pem",
        format!("{}{}", c.leaf.pem, c.inter.pem),
    );
    let (_, doc, _) = run_json(["check", full.to_str().unwrap(), "--at", AT]);
    assert!(!doc["findings"].as_array().unwrap().is_empty(), "{doc:#}");
    assert_eq!(schema_problems("check", &doc), Vec::<String>::new());

    let mut bad = doc.clone();
    bad["findings"][0]["judgement"] = "deny".into();
    bad["path"][0]["extra"] = serde_json::json!({"a": 1});
    bad["apigateway"].as_object_mut().unwrap().remove("codes");
    bad["nested"] = serde_json::json!([{"x": [{"y": 1}]}]);
    assert_eq!(
        schema_problems("check", &bad),
        [
            "check: apigateway.codes is promised by README \"JSON schema\" but not printed",
            "check: findings[].judgement is printed but not in README \"JSON schema\"",
            "check: nested is printed but not in README \"JSON schema\"",
            "check: path[].extra is printed but not in README \"JSON schema\"",
        ]
    );
    // Inside a documented kind, an object with no kind of its own has no documented fields.
    let mut bad = doc.clone();
    bad["policy"]["profile"] = serde_json::json!({"name": "gateway"});
    assert_eq!(
        schema_problems("check", &bad),
        ["check: policy.profile.name is printed but not in README \"JSON schema\""]
    );
    // The same kinds inside another document: acm status holds a check as `chain`.
    let mut status = serde_json::json!({
        "schema_version": 1, "arn": "arn", "status": "ISSUED", "names": [],
        "key_algorithm": null, "not_after": null, "days_left": null, "in_use_by": [],
        "renewal_eligibility": null, "renewal_status": null, "failure_reason": null,
        "records": [], "validations": [], "chain": doc.clone(), "findings": [],
    });
    assert_eq!(schema_problems("acm status", &status), Vec::<String>::new());
    status["chain"]["findings"][0]["judgement"] = "deny".into();
    assert_eq!(
        schema_problems("acm status", &status),
        ["acm status: chain.findings[].judgement is printed but not in README \"JSON schema\""]
    );
    assert_eq!(
        schema_problems("acm statuz", &status),
        ["README.md documents no `acm statuz` document"]
    );
}

/// The README's schema tables hold together: a reference to a kind nobody documents, or a
/// kind no field holds, is an error of the README itself.
#[test]
fn the_readme_schema_refers_only_to_documented_kinds() {
    let head = "# x\n\n## JSON schema\n\n| document | fields |\n|---|---|\n";
    let ok = format!(
        "{head}| `d` | `a`, `b?` (*thing* list) |\n\n**thing**\n\n| field | meaning |\n|---|---|\n| `c` | `*.example.com`, a value |\n\n## next\n"
    );
    let small = parse_schema(&ok);
    assert_eq!(small.documents, ["d"]);
    let d: Vec<(&str, bool, Option<&str>)> = small.kinds["d"]
        .iter()
        .map(|f| (f.name.as_str(), f.optional, f.kind.as_deref()))
        .collect();
    assert_eq!(d, [("a", false, None), ("b", true, Some("thing"))]);
    assert_eq!(small.kinds["thing"][0].name, "c");
    for (bad, says) in [
        (ok.replace("(*thing* list)", "(*thingy* list)"), "*thingy*"),
        (
            ok.replace("(*thing* list)", "(list)"),
            "no field holds a *thing*",
        ),
        (ok.replace("`a`, `b?`", "`a`, `a`"), "`a` twice"),
    ] {
        let err = std::panic::catch_unwind(|| parse_schema(&bad)).unwrap_err();
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains(says), "{msg}");
    }
    // The real README passes the same checks.
    let real = schema();
    assert!(real.kinds.len() > real.documents.len() + 20, "{real:#?}");
}

#[test]
fn truststore_show_help_examples_run() {
    let (code, help, _) = run(["truststore", "show", "--help"]);
    assert_eq!(code, 0);
    // An example may be wrapped onto a second line; a line not starting with `certctl`
    // continues the one above.
    let mut examples: Vec<String> = Vec::new();
    for l in help
        .lines()
        .skip_while(|l| !l.starts_with("EXAMPLES:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
    {
        match examples.last_mut() {
            Some(last) if !l.starts_with("certctl ") => {
                last.push(' ');
                last.push_str(l);
            }
            _ => examples.push(l.to_string()),
        }
    }
    assert_eq!(examples.len(), 2, "{help}");
    for ex in examples {
        let args: Vec<&str> = ex.split_whitespace().skip(1).collect();
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{ex}: {out}{err}");
        assert!(out.contains("Amazon Root CA 1"), "{ex}: {out}");
    }
}

#[test]
fn man_dir_writes_every_page_the_pages_mention() {
    let d = tempdir();
    let dir = d.path().join("man1");
    let (code, doc, _) = run_json(["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{doc:#}");
    let pages = doc["pages"].as_array().unwrap();
    assert!(pages.len() >= 20, "{doc:#}");
    let mut mentioned = 0;
    for p in pages {
        let text = std::fs::read_to_string(p.as_str().unwrap()).unwrap();
        assert!(text.starts_with(".ie") || text.contains(".TH "), "{p}");
        // Every page a page refers to, as `certctl\-truststore\-show(1)`, is in the directory.
        for (i, _) in text.match_indices("(1)") {
            let name: String = text[..i]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '\\')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<String>()
                .replace('\\', "");
            if name.starts_with("certctl") {
                mentioned += 1;
                assert!(
                    dir.join(format!("{name}.1")).exists(),
                    "{p} mentions {name}(1)"
                );
            }
        }
    }
    assert!(mentioned >= 10, "the pages mention {mentioned} other pages");
    assert!(dir.join("certctl-truststore-show.1").exists());
    // A file in the way: exit 2, nothing written.
    let file = write(d.path(), "not-a-dir", "x");
    let (code, _, err) = run(["man", "--dir", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a directory"), "{err}");
}

/// Every subcommand path, e.g. `["truststore", "show"]`.
fn subcommand_paths(cmd: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let mut p = prefix.clone();
        p.push(sub.get_name().to_string());
        subcommand_paths(sub, p.clone(), out);
        out.push(p);
    }
}

fn help_at(path: &[String], columns: &str) -> String {
    let out = certctl()
        .args(path)
        .arg("--help")
        .env("COLUMNS", columns)
        .output()
        .unwrap();
    assert!(out.status.success(), "{path:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn help_examples_never_wrap_and_prose_follows_the_terminal_width() {
    let mut paths = vec![Vec::new()];
    subcommand_paths(&certctl::helptext::command(), Vec::new(), &mut paths);
    assert!(paths.len() >= 20, "{paths:?}");
    let mut examples_seen = 0;
    for path in &paths {
        let wide = help_at(path, "1000");
        let examples: Vec<&str> = wide
            .lines()
            .skip_while(|l| !l.starts_with("EXAMPLES:"))
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .collect();
        if examples.is_empty() && wide.contains("\nCommands:\n") {
            continue; // a group (`certctl acm`): its subcommands carry the examples
        }
        assert!(!examples.is_empty(), "{path:?} has no examples:\n{wide}");
        // Every line of the block (commands, continuations, the cron line) fits 80 columns:
        // a terminal of that width never wraps a command to copy.
        for l in wide
            .lines()
            .skip_while(|l| !l.starts_with("EXAMPLES:"))
            .skip(1)
            .take_while(|l| !l.ends_with(':') || l.starts_with(' '))
            // Prose (a sentence) wraps to the terminal; commands and their continuations do not.
            .filter(|l| {
                let t = l.trim_start();
                !t.starts_with(|c: char| c.is_ascii_uppercase()) || t.starts_with("CERTCTL_")
            })
        {
            assert!(
                l.chars().count() <= 80,
                "{path:?}: an example line is {} columns: {l}",
                l.chars().count()
            );
        }
        let narrow = help_at(path, "50");
        for ex in examples {
            examples_seen += 1;
            assert!(
                narrow.lines().any(|l| l == ex),
                "{path:?}: the example `{ex}` is wrapped at 50 columns:\n{narrow}"
            );
            assert!(
                !ex.contains('\u{a0}'),
                "{path:?}: a no-break space leaked: {ex:?}"
            );
        }
    }
    assert!(examples_seen >= 40, "{examples_seen}");
    // Prose after the examples is one paragraph on a wide terminal, wrapped on a narrow one.
    let path = ["issue".to_string(), "onprem".to_string()];
    let wide = help_at(&path, "200");
    let para = wide
        .lines()
        .find(|l| l.trim_start().starts_with("Writes cert.pem"))
        .unwrap();
    assert!(para.len() > 100 && para.len() <= 200, "{para}");
    let narrow = help_at(&path, "60");
    let prose: Vec<&str> = narrow
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("Writes cert.pem"))
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert!(prose.len() >= 4, "{narrow}");
    assert!(prose.iter().all(|l| l.chars().count() <= 60), "{prose:#?}");
}

#[test]
fn a_mistyped_flag_gets_the_flag_it_was_meant_to_be() {
    for (args, meant) in [
        (
            vec!["issue", "onprem", "--dsn", "x", "--out-dir", "o"],
            "'--dns'",
        ),
        (vec!["check", "--hostnme", "x", "f.pem"], "'--hostname'"),
        (
            vec!["check", "--trust-stor", "x", "f.pem"],
            "'--trust-store'",
        ),
        (vec!["rotate", "--dryrun"], "'--dry-run'"),
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.contains(&format!("a similar argument exists: {meant}")),
            "{args:?}: {err}"
        );
        assert!(!err.contains("--json"), "{args:?}: {err}");
    }
}

#[test]
fn global_flags_show_only_where_they_apply() {
    let flags = |args: &[&str]| -> Vec<String> {
        let (code, out, _) = run(args);
        assert_eq!(code, 0, "{args:?}");
        out.lines()
            .filter_map(|l| l.trim_start().split_once("--").map(|(_, r)| r))
            .filter_map(|r| r.split([' ', '<', '.', ',']).next())
            .map(|f| format!("--{f}"))
            .collect()
    };
    for (args, present, absent) in [
        (
            vec!["man", "--help"],
            vec!["--dir"],
            vec!["--profile", "--region", "--endpoint-url", "--at", "--json"],
        ),
        (
            vec!["completions", "-h"],
            vec![],
            vec!["--region", "--at", "--json"],
        ),
        (
            vec!["help", "truststore", "update"],
            vec!["--json", "--from"],
            vec!["--region", "--at"],
        ),
        (
            vec!["scan", "--help"],
            vec!["--at", "--json", "--quiet"],
            vec![
                "--profile",
                "--region",
                "--endpoint-url",
                "--aws-timeout",
                "--max-attempts",
            ],
        ),
        (
            vec!["issue", "onprem", "--help"],
            vec!["--at"],
            vec!["--profile", "--endpoint-url"],
        ),
        (
            vec!["acm", "list", "--help"],
            vec![
                "--profile",
                "--region",
                "--endpoint-url",
                "--at",
                "--aws-timeout",
                "--max-attempts",
            ],
            vec![],
        ),
        (vec!["check", "--help"], vec!["--region", "--at"], vec![]),
    ] {
        let shown = flags(&args);
        for f in present {
            assert!(
                shown.contains(&f.to_string()),
                "{args:?} lacks {f}: {shown:?}"
            );
        }
        for f in absent {
            assert!(
                !shown.contains(&f.to_string()),
                "{args:?} shows {f}: {shown:?}"
            );
        }
    }
}

/// AWS flags for an endpoint nothing listens on: a command that gets as far as calling AWS
/// exits 3.
const UNREACHABLE_AWS: [&str; 4] = [
    "--endpoint-url",
    "http://127.0.0.1:1",
    "--region",
    "eu-west-1",
];

/// Runs certctl with test credentials (so the SDK gets as far as the endpoint): exit code and
/// stderr.
fn run_against_unreachable_aws(args: &[&str]) -> (Option<i32>, String) {
    let out = certctl()
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The one wording of a bad duration, wherever it is given.
fn bad_duration(value: &str) -> String {
    format!(
        "invalid duration \"{value}\": expected a whole number with an optional unit: 90 (seconds), 500ms, 90s, 30m, 2h, 30d, 2w"
    )
}

#[test]
fn every_duration_flag_takes_one_format_with_one_error() {
    // Each flag, as a full command line that fails later (nothing listens on port 1) once the
    // value parsed.
    let aws = UNREACHABLE_AWS;
    let flags: Vec<(Vec<&str>, &str)> = vec![
        (vec!["check", "https://127.0.0.1:1"], "--timeout"),
        (vec!["inspect", "https://127.0.0.1:1"], "--timeout"),
        (
            [
                &aws[..],
                &["doctor", "--hostname", "api.example.com", "--no-live"],
            ]
            .concat(),
            "--timeout",
        ),
        (
            [&aws[..], &["acm", "request", "api.example.com", "--wait"]].concat(),
            "--timeout",
        ),
        (
            [&aws[..], &["acm", "request", "api.example.com", "--wait"]].concat(),
            "--poll-interval",
        ),
        (
            [&aws[..], &["acm", "status", "api.example.com"]].concat(),
            "--dns-timeout",
        ),
        (
            [&aws[..], &["acm", "audit", "--region", "eu-west-1"]].concat(),
            "--stuck-after",
        ),
        (
            [&aws[..], &["acm", "status", "api.example.com"]].concat(),
            "--aws-timeout",
        ),
    ];
    for (args, flag) in &flags {
        for good in ["3", "3s", "500ms"] {
            let mut a = args.clone();
            a.extend([*flag, good]);
            let (code, err) = run_against_unreachable_aws(&a);
            // Parsed: the command ran and could not connect.
            assert_eq!(code, Some(3), "{a:?}: {err}");
        }
        for bad in ["3x", "1.5", "-3s", "3 sec"] {
            let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            a.push(format!("{flag}={bad}"));
            let (code, _, err) = run(&a);
            assert_eq!(code, 2, "{a:?}: {err}");
            assert!(err.starts_with("error: "), "{a:?}: {err}");
            assert!(err.contains(&bad_duration(bad)), "{a:?}: {err}");
            assert_no_panic(&err);
        }
        let mut a = args.clone();
        a.extend([*flag, "0s"]);
        let (code, _, err) = run(&a);
        assert_eq!(code, 2, "{a:?}: {err}");
        assert!(
            err.contains("invalid duration \"0s\": it must be more than 0"),
            "{err}"
        );
    }
}

#[test]
fn every_duration_in_the_rotate_config_takes_the_same_format_and_error() {
    let d = tempdir();
    let cfg = |values: [&str; 5]| {
        write(
            d.path(),
            "onprem.toml",
            format!(
                "lock-timeout = \"{}\"\n[[cert]]\nname = \"lb\"\ndns = [\"lb.example.internal\"]\nout-dir = \"lb\"\n\
                 days = 365\nrenew-before = \"{}\"\ndeploy-hook = \"true\"\nhook-timeout = \"{}\"\nhook-grace = \"{}\"\n\
                 verify-url = \"https://127.0.0.1:1\"\nverify-timeout = \"{}\"\n",
                values[0], values[1], values[2], values[3], values[4]
            ),
        )
    };
    for good in [
        ["90", "30d", "2h", "5s", "1500ms"],
        ["0s", "2w", "120", "1m", "30s"],
    ] {
        let c = cfg(good);
        let (code, out, err) = run([
            "rotate",
            "--config",
            c.to_str().unwrap(),
            "--dry-run",
            "--at",
            AT,
        ]);
        assert_eq!(code, 0, "{good:?}: {out}{err}");
    }
    let keys = [
        "lock-timeout",
        "renew-before",
        "hook-timeout",
        "hook-grace",
        "verify-timeout",
    ];
    let c = cfg(["3x", "1.5d", "-3s", "3 sec", "1h30m"]);
    let (code, _, err) = run([
        "rotate",
        "--config",
        c.to_str().unwrap(),
        "--dry-run",
        "--at",
        AT,
    ]);
    assert_eq!(code, 2, "{err}");
    for (key, bad) in keys.iter().zip(["3x", "1.5d", "-3s", "3 sec", "1h30m"]) {
        assert!(
            err.contains(&format!("`{key}`: {}", bad_duration(bad))),
            "{key}: {err}"
        );
    }
}

#[test]
fn levels_are_spelled_as_check_prints_them() {
    // One vocabulary: what `policy check` lists is what `check` reports (deny, warn, info).
    for policy in [None, Some("strict")] {
        let mut args = vec!["policy", "check"];
        args.extend(policy);
        let (code, doc, _) = run_json(&args);
        assert_eq!(code, 0, "{doc:#}");
        let levels: Vec<&str> = doc["levels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["level"].as_str().unwrap())
            .collect();
        assert!(levels.contains(&"info"), "{levels:?}");
        assert!(
            levels.iter().all(|l| ["deny", "warn", "info"].contains(l)),
            "{levels:?}"
        );
    }
    // A file may say `info` (and the older `allow`); anything else is named in the error.
    let d = tempdir();
    let ok = write(
        d.path(),
        "ok.toml",
        "[levels]\nroot-sent = \"info\"\nlong-validity = \"allow\"\n",
    );
    assert_eq!(run(["policy", "check", ok.to_str().unwrap()]).0, 0);
    let bad = write(d.path(), "bad.toml", "[levels]\nroot-sent = \"ignore\"\n");
    let (code, _, err) = run(["policy", "check", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("\"deny\", \"warn\" or \"info\""), "{err}");
}

#[test]
fn a_missing_trust_store_is_bad_input_like_a_missing_target() {
    let c = chain("api.example.com");
    let d = tempdir();
    let leaf = write(d.path(), "leaf.pem", &c.leaf.pem);
    let missing = d.path().join("no-such-root.pem");
    let (code, _, err) = run([
        "check",
        leaf.to_str().unwrap(),
        "--trust-store",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-such-root.pem"), "{err}");
    let (code, _, _) = run(["check", d.path().join("no-such-leaf.pem").to_str().unwrap()]);
    assert_eq!(code, 2);
}

#[test]
fn flag_values_are_refused_while_parsing_with_the_commands_own_message_and_hint() {
    // Nothing listens on port 1: a value refused only after an AWS call would exit 3.
    let aws = UNREACHABLE_AWS;
    let arn = "arn:aws:acm:eu-west-1:123456789012:certificate/x";
    for (args, message, hint) in [
        (
            vec!["acm", "records", arn, "--format", "csv"],
            "unknown --format \"csv\" (expected table or zone)",
            None,
        ),
        (
            vec!["acm", "request", "api..example.com"],
            "\"api..example.com\" is not a valid DNS name: it has an empty label",
            Some("names: letters, digits, hyphens"),
        ),
        (
            vec![
                "acm",
                "request",
                "api.example.com",
                "--key-algorithm",
                "dsa",
            ],
            "unknown key algorithm \"dsa\" (expected rsa-2048, ec-p256 or ec-p384)",
            None,
        ),
        (
            vec!["doctor", "--hostname", "bad_host!", "--no-live"],
            "bad hostname \"bad_host!\": not a DNS name or IP address",
            None,
        ),
        (
            vec![
                "issue",
                "onprem",
                "--dns",
                "lb.example",
                "--format",
                "haproxy,jks",
            ],
            "unknown --format \"jks\"",
            Some("formats: pem, haproxy, pkcs12"),
        ),
    ] {
        let a = [&aws[..], &args].concat();
        let (code, err) = run_against_unreachable_aws(&a);
        assert_eq!(code, Some(2), "{a:?}: {err}");
        assert_eq!(
            err.lines().next(),
            Some(&*format!("error: {message}")),
            "{a:?}"
        );
        match hint {
            Some(h) => assert!(err.contains(&format!("\nhint: {h}")), "{a:?}: {err}"),
            None => assert!(!err.contains("hint:"), "{a:?}: {err}"),
        }
        assert!(!err.contains("For more information"), "{a:?}: {err}");
        // The same as one JSON document.
        let (code, doc, _) = run_json(&a);
        assert_eq!(code, 2);
        assert_eq!(doc["exit_code"], 2);
        assert_eq!(doc["error"]["message"], message, "{doc:#}");
        assert_eq!(doc["error"]["hint"].is_string(), hint.is_some(), "{doc:#}");
    }
    // Help and completions list the values a flag takes.
    let help = help_at(&["ca".to_string(), "init".to_string()], "200");
    assert!(
        help.contains("[possible values: ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096]"),
        "{help}"
    );
    let (_, zsh, _) = run(["completions", "zsh"]);
    assert!(zsh.contains(":FORMAT:(table zone)"), "{zsh}");
    assert!(zsh.contains(":FORMAT:(pem haproxy pkcs12)"), "{zsh}");
}

/// An AWS flag typed for a command that never calls AWS is refused (exit 2, one line naming
/// the flag and the command), not silently ignored; the same flag from the environment is not.
#[test]
fn aws_flags_are_refused_by_commands_that_never_call_aws() {
    let d = tempdir();
    let out = d.path().join("out").to_str().unwrap().to_string();
    for (flag, value) in [
        ("--region", "eu-west-1"),
        ("--profile", "other"),
        ("--endpoint-url", "http://127.0.0.1:9"),
        ("--aws-timeout", "3s"),
        ("--max-attempts", "2"),
    ] {
        for (command, rest) in [
            (
                "issue onprem",
                vec!["issue", "onprem", "--dns", "a.example", "--out-dir", &out],
            ),
            ("ca init", vec!["ca", "init", "--dir", &out]),
            ("scan", vec!["scan", "."]),
        ] {
            let mut args = rest.clone();
            args.extend([flag, value]);
            let (code, o, err) = run(&args);
            assert_eq!(code, 2, "{args:?}:\n{o}{err}");
            assert!(
                err.contains(&format!("{flag} has no effect on `certctl {command}`")),
                "{args:?}: {err}"
            );
        }
    }
    assert!(!d.path().join("out").exists(), "a refused command wrote");
    // From the environment it is no refusal (the variable serves the AWS commands).
    let o = certctl()
        .args(["scan", d.path().to_str().unwrap()])
        .env("AWS_MAX_ATTEMPTS", "2")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every manual page with examples has them in `.SH EXAMPLES`, set without filling (`.nf`), so
/// man never justifies a command line; no page keeps clap_mangen's filled `.SH EXTRA`.
#[test]
fn man_pages_have_unfilled_examples_sections() {
    let d = tempdir();
    let dir = d.path().join("man");
    let (code, _, err) = run(["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut with_examples = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let roff = std::fs::read_to_string(&p).unwrap();
        assert!(!roff.contains(".SH EXTRA"), "{}", p.display());
        if let Some(i) = roff.find(".SH EXAMPLES\n") {
            with_examples += 1;
            assert!(
                roff[i..].starts_with(".SH EXAMPLES\n.nf\n"),
                "{}",
                p.display()
            );
            let section = &roff[i..];
            let end = section[1..]
                .find("\n.SH ")
                .map(|e| e + 1)
                .unwrap_or(section.len());
            assert!(section[..end].contains("\n.fi"), "{}", p.display());
        }
    }
    assert!(
        with_examples >= 15,
        "only {with_examples} pages have examples"
    );
}

/// In every help, a command's own flags come first and the global ones after them, never
/// interleaved.
#[test]
fn command_flags_come_before_global_flags_in_every_help() {
    const GLOBAL: &[&str] = &[
        "--json",
        "--at",
        "--quiet",
        "--verbose",
        "--no-color",
        "--profile",
        "--region",
        "--endpoint-url",
        "--max-attempts",
        "--aws-timeout",
    ];
    let mut paths = vec![Vec::new()];
    subcommand_paths(&certctl::helptext::command(), Vec::new(), &mut paths);
    for path in &paths {
        let help = help_at(path, "200");
        let flags: Vec<&str> = help
            .lines()
            .skip_while(|l| !l.starts_with("Options:"))
            .skip(1)
            .take_while(|l| !l.ends_with(':') || l.starts_with(' '))
            .filter(|l| l.trim_start().starts_with('-'))
            .filter_map(|l| {
                l.split_whitespace()
                    .map(|w| w.trim_end_matches(',').trim_end_matches("..."))
                    .find(|w| w.starts_with("--"))
            })
            .filter(|f| *f != "--help" && *f != "--version")
            .collect();
        if let Some(first_global) = flags.iter().position(|f| GLOBAL.contains(f)) {
            let own_after: Vec<_> = flags[first_global..]
                .iter()
                .filter(|f| !GLOBAL.contains(f))
                .collect();
            assert!(
                own_after.is_empty(),
                "{path:?}: {own_after:?} after a global flag: {flags:?}"
            );
        }
    }
}

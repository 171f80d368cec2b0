//! Every subcommand that touches AWS, found in the clap command tree, against the emulator
//! through the fault proxy in three modes (every call hanging, so the command's first AWS call
//! hangs; every call throttled; every call 5xx): each ends within `--timeout` + 1 s with exit 1
//! or 3 and exactly one JSON document, and a fault-free rerun completes without a second
//! certificate. A new AWS subcommand is picked up automatically and fails here until it has a
//! row in `ARGS`.

mod support;

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use clap::CommandFactory;
use support::faultproxy::start_proxy;
use support::moto::{build_path, start_moto};
use support::*;

/// Subcommands that never call AWS (a new subcommand must be put here or be an AWS one).
const NOT_AWS: &[&str] = &[
    "truststore list",
    "truststore show",
    "truststore export",
    "truststore update",
    "truststore verify",
    "policy check",
    "policy show",
    "ca init",
    "issue onprem",
    "issue client",
    "truststore bundle",
    "truststore lint",
    "scan",
    "completions",
    "man",
];

/// Every leaf subcommand of the tree, as its path (`acm request`).
fn leaves(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
    let subs: Vec<&clap::Command> = cmd
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
        .collect();
    if subs.is_empty() {
        out.push((path.trim().to_string(), cmd.clone()));
    }
    for s in subs {
        leaves(s, &format!("{path} {}", s.get_name()), out);
    }
}

/// The convention: a subcommand that calls AWS takes `--timeout`, the deadline of the whole
/// command, and its help says it bounds the AWS calls. (`--region` and `--endpoint-url` are
/// global flags, in every subcommand's help, so they cannot tell.)
fn touches_aws(cmd: &clap::Command) -> bool {
    cmd.get_arguments().any(|a| {
        a.get_long() == Some("timeout")
            && a.get_help()
                .is_some_and(|h| h.to_string().contains("AWS call"))
    })
}

/// The AWS subcommands, discovered.
fn aws_subcommands() -> Vec<String> {
    let mut all = Vec::new();
    leaves(&certctl::cli::Cli::command(), "", &mut all);
    assert!(all.len() > 15, "found only {} subcommands", all.len());
    let mut aws = Vec::new();
    for (path, cmd) in all {
        if touches_aws(&cmd) {
            aws.push(path);
        } else {
            assert!(
                NOT_AWS.contains(&path.as_str()),
                "`certctl {path}` neither takes the AWS deadline (--timeout, \"every AWS call\") \
                 nor is listed in NOT_AWS: decide which it is"
            );
        }
    }
    aws
}

/// A minimal valid argument set per AWS subcommand, from what the fixture built.
fn args(path: &str, topo: &serde_json::Value, ca: &str, moto: &str) -> Option<Vec<String>> {
    let s = |k: &str| topo[k].as_str().unwrap().to_string();
    let v: Vec<String> = match path {
        "doctor" => vec![
            "doctor",
            "--hostname",
            "api.example.com",
            "--rest-api-id",
            &s("rest_api_id"),
            "--no-live",
            "--trust-store",
            ca,
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        "acm request" => [
            "acm",
            "request",
            "deadline.example.com",
            "--route53-zone",
            "auto",
            "--wait",
            "--poll-interval",
            "200ms",
            "--no-dns",
        ]
        .map(String::from)
        .to_vec(),
        "acm records" => ["acm", "records", "api.example.com"]
            .map(String::from)
            .to_vec(),
        "acm status" => ["acm", "status", "api.example.com", "--no-dns"]
            .map(String::from)
            .to_vec(),
        "acm list" => ["acm", "list"].map(String::from).to_vec(),
        "acm attach" => vec![
            "acm".into(),
            "attach".into(),
            s("certificate"),
            "--listener".into(),
            s("https_listener"),
        ],
        "acm audit" => ["acm", "audit", "--no-dns"].map(String::from).to_vec(),
        "acm import" => {
            // The fixture's certificate, chain and key (made 0600: a key others can read is
            // refused before any call).
            let dir = std::path::Path::new(ca).parent().unwrap();
            let key = dir.join("key.pem");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
            vec![
                "acm".into(),
                "import".into(),
                "--cert".into(),
                dir.join("cert.pem").display().to_string(),
                "--key".into(),
                key.display().to_string(),
                "--chain".into(),
                ca.into(),
            ]
        }
        "check" => vec![
            "check".into(),
            s("certificate"),
            "--trust-store".into(),
            ca.into(),
        ],
        "inspect" => vec!["inspect".into(), s("certificate")],
        "rotate" => {
            let dir = std::path::Path::new(ca).parent().unwrap().join("rotate");
            vec![
                "rotate".into(),
                "--config".into(),
                client_set_config(&dir, moto),
            ]
        }
        // The topology's certificate is a server certificate: the gate refuses it before any
        // write (exit 1) once AWS answers.
        "mtls plan" | "mtls apply" => vec![
            "mtls".into(),
            path.split(' ').nth(1).unwrap_or("plan").into(),
            "--rest-api-id".into(),
            s("rest_api_id"),
            "--stage".into(),
            "prod".into(),
            "--listener".into(),
            s("https_listener"),
            "--bucket".into(),
            "s3://certctl-deadline/alb/clients.pem".into(),
            "--client-cert-arn".into(),
            s("certificate"),
            "--ca".into(),
            ca.into(),
        ],
        "mtls status" => vec![
            "mtls".into(),
            "status".into(),
            "--rest-api-id".into(),
            s("rest_api_id"),
            "--stage".into(),
            "prod".into(),
            "--listener".into(),
            s("https_listener"),
        ],
        _ => return None,
    };
    Some(v)
}

/// A rotate config with one client set whose `acm-arn` holds the set's own pair (made with
/// `ca init`, a first rotate without the ARN, and `acm import` straight to `moto`): a
/// fault-free run is `unchanged`, a faulted one fails reading the ARN before any write.
fn client_set_config(dir: &std::path::Path, moto: &str) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let ok = |args: &[&str]| {
        let out = certctl()
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default()
    };
    let p = |f: &str| dir.join(f).display().to_string();
    ok(&["ca", "init", "--dir", &p("ca")]);
    let set = "[[cert]]\nname = \"client\"\nkind = \"client\"\ncn = \"apigw\"\nout-dir = \"client\"\nca-dir = \"ca\"\n";
    let config = write(dir, "rotate.toml", set);
    ok(&["rotate", "--config", &p("rotate.toml")]);
    let imported = ok(&[
        "--json",
        "--endpoint-url",
        moto,
        "--region",
        "eu-west-1",
        "acm",
        "import",
        "--cert",
        &p("client/cert.pem"),
        "--key",
        &p("client/key.pem"),
        "--chain",
        &p("client/chain.pem"),
    ]);
    let arn = imported["arn"].as_str().unwrap();
    write(dir, "rotate.toml", format!("{set}acm-arn = \"{arn}\"\n"));
    config.display().to_string()
}

/// The error of a report: the command's own, or (rotate) the first set's.
fn error_of(doc: &serde_json::Value) -> (String, String) {
    match doc.get("error") {
        Some(e) => (
            e["message"].as_str().unwrap_or_default().to_string(),
            e["step"].as_str().unwrap_or_default().to_string(),
        ),
        None => {
            let m = doc["sets"][0]["error"].as_str().unwrap_or_default();
            (m.to_string(), m.to_string())
        }
    }
}

const TIMEOUT: Duration = Duration::from_secs(3);

struct Outcome {
    path: String,
    code: i32,
    doc: serde_json::Value,
    stderr: String,
    took: Duration,
}

/// certctl `args` against `endpoint` with `--timeout 3s` unless `args` set one; killed after
/// 20 s (a hang fails).
fn run_at(path: &str, endpoint: &str, args: &[String]) -> Outcome {
    let own = args.iter().any(|a| a == "--timeout");
    let timeout: &[&str] = if own { &[] } else { &["--timeout", "3s"] };
    let start = Instant::now();
    let mut child = certctl()
        .args([
            "--json",
            "--endpoint-url",
            endpoint,
            "--region",
            "eu-west-1",
        ])
        .args(args)
        .args(timeout)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_MAX_ATTEMPTS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut o, mut e) = (Vec::new(), String::new());
        let _ = out_pipe.read_to_end(&mut o);
        let _ = err_pipe.read_to_string(&mut e);
        (o, e)
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("certctl {path} still running after 20 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = start.elapsed();
    let (stdout, stderr) = reader.join().unwrap();
    let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&stdout)
        .into_iter::<serde_json::Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {stderr}"));
    assert_eq!(
        docs.len(),
        1,
        "{path}: exactly one JSON document: {docs:#?}"
    );
    assert_no_panic(&stderr);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_documented(&document_of(&refs, &docs[0]), &docs[0]);
    Outcome {
        path: path.to_string(),
        code: status.code().unwrap_or(-1),
        doc: docs.into_iter().next().unwrap(),
        stderr,
        took,
    }
}

#[test]
fn every_aws_subcommand_ends_within_its_deadline_under_every_fault() {
    let suite = Instant::now();
    let aws = aws_subcommands();
    for want in ["doctor", "acm request", "acm audit", "check", "inspect"] {
        assert!(aws.iter().any(|p| p == want), "{want} not found in {aws:?}");
    }
    let moto = start_moto("1");
    let proxy = start_proxy(&moto.endpoint);
    let d = tempdir();
    let topo = build_path(&moto, d.path(), "none");
    let ca = d.path().join("ca.pem");
    let table: Vec<(String, Vec<String>)> = aws
        .iter()
        .map(|p| {
            let a = args(p, &topo, ca.to_str().unwrap(), &moto.endpoint)
                .unwrap_or_else(|| panic!("`certctl {p}` calls AWS but has no row in args()"));
            (p.clone(), a)
        })
        .collect();

    let modes = [
        (
            "hang",
            serde_json::json!([{"fault": "hang", "times": -1, "secs": 30}]),
        ),
        (
            "throttle",
            serde_json::json!([{"fault": "throttle", "times": -1}]),
        ),
        ("5xx", serde_json::json!([{"fault": "5xx", "times": -1}])),
    ];
    let mut report = Vec::new();
    for (mode, rules) in &modes {
        proxy.faults(rules.clone());
        let started = Instant::now();
        // The subcommands of one mode run at once: the suite stays fast, the deadline is each
        // process's own.
        let outcomes: Vec<Outcome> = std::thread::scope(|s| {
            let handles: Vec<_> = table
                .iter()
                .map(|(p, a)| {
                    let endpoint = proxy.endpoint.clone();
                    s.spawn(move || run_at(p, &endpoint, a))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut worst = Duration::ZERO;
        for o in &outcomes {
            let path = &o.path;
            assert!(
                o.took <= TIMEOUT + Duration::from_secs(1),
                "{mode}: {path} took {:?} with --timeout 3s: {:#} {}",
                o.took,
                o.doc,
                o.stderr
            );
            assert!(
                o.code == 1 || o.code == 3,
                "{mode}: {path} exit {}: {:#} {}",
                o.code,
                o.doc,
                o.stderr
            );
            let (msg, step) = error_of(&o.doc);
            if o.code == 3 {
                assert!(
                    !msg.is_empty() && !msg.contains('\n'),
                    "{mode}: {path}: {msg}"
                );
                assert!(
                    !msg.contains("dispatch failure") && !msg.contains("SendRequest"),
                    "{mode}: {path}: SDK chain in the message: {msg}"
                );
            }
            if *mode == "hang" {
                assert_eq!(o.code, 3, "{mode}: {path}: {:#}", o.doc);
                assert!(
                    step.contains(':'),
                    "{mode}: {path}: the step that was running: {:#}",
                    o.doc
                );
            }
            worst = worst.max(o.took.saturating_sub(TIMEOUT));
        }
        report.push(format!(
            "{mode}: {} subcommands in {:?}, worst overshoot past --timeout {:?}",
            outcomes.len(),
            started.elapsed(),
            worst
        ));
    }

    // No faults: every subcommand completes with a verdict (the invariants: nothing
    // half-done, no second certificate for the name requested under faults).
    proxy.faults(serde_json::json!([]));
    for (p, a) in &table {
        let o = run_at(p, &proxy.endpoint, a);
        assert!(
            o.code == 0 || o.code == 1,
            "rerun {p}: a verdict (the fixture's private CA is untrusted), not exit {}: {:#} {}",
            o.code,
            o.doc,
            o.stderr
        );
    }
    let list = run_at("acm list", &moto.endpoint, &["acm".into(), "list".into()]);
    let requested = list.doc["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["names"][0] == "deadline.example.com")
        .count();
    assert_eq!(
        requested, 1,
        "one certificate for the requested name: {:#}",
        list.doc
    );
    eprintln!("{}\nsuite: {:?}", report.join("\n"), suite.elapsed());
}

#[test]
fn writes_retry_by_class_until_the_deadline_and_say_what_was_lost() {
    let moto = start_moto("1");
    let proxy = start_proxy(&moto.endpoint);
    let d = tempdir();
    let topo = build_path(&moto, d.path(), "none");
    let p = proxy.endpoint.as_str();
    // One attempt per call: every retry seen is certctl's own, by class.
    let run = |args: &[&str]| -> Outcome {
        let mut a: Vec<String> = vec!["--max-attempts".into(), "1".into()];
        a.extend(args.iter().map(|s| s.to_string()));
        run_at(&args.join(" "), p, &a)
    };
    let request = |host: &'static str| {
        vec![
            "acm",
            "request",
            host,
            "--route53-zone",
            "auto",
            "--poll-interval",
            "200ms",
        ]
    };

    // RequestCertificate throttled 4 times and the UPSERT answered PriorRequestNotComplete
    // twice, with one attempt per call: certctl tries again with backoff and completes.
    proxy.faults(serde_json::json!([
        {"op": "RequestCertificate", "fault": "throttle", "times": 4},
        {"path": "POST /rrset", "fault": "prior", "times": 2}
    ]));
    let mut args = request("retry.example.com");
    args.extend(["--timeout", "30s"]);
    let o = run(&args);
    assert_eq!(o.code, 0, "{:#} {}", o.doc, o.stderr);
    let log = proxy.log();
    assert_eq!(
        log.iter().filter(|(_, f)| f == "throttle").count(),
        4,
        "{log:?}"
    );
    assert_eq!(
        log.iter().filter(|(_, f)| f == "prior").count(),
        2,
        "{log:?}"
    );
    assert!(!o.doc["route53"][0]["change_id"].is_null(), "{:#}", o.doc);

    // Every RequestCertificate throttled: the deadline passes while backing off, and the
    // error says how many answers were throttled, not "before AWS answered".
    proxy.faults(serde_json::json!([
        {"op": "RequestCertificate", "fault": "throttle", "times": -1}
    ]));
    let mut args = request("throttled.example.com");
    args.extend(["--timeout", "4s"]);
    let o = run(&args);
    assert_eq!(o.code, 3, "{:#}", o.doc);
    assert!(o.took < Duration::from_secs(5), "{:?}", o.took);
    let msg = o.doc["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("acm:RequestCertificate: AWS throttled")
            && msg.contains("requests in a row (ThrottlingException)")
            && msg.contains("the deadline passed while backing off")
            && !msg.contains("before AWS answered"),
        "{msg}"
    );
    let n = proxy.log().len();
    assert!(n > 3, "tried again until the deadline: {n} requests");

    // A write whose answer is lost, one attempt: it may have been applied, a rerun is safe.
    let cert = topo["certificate"].as_str().unwrap();
    let listener = topo["https_listener"].as_str().unwrap();
    proxy.faults(serde_json::json!([
        {"op": "ModifyListener", "fault": "lose", "times": -1}
    ]));
    let args = [
        "acm",
        "attach",
        cert,
        "--listener",
        listener,
        "--default",
        "--timeout",
        "10s",
    ];
    let o = run(&args);
    // The fixture's certificate is already the default: nothing to write, nothing lost.
    assert_eq!(o.code, 0, "{:#}", o.doc);
    proxy.faults(serde_json::json!([
        {"op": "AddListenerCertificates", "fault": "lose", "times": -1}
    ]));
    let other = run(&[
        "acm",
        "request",
        "lost.example.com",
        "--wait",
        "--timeout",
        "30s",
        "--poll-interval",
        "200ms",
        "--no-dns",
        "--route53-zone",
        "auto",
    ]);
    assert_eq!(other.code, 0, "{:#} {}", other.doc, other.stderr);
    let arn = other.doc["arn"].as_str().unwrap();
    let o = run(&[
        "acm",
        "attach",
        arn,
        "--listener",
        listener,
        "--timeout",
        "10s",
    ]);
    assert_eq!(o.code, 3, "{:#}", o.doc);
    let msg = o.doc["error"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("elasticloadbalancing:AddListenerCertificates: the answer was lost (")
            && msg.contains("the write may have been applied")
            && msg.contains("running the same command again is safe"),
        "{msg}"
    );
    assert!(
        !msg.contains("dispatch failure") && !msg.contains("SendRequest"),
        "in words: {msg}"
    );
    // And it is: the rerun finds it attached.
    proxy.faults(serde_json::json!([]));
    let o = run(&[
        "acm",
        "attach",
        arn,
        "--listener",
        listener,
        "--timeout",
        "10s",
    ]);
    assert_eq!(o.code, 0, "{:#}", o.doc);
    assert_eq!(o.doc["action"], "already-attached", "{:#}", o.doc);
}

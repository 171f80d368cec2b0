//! Fault injection: a proxy (tests/fixtures/faultproxy.py, Python standard library) sits
//! between the official SDK and the AWS emulator (moto server) and injects throttling, 5xx,
//! hangs, dropped connections and lost responses per operation. `acm request --wait`,
//! `acm attach` and `doctor` must end within their deadline with exit 0, 1 or 3 and exactly one
//! JSON document, never create a second certificate or a duplicate record, and complete on a
//! rerun. A missing emulator fails the test.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::faultproxy::start_proxy;
use support::moto::{start_moto, venv_bin, Moto};
use support::*;

struct Run {
    code: i32,
    doc: serde_json::Value,
    stderr: String,
    took: Duration,
}

/// certctl against `endpoint`; asserts exactly one JSON document on stdout.
fn certctl_at(endpoint: &str, args: &[&str]) -> Run {
    let start = Instant::now();
    let out = certctl()
        .args([
            "--json",
            "--endpoint-url",
            endpoint,
            "--region",
            "eu-west-1",
        ])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_MAX_ATTEMPTS")
        .output()
        .unwrap();
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<serde_json::Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {stderr}"));
    assert_eq!(
        docs.len(),
        1,
        "{args:?}: exactly one JSON document: {docs:#?}"
    );
    let code = out.status.code().unwrap_or(-1);
    assert!(
        [0, 1, 3].contains(&code),
        "{args:?}: exit {code}: {:#} {stderr}",
        docs[0]
    );
    assert_no_panic(&stderr);
    // Every document, the errors of a failed write included, is what README.md describes.
    assert_documented(&document_of(args, &docs[0]), &docs[0]);
    Run {
        code,
        doc: docs.into_iter().next().unwrap(),
        stderr,
        took,
    }
}

fn fixture(endpoint: &str, args: &[&str]) -> serde_json::Value {
    support::moto::run_fixture("moto_topology.py", endpoint, args)
}

fn reset(moto: &Moto) {
    let ok = Command::new(venv_bin("python"))
        .args(["-c", &format!("import urllib.request; urllib.request.urlopen(urllib.request.Request('{}/moto-api/reset', method='POST'))", moto.endpoint)])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Certificates in the emulator (asked directly, not through the proxy).
fn certificates(moto: &Moto) -> usize {
    let r = certctl_at(&moto.endpoint, &["acm", "list"]);
    r.doc["certificates"].as_array().unwrap().len()
}

/// Records of `name` in a zone, read directly from the emulator.
fn records_named(moto: &Moto, zone: &str, name: &str) -> usize {
    fixture(&moto.endpoint, &["records", zone])
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[0] == name)
        .count()
}

/// Short timeouts for reads: a hang ends after 2 attempts of 1 s.
const FAST: &[&str] = &["--aws-timeout", "1", "--max-attempts", "2"];
/// Two attempts with the default timeout: writes are never cut short by a slow emulator (a
/// retried RequestCertificate racing the first attempt inside the emulator, which does not
/// make its idempotency check atomic, would make a second certificate that AWS would not).
const RETRY2: &[&str] = &["--max-attempts", "2"];
/// For the hang: attempts of 3 s, still well inside the 6 s deadline.
const HANG: &[&str] = &["--aws-timeout", "3", "--max-attempts", "2"];

fn with<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more.iter()).copied().collect()
}

#[test]
fn acm_request_wait_survives_every_fault_and_reruns_to_completion() {
    let moto = start_moto("3");
    let proxy = start_proxy(&moto.endpoint);
    let p = proxy.endpoint.as_str();
    fixture(&moto.endpoint, &["build"]);
    let base = certificates(&moto); // the fixture's own
    let request = |host: &'static str, timeout: &'static str| -> Vec<&'static str> {
        vec![
            "acm",
            "request",
            host,
            "--route53-zone",
            "auto",
            "--wait",
            "--timeout",
            timeout,
            "--poll-interval",
            "200ms",
        ]
    };

    // 1. DescribeCertificate throttled four times in a row (more than the SDK's attempts):
    // the wait polls again and ends ISSUED.
    proxy.faults(serde_json::json!([
        {"op": "DescribeCertificate", "fault": "throttle", "skip": 2, "times": 4}
    ]));
    let r = certctl_at(p, &with(RETRY2, &request("a.example.com", "60s")));
    assert_eq!(r.code, 0, "{:#} {}", r.doc, r.stderr);
    assert_eq!(r.doc["status"], "ISSUED");
    assert!(
        proxy.log().iter().filter(|(_, f)| f == "throttle").count() == 4,
        "{:?}",
        proxy.log()
    );
    assert_eq!(certificates(&moto), base + 1);

    // 2. 5xx and dropped connections on the polls: the same.
    proxy.faults(serde_json::json!([
        {"op": "DescribeCertificate", "fault": "5xx", "skip": 2, "times": 2},
        {"op": "DescribeCertificate", "fault": "drop", "times": 2}
    ]));
    let r = certctl_at(p, &with(RETRY2, &request("b.example.com", "60s")));
    assert_eq!(r.code, 0, "{:#} {}", r.doc, r.stderr);
    assert_eq!(r.doc["status"], "ISSUED");
    assert_eq!(certificates(&moto), base + 2);

    // 3. RequestCertificate's answer is lost after ACM made the certificate: the SDK's retry
    // carries the same idempotency token, so there is still one certificate for the names.
    proxy.faults(serde_json::json!([
        {"op": "RequestCertificate", "fault": "lose", "times": 1}
    ]));
    let r = certctl_at(p, &with(RETRY2, &request("c.example.com", "60s")));
    assert!(r.code == 0 || r.code == 3, "{:#}", r.doc);
    let r = certctl_at(p, &with(RETRY2, &request("c.example.com", "60s")));
    assert_eq!(r.code, 0, "the rerun completes: {:#} {}", r.doc, r.stderr);
    assert_eq!(
        certificates(&moto),
        base + 3,
        "no second certificate for c.example.com"
    );

    // 4. Every DescribeCertificate hangs: --timeout bounds the whole command (exit 1
    // acm-validation-pending once the certificate exists, or 3), one JSON document.
    reset(&moto);
    let topo = fixture(&moto.endpoint, &["build"]);
    let zone2 = topo["zone_id"].as_str().unwrap().to_string();
    proxy.faults(serde_json::json!([
        {"op": "DescribeCertificate", "fault": "hang", "times": -1, "secs": 60}
    ]));
    let r = certctl_at(p, &with(HANG, &request("d.example.com", "6s")));
    assert!(
        r.took < Duration::from_secs(6 + 4),
        "deadline 6 s, took {:?}",
        r.took
    );
    assert!(r.code == 1 || r.code == 3, "{:#}", r.doc);
    if r.code == 3 {
        // The certificate was requested before the hang: the error document says so.
        assert_eq!(
            r.doc["error"]["changes"][0]["kind"], "acm-certificate",
            "{:#}",
            r.doc
        );
    }
    proxy.faults(serde_json::json!([]));
    let r = certctl_at(p, &request("d.example.com", "60s"));
    assert_eq!(r.code, 0, "the rerun completes: {:#} {}", r.doc, r.stderr);
    assert_eq!(r.doc["action"], "reused");
    assert_eq!(certificates(&moto), base + 1);

    // 5. Route 53 fails after RequestCertificate (every attempt 5xx): the idempotent UPSERT is
    // tried again with backoff until the deadline, then exit 3 saying so, and the error
    // document names the new certificate; the rerun writes the record once.
    proxy.faults(serde_json::json!([
        {"path": "POST /rrset", "fault": "5xx", "times": -1}
    ]));
    let r = certctl_at(p, &with(RETRY2, &request("e.example.com", "8s")));
    assert_eq!(r.code, 3, "{:#}", r.doc);
    assert!(
        r.took < Duration::from_secs(9),
        "deadline 8 s, took {:?}",
        r.took
    );
    let msg = r.doc["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("route53:ChangeResourceRecordSets")
            && msg.contains("503")
            && msg.contains("the deadline passed while backing off"),
        "{msg}"
    );
    assert_eq!(r.doc["error"]["step"], "route53:ChangeResourceRecordSets");
    let tries = proxy.log().iter().filter(|(_, f)| f == "5xx").count();
    assert!(tries > 2, "more than the SDK's 2 attempts: {tries}");
    assert!(
        !msg.contains('{') && !msg.contains('\n'),
        "one line, no Debug: {msg}"
    );
    let changes = r.doc["error"]["changes"].as_array().unwrap();
    assert_eq!(changes[0]["kind"], "acm-certificate");
    let arn = changes[0]["id"].as_str().unwrap().to_string();
    assert!(
        r.stderr
            .contains(&format!("changed: acm-certificate {arn}")),
        "{}",
        r.stderr
    );
    proxy.faults(serde_json::json!([]));
    let r = certctl_at(p, &request("e.example.com", "60s"));
    assert_eq!(r.code, 0, "{:#} {}", r.doc, r.stderr);
    assert_eq!(r.doc["arn"], arn.as_str(), "the same certificate");
    let rec = r.doc["records"][0]["name"].as_str().unwrap();
    assert_eq!(
        records_named(&moto, &zone2, rec),
        1,
        "one record, no duplicate"
    );
    // A lost UPSERT answer, then a rerun: still one record.
    proxy.faults(serde_json::json!([
        {"path": "POST /rrset", "fault": "lose", "times": 1}
    ]));
    let _ = certctl_at(p, &with(RETRY2, &request("e.example.com", "60s")));
    assert_eq!(records_named(&moto, &zone2, rec), 1);
    assert_eq!(certificates(&moto), base + 2);
}

#[test]
fn acm_attach_reports_a_write_it_could_not_verify_and_reruns() {
    let moto = start_moto("1");
    let proxy = start_proxy(&moto.endpoint);
    let p = proxy.endpoint.as_str();
    let topo = fixture(&moto.endpoint, &["build"]);
    let https = topo["https_listener"].as_str().unwrap().to_string();
    let r = certctl_at(
        &moto.endpoint,
        &[
            "acm",
            "request",
            "api.example.com",
            "--route53-zone",
            "auto",
            "--wait",
            "--timeout",
            "60s",
            "--poll-interval",
            "300ms",
        ],
    );
    assert_eq!(r.code, 0, "{:#}", r.doc);
    let arn = r.doc["arn"].as_str().unwrap().to_string();

    // The verifying read after AddListenerCertificates is dropped on every attempt.
    proxy.faults(serde_json::json!([
        {"op": "DescribeListenerCertificates", "fault": "drop", "skip": 1, "times": -1}
    ]));
    let r = certctl_at(
        p,
        &with(RETRY2, &["acm", "attach", &arn, "--listener", &https]),
    );
    assert_eq!(r.code, 3, "{:#}", r.doc);
    let msg = r.doc["error"]["message"].as_str().unwrap();
    assert!(msg.contains("DescribeListenerCertificates"), "{msg}");
    assert_eq!(r.doc["error"]["changes"][0]["kind"], "listener-certificate");
    assert!(r.took < Duration::from_secs(20), "{:?}", r.took);
    // The rerun completes: attached once.
    proxy.faults(serde_json::json!([]));
    let r = certctl_at(p, &["acm", "attach", &arn, "--listener", &https]);
    assert_eq!(r.code, 0, "{:#}", r.doc);
    assert_eq!(r.doc["action"], "already-attached");
    let on = fixture(&moto.endpoint, &["listener-certs", &https]);
    assert_eq!(
        on.as_array()
            .unwrap()
            .iter()
            .filter(|a| a.as_str() == Some(arn.as_str()))
            .count(),
        1
    );

    // Lost answer to the write itself: the SDK retries the (idempotent on AWS) write, and the
    // rerun finds the certificate attached. (The emulator appends a retried
    // AddListenerCertificates twice where AWS ignores the repeat, so the listener's list is
    // not counted here.)
    let r2 = certctl_at(
        &moto.endpoint,
        &[
            "acm",
            "request",
            "www.example.com",
            "--route53-zone",
            "auto",
            "--wait",
            "--timeout",
            "60s",
            "--poll-interval",
            "300ms",
        ],
    );
    let arn2 = r2.doc["arn"].as_str().unwrap().to_string();
    proxy.faults(serde_json::json!([
        {"op": "AddListenerCertificates", "fault": "lose", "times": 1}
    ]));
    let r = certctl_at(
        p,
        &with(RETRY2, &["acm", "attach", &arn2, "--listener", &https]),
    );
    assert!(r.code == 0 || r.code == 3, "{:#}", r.doc);
    proxy.faults(serde_json::json!([]));
    let r = certctl_at(p, &["acm", "attach", &arn2, "--listener", &https]);
    assert_eq!(r.code, 0, "{:#}", r.doc);
    assert_eq!(r.doc["action"], "already-attached", "{:#}", r.doc);
    let on = fixture(&moto.endpoint, &["listener-certs", &https]);
    assert!(on
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a.as_str() == Some(arn2.as_str())));
}

#[test]
fn doctor_ends_within_its_timeouts_under_faults() {
    let moto = start_moto("600");
    let proxy = start_proxy(&moto.endpoint);
    let p = proxy.endpoint.as_str();
    let d = tempdir();
    let topo = fixture(
        &moto.endpoint,
        &["doctor", d.path().to_str().unwrap(), "none"],
    );
    let api = topo["rest_api_id"].as_str().unwrap().to_string();
    let ca = d.path().join("ca.pem");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "doctor",
            "--hostname",
            "api.example.com",
            "--rest-api-id",
            &api,
            "--no-live",
            "--trust-store",
            ca.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        certctl_at(p, &refs)
    };
    let healthy = run(&[]);
    assert_eq!(healthy.code, 0, "{:#}", healthy.doc);

    // Throttled twice: the SDK's retries absorb it.
    proxy.faults(serde_json::json!([
        {"op": "DescribeLoadBalancers", "fault": "throttle", "times": 2}
    ]));
    let r = run(&["--max-attempts", "3"]);
    assert_eq!(r.code, 0, "{:#} {}", r.doc, r.stderr);

    // A hang on one call: per-attempt timeouts end it (2 attempts of 1 s), exit 3, one line
    // naming the operation.
    for (op, fault) in [
        ("DescribeTargetHealth", "hang"),
        ("DescribeTargetGroups", "drop"),
        ("DescribeListeners", "5xx"),
    ] {
        proxy.faults(serde_json::json!([
            {"op": op, "fault": fault, "times": -1, "secs": 60}
        ]));
        let r = run(FAST);
        assert_eq!(r.code, 3, "{op} {fault}: {:#}", r.doc);
        assert!(r.took < Duration::from_secs(15), "{op}: {:?}", r.took);
        let msg = r.doc["error"]["message"].as_str().unwrap();
        assert!(msg.contains(op), "{op}: {msg}");
        assert!(
            !msg.contains("DispatchFailure") && !msg.contains('{'),
            "{msg}"
        );
    }
    // And the rerun passes.
    proxy.faults(serde_json::json!([]));
    assert_eq!(run(&[]).code, 0);
}

#[test]
fn aws_errors_are_one_line_with_the_right_cause_and_hint() {
    let moto = start_moto("600");
    let proxy = start_proxy(&moto.endpoint);
    let p = proxy.endpoint.as_str();

    // An expired token is not "no credentials".
    proxy.faults(serde_json::json!([
        {"op": "ListCertificates", "fault": "expired", "times": -1}
    ]));
    let r = certctl_at(p, &["acm", "list"]);
    assert_eq!(r.code, 3);
    let e = &r.doc["error"];
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("acm:ListCertificates") && msg.contains("ExpiredToken"),
        "{msg}"
    );
    assert!(!msg.contains("no AWS credentials"), "{msg}");
    assert!(e["hint"].as_str().unwrap().contains("expired"), "{e:#}");

    // A proxy's HTML 403 page: one short line, no Debug dump, the operation named.
    proxy.faults(serde_json::json!([
        {"op": "ListCertificates", "fault": "html403", "times": -1}
    ]));
    let r = certctl_at(p, &["acm", "list"]);
    assert_eq!(r.code, 3);
    let msg = r.doc["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("acm:ListCertificates") && msg.contains("403"),
        "{msg}"
    );
    assert!(
        msg.len() < 300 && !msg.contains("<html") && !msg.contains('{'),
        "{msg}"
    );
    let all = r.doc.to_string();
    assert!(all.len() < 1200, "no 1.5 KB dumps: {all}");

    // Throttling and 5xx name the operation.
    proxy.faults(serde_json::json!([
        {"op": "ListCertificates", "fault": "5xx", "times": -1}
    ]));
    let r = certctl_at(p, &["--max-attempts", "2", "acm", "list"]);
    let msg = r.doc["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("acm:ListCertificates") && msg.contains("503"),
        "{msg}"
    );

    // No region: named as such, exit 2, not "no credentials".
    let out = certctl()
        .args(["--json", "--endpoint-url", p, "acm", "list"])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{doc:#}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no AWS region"),
        "{doc:#}"
    );

    // An endpoint URL without a scheme is bad input: exit 2.
    let r = run_json([
        "--endpoint-url",
        "127.0.0.1:5000",
        "--region",
        "eu-west-1",
        "acm",
        "list",
    ]);
    assert_eq!(r.0, 2, "{:#}", r.1);
    assert!(r.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--endpoint-url"));
}

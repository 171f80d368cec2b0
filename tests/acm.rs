//! `certctl acm …` end to end with the official SDK against the AWS emulator (moto server on
//! 127.0.0.1, installed into .venv by scripts/test): request → records → Route 53 UPSERT →
//! wait → ISSUED → attach to an ALB HTTPS listener. A missing emulator fails the test.

mod support;

use std::net::TcpListener;

use support::moto::start_moto;
use support::*;

fn fixture(endpoint: &str, args: &[&str]) -> serde_json::Value {
    support::moto::run_fixture("moto_topology.py", endpoint, args)
}

/// certctl with the emulator's endpoint and dummy credentials.
fn aws(endpoint: &str, args: &[&str]) -> (i32, serde_json::Value, String) {
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
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {stdout}\n{stderr}"));
    // Every document is the one README.md's JSON schema describes.
    assert_documented(&document_of(args, &doc), &doc);
    (out.status.code().unwrap_or(-1), doc, stderr)
}

#[test]
fn request_validate_wait_attach_against_the_emulator() {
    let moto = start_moto("8");
    let e = moto.endpoint.as_str();
    let topo = fixture(e, &["build"]);
    let zone = topo["zone_id"].as_str().unwrap();
    let https = topo["https_listener"].as_str().unwrap();
    let http = topo["http_listener"].as_str().unwrap();

    // Request with Route 53 validation.
    let (code, doc, err) = aws(
        e,
        &[
            "acm",
            "request",
            "api.example.com",
            "--route53-zone",
            "auto",
        ],
    );
    assert_eq!(code, 0, "{doc:#} {err}");
    assert_eq!(doc["action"], "requested");
    let arn = doc["arn"].as_str().unwrap().to_string();
    assert_eq!(doc["status"], "PENDING_VALIDATION");
    let records = doc["records"].as_array().unwrap().clone();
    assert_eq!(records.len(), 1);
    assert_eq!(doc["route53"][0]["zone_id"], zone);
    // The UPSERT is visible in the zone.
    let rrs = fixture(e, &["records", zone]);
    let name = records[0]["name"].as_str().unwrap();
    assert!(
        rrs.as_array()
            .unwrap()
            .iter()
            .any(|r| r[0] == name && r[1] == "CNAME" && r[2][0] == records[0]["value"]),
        "{rrs:#}"
    );

    // The same names again: the same certificate.
    let (code, doc, _) = aws(e, &["acm", "request", "API.example.com"]);
    assert_eq!(code, 0);
    assert_eq!(doc["action"], "reused");
    assert_eq!(doc["arn"], arn.as_str());

    // Wait until issued (the emulator issues after 8 s: long enough that the wait starts while it is still pending, also on a loaded machine).
    let (code, doc, err) = aws(
        e,
        &[
            "acm",
            "request",
            "api.example.com",
            "--wait",
            "--timeout",
            "60s",
            "--poll-interval",
            "500ms",
        ],
    );
    assert_eq!(code, 0, "{doc:#} {err}");
    assert_eq!(doc["status"], "ISSUED");
    // The wait lasts longer than a second, so progress shows as plain lines (stderr is a
    // pipe): the status while pending, then how it ended.
    let waits: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("waiting for ACM to validate api.example.com"))
        .collect();
    assert!(waits.len() >= 2, "progress lines: {err}");
    assert!(
        waits[0].contains("PENDING_VALIDATION") && waits.last().unwrap().ends_with(": ISSUED"),
        "progress lines: {err}"
    );

    // Records, status and list.
    let (code, doc, _) = aws(e, &["acm", "records", &arn]);
    assert_eq!(code, 0);
    assert_eq!(doc["records"][0]["name"], name);
    let (code, doc, _) = aws(e, &["acm", "status", "api.example.com"]);
    assert_eq!(doc["status"], "ISSUED");
    assert!(
        doc["not_after"].is_string() && doc["names"][0] == "api.example.com",
        "{doc:#}"
    );
    // The emulator signs with its own CA, which API Gateway does not trust: the check says so.
    assert_eq!(doc["chain"]["verdict"], "untrusted", "{doc:#}");
    assert_eq!(code, 1);
    // `check` takes the ARN too: the chain ACM serves, judged like any other.
    let (code, doc, _) = aws(e, &["check", &arn, "--hostname", "api.example.com"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["trust_store"], "apigateway");
    assert!(doc["presented"].as_u64().unwrap() >= 1);
    assert!(
        doc["path"][0]["subject"]
            .as_str()
            .unwrap()
            .contains("api.example.com"),
        "{doc:#}"
    );
    let (code, doc, _) = aws(e, &["acm", "list"]);
    assert_eq!(code, 0);
    assert!(doc["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["arn"] == arn.as_str()));

    // Attach: dry run changes nothing, then attach, then idempotent.
    let (code, doc, _) = aws(
        e,
        &["acm", "attach", &arn, "--listener", https, "--dry-run"],
    );
    assert_eq!(code, 0);
    assert_eq!(doc["action"], "would-attach");
    assert!(!fixture(e, &["listener-certs", https])
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == arn.as_str()));
    let (code, doc, err) = aws(e, &["acm", "attach", &arn, "--listener", https]);
    assert_eq!(code, 0, "{doc:#} {err}");
    assert_eq!(doc["action"], "attached");
    assert!(fixture(e, &["listener-certs", https])
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == arn.as_str()));
    let (_, doc, _) = aws(e, &["acm", "attach", &arn, "--listener", https]);
    assert_eq!(doc["action"], "already-attached");

    // Refusals.
    let (code, doc, _) = aws(e, &["acm", "attach", &arn, "--listener", http]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not HTTPS"));
    let other = https.replace("eu-west-1", "us-east-1");
    let (code, _, _) = aws(e, &["acm", "attach", &arn, "--listener", &other]);
    assert_eq!(code, 2);
    // Another last character (the emulator's ids are random hex: it may end in 0 already).
    let last = if https.ends_with('0') { '1' } else { '0' };
    let missing = format!("{}{last}", &https[..https.len() - 1]);
    assert_ne!(missing, https);
    let (code, _, err) = aws(e, &["acm", "attach", &arn, "--listener", &missing]);
    assert!(code == 2 || code == 3, "{err}");
    let (code, _, err) = aws(e, &["acm", "request", "*.*.example.com"]);
    assert_eq!(code, 2, "{err}");
    let (code, doc, _) = aws(
        e,
        &[
            "acm",
            "request",
            "lb.internal.example.com",
            "--route53-zone",
            "auto",
            "--dry-run",
        ],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["action"], "would-request");
}

#[test]
fn an_unreachable_endpoint_is_an_operational_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, doc, err) = aws(&format!("http://127.0.0.1:{port}"), &["acm", "list"]);
    assert_eq!(code, 3, "{doc:#} {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

/// A local endpoint that answers every request with HTTP 500 and keeps the `Authorization`
/// header of each: who signed what, without AWS.
fn capture_authorization() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut auth = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if lower.starts_with("authorization:") {
                    auth = line.trim().to_string();
                }
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = std::io::Read::read_exact(&mut reader, &mut body);
            let _ = tx.send(auth);
            let mut s = stream;
            let _ = s.write_all(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (endpoint, rx)
}

/// Shared config and credentials files in `dir`: profile `other` with its own key.
fn profile_files(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let config = write(
        dir,
        "config",
        "[default]\nregion = eu-west-1\n\n[profile other]\nregion = eu-west-1\n",
    );
    let credentials = write(
        dir,
        "credentials",
        "[default]\naws_access_key_id = AKIDDEFAULTFILE\naws_secret_access_key = fake\n\n[other]\naws_access_key_id = AKIDOTHERPROFILE\naws_secret_access_key = fake\n",
    );
    (config, credentials)
}

#[test]
fn a_named_profile_signs_even_with_environment_keys_set() {
    let d = tempdir();
    let (config, credentials) = profile_files(d.path());
    let (endpoint, seen) = capture_authorization();
    // --profile, and AWS_PROFILE, each with environment keys set: the profile's key signs.
    for (flag, env_profile) in [(Some("other"), None), (None, Some("other"))] {
        let mut cmd = certctl();
        cmd.args([
            "--json",
            "--endpoint-url",
            &endpoint,
            "--region",
            "eu-west-1",
        ])
        .args(["--max-attempts", "1"]);
        if let Some(p) = flag {
            cmd.args(["--profile", p]);
        }
        cmd.args(["acm", "list"])
            .env("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRONMENT")
            .env("AWS_SECRET_ACCESS_KEY", "fake")
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE");
        if let Some(p) = env_profile {
            cmd.env("AWS_PROFILE", p);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(3), "the endpoint answers 500");
        let auth = seen
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a signed request");
        assert!(
            auth.contains("Credential=AKIDOTHERPROFILE/"),
            "{flag:?} {env_profile:?}: {auth}"
        );
        while seen.try_recv().is_ok() {}
    }
    // Without a profile the environment's key signs, as before.
    let out = certctl()
        .args([
            "--json",
            "--endpoint-url",
            &endpoint,
            "--region",
            "eu-west-1",
        ])
        .args(["--max-attempts", "1", "acm", "list"])
        .env("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRONMENT")
        .env("AWS_SECRET_ACCESS_KEY", "fake")
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let auth = seen
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    assert!(auth.contains("Credential=AKIDFROMENVIRONMENT/"), "{auth}");
}

#[test]
fn an_unknown_profile_is_bad_input_naming_it_and_the_files() {
    let d = tempdir();
    let (config, credentials) = profile_files(d.path());
    let (endpoint, seen) = capture_authorization();
    for with_env_keys in [true, false] {
        let mut cmd = certctl();
        cmd.args([
            "--json",
            "--endpoint-url",
            &endpoint,
            "--region",
            "eu-west-1",
        ])
        .args(["--profile", "nosuch", "acm", "list"])
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env_remove("AWS_PROFILE");
        if with_env_keys {
            cmd.env("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRONMENT")
                .env("AWS_SECRET_ACCESS_KEY", "fake");
        } else {
            cmd.env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_SECRET_ACCESS_KEY");
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("\"nosuch\""), "{err}");
        assert!(err.contains(&config.display().to_string()), "{err}");
        assert!(err.contains(&credentials.display().to_string()), "{err}");
        assert!(err.contains("AWS_SHARED_CREDENTIALS_FILE"), "{err}");
        assert!(err.contains("hint:"), "{err}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_documented(&document_of(&["acm", "list"], &doc), &doc);
    }
    assert!(seen.try_recv().is_err(), "nothing was sent");
}

#[test]
fn no_credentials_anywhere_says_where_it_looked() {
    let d = tempdir();
    let config = write(d.path(), "config", "");
    let credentials = write(d.path(), "credentials", "");
    let (endpoint, _seen) = capture_authorization();
    let out = certctl()
        .args([
            "--json",
            "--endpoint-url",
            &endpoint,
            "--region",
            "eu-west-1",
        ])
        .args(["--max-attempts", "1", "acm", "list"])
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("HOME", d.path())
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    for source in [
        "AWS_ACCESS_KEY_ID",
        "profile \"default\"",
        &credentials.display().to_string(),
        "web identity",
        "container",
        "instance metadata service (disabled by AWS_EC2_METADATA_DISABLED)",
    ] {
        assert!(err.contains(source), "{source}: {err}");
    }
}

/// ACM answers FAILED at the first DescribeCertificate (the emulator never fails a
/// certificate: the fault proxy rewrites its answer, as AWS would send it): `acm request`, with
/// and without --wait, is exit 1 with the reason in words; `acm status` and `check arn:` say the
/// same; once the cause is fixed the rerun gets a second, different certificate at once.
#[test]
fn a_failed_certificate_is_exit_1_and_the_rerun_gets_a_new_one() {
    let moto = start_moto("600");
    fixture(&moto.endpoint, &["build"]);
    let proxy = support::faultproxy::start_proxy(&moto.endpoint);
    let e = proxy.endpoint.as_str();
    let fail = |only: Option<&str>| {
        let mut rule = serde_json::json!({
            "op": "DescribeCertificate",
            "fault": "rewrite",
            "times": -1,
            "set": {"Certificate.Status": "FAILED", "Certificate.FailureReason": "CAA_ERROR"},
        });
        if let Some(arn) = only {
            rule["body"] = serde_json::json!(arn);
        }
        proxy.faults(serde_json::json!([rule]));
    };
    fail(None);
    let request = [
        "acm",
        "request",
        "api.example.com",
        "--route53-zone",
        "auto",
    ];
    let (code, doc, err) = aws(e, &[&request[..], &["--wait", "--timeout", "60s"]].concat());
    assert_eq!(code, 1, "{doc:#} {err}");
    assert_eq!(doc["status"], "FAILED");
    assert_eq!(doc["failure_reason"], "CAA_ERROR");
    assert!(
        doc["waited_secs"].as_u64().unwrap_or(0) < 5,
        "no wait: {doc:#}"
    );
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "acm-validation-failed")
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(f["severity"], "deny");
    assert!(f["message"].as_str().unwrap().contains("CAA record"), "{f}");
    assert!(f["hint"].as_str().unwrap().contains("amazon.com"), "{f}");
    assert!(
        doc["route53"].as_array().unwrap().is_empty(),
        "no records for it"
    );
    let first = doc["arn"].as_str().unwrap().to_string();

    // Without --wait, the same verdict (the request reuses nothing: the token changed).
    let (code, doc, _) = aws(e, &request);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["status"], "FAILED");
    let second = doc["arn"].as_str().unwrap().to_string();
    assert_ne!(first, second, "a failed certificate is never handed back");

    // status and check arn: say why, exit 1.
    let (code, doc, _) = aws(e, &["acm", "status", &first]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(codes(&doc), vec!["acm-validation-failed"], "{doc:#}");
    let (code, doc, _) = aws(e, &["check", &first]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["verdict"], "untrusted");
    assert_eq!(codes(&doc), vec!["acm-validation-failed"], "{doc:#}");

    // The cause is fixed: only the two failed certificates stay FAILED; the rerun asks for a
    // new one at once, and a rerun after that reuses it.
    proxy.faults(serde_json::json!([
        {"op": "DescribeCertificate", "fault": "rewrite", "times": -1, "body": first,
         "set": {"Certificate.Status": "FAILED", "Certificate.FailureReason": "CAA_ERROR"}},
        {"op": "DescribeCertificate", "fault": "rewrite", "times": -1, "body": second,
         "set": {"Certificate.Status": "FAILED", "Certificate.FailureReason": "CAA_ERROR"}},
    ]));
    let (code, doc, err) = aws(e, &request);
    assert_eq!(code, 0, "{doc:#} {err}");
    assert_eq!(doc["action"], "requested");
    assert_eq!(doc["status"], "PENDING_VALIDATION");
    let third = doc["arn"].as_str().unwrap().to_string();
    assert!(third != first && third != second, "{third}");
    assert!(
        codes(&doc).contains(&"acm-failed-before".to_string()),
        "{doc:#}"
    );
    let (code, doc, _) = aws(e, &request);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        (doc["action"].as_str(), doc["arn"].as_str()),
        (Some("reused"), Some(third.as_str()))
    );
}

/// `AWS_ENDPOINT_URL` in the environment (no `--endpoint-url`) reaches the emulator: the SDK
/// reads it, as the README and `--help` say; an unreachable one fails with exit 3.
#[test]
fn aws_endpoint_url_in_the_environment_reaches_the_emulator() {
    let moto = start_moto("0");
    let run_with = |endpoint: &str| {
        let out = certctl()
            .args([
                "--json",
                "--region",
                "eu-west-1",
                "acm",
                "list",
                "--timeout",
                "10s",
            ])
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), doc)
    };
    let (code, doc) = run_with(&moto.endpoint);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["region"], "eu-west-1", "{doc:#}");
    let (code, doc) = run_with("http://127.0.0.1:9");
    assert_eq!(code, 3, "{doc:#}");
}

//! `certctl doctor --metrics FILE` against the AWS emulator: the textfile parses with the
//! Prometheus client's own parser and holds a gauge per hop, the API Gateway verdict, and the
//! expiry of the ALB's ACM certificate, of the chain served live and of the on-prem one.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::moto::{build_path, start_moto, venv_bin};
use support::*;

/// Parses a textfile with prometheus_client's parser: (name, labels, value) per sample.
fn parse_metrics(path: &Path) -> Vec<(String, serde_json::Value, f64)> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parse_metrics.py");
    let out = Command::new(venv_bin("python"))
        .arg(script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "prometheus_client could not parse {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn value(
    samples: &[(String, serde_json::Value, f64)],
    name: &str,
    want: &[(&str, &str)],
) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| n == name && want.iter().all(|(k, v)| l[*k] == *v))
        .map(|(_, _, v)| *v)
}

fn run_doctor(endpoint: &str, topo: &serde_json::Value, extra: &[&str]) -> i32 {
    let mut args = vec![
        "-q",
        "--endpoint-url",
        endpoint,
        "--region",
        "eu-west-1",
        "doctor",
        "--hostname",
        "api.example.com",
        "--rest-api-id",
        topo["rest_api_id"].as_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = certctl()
        .args(&args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .unwrap();
    assert_no_panic(&String::from_utf8_lossy(&out.stderr));
    out.status.code().unwrap()
}

#[test]
fn doctor_metrics_hold_every_hop_and_every_certificate_on_the_path() {
    let moto = start_moto("600");
    let d = tempdir();
    let topo = build_path(&moto, d.path(), "none");
    // The same certificate is served for the live hop and as the on-prem one: doctor and the
    // metrics each dial both once.
    let port = serve_dir(d.path(), 4);
    let dial = format!("127.0.0.1:{port}");
    let file = d.path().join("doctor.prom");
    let ca = d.path().join("ca.pem");
    let code = run_doctor(
        &moto.endpoint,
        &topo,
        &[
            "--trust-store",
            ca.to_str().unwrap(),
            "--connect-to",
            &dial,
            "--onprem-url",
            "https://api.example.com",
            "--onprem-connect-to",
            &dial,
            "--metrics",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    let samples = parse_metrics(&file);
    for hop in ["route53", "nlb", "alb", "live-tls", "onprem", "apigateway"] {
        assert_eq!(
            value(&samples, "certctl_doctor_hop_ok", &[("hop", hop)]),
            Some(1.0),
            "{hop}: {samples:?}"
        );
    }
    assert_eq!(
        value(
            &samples,
            "certctl_doctor_hop_status",
            &[("hop", "alb"), ("status", "warn")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &samples,
            "certctl_doctor_apigateway_ok",
            &[("hostname", "api.example.com")]
        ),
        Some(1.0)
    );
    let expiry = "certctl_doctor_certificate_expiry_timestamp_seconds";
    let acm = value(
        &samples,
        expiry,
        &[
            ("source", "alb-acm"),
            ("arn", topo["certificate"].as_str().unwrap()),
        ],
    )
    .unwrap_or_else(|| panic!("no ACM expiry: {samples:?}"));
    let live = value(&samples, expiry, &[("source", "live"), ("index", "0")]).unwrap();
    let onprem = value(&samples, expiry, &[("source", "onprem"), ("index", "0")]).unwrap();
    // One certificate, seen three ways.
    assert_eq!(acm, live);
    assert_eq!(acm, onprem);
    assert!(acm > 1_700_000_000.0);
    // The CA is served too: the whole chain is there.
    assert!(value(&samples, expiry, &[("source", "live"), ("index", "1")]).is_some());

    // Judged against API Gateway's own list the ALB hop fails: the verdict says so, and a
    // skipped live hop has no gauge and no certificates.
    let code = run_doctor(
        &moto.endpoint,
        &topo,
        &[
            "--no-live",
            "--trust-store",
            "apigateway",
            "--metrics",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    let samples = parse_metrics(&file);
    assert_eq!(
        value(&samples, "certctl_doctor_hop_ok", &[("hop", "alb")]),
        Some(0.0)
    );
    assert_eq!(
        value(&samples, "certctl_doctor_hop_ok", &[("hop", "live-tls")]),
        None
    );
    assert_eq!(
        value(
            &samples,
            "certctl_doctor_hop_status",
            &[("hop", "live-tls"), ("status", "skip")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &samples,
            "certctl_doctor_apigateway_ok",
            &[("hostname", "api.example.com")]
        ),
        Some(0.0)
    );
    assert!(value(&samples, expiry, &[("source", "live")]).is_none());
    assert!(value(&samples, expiry, &[("source", "alb-acm")]).is_some());
}

/// A doctor run that could not look (AWS unreachable, exit 3) rewrites the file: success 0 and
/// a fresh last-run time, and no hop gauge of the earlier healthy run left to read as OK.
#[test]
fn a_failed_doctor_run_says_so_in_the_metrics_file() {
    let moto = start_moto("600");
    let d = tempdir();
    let topo = build_path(&moto, d.path(), "none");
    let file = d.path().join("doctor.prom");
    let ok = run_doctor(
        &moto.endpoint,
        &topo,
        &["--no-live", "--metrics", file.to_str().unwrap()],
    );
    assert!(ok == 0 || ok == 1, "exit {ok}");
    let before = parse_metrics(&file);
    assert_eq!(value(&before, "certctl_doctor_success", &[]), Some(1.0));
    assert!(before.iter().any(|(n, ..)| n == "certctl_doctor_hop_ok"));
    let first_run = value(&before, "certctl_doctor_last_run_timestamp_seconds", &[]).unwrap();
    // The same run against an endpoint where nothing listens.
    let code = run_doctor(
        "http://127.0.0.1:9",
        &topo,
        &[
            "--no-live",
            "--aws-timeout",
            "1s",
            "--max-attempts",
            "1",
            "--metrics",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3);
    let after = parse_metrics(&file);
    assert_eq!(value(&after, "certctl_doctor_success", &[]), Some(0.0));
    let last = value(&after, "certctl_doctor_last_run_timestamp_seconds", &[]).unwrap();
    assert!(last >= first_run, "{last} < {first_run}");
    let stale: Vec<_> = after
        .iter()
        .filter(|(n, ..)| n.starts_with("certctl_doctor_hop") || n.contains("apigateway"))
        .collect();
    assert!(
        stale.is_empty(),
        "gauges of the earlier run remain: {stale:?}"
    );
}

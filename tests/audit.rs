//! `certctl acm audit` against the AWS emulator (moto server on 127.0.0.1): certificates in
//! several regions (issued and in use, issued with its validation CNAME removed from the zone,
//! validated only through a private zone, imported and expiring, pending), findings and exit
//! codes, and a `--metrics` textfile read back with the Prometheus client's own parser.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::dnsserver::start_dns;
use support::moto::{start_moto, venv_bin};
use support::*;

fn fixture(endpoint: &str, args: &[&str]) -> serde_json::Value {
    support::moto::run_fixture("moto_audit.py", endpoint, args)
}

/// certctl against the emulator with dummy credentials: (exit code, stdout, stderr).
fn certctl_aws(endpoint: &str, args: &[&str]) -> (i32, String, String) {
    let out = certctl()
        .args(["--endpoint-url", endpoint])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_no_panic(&stderr);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

fn audit_json(endpoint: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["--json", "acm", "audit"];
    all.extend_from_slice(args);
    let (code, out, err) = certctl_aws(endpoint, &all);
    let doc: serde_json::Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    let document = if doc.get("error").is_some() {
        "any error"
    } else {
        "acm audit"
    };
    assert_documented(document, &doc);
    (code, doc)
}

/// Parses a textfile with prometheus_client's parser; returns [[name, labels, value], …].
pub fn parse_metrics(path: &Path) -> Vec<(String, serde_json::Value, f64)> {
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
    let v: Vec<(String, serde_json::Value, f64)> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v.is_empty(), "no samples in {}", path.display());
    v
}

fn cert<'a>(doc: &'a serde_json::Value, arn: &serde_json::Value) -> &'a serde_json::Value {
    doc["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| &c["arn"] == arn)
        .unwrap_or_else(|| panic!("{arn} not in the audit: {doc:#}"))
}

fn cert_codes(c: &serde_json::Value) -> Vec<(String, String)> {
    c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has(c: &serde_json::Value, code: &str, severity: &str) -> bool {
    cert_codes(c).contains(&(code.to_string(), severity.to_string()))
}

#[test]
fn audit_several_regions_against_the_emulator() {
    // Requested certificates are ISSUED 8 s after their request, on the next describe: the
    // first ones are issued by the time the audit runs, the pending one stays pending.
    let moto = start_moto("8");
    let e = moto.endpoint.as_str();
    let made = fixture(e, &["build"]);
    std::thread::sleep(Duration::from_secs(9));
    let pending = fixture(e, &["pending"]);
    let dir = tempdir();
    let metrics = dir.path().join("acm.prom");
    let regions = [
        "--region",
        "eu-west-1",
        "--region",
        "us-east-1",
        "--region",
        "ap-southeast-2,us-west-2",
    ];
    // No resolver answers on this port: the DNS checks skip, with the reason.
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let no_resolver = closed.local_addr().unwrap().to_string();
    drop(closed);
    let mut args = regions.to_vec();
    args.extend([
        "--metrics",
        metrics.to_str().unwrap(),
        "--resolver",
        &no_resolver,
        "--dns-timeout",
        "1",
    ]);
    let (code, doc) = audit_json(e, &args);
    assert_eq!(code, 1, "deny-level findings make exit 1: {doc:#}");

    let regions: Vec<&str> = doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["error"].is_null(), "{r}");
            r["region"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        regions,
        ["eu-west-1", "us-east-1", "ap-southeast-2", "us-west-2"]
    );
    assert_eq!(doc["certificates"].as_array().unwrap().len(), 5, "{doc:#}");

    // Issued, in use, both CNAMEs in the public zone: only the emulator's INELIGIBLE remains.
    let api = cert(&doc, &made["api"]);
    assert_eq!(api["type"], "AMAZON_ISSUED");
    assert_eq!(api["status"], "ISSUED");
    assert_eq!(api["region"], "eu-west-1");
    assert!(!api["in_use_by"].as_array().unwrap().is_empty(), "{api:#}");
    assert!(api["days_left"].as_i64().unwrap() > 300);
    for v in api["validations"].as_array().unwrap() {
        assert_eq!(v["record_in_zone"], true, "{v}");
        assert_eq!(v["zone_public"], true, "{v}");
    }
    assert!(!has(api, "validation-record-missing", "deny"), "{api:#}");
    assert!(!has(api, "not-in-use", "warn"), "{api:#}");
    assert!(has(api, "renewal-ineligible", "warn"), "{api:#}");
    assert!(has(api, "dns-check-skipped", "info"), "{api:#}");

    // Its CNAME was removed from the zone: the next renewal cannot validate.
    let gone = cert(&doc, &made["gone"]);
    assert_eq!(gone["validations"][0]["record_in_zone"], false);
    assert!(has(gone, "validation-record-missing", "deny"), "{gone:#}");
    assert!(has(gone, "not-in-use", "warn"), "{gone:#}");

    // Its CNAME is only in a private zone.
    let private = cert(&doc, &made["private"]);
    assert_eq!(private["validations"][0]["zone_public"], false);
    assert!(
        has(private, "validation-zone-private", "deny"),
        "{private:#}"
    );

    // Imported, 10 days left: ACM will not renew it.
    let imported = cert(&doc, &made["imported"]);
    assert_eq!(imported["type"], "IMPORTED");
    assert_eq!(imported["region"], "us-east-1");
    assert!(imported["days_left"].as_i64().unwrap() <= 10);
    assert!(has(imported, "expires-soon", "deny"), "{imported:#}");
    assert!(
        !has(imported, "renewal-ineligible", "warn"),
        "imported certificates are never eligible; that is not news: {imported:#}"
    );

    // Pending for seconds: not stuck yet.
    let p = cert(&doc, &pending["pending"]);
    assert_eq!(p["status"], "PENDING_VALIDATION");
    assert_eq!(p["region"], "ap-southeast-2");
    assert!(
        !cert_codes(p)
            .iter()
            .any(|(c, _)| c == "pending-validation-stuck"),
        "{p:#}"
    );

    // The textfile parses with the Prometheus client's parser and says the same.
    let samples = parse_metrics(&metrics);
    let sample = |name: &str, arn: &serde_json::Value| {
        samples
            .iter()
            .find(|(n, l, _)| n == name && &l["arn"] == arn)
            .map(|(_, l, v)| (l.clone(), *v))
    };
    let (labels, expiry) = sample(
        "certctl_acm_certificate_expiry_timestamp_seconds",
        &made["imported"],
    )
    .unwrap();
    assert_eq!(labels["type"], "IMPORTED");
    assert_eq!(labels["region"], "us-east-1");
    assert_eq!(labels["domain"], "legacy.example.com");
    let not_after = time::OffsetDateTime::parse(
        imported["not_after"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
    .unix_timestamp();
    assert_eq!(expiry as i64, not_after);
    assert_eq!(
        sample("certctl_acm_certificate_in_use", &made["api"])
            .unwrap()
            .1,
        1.0
    );
    assert_eq!(
        sample("certctl_acm_validation_record_present", &made["gone"])
            .unwrap()
            .1,
        0.0
    );
    assert!(samples.iter().any(|(n, l, v)| n == "certctl_acm_finding"
        && l["arn"] == made["gone"]
        && l["code"] == "validation-record-missing"
        && *v == 1.0));
    for r in ["eu-west-1", "us-east-1", "ap-southeast-2", "us-west-2"] {
        assert!(
            samples
                .iter()
                .any(|(n, l, v)| n == "certctl_acm_audit_region_up"
                    && l["region"] == r
                    && *v == 1.0),
            "{r}"
        );
    }
    assert_eq!(doc["metrics"], metrics.to_str().unwrap());

    // Three days later (and a 48 h threshold) the pending certificate is stuck.
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(3);
    let later = later
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (code, doc) = audit_json(
        e,
        &[
            "--region",
            "ap-southeast-2",
            "--stuck-after",
            "48h",
            "--no-dns",
            "--at",
            &later,
        ],
    );
    assert_eq!(code, 1);
    let p = cert(&doc, &pending["pending"]);
    assert!(has(p, "pending-validation-stuck", "deny"), "{p:#}");

    // Human form: the table and the codes with their fixes.
    let (code, out, _) = certctl_aws(e, &["acm", "audit", "--region", "eu-west-1", "--no-dns"]);
    assert_eq!(code, 1);
    assert!(out.contains("gone.example.com"), "{out}");
    assert!(out.contains("validation-record-missing"), "{out}");
    assert!(out.contains("fix: "), "{out}");

    // A region with nothing wrong: exit 0.
    let (code, doc) = audit_json(e, &["--region", "us-west-2", "--no-dns"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["deny"], 0);
}

#[test]
fn audit_bad_input_and_unreachable_aws() {
    let (code, doc) = audit_json("http://127.0.0.1:9", &["--region", "eu-west-1;rm"]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains("bad region"));
    let (code, doc) = audit_json(
        "http://127.0.0.1:9",
        &["--region", "eu-west-1", "--stuck-after", "soon"],
    );
    assert_eq!(code, 2, "{doc:#}");
    // Nothing listens on port 9: every region fails, so it is an error (exit 3), not a report.
    let (code, doc) = audit_json(
        "http://127.0.0.1:9",
        &["--region", "eu-west-1", "--region", "us-east-1"],
    );
    assert_eq!(code, 3, "{doc:#}");
    // Only `acm audit` takes several regions.
    let (code, _, err) = certctl_aws(
        "http://127.0.0.1:9",
        &[
            "acm",
            "list",
            "--region",
            "eu-west-1",
            "--region",
            "us-east-1",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("only `acm audit`"), "{err}");
}

/// The DNS the emulator's zone example.com would need, with two things wrong: the parent (com)
/// delegates example.com to other servers than the zone's NS set, and a CAA record at
/// example.com names another CA. api's CNAME is in public DNS, gone's is not.
fn stuck_dns(made: &serde_json::Value) -> serde_json::Value {
    let rec = &made["api_record"];
    serde_json::json!({"servers": {
        "127.0.0.1": {
            "recursive": true,
            "zones": ["com", "example.com", "test"],
            "records": [
                ["com", "NS", "ns.parent.test"],
                ["ns.parent.test", "A", "127.0.0.2"],
                [rec["Name"], "CNAME", rec["Value"]],
                ["example.com", "CAA", "0 issue letsencrypt.org"]
            ]
        },
        "127.0.0.2": {
            "zones": ["com"],
            "records": [
                ["com", "NS", "ns.parent.test"],
                ["example.com", "NS", "ns-1.old-provider.test"],
                ["example.com", "NS", "ns-2.old-provider.test"]
            ]
        }
    }})
}

#[test]
fn why_validation_is_stuck_in_audit_status_and_request() {
    // Nothing is issued during this test.
    let moto = start_moto("3600");
    let e = moto.endpoint.as_str();
    let made = fixture(e, &["stuck"]);
    let dns = start_dns(&stuck_dns(&made));
    let resolver = format!("127.0.0.1:{}", dns.port);
    let port = dns.port.to_string();
    let dns_args = [
        "--resolver",
        resolver.as_str(),
        "--nameserver-port",
        port.as_str(),
    ];

    let mut args = vec!["--region", "eu-west-1"];
    args.extend(dns_args);
    let (code, doc) = audit_json(e, &args);
    assert_eq!(code, 1, "{doc:#}");
    let api = cert(&doc, &made["api"]);
    assert!(has(api, "zone-delegation-mismatch", "deny"), "{api:#}");
    assert!(has(api, "caa-forbids-amazon", "deny"), "{api:#}");
    assert!(!has(api, "validation-cname-not-in-dns", "deny"), "{api:#}");
    assert!(!has(api, "validation-record-missing", "deny"), "{api:#}");
    let checks = api["validations"][0]["dns"].as_array().unwrap();
    assert_eq!(checks.len(), 3, "{checks:?}");
    let delegation = checks.iter().find(|c| c["check"] == "delegation").unwrap();
    assert!(
        delegation["detail"]
            .as_str()
            .unwrap()
            .contains("ns-1.old-provider.test"),
        "{delegation}"
    );
    let gone = cert(&doc, &made["gone"]);
    assert!(has(gone, "validation-record-missing", "deny"), "{gone:#}");
    assert!(has(gone, "validation-cname-not-in-dns", "deny"), "{gone:#}");

    // acm status of a PENDING certificate says why (exit 0: pending is not a failure).
    let mut args = vec![
        "--json",
        "--region",
        "eu-west-1",
        "acm",
        "status",
        "gone.example.com",
    ];
    args.extend(dns_args);
    let (code, out, err) = certctl_aws(e, &args);
    assert_eq!(code, 0, "{out}\n{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_documented("acm status", &doc);
    let why: Vec<&str> = doc["why_pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for code in [
        "validation-record-missing",
        "validation-cname-not-in-dns",
        "zone-delegation-mismatch",
        "caa-forbids-amazon",
    ] {
        assert!(why.contains(&code), "{code} not in {why:?}");
    }
    // The human form lists them with their fixes.
    let mut args = vec!["--region", "eu-west-1", "acm", "status", "api.example.com"];
    args.extend(dns_args);
    let (_, out, _) = certctl_aws(e, &args);
    assert!(out.contains("why pending:"), "{out}");
    assert!(out.contains("caa-forbids-amazon"), "{out}");

    // acm request --wait: at the timeout, the same causes join acm-validation-pending.
    let mut args = vec![
        "--json",
        "--region",
        "eu-west-1",
        "acm",
        "request",
        "api.example.com",
        "--wait",
        "--timeout",
        "1s",
        "--poll-interval",
        "200ms",
    ];
    args.extend(dns_args);
    let (code, out, err) = certctl_aws(e, &args);
    assert_eq!(code, 1, "{out}\n{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_documented("acm request", &doc);
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes[0], "acm-validation-pending", "{codes:?}");
    assert!(codes.contains(&"zone-delegation-mismatch"), "{codes:?}");
    assert!(codes.contains(&"caa-forbids-amazon"), "{codes:?}");
}

/// The delay proxy (tests/fixtures/delayproxy.py) in front of `upstream`; killed on drop.
struct DelayProxy {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn delay_proxy(upstream: &str, delay: &str) -> DelayProxy {
    use std::io::BufRead;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/delayproxy.py");
    let mut child = Command::new(venv_bin("python"))
        .arg(script)
        .args([upstream, delay])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().expect("the proxy prints its port");
    DelayProxy {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    }
}

/// Wall time of one audit through the proxy; every region must have answered.
fn timed_audit(endpoint: &str, regions: &[&str]) -> Duration {
    let mut args: Vec<&str> = vec!["--no-dns"];
    for r in regions {
        args.extend(["--region", r]);
    }
    let start = std::time::Instant::now();
    let (code, doc) = audit_json(endpoint, &args);
    let took = start.elapsed();
    assert!(code <= 1, "{doc:#}");
    for r in doc["regions"].as_array().unwrap() {
        assert!(r["error"].is_null(), "{r}");
    }
    assert_eq!(
        doc["certificates"].as_array().unwrap().len(),
        regions.len(),
        "one certificate per region"
    );
    took
}

#[test]
fn seventeen_regions_take_about_as_long_as_the_slowest_one() {
    let moto = start_moto("600");
    let made = fixture(&moto.endpoint, &["many", "17"]);
    let regions: Vec<&str> = made
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(regions.len(), 17);
    // Every AWS call waits 200 ms in the proxy: a region costs at least 3 calls (zones, list,
    // describe), so the sum over 17 regions is above 10 s; run concurrently it is one region.
    let proxy = delay_proxy(&moto.endpoint, "0.2");
    let slowest = regions
        .iter()
        .map(|r| timed_audit(&proxy.endpoint, &[r]))
        .max()
        .unwrap();
    // Best of two: a loaded machine may stall one run; the bound is about the design.
    let all = (0..2)
        .map(|_| timed_audit(&proxy.endpoint, &regions))
        .min()
        .unwrap();
    eprintln!("slowest single region {slowest:?}, all 17 regions {all:?}");
    assert!(
        slowest >= Duration::from_millis(600),
        "the delay is not in effect: {slowest:?}"
    );
    assert!(
        all <= slowest * 2,
        "17 regions took {all:?}, more than twice the slowest single region ({slowest:?})"
    );
}

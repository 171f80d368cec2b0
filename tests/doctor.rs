//! `certctl doctor` against the AWS emulator: a fixture builds the whole path through the API
//! (VPC, NLB with an `alb` target group, ALB HTTPS listener with an ACM certificate, on-prem IP
//! targets, Route 53 alias, REST API + VPC link + VPC_LINK integration); a healthy path passes,
//! then one thing at a time is broken and the exact hop and code are asserted. The live TLS hop
//! runs against a local rustls server.

mod support;

use std::path::Path;
use std::process::Command;

use support::moto::{build_path, start_moto, venv_bin, Moto};
use support::*;

fn doctor(
    moto: &Moto,
    topo: &serde_json::Value,
    dir: &Path,
    extra: &[&str],
) -> (i32, serde_json::Value) {
    doctor_at(&moto.endpoint, topo, dir, extra)
}

/// `doctor` against any endpoint (the emulator, or a proxy in front of it).
fn doctor_at(
    endpoint: &str,
    topo: &serde_json::Value,
    dir: &Path,
    extra: &[&str],
) -> (i32, serde_json::Value) {
    let ca = dir.join("ca.pem");
    let mut args = vec![
        "--json",
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
    if !extra.contains(&"--trust-store") {
        args.extend(["--trust-store", ca.to_str().unwrap()]);
    }
    args.extend_from_slice(extra);
    let out = certctl()
        .args(&args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    assert_documented("doctor", &doc);
    (out.status.code().unwrap(), doc)
}

fn hop<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["hops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["hop"] == name)
        .unwrap_or_else(|| panic!("no hop {name}"))
}

fn hop_codes(doc: &serde_json::Value, name: &str) -> Vec<String> {
    hop(doc, name)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// The only failing hops of a report.
fn failing(doc: &serde_json::Value) -> Vec<String> {
    doc["hops"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["status"] == "fail")
        .map(|h| h["hop"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_healthy_path_passes_and_each_break_names_its_hop() {
    let moto = start_moto("600");
    let d = tempdir();

    // Healthy, with the live hop against a local TLS server serving the same certificate.
    let topo = build_path(&moto, d.path(), "none");
    let port = serve_dir(d.path(), 2);
    let dial = format!("127.0.0.1:{port}");
    let (code, doc) = doctor(&moto, &topo, d.path(), &["--connect-to", &dial]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(failing(&doc), Vec::<String>::new());
    for h in ["route53", "nlb", "onprem", "apigateway", "live-tls"] {
        assert_eq!(hop(&doc, h)["status"], "ok", "{h}: {doc:#}");
    }
    // An imported certificate is not renewed by ACM: a warning, not a failure.
    assert_eq!(hop(&doc, "alb")["status"], "warn");
    // Against API Gateway's own list the private test CA fails the ALB hop.
    let (code, doc) = doctor(
        &moto,
        &topo,
        d.path(),
        &["--no-live", "--trust-store", "apigateway"],
    );
    assert_eq!(code, 1);
    assert_eq!(failing(&doc), vec!["alb".to_string()], "{doc:#}");
    assert!(
        hop_codes(&doc, "alb").contains(&"untrusted-root".to_string()),
        "{doc:#}"
    );
    // -q, as cron runs it: nothing on stdout, one line per failed hop on stderr.
    let out = certctl()
        .args([
            "-q",
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            "eu-west-1",
            "doctor",
            "--hostname",
            "api.example.com",
            "--rest-api-id",
            topo["rest_api_id"].as_str().unwrap(),
            "--no-live",
            "--trust-store",
            "apigateway",
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    // One line per deny finding of the failed hop, each naming its code.
    let denies: Vec<String> = hop(&doc, "alb")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "deny")
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    assert!(denies.contains(&"untrusted-root".to_string()), "{doc:#}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), denies.len(), "{err}");
    for (line, code) in lines.iter().zip(&denies) {
        assert!(
            line.starts_with(&format!(
                "certctl doctor: api.example.com: hop alb failed: {code}: "
            )),
            "{err}"
        );
    }

    for (brk, want_hop, want_code) in [
        // With --rest-api-id the VPC link defines the path; an alias elsewhere disagrees.
        ("alias-to-alb", "route53", "dns-alias-wrong-target"),
        ("listener-tls", "nlb", "nlb-listener-not-tcp"),
        ("tg-ip", "nlb", "nlb-target-group-not-alb"),
        ("cert-other-name", "alb", "alb-cert-name-mismatch"),
        ("cert-pending", "alb", "acm-validation-pending"),
    ] {
        let topo = build_path(&moto, d.path(), brk);
        let (code, doc) = doctor(&moto, &topo, d.path(), &["--no-live"]);
        assert_eq!(code, 1, "{brk}: {doc:#}");
        assert!(
            failing(&doc).contains(&want_hop.to_string()),
            "{brk}: {doc:#}"
        );
        assert!(
            hop_codes(&doc, want_hop).contains(&want_code.to_string()),
            "{brk}: {:?}",
            hop_codes(&doc, want_hop)
        );
    }
    // --nlb given and the alias points elsewhere: the route53 hop says so.
    let topo = build_path(&moto, d.path(), "alias-to-alb");
    let (code, doc) = doctor(&moto, &topo, d.path(), &["--no-live", "--nlb", "path-nlb"]);
    assert_eq!(code, 1);
    assert_eq!(
        hop_codes(&doc, "route53"),
        vec!["dns-alias-wrong-target".to_string()],
        "{doc:#}"
    );

    // An integration URI host from a stage variable: resolved per --stage (GetStage).
    let topo = build_path(&moto, d.path(), "stage-variables");
    let (code, doc) = doctor(&moto, &topo, d.path(), &["--no-live"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        hop_codes(&doc, "apigateway"),
        vec!["apigw-stage-variables".to_string()]
    );
    let (code, doc) = doctor(&moto, &topo, d.path(), &["--no-live", "--stage", "prod"]);
    assert_eq!(
        (code, hop(&doc, "apigateway")["status"].clone()),
        (0, "ok".into()),
        "{doc:#}"
    );
    let (code, doc) = doctor(&moto, &topo, d.path(), &["--no-live", "--stage", "test"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(
        hop_codes(&doc, "apigateway"),
        vec!["apigw-uri-host-mismatch".to_string()]
    );
    let (code, doc) = doctor(&moto, &topo, d.path(), &["--no-live", "--stage", "nope"]);
    assert_eq!(code, 1, "{doc:#}");
    assert!(
        hop_codes(&doc, "apigateway").contains(&"apigw-no-stage".to_string()),
        "{doc:#}"
    );

    // Skip-verification is a warning.
    let topo = build_path(&moto, d.path(), "skip-verification");
    let (code, doc) = doctor(&moto, &topo, d.path(), &["--no-live"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(hop(&doc, "apigateway")["status"], "warn");
    assert_eq!(
        hop_codes(&doc, "apigateway"),
        vec!["apigw-skip-verification".to_string()]
    );
}

/// The emulator implements VPC links v2 (create/get, AVAILABLE at once): read through
/// aws-sdk-apigatewayv2 GetVpcLink. (It returns neither connectionId nor integrationTarget from
/// GetIntegration: the v2 path itself is covered by the in-memory fakes in jobs::doctor.)
#[test]
fn a_vpc_link_v2_is_read_from_apigatewayv2() {
    use certctl::aws::Topology;
    let moto = start_moto("600");
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            &format!(
                "import boto3; c = boto3.client('apigatewayv2', endpoint_url='{}', region_name='eu-west-1', aws_access_key_id='test', aws_secret_access_key='test'); print(c.create_vpc_link(Name='v2', SubnetIds=['subnet-1'])['VpcLinkId'])",
                moto.endpoint
            ),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    std::env::set_var("AWS_ACCESS_KEY_ID", "test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    let sdk = certctl::aws::sdk::Sdk::new(&certctl::aws::AwsTarget {
        region: Some("eu-west-1".into()),
        endpoint_url: Some(moto.endpoint.clone()),
        ..certctl::aws::AwsTarget::until(certctl::deadline::Deadline::after(
            std::time::Instant::now(),
            std::time::Duration::from_secs(60),
        ))
    })
    .unwrap();
    let link = sdk.vpc_link_v2(&id).unwrap().expect("the v2 link");
    assert_eq!(
        (link.version, link.status.as_str(), link.name.as_str()),
        (2, "AVAILABLE", "v2")
    );
    assert!(link.target_arns.is_empty(), "a v2 link holds no target");
    assert_eq!(sdk.vpc_link_v2("nope").unwrap(), None);
}

/// The integration URI names :8443, the path listens on :443 only: the hop that owns the
/// listener API Gateway dials fails, naming both ports; hops not in the path skip. v1 (REST API
/// → VPC link → NLB TCP) straight from the emulator; v2 (VPC link v2 → ALB HTTPS) with the
/// integration's connectionId and integrationTarget added to the emulator's GetIntegration
/// answer by the fault proxy (the emulator leaves both out; AWS returns them).
#[test]
fn a_uri_port_without_its_listener_fails_at_the_hop_that_owns_it() {
    let moto = start_moto("600");
    let d = tempdir();
    // v1: the NLB's TCP listener.
    let topo = build_path(&moto, d.path(), "uri-8443");
    let (code, doc) = doctor(&moto, &topo, d.path(), &["--no-live"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(failing(&doc), vec!["nlb"], "{doc:#}");
    assert_eq!(hop_codes(&doc, "nlb"), vec!["uri-port-mismatch"]);
    let f = &hop(&doc, "nlb")["findings"][0];
    let text = format!("{} {}", f["message"], f["hint"]);
    assert!(
        text.contains("8443") && text.contains("443 (TCP)"),
        "{text}"
    );
    // The same path on :443 is sound (the control).
    let topo = build_path(&moto, d.path(), "none");
    let (code, doc) = doctor(&moto, &topo, d.path(), &["--no-live"]);
    assert_eq!(code, 0, "{doc:#}");

    // v2: the ALB's HTTPS listener; the NLB is not in the path.
    let proxy = support::faultproxy::start_proxy(&moto.endpoint);
    let through_proxy = |topo: &serde_json::Value| {
        proxy.faults(serde_json::json!([{
            "path": "GET /integration",
            "fault": "rewrite",
            "times": -1,
            "set": {
                "connectionId": topo["vpc_link_v2"],
                "integrationTarget": topo["alb_arn"],
            },
        }]));
        doctor_at(&proxy.endpoint, topo, d.path(), &["--no-live"])
    };
    let topo = build_path(&moto, d.path(), "v2+uri-8443");
    let (code, doc) = through_proxy(&topo);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(failing(&doc), vec!["alb"], "{doc:#}");
    assert_eq!(hop_codes(&doc, "alb"), vec!["uri-port-mismatch"]);
    assert_eq!(hop(&doc, "nlb")["status"], "skip");
    let f = &hop(&doc, "alb")["findings"][0];
    let text = format!("{} {}", f["message"], f["hint"]);
    assert!(
        text.contains("8443") && text.contains("443 (HTTPS)"),
        "{text}"
    );
    let topo = build_path(&moto, d.path(), "v2");
    let (code, doc) = through_proxy(&topo);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(hop(&doc, "nlb")["status"], "skip", "{doc:#}");
    assert!(
        hop(&doc, "apigateway")["summary"]
            .as_str()
            .unwrap()
            .contains("v2"),
        "{doc:#}"
    );
}

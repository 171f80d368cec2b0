//! `certctl mtls plan|apply|status` and doctor's mtls hop on the emulator (moto behind
//! tests/fixtures/mtls_emulator.py): the whole flow from `ca init` to a listener in verify
//! mode, idempotent reruns, and each refusal with nothing written. Certificates are made at
//! test time around the real clock (passed as `--at`): the emulator imports only what is
//! valid now, as ACM does.

mod support;

use std::path::Path;

use support::faultproxy::start_proxy;
use support::mtls::{start_mtls_emulator, MtlsEmulator};
use support::{certctl, run_aws_json, tempdir, JsonRun, DAY};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn rfc(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// certctl with `--json --at AT` against `endpoint`.
fn run_at(endpoint: &str, at: i64, args: &[&str]) -> JsonRun {
    // `ca` and `issue` never call AWS: its flags would be refused.
    let aws = !matches!(args.first(), Some(&"ca") | Some(&"issue"));
    let mut all: Vec<String> = vec!["--json".into()];
    if aws {
        all.extend(["--endpoint-url", endpoint, "--region", "eu-west-1"].map(String::from));
    }
    all.push("--at".into());
    all.push(rfc(at));
    all.extend(args.iter().map(|s| s.to_string()));
    run_aws_json(&all)
}

/// The emulator's topology and a client set issued by a fresh CA.
struct World {
    emu: MtlsEmulator,
    topo: serde_json::Value,
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let emu = start_mtls_emulator("600");
        let topo = emu.fixture(&["setup"]);
        let w = World {
            emu,
            topo,
            dir: tempdir(),
        };
        w.issue("ca", "client", "gateway.example.com", 90);
        w
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// A CA in `ca` (made once) and a client set from it in `out`.
    fn issue(&self, ca: &str, out: &str, cn: &str, days: u32) {
        let at = now();
        if !Path::new(&self.path(ca)).join("ca.pem").exists() {
            let r = run_at(
                &self.emu.endpoint,
                at,
                &[
                    "ca",
                    "init",
                    "--dir",
                    &self.path(ca),
                    "--name",
                    &format!("{ca} client CA"),
                ],
            );
            assert_eq!(r.code, 0, "{}", r.stderr);
        }
        let days = days.to_string();
        let r = run_at(
            &self.emu.endpoint,
            at,
            &[
                "issue",
                "client",
                "--ca",
                &self.path(ca),
                "--cn",
                cn,
                "--out-dir",
                &self.path(out),
                "--days",
                &days,
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
    }

    fn path_args(&self) -> Vec<String> {
        vec![
            "--rest-api-id".into(),
            self.topo["rest_api_id"].as_str().unwrap().into(),
            "--stage".into(),
            "prod".into(),
            "--listener".into(),
            self.topo["https_listener"].as_str().unwrap().into(),
        ]
    }

    /// `mtls SUB` with the path, the bucket and `extra`, through `endpoint` (default the emulator).
    fn mtls_via(&self, endpoint: &str, sub: &str, extra: &[&str]) -> JsonRun {
        let mut args = vec!["mtls".to_string(), sub.to_string()];
        args.extend(self.path_args());
        if sub != "status" {
            args.extend([
                "--bucket".into(),
                "s3://certctl-bundles/alb/clients.pem".into(),
            ]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        run_at(endpoint, now(), &refs)
    }

    fn mtls(&self, sub: &str, extra: &[&str]) -> JsonRun {
        self.mtls_via(&self.emu.endpoint.clone(), sub, extra)
    }

    /// doctor's mtls hop, through the ALB's name (the emulator has no NLB or alias).
    fn doctor_hop(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec![
            "doctor",
            "--hostname",
            "alb.example.com",
            "--alb",
            "internal-alb",
            "--no-live",
        ];
        args.extend(extra);
        let doctor = run_at(&self.emu.endpoint, now(), &args);
        doctor.doc["hops"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["hop"] == "mtls")
            .unwrap()
            .clone()
    }

    fn listener_state(&self) -> serde_json::Value {
        self.emu.state()["listeners"][self.topo["https_listener"].as_str().unwrap()].clone()
    }
}

fn statuses(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn all(doc: &serde_json::Value, status: &str) -> bool {
    statuses(doc).iter().all(|(_, s)| s == status)
}

#[test]
fn the_whole_flow_plan_apply_again_doctor_status() {
    let w = World::new();
    let set = w.path("client");
    // acm import first (as an operator would); the set is then found by fingerprint.
    let imported = run_at(
        &w.emu.endpoint,
        now(),
        &[
            "acm",
            "import",
            "--cert",
            &format!("{set}/cert.pem"),
            "--key",
            &format!("{set}/key.pem"),
            "--chain",
            &format!("{set}/chain.pem"),
        ],
    );
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    let arn = imported.doc["arn"].as_str().unwrap().to_string();

    let before = w.emu.state();
    let plan = w.mtls("plan", &["--client-set", &set]);
    assert_eq!(plan.code, 0, "{}\n{:#}", plan.stderr, plan.doc);
    assert_eq!(w.emu.state(), before, "plan writes nothing");
    assert_eq!(
        statuses(&plan.doc),
        [
            ("import", "unchanged"),
            ("upload", "planned"),
            ("trust-store", "planned"),
            ("wait-active", "planned"),
            ("stage", "planned"),
            ("listener", "planned")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(plan.doc["gate"]["tls_verify_status"], "Success");
    let calls: Vec<String> = plan.doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["calls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        calls[0].starts_with("s3:PutObject --bucket certctl-bundles --key alb/clients.pem"),
        "{calls:?}"
    );
    assert!(
        calls[1].contains("CreateTrustStore --name certctl-internal-alb-443"),
        "{calls:?}"
    );
    assert!(calls[3].contains(&format!("value={arn}")), "{calls:?}");
    assert!(calls[4].contains("Mode=verify"), "{calls:?}");

    let apply = w.mtls("apply", &["--client-set", &set]);
    assert_eq!(apply.code, 0, "{}\n{:#}", apply.stderr, apply.doc);
    assert_eq!(apply.doc["gate"]["checked"], "live");
    assert!(
        apply.doc["bundle_version"].is_string(),
        "a versioned bucket names the version"
    );
    let store = apply.doc["trust_store_arn"].as_str().unwrap().to_string();
    let l = w.listener_state();
    assert_eq!(
        (l["Mode"].as_str(), l["TrustStoreArn"].as_str()),
        (Some("verify"), Some(store.as_str())),
        "{l}"
    );
    let stage_key = format!("{}/prod", w.topo["rest_api_id"].as_str().unwrap());
    assert_eq!(w.emu.state()["stages"][&stage_key], arn.as_str());

    let state = w.emu.state();
    let again = w.mtls("apply", &["--client-set", &set]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        all(&again.doc, "unchanged") && again.doc["nothing_to_do"] == true,
        "{:#}",
        again.doc
    );
    assert_eq!(w.emu.state(), state, "a second apply writes nothing");

    let api = w.topo["rest_api_id"].as_str().unwrap();
    let hop = w.doctor_hop(&["--rest-api-id", api, "--stage", "prod"]);
    assert_eq!(hop["status"], "ok", "{hop:#}");
    assert!(
        hop["summary"].as_str().unwrap().contains("Success"),
        "{hop:#}"
    );

    let status = w.mtls("status", &[]);
    assert_eq!(status.code, 0, "{:#}", status.doc);
    assert_eq!(status.doc["mode"], "verify");
    assert_eq!(status.doc["judgement"]["tls_verify_status"], "Success");
    let codes: Vec<&str> = status.doc["judgement"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["never-renewed"], "imported: ACM never renews it");

    // From cron: a forced rotate of the client set re-imports to the same ARN (one certificate
    // in ACM, a new serial), and the path stays admitted without another apply.
    let serial = status.doc["judgement"]["sha256"].clone();
    let config = w.dir.path().join("rotate.toml");
    std::fs::write(
        &config,
        format!(
            "[[cert]]\nname = \"apigw-client\"\nkind = \"client\"\ncn = \"gateway.example.com\"\nout-dir = \"client\"\nca-dir = \"ca\"\ndays = 90\nacm-arn = \"{arn}\"\n"
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let rotated = run_at(
        &w.emu.endpoint,
        now(),
        &["rotate", "--config", &config, "--force"],
    );
    assert_eq!(rotated.code, 0, "{}\n{:#}", rotated.stderr, rotated.doc);
    assert_eq!(
        rotated.doc["sets"][0]["action"], "renewed",
        "{:#}",
        rotated.doc
    );
    let imported: Vec<serde_json::Value> = w
        .emu
        .fixture(&["certificates"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "IMPORTED")
        .cloned()
        .collect();
    assert_eq!(imported.len(), 1, "one certificate in ACM: {imported:?}");
    assert_eq!(imported[0]["arn"], arn.as_str());
    let after = w.mtls("status", &[]);
    assert_eq!(after.code, 0, "{:#}", after.doc);
    assert_eq!(after.doc["judgement"]["tls_verify_status"], "Success");
    assert_ne!(
        after.doc["judgement"]["sha256"], serial,
        "a new certificate at the ARN"
    );
}

#[test]
fn a_client_certificate_from_another_ca_is_refused_before_any_write() {
    let w = World::new();
    w.issue("other-ca", "other", "gateway.example.com", 90);
    let before = w.emu.state();
    let r = w.mtls(
        "apply",
        &["--client-set", &w.path("other"), "--ca", &w.path("ca")],
    );
    assert_eq!(r.code, 1, "{:#}", r.doc);
    assert_eq!(
        r.doc["gate"]["tls_verify_status"],
        "Failed:ClientCertUntrusted"
    );
    assert_eq!(r.doc["gate"]["checked"], "before-writes");
    assert!(all(&r.doc, "not-reached"), "{:#}", r.doc);
    assert_eq!(w.emu.state(), before, "nothing written");
    let certs = w.emu.fixture(&["certificates"]);
    assert!(
        certs
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["type"] != "IMPORTED"),
        "nothing imported: {certs}"
    );
}

#[test]
fn a_stage_already_presenting_an_untrusted_certificate_keeps_the_listener_off() {
    use certctl::aws::Stages;
    let w = World::new();
    w.issue("other-ca", "other", "gateway.example.com", 90);
    let o = w.path("other");
    let other = w.emu.fixture(&[
        "import",
        &format!("{o}/cert.pem"),
        &format!("{o}/key.pem"),
        &format!("{o}/chain.pem"),
    ]);
    let other_arn = other["arn"].as_str().unwrap();
    // The stage presents another CA's certificate (set through the SDK), and every read of
    // the stage keeps saying so (the fault proxy rewrites GetStage's answer), as when the
    // update does not take: the gate reads the stage, and the listener is never switched.
    let api = w.topo["rest_api_id"].as_str().unwrap();
    w.emu
        .sdk()
        .set_stage_client_certificate(api, "prod", Some(other_arn))
        .unwrap();
    let proxy = start_proxy(&w.emu.endpoint);
    proxy.faults(serde_json::json!([{"path": "GET /stages/prod", "fault": "rewrite", "times": -1, "set": {"clientCertificateId": other_arn}}]));
    let r = w.mtls_via(
        &proxy.endpoint,
        "apply",
        &["--client-set", &w.path("client")],
    );
    assert_eq!(r.code, 1, "{}\n{:#}", r.stderr, r.doc);
    assert_eq!(r.doc["gate"]["checked"], "live");
    assert_eq!(
        r.doc["gate"]["tls_verify_status"],
        "Failed:ClientCertUntrusted"
    );
    let listener = statuses(&r.doc)
        .into_iter()
        .find(|(s, _)| s == "listener")
        .unwrap();
    assert_eq!(listener.1, "refused");
    let l = w.listener_state();
    assert!(
        l.is_null() || l["Mode"] == "off",
        "the listener stays off: {l}"
    );
}

#[test]
fn apply_waits_for_a_creating_trust_store() {
    let w = World::new();
    w.emu.creating(3);
    let r = w.mtls("apply", &["--client-set", &w.path("client")]);
    assert_eq!(r.code, 0, "{}\n{:#}", r.stderr, r.doc);
    let wait = r.doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "wait-active")
        .unwrap()
        .clone();
    assert_eq!(wait["status"], "done");
    assert!(
        wait["detail"].as_str().unwrap().contains("after 4"),
        "{wait}"
    );
    assert_eq!(w.listener_state()["Mode"], "verify");
}

#[test]
fn a_failure_mid_apply_reports_what_was_done_and_a_rerun_completes() {
    let w = World::new();
    let proxy = start_proxy(&w.emu.endpoint);
    proxy.faults(serde_json::json!([{"op": "ModifyListener", "fault": "5xx", "times": -1}]));
    let r = w.mtls_via(
        &proxy.endpoint,
        "apply",
        &["--client-set", &w.path("client"), "--max-attempts", "1"],
    );
    assert_eq!(r.code, 3, "{}\n{:#}", r.stderr, r.doc);
    let s = statuses(&r.doc);
    assert_eq!(
        s.last().unwrap(),
        &("listener".to_string(), "failed".to_string()),
        "{s:?}"
    );
    assert!(s[..s.len() - 1].iter().all(|(_, st)| st == "done"), "{s:?}");
    assert_eq!(r.doc["failure"]["step"], "listener");
    assert!(r.doc["failure"]["hint"]
        .as_str()
        .unwrap()
        .contains("running the same command again is safe"));
    assert!(w.listener_state().is_null() || w.listener_state()["Mode"] == "off");
    // A short deadline while the store is CREATING: the wait fails, exit 3; then a rerun completes.
    let w2 = World::new();
    w2.emu.creating(50);
    let r = w2.mtls(
        "apply",
        &["--client-set", &w2.path("client"), "--timeout", "3s"],
    );
    assert_eq!(r.code, 3, "{:#}", r.doc);
    assert_eq!(r.doc["failure"]["step"], "wait-active");
    let rest: Vec<_> = statuses(&r.doc)
        .into_iter()
        .skip_while(|(s, _)| s != "stage")
        .collect();
    assert!(rest.iter().all(|(_, st)| st == "not-reached"), "{rest:?}");
    let again = w.mtls("apply", &["--client-set", &w.path("client")]);
    assert_eq!(again.code, 0, "{:#}", again.doc);
    let s = statuses(&again.doc);
    assert_eq!(s.last().unwrap().1, "done");
    assert!(
        s.iter()
            .filter(|(n, _)| n != "listener" && n != "wait-active")
            .all(|(_, st)| st == "unchanged"),
        "{s:?}"
    );
    assert_eq!(w.listener_state()["Mode"], "verify");
}

#[test]
fn status_finds_an_expiring_certificate_and_names_passthrough() {
    let w = World::new();
    let r = w.mtls("apply", &["--client-set", &w.path("client")]);
    assert_eq!(r.code, 0, "{:#}", r.doc);
    let later = now() + 75 * DAY;
    let mut args = vec!["mtls".to_string(), "status".into()];
    args.extend(w.path_args());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let soon = run_at(&w.emu.endpoint, later, &refs);
    assert_eq!(soon.code, 1, "{:#}", soon.doc);
    let codes = support::codes(&soon.doc["judgement"]);
    assert!(
        codes.contains(&"client-cert-expires-soon".to_string()),
        "{codes:?}"
    );
    let expired = run_at(&w.emu.endpoint, now() + 100 * DAY, &refs);
    assert_eq!(expired.code, 1);
    assert!(
        expired.doc["judgement"]["tls_verify_status"] == "Failed:ClientCertExpired",
        "{:#}",
        expired.doc
    );

    use certctl::aws::{MutualAuth, MutualAuthMode, TrustStores};
    let listener = w.topo["https_listener"].as_str().unwrap();
    let pass = MutualAuth {
        mode: MutualAuthMode::Passthrough,
        ..MutualAuth::off()
    };
    w.emu
        .sdk()
        .set_listener_mutual_auth(listener, &pass)
        .unwrap();
    let p = w.mtls("status", &[]);
    assert_eq!(p.doc["mode"], "passthrough");
    let f = p.doc["judgement"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "listener-passthrough")
        .unwrap()
        .clone();
    assert_eq!(f["severity"], "warn");
    let hop = w.doctor_hop(&[]);
    assert_eq!(hop["status"], "warn", "{hop:#}");
    assert!(
        hop["summary"].as_str().unwrap().contains("--rest-api-id"),
        "{hop:#}"
    );
}

#[test]
fn hostile_subject_text_of_the_stage_certificate_is_inert_in_status() {
    use certctl::aws::Stages;
    use support::{write, Spec};
    let w = World::new();
    let mut ca = Spec::ca("Hostile CA");
    ca.not_before = now() - DAY;
    ca.not_after = now() + 3650 * DAY;
    let ca = ca.self_signed();
    let hostile = "gw\x1b[2J\x1b]0;pwned\x07\r\nmtls status: OK (forged)";
    let mut leaf = Spec::leaf("gw.example.com");
    leaf.cn = hostile.into();
    leaf.not_before = now() - DAY;
    leaf.not_after = now() + 90 * DAY;
    leaf.eku = Some(vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth]);
    let leaf = leaf.signed_by(&ca);
    let d = w.dir.path();
    let (c, k, ch) = (
        write(d, "h-cert.pem", &leaf.pem),
        write(d, "h-key.pem", leaf.key.serialize_pem()),
        write(d, "h-chain.pem", &ca.pem),
    );
    let arn = w.emu.fixture(&[
        "import",
        c.to_str().unwrap(),
        k.to_str().unwrap(),
        ch.to_str().unwrap(),
    ])["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let api = w.topo["rest_api_id"].as_str().unwrap();
    w.emu
        .sdk()
        .set_stage_client_certificate(api, "prod", Some(&arn))
        .unwrap();
    let json = w.mtls("status", &[]);
    assert!(
        json.doc["judgement"]["subject"]
            .as_str()
            .unwrap()
            .contains(hostile),
        "exact in JSON: {:#}",
        json.doc
    );
    let mut args = vec![
        "--endpoint-url".to_string(),
        w.emu.endpoint.clone(),
        "--region".into(),
        "eu-west-1".into(),
        "mtls".into(),
        "status".into(),
    ];
    args.extend(w.path_args());
    let out = certctl()
        .args(&args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("gw"), "{text}");
    assert!(
        !text.contains('\x1b') && !text.contains('\x07') && !text.contains("\r\nmtls status: OK"),
        "{text:?}"
    );
}

/// Moving to a client certificate from a new CA while the listener verifies: a bundle without
/// the old CA would refuse API Gateway between the trust-store and stage steps, so it is
/// refused before any write; with both CAs the move goes through, and the old CA can then go.
#[test]
fn a_new_ca_while_verifying_keeps_the_old_one_until_the_stage_switches() {
    let w = World::new();
    let first = w.mtls("apply", &["--client-set", &w.path("client")]);
    assert_eq!(first.code, 0, "{:#}", first.doc);
    w.issue("new-ca", "next", "gateway.example.com", 90);
    let new_ca = format!("{}/ca.pem", w.path("new-ca"));
    let old_ca = format!("{}/ca.pem", w.path("ca"));

    let before = w.emu.state();
    let cut = w.mtls("apply", &["--client-set", &w.path("next"), "--ca", &new_ca]);
    assert_eq!(cut.code, 1, "{:#}", cut.doc);
    let refused: Vec<(String, String)> = statuses(&cut.doc)
        .into_iter()
        .filter(|(_, s)| s == "refused")
        .collect();
    assert_eq!(
        refused,
        [("trust-store".to_string(), "refused".to_string())]
    );
    let why = cut.doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "refused")
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        why.contains("Failed:ClientCertUntrusted") && why.contains("--ca"),
        "{why}"
    );
    assert_eq!(w.emu.state(), before, "nothing written, nothing imported");

    let both = w.mtls(
        "apply",
        &[
            "--client-set",
            &w.path("next"),
            "--ca",
            &old_ca,
            "--ca",
            &new_ca,
        ],
    );
    assert_eq!(both.code, 0, "{:#}", both.doc);
    let only_new = w.mtls("apply", &["--client-set", &w.path("next"), "--ca", &new_ca]);
    assert_eq!(only_new.code, 0, "{:#}", only_new.doc);
    let status = w.mtls("status", &[]);
    assert_eq!(status.code, 0, "{:#}", status.doc);
    assert_eq!(status.doc["judgement"]["tls_verify_status"], "Success");
}

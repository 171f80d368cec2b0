//! Unit tests of `mtls plan|apply` with the in-memory fakes: the order of the steps, nothing
//! written by a plan, idempotent reruns, a failure mid-way (the emulator tests in tests/mtls.rs
//! run the same against the SDK).

use super::*;
use crate::aws::fake::FakeAws;
use crate::aws::{Aws, CertDetail, Listener, MutualAuthMode};

const AT: i64 = 1_900_000_000;
const LISTENER: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/internal-alb/50dc/f2f7";
const ARN: &str = "arn:aws:acm:eu-west-1:1:certificate/client";

struct NoSleep;
impl crate::jobs::acm::Waiter for NoSleep {
    fn elapsed(&self) -> f64 {
        0.0
    }
    fn sleep(&self, _: std::time::Duration) {}
}

/// A client certificate (clientAuth) and the CA that issued it, PEM.
fn client(cn: &str) -> (String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let t = |s: i64| time::OffsetDateTime::from_unix_timestamp(s).unwrap();
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(rcgen::DnType::CommonName, cn);
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // The CA profile the ALB verdict requires (keyUsage keyCertSign; key identifiers).
    ca.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
    ca.not_before = t(AT - 86_400);
    ca.not_after = t(AT + 3650 * 86_400);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "gateway.example.com");
    p.not_before = t(AT - 86_400);
    p.not_after = t(AT + 90 * 86_400);
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    p.use_authority_key_identifier_extension = true;
    let leaf = p
        .signed_by(&key, &rcgen::Issuer::from_params(&ca, &ca_key))
        .unwrap();
    (leaf.pem(), ca_cert.pem())
}

fn world(leaf: &str, ca: &str) -> FakeAws {
    let aws = FakeAws {
        pem: Some((leaf.to_string(), Some(ca.to_string()))),
        versioned: vec!["bundles".into()],
        stages: vec![("prod".into(), Default::default())],
        ..FakeAws::default()
    };
    aws.listeners.borrow_mut().push((
        Listener {
            arn: LISTENER.into(),
            protocol: "HTTPS".into(),
            port: Some(443),
            load_balancer_arn: "lb".into(),
            default_certificates: vec![],
        },
        vec![],
    ));
    aws.certs.borrow_mut().push(CertDetail {
        arn: ARN.into(),
        status: "ISSUED".into(),
        kind: Some("IMPORTED".into()),
        ..CertDetail::default()
    });
    aws
}

fn request(ca_file: &std::path::Path, apply: bool) -> MtlsRequest {
    MtlsRequest {
        rest_api_id: "api1".into(),
        stage: "prod".into(),
        listener: LISTENER.into(),
        bundle: S3Url::parse("s3://bundles/alb/clients.pem").unwrap(),
        client: ClientSource::Arn(ARN.into()),
        cas: vec![ca_file.to_path_buf()],
        trust_store_name: None,
        replace_trust_store: false,
        apply,
        deadline: crate::deadline::Deadline::after(
            std::time::Instant::now(),
            std::time::Duration::from_secs(30),
        ),
        at: AT,
    }
}

fn statuses(r: &MtlsReport) -> Vec<(&'static str, &'static str)> {
    r.steps
        .iter()
        .map(|s| (s.step.as_str(), s.status.as_str()))
        .collect()
}

#[test]
fn plan_writes_nothing_apply_runs_in_order_and_a_rerun_is_unchanged() {
    let d = tempfile::tempdir().unwrap();
    let (leaf, ca) = client("Client CA");
    let ca_file = d.path().join("ca.pem");
    crate::fsx::write_atomic(&ca_file, ca.as_bytes(), 0o644).unwrap();
    let aws = world(&leaf, &ca);
    let plan = run(Aws::of(&aws), &request(&ca_file, false), &NoSleep).unwrap();
    assert_eq!(plan.exit_code(), ExitStatus::Ok);
    assert!(
        statuses(&plan).iter().all(|(_, s)| *s == "planned"),
        "{plan:#?}"
    );
    assert_eq!(plan.trust_store_name, "certctl-internal-alb-443");
    assert!(aws.objects.borrow().is_empty() && aws.trust_stores_held.borrow().is_empty());
    assert!(aws.stage_certs.borrow().is_empty() && aws.mutual.borrow().is_empty());

    let apply = run(Aws::of(&aws), &request(&ca_file, true), &NoSleep).unwrap();
    assert_eq!(apply.exit_code(), ExitStatus::Ok, "{apply:#?}");
    assert_eq!(
        statuses(&apply),
        [
            ("upload", "done"),
            ("trust-store", "done"),
            ("wait-active", "done"),
            ("stage", "done"),
            ("listener", "done")
        ]
    );
    // The listener names the store made from the object uploaded, and the stage the ARN.
    let store = aws.trust_stores_held.borrow()[0].clone();
    assert_eq!(
        store.1,
        aws.objects.borrow()[0].3,
        "the store holds the uploaded bundle"
    );
    let m = aws.mutual.borrow()[0].1.clone();
    assert_eq!(
        (m.mode, m.trust_store_arn),
        (MutualAuthMode::Verify, Some(store.0.arn))
    );
    assert_eq!(aws.stage_certs.borrow()[0].1.as_deref(), Some(ARN));
    assert_eq!(apply.bundle_version.as_deref(), Some("v1"));

    let again = run(Aws::of(&aws), &request(&ca_file, true), &NoSleep).unwrap();
    assert!(again.nothing_to_do, "{again:#?}");
    assert_eq!(aws.objects.borrow().len(), 1, "no second upload");
}

#[test]
fn a_refused_listener_write_is_a_partial_report_and_another_ca_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let (leaf, ca) = client("Client CA");
    let ca_file = d.path().join("ca.pem");
    crate::fsx::write_atomic(&ca_file, ca.as_bytes(), 0o644).unwrap();
    let aws = FakeAws {
        deny: Some("elasticloadbalancing:ModifyListener"),
        ..world(&leaf, &ca)
    };
    let r = run(Aws::of(&aws), &request(&ca_file, true), &NoSleep).unwrap();
    assert_eq!(r.exit_code(), ExitStatus::Operational);
    assert_eq!(statuses(&r).last(), Some(&("listener", "failed")));
    assert_eq!(r.failure.as_ref().unwrap().step, StepName::Listener);
    assert!(r
        .failure
        .as_ref()
        .unwrap()
        .hint
        .as_deref()
        .unwrap()
        .contains("again is safe"));
    assert!(aws.mutual.borrow().is_empty());

    // A bundle of another CA: refused before any write.
    let (_, other) = client("Other CA");
    let other_file = d.path().join("other.pem");
    crate::fsx::write_atomic(&other_file, other.as_bytes(), 0o644).unwrap();
    let fresh = world(&leaf, &ca);
    let r = run(Aws::of(&fresh), &request(&other_file, true), &NoSleep).unwrap();
    assert_eq!(r.exit_code(), ExitStatus::CheckFailed);
    assert_eq!(
        r.gate.as_ref().unwrap().tls_verify_status,
        "Failed:ClientCertUntrusted"
    );
    assert!(statuses(&r).iter().all(|(_, s)| *s == "not-reached"));
    assert!(fresh.objects.borrow().is_empty() && fresh.trust_stores_held.borrow().is_empty());
}

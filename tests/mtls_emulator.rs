//! The emulator's backend-mTLS layer (tests/fixtures/mtls_emulator.py in front of moto), read
//! and written through certctl's SDK clients: trust stores from S3 objects, the bundle rules
//! AWS applies, a listener's mutual authentication, and a stage's client certificate as an ACM
//! ARN.

mod support;

use certctl::aws::{
    AwsError, MutualAuth, MutualAuthMode, Objects, S3Location, Stages, TrustStoreStatus,
    TrustStores,
};
use support::mtls::start_mtls_emulator;
use support::{tempdir, write, Spec, DAY};

/// The real clock: moto refuses to import a certificate that is not valid now.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn ca(cn: &str) -> support::Made {
    let mut s = Spec::ca(cn);
    s.not_before = now() - DAY;
    s.not_after = now() + 3650 * DAY;
    s.self_signed()
}

fn rejected_code(e: &AwsError) -> String {
    match e {
        AwsError::Rejected { code, .. } => code.clone(),
        AwsError::NotFound { message, .. } => format!("NotFound: {message}"),
        other => format!("{other:?}"),
    }
}

#[test]
fn a_trust_store_is_made_from_an_s3_object_and_bad_bundles_are_refused() {
    let emu = start_mtls_emulator("600");
    let topo = emu.fixture(&["setup"]);
    let bucket = topo["bucket"].as_str().unwrap();
    let sdk = emu.sdk();
    let (a, b) = (ca("Backend CA A"), ca("Backend CA B"));

    assert_eq!(
        sdk.bucket_versioning(bucket).unwrap(),
        certctl::aws::BucketVersioning::Enabled
    );
    let bundle = format!("# backend clients\n{}", a.pem);
    let v1 = sdk
        .put_object(bucket, "alb/bundle.pem", bundle.as_bytes())
        .unwrap()
        .expect("a versioned bucket names the version");
    let back = sdk
        .get_object(bucket, "alb/bundle.pem", Some(&v1), 1 << 20)
        .unwrap();
    assert_eq!(back.bytes, bundle.as_bytes());
    assert!(
        sdk.get_object(bucket, "alb/bundle.pem", None, 10).is_err(),
        "bounded read"
    );

    let loc = |key: &str, version: Option<String>| S3Location {
        bucket: bucket.into(),
        key: key.into(),
        version,
    };
    let ts = sdk
        .create_trust_store("backend", &loc("alb/bundle.pem", Some(v1.clone())), &[])
        .unwrap();
    assert_eq!(ts.status, TrustStoreStatus::Active);
    assert_eq!(ts.ca_certificates, Some(1));
    assert_eq!(sdk.trust_store(&ts.arn).unwrap().name, "backend");
    assert_eq!(
        sdk.trust_store_bundle(&ts.arn, 1 << 20).unwrap(),
        bundle.as_bytes()
    );

    // A blank line between two certificates: AWS refuses the bundle, and no store is made.
    let blank = format!("{}\n{}", a.pem, b.pem);
    sdk.put_object(bucket, "alb/blank.pem", blank.as_bytes())
        .unwrap();
    let e = sdk
        .create_trust_store("blank", &loc("alb/blank.pem", None), &[])
        .unwrap_err();
    assert_eq!(rejected_code(&e), "InvalidCaCertificatesBundle", "{e}");
    // A comment with a dash, a leaf (not a CA), and a missing object.
    let dash = format!("# backend - clients\n{}", a.pem);
    sdk.put_object(bucket, "alb/dash.pem", dash.as_bytes())
        .unwrap();
    let e = sdk
        .create_trust_store("dash", &loc("alb/dash.pem", None), &[])
        .unwrap_err();
    assert_eq!(rejected_code(&e), "InvalidCaCertificatesBundle", "{e}");
    let mut leaf = Spec::leaf("client.example.com");
    leaf.not_before = now() - DAY;
    leaf.not_after = now() + 30 * DAY;
    let leaf = leaf.signed_by(&a);
    sdk.put_object(bucket, "alb/leaf.pem", leaf.pem.as_bytes())
        .unwrap();
    let e = sdk
        .create_trust_store("leaf", &loc("alb/leaf.pem", None), &[])
        .unwrap_err();
    assert_eq!(rejected_code(&e), "InvalidCaCertificatesBundle", "{e}");
    let e = sdk
        .create_trust_store("gone", &loc("alb/none.pem", None), &[])
        .unwrap_err();
    assert!(
        matches!(&e, AwsError::NotFound { message, .. } if message.contains("bundle does not exist")),
        "{e:?}"
    );
    let all = sdk.trust_stores(&[], &[]).unwrap();
    assert_eq!(all.len(), 1, "only the good bundle made a store: {all:?}");

    // Modify: a new version with both CAs; the store holds it, the old version stays in S3.
    let both = format!("{}{}", a.pem, b.pem);
    let v2 = sdk
        .put_object(bucket, "alb/bundle.pem", both.as_bytes())
        .unwrap();
    assert_ne!(v2.as_deref(), Some(v1.as_str()));
    emu.creating(1);
    let m = sdk
        .modify_trust_store(&ts.arn, &loc("alb/bundle.pem", v2))
        .unwrap();
    assert_eq!(m.ca_certificates, Some(2));
    assert_eq!(
        sdk.trust_store(&ts.arn).unwrap().status,
        TrustStoreStatus::Creating
    );
    assert_eq!(
        sdk.trust_store(&ts.arn).unwrap().status,
        TrustStoreStatus::Active
    );
    assert_eq!(
        sdk.trust_store_bundle(&ts.arn, 1 << 20).unwrap(),
        both.as_bytes()
    );
    let e = sdk.trust_store("arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/x/1");
    assert!(matches!(e, Err(AwsError::NotFound { .. })), "{e:?}");
}

#[test]
fn a_listener_verifies_with_a_trust_store_and_a_stage_presents_an_acm_certificate() {
    let emu = start_mtls_emulator("600");
    let topo = emu.fixture(&["setup"]);
    let (bucket, https, http) = (
        topo["bucket"].as_str().unwrap(),
        topo["https_listener"].as_str().unwrap(),
        topo["http_listener"].as_str().unwrap(),
    );
    let sdk = emu.sdk();
    let a = ca("Backend CA");
    let v = sdk
        .put_object(bucket, "bundle.pem", a.pem.as_bytes())
        .unwrap();
    let ts = sdk
        .create_trust_store(
            "backend",
            &S3Location {
                bucket: bucket.into(),
                key: "bundle.pem".into(),
                version: v,
            },
            &[],
        )
        .unwrap();

    assert_eq!(
        sdk.listener_mutual_auth(https).unwrap().mode,
        MutualAuthMode::Off
    );
    sdk.set_listener_mutual_auth(https, &MutualAuth::verify(&ts.arn))
        .unwrap();
    let got = sdk.listener_mutual_auth(https).unwrap();
    assert_eq!(got.mode, MutualAuthMode::Verify);
    assert_eq!(got.trust_store_arn.as_deref(), Some(ts.arn.as_str()));
    assert_eq!(got.ignore_client_certificate_expiry, Some(false));
    // The listener's other settings are moto's, untouched.
    use certctl::aws::Topology;
    let listed = sdk.listeners(topo["alb"].as_str().unwrap()).unwrap();
    let shown = format!("{listed:?}");
    assert!(
        shown.contains(https) && shown.contains("Some(443)"),
        "{shown}"
    );
    // Not on an HTTP listener; not with a store that is not there; the store in use stays.
    let e = sdk
        .set_listener_mutual_auth(http, &MutualAuth::verify(&ts.arn))
        .unwrap_err();
    assert_eq!(rejected_code(&e), "InvalidConfigurationRequest", "{e}");
    let e = sdk
        .set_listener_mutual_auth(
            https,
            &MutualAuth::verify(
                "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/no/1",
            ),
        )
        .unwrap_err();
    assert!(matches!(e, AwsError::NotFound { .. }), "{e:?}");
    let e = sdk.delete_trust_store(&ts.arn).unwrap_err();
    assert_eq!(rejected_code(&e), "TrustStoreInUse", "{e}");
    sdk.set_listener_mutual_auth(https, &MutualAuth::off())
        .unwrap();
    assert_eq!(
        sdk.listener_mutual_auth(https).unwrap().mode,
        MutualAuthMode::Off
    );
    sdk.delete_trust_store(&ts.arn).unwrap();
    assert!(sdk.trust_stores(&[], &[]).unwrap().is_empty());

    // The stage presents an imported client certificate by its ACM ARN.
    let (api, stage) = (
        topo["rest_api_id"].as_str().unwrap(),
        topo["stage"].as_str().unwrap(),
    );
    let d = tempdir();
    let mut spec = Spec::leaf("gateway.example.com");
    spec.not_before = now() - DAY;
    spec.not_after = now() + 90 * DAY;
    spec.eku = Some(vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth]);
    let client = spec.signed_by(&a);
    let cert = write(d.path(), "cert.pem", &client.pem);
    let key = write(d.path(), "key.pem", client.key.serialize_pem());
    let chain = write(d.path(), "chain.pem", &a.pem);
    let arn = emu.fixture(&[
        "import",
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
        chain.to_str().unwrap(),
    ])["arn"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(sdk.stage(api, stage).unwrap().client_certificate_id, None);
    let set = sdk
        .set_stage_client_certificate(api, stage, Some(&arn))
        .unwrap();
    assert_eq!(set.client_certificate_id.as_deref(), Some(arn.as_str()));
    assert_eq!(
        sdk.stage(api, stage)
            .unwrap()
            .client_certificate_id
            .as_deref(),
        Some(arn.as_str())
    );
    // An ARN of another region, and an id that was never generated, are refused.
    let other = arn.replace("eu-west-1", "us-east-1");
    let e = sdk
        .set_stage_client_certificate(api, stage, Some(&other))
        .unwrap_err();
    assert_eq!(rejected_code(&e), "BadRequestException", "{e}");
    let e = sdk
        .set_stage_client_certificate(api, stage, Some("abc123"))
        .unwrap_err();
    assert!(matches!(e, AwsError::NotFound { .. }), "{e:?}");
    assert_eq!(
        sdk.stage(api, stage)
            .unwrap()
            .client_certificate_id
            .as_deref(),
        Some(arn.as_str()),
        "a refused change leaves the stage as it was"
    );
    // GetClientCertificate knows generated certificates only.
    assert!(matches!(
        sdk.client_certificate(&arn),
        Err(AwsError::NotFound { .. })
    ));
    assert!(sdk.client_certificates().unwrap().is_empty());
    sdk.set_stage_client_certificate(api, stage, None).unwrap();
    assert_eq!(sdk.stage(api, stage).unwrap().client_certificate_id, None);
    assert_eq!(emu.state()["stages"], serde_json::json!({}));
}

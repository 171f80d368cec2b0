//! Unit tests of the bundle rules (each with a hostile input), the verifier's refusals and the
//! builder; every certificate is made here, relative to a pinned instant.

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::CertificateDer;

use super::*;
use crate::findings::Severity;

const AT: i64 = 1_900_000_000;
const DAY: i64 = 86_400;

struct Made {
    der: Vec<u8>,
    params: CertificateParams,
    key: KeyPair,
}

impl Made {
    fn pem(&self) -> String {
        crate::pem::encode_certificate(&self.der)
    }

    fn info(&self) -> CertInfo {
        CertInfo::parse(&CertificateDer::from(self.der.as_slice())).unwrap()
    }
}

fn time(t: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t).unwrap()
}

fn params(cn: &str, from: i64, to: i64) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.not_before = time(from);
    p.not_after = time(to);
    p.use_authority_key_identifier_extension = true;
    p
}

fn ca_params(cn: &str, from: i64, to: i64) -> CertificateParams {
    let mut p = params(cn, from, to);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

fn sign(p: CertificateParams, by: Option<&Made>) -> Made {
    let key = KeyPair::generate().unwrap();
    let cert = match by {
        None => p.self_signed(&key).unwrap(),
        Some(i) => {
            let issuer = Issuer::from_params(&i.params, &i.key);
            p.signed_by(&key, &issuer).unwrap()
        }
    };
    Made {
        der: cert.der().to_vec(),
        params: p,
        key,
    }
}

fn root(cn: &str) -> Made {
    sign(ca_params(cn, AT - 10 * DAY, AT + 3650 * DAY), None)
}

fn client(cn: &str, by: &Made, from: i64, to: i64) -> Made {
    let mut p = params(cn, from, to);
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    sign(p, Some(by))
}

fn codes(findings: &[BundleFinding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

fn bundle_of(pems: &[&Made]) -> AlbBundle {
    let text: String = pems.iter().map(|m| m.pem()).collect();
    let (b, f) = lint(text.as_bytes(), AT);
    assert!(f.iter().all(|f| f.severity != Severity::Deny), "{f:?}");
    b
}

fn verify(chain: &[&Made], bundle: &AlbBundle, at: i64) -> Result<ClientPath, AlbRefusal> {
    let ders: Vec<CertificateDer<'_>> = chain
        .iter()
        .map(|m| CertificateDer::from(m.der.as_slice()))
        .collect();
    verify_client(&ders, bundle, crate::trust::verify::unix(at))
}

#[test]
fn a_clean_bundle_has_no_findings() {
    let r = root("Root A");
    let text = format!("# Root A\n{}", r.pem());
    let (b, f) = lint(text.as_bytes(), AT);
    assert!(f.is_empty(), "{f:?}");
    assert_eq!(b.certificates.len(), 1);
    assert_eq!(b.certificates[0].line, 2);
}

#[test]
fn blank_lines_anywhere_are_findings_with_their_line() {
    let r = root("Root A");
    let between = format!("{}\n{}", r.pem(), root("Root B").pem());
    let (_, f) = lint(between.as_bytes(), AT);
    assert_eq!(codes(&f), vec!["blank-line"]);
    assert_eq!(f[0].line, Some(r.pem().lines().count() + 1));
    assert_eq!(f[0].severity, Severity::Deny);
    let inside = r.pem().replacen('\n', "\n   \n", 1);
    let (b, f) = lint(inside.as_bytes(), AT);
    assert_eq!(codes(&f), vec!["blank-line"]);
    assert_eq!(f[0].line, Some(2));
    assert_eq!(b.certificates.len(), 1, "still read");
    let trailing = format!("{}\n", r.pem());
    assert_eq!(codes(&lint(trailing.as_bytes(), AT).1), vec!["blank-line"]);
    let many = format!("{}{}", "\n".repeat(50), r.pem());
    let (_, f) = lint(many.as_bytes(), AT);
    assert_eq!(f.len(), 11, "capped, with a summary");
    assert!(f[10].message.contains("40 more"), "{}", f[10].message);
}

#[test]
fn comments_start_with_a_hash_and_hold_no_hyphen() {
    let r = root("Root A");
    let (_, f) = lint(format!("# issuing-ca\n{}", r.pem()).as_bytes(), AT);
    assert_eq!(codes(&f), vec!["comment-hyphen"]);
    assert_eq!(f[0].line, Some(1));
    let (_, f) = lint(format!("Root A\n{}", r.pem()).as_bytes(), AT);
    assert_eq!(codes(&f), vec!["stray-text"]);
    let (_, f) = lint(format!("# fine comment\r\n{}", r.pem()).as_bytes(), AT);
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn der_and_garbage_are_findings_never_panics() {
    let r = root("Root A");
    let (b, f) = lint(&r.der, AT);
    assert_eq!(codes(&f), vec!["not-pem"]);
    assert!(b.certificates.is_empty());
    assert_eq!(codes(&lint(b"", AT).1), vec!["empty-bundle"]);
    assert_eq!(codes(&lint(b"hello\n", AT).1), vec!["empty-bundle"]);
    let garbage = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assert_eq!(
        codes(&lint(garbage.as_bytes(), AT).1),
        vec!["malformed-block", "empty-bundle"]
    );
    let not_x509 = crate::pem::encode_certificate(&[0x30, 0x03, 0x02, 0x01, 0x01]);
    assert_eq!(
        codes(&lint(not_x509.as_bytes(), AT).1),
        vec!["malformed-block", "empty-bundle"]
    );
    let truncated = &r.pem()[..r.pem().len() - 30];
    let (_, f) = lint(truncated.as_bytes(), AT);
    assert!(codes(&f).contains(&"malformed-block"), "{f:?}");
    // Cut and flipped everywhere: findings, no panic.
    let pem = r.pem().into_bytes();
    for i in (0..pem.len()).step_by(7) {
        let mut m = pem.clone();
        m[i] ^= 0x5a;
        let _ = lint(&m, AT);
        let _ = lint(&pem[..i], AT);
    }
}

#[test]
fn only_certificate_blocks_belong_in_a_bundle() {
    let r = root("Root A");
    let crl = crate::pem::encode("X509 CRL", &[0x30, 0x00]);
    let key = crate::pem::encode("PRIVATE KEY", &r.key.serialize_der());
    let (b, f) = lint(format!("{}{crl}{key}", r.pem()).as_bytes(), AT);
    assert_eq!(
        codes(&f),
        vec!["not-certificate-block", "not-certificate-block"]
    );
    assert!(
        f[0].message.contains("revocation lists"),
        "{}",
        f[0].message
    );
    assert!(f[1].message.contains("private key"), "{}", f[1].message);
    assert_eq!(b.certificates.len(), 1);
}

#[test]
fn at_most_25_certificates_of_at_most_16_kb() {
    let roots: Vec<Made> = (0..26).map(|i| root(&format!("Root {i}"))).collect();
    let text: String = roots.iter().map(Made::pem).collect();
    let (b, f) = lint(text.as_bytes(), AT);
    assert_eq!(codes(&f), vec!["too-many-certificates"]);
    assert_eq!(b.certificates.len(), 26);
    let ok: String = roots[..25].iter().map(Made::pem).collect();
    assert!(lint(ok.as_bytes(), AT).1.is_empty());
    let mut p = ca_params("Big Root", AT - DAY, AT + 365 * DAY);
    p.custom_extensions = vec![CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 4, 1, 55555, 1],
        vec![0x04; 17 * 1024],
    )];
    let big = sign(p, None);
    assert!(big.der.len() > 17 * 1024);
    let (_, f) = lint(big.pem().as_bytes(), AT);
    assert_eq!(codes(&f), vec!["certificate-too-large"]);
    assert!(f[0].certificate.is_some());
}

#[test]
fn every_certificate_is_a_valid_ca_and_appears_once() {
    let r = root("Root A");
    let leaf = client("client", &r, AT - DAY, AT + 30 * DAY);
    let (_, f) = lint(format!("{}{}", r.pem(), leaf.pem()).as_bytes(), AT);
    assert_eq!(codes(&f), vec!["not-ca"]);
    let old = sign(ca_params("Old Root", AT - 400 * DAY, AT - DAY), None);
    let (_, f) = lint(old.pem().as_bytes(), AT);
    assert_eq!(codes(&f), vec!["expired"]);
    let future = sign(ca_params("Next Root", AT + DAY, AT + 400 * DAY), None);
    let (_, f) = lint(future.pem().as_bytes(), AT);
    assert_eq!(codes(&f), vec!["not-yet-valid"]);
    assert_eq!(f[0].severity, Severity::Warn);
    let (_, f) = lint(format!("{}{}", r.pem(), r.pem()).as_bytes(), AT);
    assert_eq!(codes(&f), vec!["duplicate-certificate"]);
    assert_eq!(f[0].severity, Severity::Warn);
    let inter = sign(ca_params("Inter", AT - DAY, AT + 365 * DAY), Some(&r));
    let (_, f) = lint(inter.pem().as_bytes(), AT);
    assert_eq!(codes(&f), vec!["no-root"]);
    let (_, f) = lint(format!("{}{}", inter.pem(), r.pem()).as_bytes(), AT);
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn a_client_of_the_bundle_is_admitted_with_its_depth() {
    let r = root("Root A");
    let c = client("apigw", &r, AT - DAY, AT + 30 * DAY);
    let path = verify(&[&c], &bundle_of(&[&r]), AT).unwrap();
    assert_eq!(path.depth, 2);
    assert_eq!(path.certificates[0].subject, "CN=apigw");
    assert_eq!(path.certificates[1].subject, "CN=Root A");
    // An intermediate from the bundle or sent by the client.
    let inter = sign(ca_params("Inter", AT - DAY, AT + 365 * DAY), Some(&r));
    let c2 = client("apigw2", &inter, AT - DAY, AT + 30 * DAY);
    assert_eq!(
        verify(&[&c2], &bundle_of(&[&inter, &r]), AT).unwrap().depth,
        3
    );
    assert_eq!(
        verify(&[&c2, &inter], &bundle_of(&[&r]), AT).unwrap().depth,
        3
    );
    // And a client made by certctl itself.
    let ca = crate::mint::ca("certctl CA", crate::keys::KeyAlg::EcdsaP256, 365, AT).unwrap();
    let ca = crate::mint::Ca {
        cert: ca.cert,
        key: ca.key,
    };
    let spec = crate::mint::ClientSpec {
        cn: "apigw-prod".into(),
        dns: vec![],
        key: crate::keys::KeyAlg::EcdsaP256,
        days: 90,
        at: AT,
    };
    let m = crate::mint::client_leaf(&spec, &ca).unwrap();
    let bundle = AlbBundle::of(vec![ca.cert.clone()]);
    let der = CertificateDer::from(m.cert.der.as_slice());
    let ok = verify_client(&[der], &bundle, crate::trust::verify::unix(AT)).unwrap();
    assert_eq!(ok.depth, 2);
}

#[test]
fn refusals_carry_the_alb_log_code() {
    let r = root("Root A");
    let other = root("Root B");
    let bundle = bundle_of(&[&r]);
    let c = client("apigw", &r, AT - DAY, AT + 30 * DAY);
    let stranger = client("stranger", &other, AT - DAY, AT + 30 * DAY);
    let e = verify(&[&stranger], &bundle, AT).unwrap_err();
    assert_eq!(e.log_code(), "Failed:ClientCertUntrusted");
    assert!(e.hint().contains("truststore bundle"));
    let e = verify(&[&c], &bundle, AT + 31 * DAY).unwrap_err();
    assert_eq!(e.log_code(), "Failed:ClientCertExpired", "{e}");
    assert!(e.to_string().contains("CN=apigw"), "{e}");
    let e = verify(&[&c], &bundle, AT - 2 * DAY).unwrap_err();
    assert_eq!(e.log_code(), "Failed:ClientCertNotYetValid", "{e}");
    assert_eq!(
        verify(&[], &bundle, AT).unwrap_err(),
        AlbRefusal::NoCertificate
    );
    let e = verify_client(
        &[CertificateDer::from(&b"\x30\x03\x02\x01\x01"[..])],
        &bundle,
        crate::trust::verify::unix(AT),
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid");
}

#[test]
fn purpose_refusals_server_only_ca_as_leaf_and_key_usage() {
    let r = root("Root A");
    let bundle = bundle_of(&[&r]);
    let mut p = params("server", AT - DAY, AT + 30 * DAY);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = sign(p, Some(&r));
    let e = verify(&[&server], &bundle, AT).unwrap_err();
    assert_eq!(e.log_code(), "Failed:ClientCertPurposeInvalid", "{e}");
    let inter = sign(ca_params("Inter", AT - DAY, AT + 365 * DAY), Some(&r));
    let e = verify(&[&inter], &bundle, AT).unwrap_err();
    assert_eq!(e.log_code(), "Failed:ClientCertPurposeInvalid", "{e}");
    let mut p = params("enc-only", AT - DAY, AT + 30 * DAY);
    p.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let enc = sign(p, Some(&r));
    let e = verify(&[&enc], &bundle, AT).unwrap_err();
    assert_eq!(e.code(), "purpose-invalid");
    assert!(e.to_string().contains("keyEncipherment"), "{e}");
}

#[test]
fn a_path_deeper_than_four_is_refused() {
    let r = root("Root A");
    let i1 = sign(ca_params("Inter 1", AT - DAY, AT + 365 * DAY), Some(&r));
    let i2 = sign(ca_params("Inter 2", AT - DAY, AT + 365 * DAY), Some(&i1));
    let i3 = sign(ca_params("Inter 3", AT - DAY, AT + 365 * DAY), Some(&i2));
    let four = client("four", &i2, AT - DAY, AT + 30 * DAY);
    let bundle = bundle_of(&[&r]);
    assert_eq!(verify(&[&four, &i2, &i1], &bundle, AT).unwrap().depth, 4);
    let five = client("five", &i3, AT - DAY, AT + 30 * DAY);
    let e = verify(&[&five, &i3, &i2, &i1], &bundle, AT).unwrap_err();
    assert_eq!(e.log_code(), "Failed:ClientCertMaxChainDepthExceeded");
    assert_eq!(
        e,
        AlbRefusal::MaxChainDepthExceeded {
            depth: 5,
            max: MAX_CHAIN_DEPTH
        }
    );
}

#[test]
fn an_expired_root_or_intermediate_refuses_the_client() {
    let r = sign(ca_params("Short Root", AT - 10 * DAY, AT + 10 * DAY), None);
    let c = client("apigw", &r, AT - DAY, AT + 30 * DAY);
    let bundle = AlbBundle::of(vec![r.info()]);
    let e = verify(&[&c], &bundle, AT + 20 * DAY).unwrap_err();
    assert_eq!(e.log_code(), "Failed:ClientCertExpired", "{e}");
    assert!(e.to_string().contains("Short Root"), "{e}");
    let r2 = root("Root A");
    let inter = sign(ca_params("Old Inter", AT - 10 * DAY, AT + DAY), Some(&r2));
    let c2 = client("apigw", &inter, AT - DAY, AT + 30 * DAY);
    let e = verify(
        &[&c2, &inter],
        &AlbBundle::of(vec![r2.info()]),
        AT + 5 * DAY,
    )
    .unwrap_err();
    assert_eq!(e.log_code(), "Failed:ClientCertExpired", "{e}");
    assert!(e.to_string().contains("Old Inter"), "{e}");
}

#[test]
fn built_bundles_pass_the_lint_and_keep_order() {
    let a = sign(ca_params("Issuing-CA A", AT - DAY, AT + 365 * DAY), None);
    let b = root("Root B");
    let messy = format!("some text\n\n{}\n# a - comment\n{}", a.pem(), b.pem());
    let inputs = vec![
        BundleInput {
            name: "messy.pem".into(),
            bytes: messy.into_bytes(),
        },
        BundleInput {
            name: "a.der".into(),
            bytes: a.der.clone(),
        },
    ];
    let built = build_bundle(&inputs, AT).unwrap();
    assert_eq!(built.certificates.len(), 2);
    assert_eq!(built.duplicates, 1);
    assert_eq!(built.certificates[0].subject, "CN=Issuing-CA A");
    let (parsed, f) = lint(built.pem.as_bytes(), AT);
    assert!(f.is_empty(), "{f:?}\n{}", built.pem);
    assert_eq!(parsed.certificates.len(), 2);
    assert!(
        built.pem.starts_with("# CN=Issuing CA A\n# sha256 "),
        "{}",
        built.pem
    );
    assert!(!built.pem.contains("\n\n"));
}

#[test]
fn the_builder_refuses_leaves_expired_cas_and_too_many() {
    let r = root("Root A");
    let leaf = client("client", &r, AT - DAY, AT + 30 * DAY);
    let input = |name: &str, bytes: Vec<u8>| BundleInput {
        name: name.into(),
        bytes,
    };
    let e = build_bundle(&[input("client.pem", leaf.pem().into_bytes())], AT).unwrap_err();
    assert!(matches!(e, BuildError::NotCa { .. }), "{e}");
    assert!(
        e.to_string().starts_with("client.pem: \"CN=client\""),
        "{e}"
    );
    let old = sign(ca_params("Old Root", AT - 400 * DAY, AT - DAY), None);
    let e = build_bundle(&[input("old.pem", old.pem().into_bytes())], AT).unwrap_err();
    assert!(matches!(e, BuildError::Expired { .. }), "{e}");
    let many: String = (0..26).map(|i| root(&format!("R{i}")).pem()).collect();
    let e = build_bundle(&[input("many.pem", many.into_bytes())], AT).unwrap_err();
    assert!(matches!(e, BuildError::TooMany { count: 26 }), "{e}");
    let e = build_bundle(&[input("junk.pem", b"junk".to_vec())], AT).unwrap_err();
    assert!(matches!(e, BuildError::Read { .. }), "{e}");
    let future = sign(ca_params("Next Root", AT + DAY, AT + 400 * DAY), None);
    let ok = build_bundle(&[input("next.pem", future.pem().into_bytes())], AT).unwrap();
    assert_eq!(ok.warnings.len(), 1);
}

/// An intermediate under `by` made like `ca_params` but with `tweak` applied to its params
/// (the regressions below each break one rule of the strict CA profile).
fn odd_intermediate(by: &Made, tweak: impl FnOnce(&mut CertificateParams)) -> Made {
    let mut p = ca_params("Odd Inter", AT - DAY, AT + 365 * DAY);
    tweak(&mut p);
    sign(p, Some(by))
}

/// basicConstraints CA:TRUE written by hand (rcgen marks its own critical).
fn bc_not_critical() -> CustomExtension {
    let mut e = CustomExtension::from_oid_content(&[2, 5, 29, 19], vec![0x30, 3, 1, 1, 0xff]);
    e.set_criticality(false);
    e
}

// Regressions found by tests/alb_verify_fuzz.rs (`openssl verify -x509_strict -purpose
// sslclient`): minimal chains webpki admits and OpenSSL refuses; each is now refused.

#[test]
fn an_intermediate_whose_key_usage_lacks_key_cert_sign_is_refused() {
    let r = root("Root A");
    let i = odd_intermediate(&r, |p| p.key_usages = vec![KeyUsagePurpose::CrlSign]);
    let c = client("apigw", &i, AT - DAY, AT + 30 * DAY);
    let e = verify(&[&c, &i], &bundle_of(&[&r]), AT).unwrap_err();
    assert_eq!(e.log_code(), "Failed:ClientCertUntrusted", "{e}");
    assert!(e.to_string().contains("without keyCertSign"), "{e}");
}

#[test]
fn an_intermediate_without_key_usage_is_refused() {
    let r = root("Root A");
    let i = odd_intermediate(&r, |p| p.key_usages.clear());
    let c = client("apigw", &i, AT - DAY, AT + 30 * DAY);
    let e = verify(&[&c, &i], &bundle_of(&[&r]), AT).unwrap_err();
    assert!(e.to_string().contains("no keyUsage"), "{e}");
}

#[test]
fn an_intermediate_with_basic_constraints_not_critical_is_refused() {
    let r = root("Root A");
    let i = odd_intermediate(&r, |p| {
        // NoCa: rcgen then writes neither basicConstraints nor the subjectKeyIdentifier.
        p.is_ca = IsCa::NoCa;
        p.custom_extensions.push(bc_not_critical());
    });
    let c = client("apigw", &i, AT - DAY, AT + 30 * DAY);
    let e = verify(&[&c, &i], &bundle_of(&[&r]), AT).unwrap_err();
    assert!(e.to_string().contains("not marked critical"), "{e}");
}

#[test]
fn an_intermediate_without_subject_key_identifier_is_refused() {
    let r = root("Root A");
    let i = odd_intermediate(&r, |p| {
        p.is_ca = IsCa::NoCa;
        let mut bc = CustomExtension::from_oid_content(&[2, 5, 29, 19], vec![0x30, 3, 1, 1, 0xff]);
        bc.set_criticality(true);
        p.custom_extensions.push(bc);
    });
    let c = client("apigw", &i, AT - DAY, AT + 30 * DAY);
    let e = verify(&[&c, &i], &bundle_of(&[&r]), AT).unwrap_err();
    assert!(e.to_string().contains("no subjectKeyIdentifier"), "{e}");
}

#[test]
fn a_root_whose_extended_key_usage_lacks_client_auth_is_refused() {
    for eku in [
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::Any,
    ] {
        let mut p = ca_params("EKU Root", AT - 10 * DAY, AT + 3650 * DAY);
        p.extended_key_usages = vec![eku.clone()];
        let r = sign(p, None);
        let c = client("apigw", &r, AT - DAY, AT + 30 * DAY);
        let e = verify(&[&c], &bundle_of(&[&r]), AT).unwrap_err();
        assert_eq!(
            e.log_code(),
            "Failed:ClientCertPurposeInvalid",
            "{eku:?}: {e}"
        );
    }
    let mut p = ca_params("Client Root", AT - 10 * DAY, AT + 3650 * DAY);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let r = sign(p, None);
    let c = client("apigw", &r, AT - DAY, AT + 30 * DAY);
    assert!(verify(&[&c], &bundle_of(&[&r]), AT).is_ok());
}

#[test]
fn a_client_certificate_without_authority_key_identifier_is_refused() {
    let r = root("Root A");
    let mut p = params("apigw", AT - DAY, AT + 30 * DAY);
    p.use_authority_key_identifier_extension = false;
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let c = sign(p, Some(&r));
    let e = verify(&[&c], &bundle_of(&[&r]), AT).unwrap_err();
    assert!(e.to_string().contains("no authorityKeyIdentifier"), "{e}");
}

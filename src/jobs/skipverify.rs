//! API Gateway's rules for a backend chain when an integration sets
//! `tlsConfig.insecureSkipVerification`: the CA-list check is skipped, nothing else is. Every
//! certificate must be within its validity, the leaf must match the hostname, and the chain
//! must end in a root that carries basicConstraints CA:TRUE and keyUsage keyCertSign (the
//! signatures are verified with rustls-webpki, anchored at that root). So a self-signed
//! CA:FALSE leaf still fails; a complete private-CA chain passes.

use std::time::Duration;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::findings::{CheckCode, Code, Finding, Severity, SkipVerifyCode};
use crate::x509::CertInfo;

/// The verdict under the skip-verification rules.
#[derive(Debug, Clone)]
pub(crate) struct SkipVerdict {
    pub(crate) passes: bool,
    /// The chain as built, leaf first (root last when there is one).
    pub(crate) path: Vec<CertInfo>,
    pub(crate) findings: Vec<Finding>,
}

fn finding(
    code: impl Into<Code>,
    sev: Severity,
    message: String,
    hint: &str,
    c: Option<&CertInfo>,
) -> Finding {
    Finding {
        code: code.into(),
        severity: sev,
        message,
        hint: (!hint.is_empty()).then(|| hint.to_string()),
        certificate: c.map(|c| c.sha256.colon_hex()),
    }
}

fn has_key_cert_sign(c: &CertInfo) -> bool {
    c.key_usage
        .as_ref()
        .is_some_and(|k| k.iter().any(|u| u == "keyCertSign"))
}

/// Judges `presented` (leaf first when `leaf_is_first`, else any order) plus `extra`
/// candidates for `hostname` at `at`. `store_root_for`: when the chain ends below a root that
/// is not presented, the root of a known store that issued it (e.g. Amazon's chain from ACM).
pub(crate) fn judge(
    presented: &[CertInfo],
    extra: &[CertInfo],
    leaf_is_first: bool,
    hostname: Option<&ServerName<'static>>,
    at: i64,
    store_root_for: &dyn Fn(&CertInfo) -> Option<CertInfo>,
) -> SkipVerdict {
    let mut findings = vec![finding(
        SkipVerifyCode::SkipVerification,
        Severity::Warn,
        "judged under insecureSkipVerification: the CA list is not checked; expiry, the hostname and a CA root still are".into(),
        "turn insecureSkipVerification off once the certificate chains to a CA on API Gateway's list",
        None,
    )];
    let Some(leaf) = (if leaf_is_first {
        presented.first()
    } else {
        // The certificate that issues no other presented one.
        presented
            .iter()
            .find(|c| {
                !presented
                    .iter()
                    .any(|o| o.sha256 != c.sha256 && o.issued_by(c))
            })
            .or(presented.first())
    }) else {
        findings.push(finding(
            CheckCode::PathInvalid,
            Severity::Deny,
            "no certificate".into(),
            "",
            None,
        ));
        return SkipVerdict {
            passes: false,
            path: Vec::new(),
            findings,
        };
    };
    let pool: Vec<&CertInfo> = presented.iter().chain(extra.iter()).collect();
    let mut path = vec![leaf.clone()];
    // Bounded: at most 12 certificates, none twice.
    while path.len() < 12 {
        let cur = &path[path.len() - 1];
        if cur.is_self_issued() {
            break;
        }
        match pool.iter().find(|c| {
            c.sha256 != cur.sha256 && cur.issued_by(c) && !path.iter().any(|p| p.sha256 == c.sha256)
        }) {
            Some(next) => path.push((*next).clone()),
            None => match store_root_for(cur) {
                Some(root) => {
                    path.push(root);
                    break;
                }
                None => break,
            },
        }
    }
    for c in &path {
        if c.not_after < at {
            findings.push(finding(
                CheckCode::Expired,
                Severity::Deny,
                format!(
                    "{} expired on {}",
                    c.display_name(),
                    crate::x509::date(c.not_after)
                ),
                "renew it: API Gateway checks expiry also with insecureSkipVerification",
                Some(c),
            ));
        } else if c.not_before > at {
            findings.push(finding(
                CheckCode::NotYetValid,
                Severity::Deny,
                format!(
                    "{} is valid only from {}",
                    c.display_name(),
                    crate::x509::date(c.not_before)
                ),
                "check the clock of the issuing CA",
                Some(c),
            ));
        }
    }
    let leaf_der = CertificateDer::from(leaf.der.as_slice());
    let ee = webpki::EndEntityCert::try_from(&leaf_der);
    if let (Some(name), Ok(ee)) = (hostname, ee.as_ref()) {
        if ee.verify_is_valid_for_subject_name(name).is_err() {
            findings.push(finding(
                CheckCode::HostnameMismatch,
                Severity::Deny,
                format!("the leaf does not cover {}", name.to_str()),
                "reissue it with the integration URI's host in its SANs: API Gateway checks the hostname also with insecureSkipVerification",
                Some(leaf),
            ));
        }
    }
    let root = path.last().filter(|r| r.is_self_issued());
    match root {
        None => findings.push(finding(
            SkipVerifyCode::SkipVerifyNoRoot,
            Severity::Deny,
            format!(
                "the chain ends at {} without its root: even with insecureSkipVerification API Gateway needs the chain to reach a root CA",
                path[path.len() - 1].display_name()
            ),
            "serve the whole chain, up to and including the root CA",
            path.last(),
        )),
        Some(r) if path.len() == 1 && !r.is_ca() => findings.push(finding(
            SkipVerifyCode::SkipVerifySelfSignedLeaf,
            Severity::Deny,
            format!(
                "{} is a self-signed leaf (CA:FALSE): with insecureSkipVerification API Gateway still requires a root CA with keyCertSign and CA:TRUE",
                r.display_name()
            ),
            "issue the leaf from a private CA (`certctl ca init`, then `certctl issue onprem --ca DIR`) and serve leaf + CA",
            Some(r),
        )),
        Some(r) if !r.is_ca() || !has_key_cert_sign(r) => findings.push(finding(
            SkipVerifyCode::SkipVerifyRootNotCa,
            Severity::Deny,
            format!(
                "the root {} lacks {}: API Gateway accepts only a root with basicConstraints CA:TRUE and keyUsage keyCertSign",
                r.display_name(),
                match (r.is_ca(), has_key_cert_sign(r)) {
                    (false, false) => "CA:TRUE and keyCertSign",
                    (false, true) => "CA:TRUE",
                    _ => "keyCertSign",
                }
            ),
            "reissue the root CA with basicConstraints CA:TRUE and keyUsage keyCertSign",
            Some(r),
        )),
        Some(r) => {
            // Signatures, anchored at the chain's own root.
            let root_der = CertificateDer::from(r.der.as_slice());
            let inters: Vec<CertificateDer<'_>> = path[1..path.len().saturating_sub(1)]
                .iter()
                .map(|c| CertificateDer::from(c.der.as_slice()))
                .collect();
            let checked = webpki::anchor_from_trusted_cert(&root_der)
                .map_err(|e| format!("{e:?}"))
                .and_then(|anchor| {
                    let ee = ee.as_ref().map_err(|e| format!("{e:?}"))?;
                    ee.verify_for_usage(
                        webpki::ALL_VERIFICATION_ALGS,
                        &[anchor],
                        &inters,
                        UnixTime::since_unix_epoch(Duration::from_secs(at.max(0) as u64)),
                        webpki::KeyUsage::server_auth(),
                        None,
                        None,
                    )
                    .map(|_| ())
                    .map_err(|e| format!("{e:?}"))
                });
            if let Err(e) = checked {
                // Expiry is reported above; anything else is a broken chain.
                if !e.contains("Expired") && !e.contains("NotValidYet") {
                    findings.push(finding(
                        CheckCode::PathInvalid,
                        Severity::Deny,
                        format!("the chain to {} does not verify: {e}", r.display_name()),
                        "serve leaf and intermediates issued by this root, in order",
                        Some(leaf),
                    ));
                }
            }
        }
    }
    let passes = !findings.iter().any(|f| f.severity == Severity::Deny);
    SkipVerdict {
        passes,
        path,
        findings,
    }
}

/// `certctl check --skip-verification`: the target judged under these rules instead of a
/// trust store (files and URLs; an ACM ARN's chain arrives in `fetched_pem`).
pub(crate) fn check(
    req: &crate::jobs::check::CheckRequest,
) -> Result<crate::jobs::check::CheckReport, crate::jobs::check::CheckError> {
    use crate::target::{self as input, Target};
    use crate::trust::verify::{PathCert, Source};
    let explicit = req
        .hostname
        .as_deref()
        .map(input::server_name)
        .transpose()?;
    let extra: Vec<CertInfo> = req
        .chain
        .iter()
        .map(|p| input::load_file(p))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let (presented, leaf_is_first, address, name) =
        match (input::parse_target(&req.target)?, &req.fetched_pem) {
            (_, Some(pem)) => (
                input::parse_bytes(pem, std::path::Path::new(&req.target))?,
                true,
                None,
                explicit,
            ),
            (Target::File(path), None) => (input::load_file(&path)?, false, None, explicit),
            (Target::Url { host, port }, None) => {
                let remote = input::fetch(
                    &host,
                    port,
                    req.hostname.as_deref(),
                    req.connect_to.as_deref(),
                    req.timeout,
                )?;
                (remote.certs, true, Some(remote.address), Some(remote.sni))
            }
        };
    let store = crate::trust::store::TrustStore::apigateway().ok();
    let store_root = |c: &CertInfo| {
        store
            .as_ref()?
            .roots_named(&c.issuer_raw)
            .find_map(|r| CertInfo::parse(&r.der).ok().filter(|i| c.issued_by(i)))
    };
    let v = judge(
        &presented,
        &extra,
        leaf_is_first,
        name.as_ref(),
        req.at,
        &store_root,
    );
    let n = v.path.len();
    let path = v
        .path
        .iter()
        .enumerate()
        .map(|(i, c)| PathCert {
            role: match i {
                0 => "leaf",
                _ if i + 1 == n && c.is_self_issued() => "root",
                _ => "intermediate",
            },
            source: if presented.iter().any(|p| p.sha256 == c.sha256) {
                Source::Presented
            } else if extra.iter().any(|p| p.sha256 == c.sha256) {
                Source::ChainFile
            } else {
                Source::TrustStore
            },
            subject: c.subject.clone(),
            issuer: c.issuer.clone(),
            not_before: crate::x509::rfc3339(c.not_before),
            not_after: crate::x509::rfc3339(c.not_after),
            days_left: c.days_left(req.at),
            sha256: c.sha256.colon_hex(),
            key: c.key.label(),
            signature_algorithm: c.signature_algorithm.clone(),
        })
        .collect();
    // These rules are API Gateway's own for such an integration: its verdict is the judgement;
    // certctl adds no policy on top in this mode.
    let deny_codes: Vec<Code> = v
        .findings
        .iter()
        .filter(|f| f.severity == crate::findings::Severity::Deny)
        .map(|f| f.code)
        .collect();
    let apigateway = crate::trust::verify::ApigwReport {
        verdict: crate::trust::verify::ApigwVerdict::of(v.passes),
        refused_by: (!v.passes).then_some("skip-verification"),
        log_line: (!v.passes).then(|| {
            "Execution failed due to configuration error: General SSLEngine problem".to_string()
        }),
        cause: v
            .findings
            .iter()
            .find(|f| f.severity == crate::findings::Severity::Deny)
            .map(|f| f.message.clone()),
        fix: v
            .findings
            .iter()
            .find(|f| f.severity == crate::findings::Severity::Deny)
            .and_then(|f| f.hint.clone()),
        note: None,
        codes: deny_codes,
        unverified_signatures: Vec::new(),
    };
    Ok(crate::jobs::check::CheckReport {
        denied_by: if v.passes {
            Vec::new()
        } else {
            vec!["apigateway"]
        },
        apigateway,
        policy: crate::jobs::check::PolicyVerdict {
            profile: "skip-verification".into(),
            verdict: "pass",
            codes: Vec::new(),
        },
        schema_version: 1,
        target: req.target.clone(),
        address,
        hostname: name.map(|n| n.to_str().into_owned()),
        at: crate::x509::rfc3339(req.at),
        trust_store: "skip-verification".into(),
        verdict: if v.passes { "trusted" } else { "untrusted" },
        presented: presented.len(),
        path,
        anchor: None,
        findings: v.findings,
        fixed_chain_written: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyAlg;
    use crate::mint::{self, LeafSpec};

    const AT: i64 = 1_900_000_000;

    fn none(_: &CertInfo) -> Option<CertInfo> {
        None
    }

    fn spec(days: u32) -> LeafSpec {
        LeafSpec {
            dns: vec!["api.example.com".into()],
            ips: vec![],
            key: KeyAlg::EcdsaP256,
            days,
            at: AT,
        }
    }

    #[test]
    fn a_self_signed_leaf_fails_and_a_private_ca_chain_passes() {
        let name = ServerName::try_from("api.example.com").unwrap();
        let leaf = mint::leaf(&spec(90), None).unwrap();
        let v = judge(
            std::slice::from_ref(&leaf.cert),
            &[],
            true,
            Some(&name),
            AT,
            &none,
        );
        assert!(!v.passes);
        assert!(
            v.findings
                .iter()
                .any(|f| f.code == SkipVerifyCode::SkipVerifySelfSignedLeaf),
            "{:?}",
            v.findings
        );

        let root = mint::ca("Test Root", KeyAlg::EcdsaP256, 365, AT).unwrap();
        let ca = mint::Ca {
            cert: root.cert.clone(),
            key: root.key,
        };
        let leaf = mint::leaf(&spec(90), Some(&ca)).unwrap();
        let chain = [leaf.cert.clone(), root.cert.clone()];
        let v = judge(&chain, &[], true, Some(&name), AT, &none);
        assert!(v.passes, "{:?}", v.findings);
        assert_eq!(v.path.len(), 2);
        let codes: Vec<_> = v.findings.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            vec![Code::from(SkipVerifyCode::SkipVerification)],
            "the warning stays"
        );

        // Without the root: fails. Wrong name, expired: fail.
        let v = judge(&chain[..1], &[], true, Some(&name), AT, &none);
        assert!(v
            .findings
            .iter()
            .any(|f| f.code == SkipVerifyCode::SkipVerifyNoRoot));
        let other = ServerName::try_from("other.example.com").unwrap();
        let v = judge(&chain, &[], true, Some(&other), AT, &none);
        assert!(v
            .findings
            .iter()
            .any(|f| f.code == CheckCode::HostnameMismatch));
        let v = judge(&chain, &[], true, Some(&name), AT + 200 * 86_400, &none);
        assert!(v.findings.iter().any(|f| f.code == CheckCode::Expired));
        assert!(!v.passes);
    }
}

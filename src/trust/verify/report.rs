//! The two judgements of a check side by side: which findings are API Gateway's own reasons to
//! refuse, which are certctl's policy, and the fix for API Gateway's refusal.

use crate::findings::{CheckCode, Code, Finding, Severity};
use crate::policy::Policy;

use super::apigw::{Refusal, Verdict};
use super::build::Built;
use super::collect::Known;
use super::{ApigwReport, PathCert, Source, Verification};

/// The fix when API Gateway's hostname verifier refuses.
pub(crate) const HOST_FIX: &str = "reissue the certificate with the integration URI's host as a DNS SAN (an IP address as an IP SAN), or use a host the certificate names in the integration URI";

/// The fix for a refusal, from the JDK's or HttpClient's reason.
fn fix_for(r: &Refusal) -> String {
    let m = r.cause();
    match r {
        Refusal::Host { .. } => HOST_FIX.into(),
        Refusal::Parse { .. } => "reissue the certificate: API Gateway's Java client cannot parse it".into(),
        Refusal::Pkix { .. } if m.contains("validity check failed") => {
            "renew the expired (or not yet valid) certificate of the chain and deploy it".into()
        }
        Refusal::Pkix { .. } if m.contains("KeyUsage") => {
            "reissue the leaf with keyUsage digitalSignature".into()
        }
        Refusal::Pkix { .. } if m.contains("Extended key usage") => {
            "reissue the leaf with extendedKeyUsage serverAuth".into()
        }
        Refusal::Pkix { .. } if m.contains("TrustAnchor") => {
            "the root must carry basicConstraints CA:TRUE (and keyCertSign when it has keyUsage): reissue it".into()
        }
        Refusal::Pkix { .. } if m.contains("Algorithm constraints") => {
            "reissue with a stronger key or signature (RSA 2048+, ECDSA P-256+, SHA-256+)".into()
        }
        Refusal::Pkix { .. } if m.contains("name constraints") => {
            "the leaf's names fall outside an intermediate's name constraints: reissue it within them".into()
        }
        Refusal::Pkix { .. } => "serve the leaf and every intermediate (fullchain) up to a CA on API Gateway's list, or pass --trust-store for a private CA".into(),
    }
}

/// The note when HttpClient generations differ (`DefaultHostnameVerifier` 4.5.14 refuses, an
/// older 4.x would accept by the CN).
fn generation_note(r: &Refusal) -> Option<String> {
    match r {
        Refusal::Host {
            older_accepts: true,
            ..
        } => Some(GENERATION_NOTE.into()),
        _ => None,
    }
}

/// What `note` says when only HttpClient 4.5.14 refuses.
pub(crate) const GENERATION_NOTE: &str = "an older HttpClient 4.x would accept this certificate (it reads the CN when there is no SAN of the host's kind); HttpClient 4.5.14 reads the CN only when there is no DNS or IP SAN at all, and AWS does not publish which one API Gateway runs, so certctl predicts the refusal: add the host as a DNS SAN (an IP address as an IP SAN)";

/// API Gateway's verdict as reported (the codes are filled in by `classify`).
pub(crate) fn apigw_report(v: &Verdict) -> ApigwReport {
    ApigwReport {
        verdict: super::ApigwVerdict::of(v.accepted()),
        refused_by: v.refusal.as_ref().map(Refusal::kind),
        log_line: v.refusal.as_ref().map(Refusal::log_line),
        cause: v.refusal.as_ref().map(Refusal::cause),
        fix: v.refusal.as_ref().map(fix_for),
        note: v.refusal.as_ref().and_then(generation_note),
        codes: Vec::new(),
        unverified_signatures: v.unverified_signatures.clone(),
    }
}

/// The finding codes that can explain a refusal of this kind.
fn explaining_codes(r: &Refusal) -> &'static [CheckCode] {
    let m = r.cause();
    match r {
        Refusal::Host { .. } => &[CheckCode::HostnameMismatch],
        Refusal::Parse { .. } => &[CheckCode::PathInvalid, CheckCode::SelfSigned],
        Refusal::Pkix { .. } if m.contains("validity check failed") => &[
            CheckCode::Expired,
            CheckCode::NotYetValid,
            CheckCode::SelfSigned,
        ],
        Refusal::Pkix { .. } if m.contains("KeyUsage") => &[
            CheckCode::LeafKeyUsage,
            CheckCode::SelfSigned,
            CheckCode::CaAsLeaf,
        ],
        Refusal::Pkix { .. } if m.contains("Extended key usage") => {
            &[CheckCode::LeafMissingServerAuth, CheckCode::SelfSigned]
        }
        Refusal::Pkix { .. } if m.contains("keysize") => {
            &[CheckCode::WeakKey, CheckCode::SelfSigned]
        }
        Refusal::Pkix { .. } if m.contains("signature algorithm") => &[
            CheckCode::Sha1Signature,
            CheckCode::DisallowedSignatureAlgorithm,
            CheckCode::UnsupportedSignatureAlgorithm,
            CheckCode::SelfSigned,
        ],
        Refusal::Pkix { .. } => &[
            CheckCode::SelfSigned,
            CheckCode::UntrustedRoot,
            CheckCode::MissingIntermediate,
            CheckCode::AnchorExpired,
            CheckCode::BadSignature,
            CheckCode::PathInvalid,
            CheckCode::Expired,
            CheckCode::NotYetValid,
        ],
    }
}

/// Marks the findings that are API Gateway's reasons (always deny, whatever the policy level)
/// and returns (API Gateway's codes, the codes the policy alone denies).
pub(crate) fn classify(
    findings: &mut [Finding],
    v: &Verdict,
    _policy: &Policy,
) -> (Vec<Code>, Vec<Code>) {
    let mut apigw = Vec::new();
    if let Some(r) = &v.refusal {
        let explaining = explaining_codes(r);
        // With the self-signed leaf as the reason, it alone speaks for API Gateway.
        let self_signed = findings.iter().any(|f| f.code == CheckCode::SelfSigned)
            && matches!(r, Refusal::Pkix { message } if message.contains("building failed"));
        for f in findings.iter_mut() {
            let ours = if self_signed {
                f.code == CheckCode::SelfSigned
            } else {
                explaining.iter().any(|c| f.code == *c)
            };
            if ours {
                f.severity = Severity::Deny;
                if !apigw.contains(&f.code) {
                    apigw.push(f.code);
                }
            }
        }
    }
    let mut policy = Vec::new();
    for f in findings.iter() {
        if f.severity == Severity::Deny && !apigw.contains(&f.code) && !policy.contains(&f.code) {
            policy.push(f.code);
        }
    }
    (apigw, policy)
}

/// Each certificate of the path as reported, in order.
pub(super) fn path_rows(known: &Known, built: &Built, at: i64) -> Vec<PathCert> {
    let last = built.path.len().saturating_sub(1);
    built
        .path
        .iter()
        .enumerate()
        .map(|(pos, &i)| {
            let n = &known.nodes[i];
            let c = &n.cert.info;
            let ends = pos > 0
                && pos == last
                && (c.is_self_issued()
                    || n.source == Source::TrustStore
                    || (built.verified && built.anchor.is_some()));
            let role = match (pos, ends) {
                (0, _) => "leaf",
                (_, true) if c.is_self_issued() => "root",
                (_, true) => "anchor",
                _ => "intermediate",
            };
            PathCert {
                role,
                source: n.source,
                subject: c.subject.clone(),
                issuer: c.issuer.clone(),
                not_before: crate::x509::rfc3339(c.not_before),
                not_after: crate::x509::rfc3339(c.not_after),
                days_left: c.days_left(at),
                sha256: c.sha256.colon_hex(),
                key: c.key.label(),
                signature_algorithm: c.signature_algorithm.clone(),
            }
        })
        .collect()
}

/// Phase 7, the report: API Gateway's verdict with its codes, the policy's, the findings in
/// order (`self-signed` first, then by severity) and whether the chain is trusted.
pub(super) fn assemble(
    mut findings: Vec<Finding>,
    gw: &Verdict,
    built: Built,
    path: Vec<PathCert>,
    fixed_chain: Option<Vec<Vec<u8>>>,
    policy: &Policy,
) -> Verification {
    let apigateway = apigw_report(gw);
    let (apigw_codes, policy_denies) = classify(&mut findings, gw, policy);
    let codes = if !gw.accepted() && apigw_codes.is_empty() {
        let r = gw.refusal.as_ref().map(Refusal::cause).unwrap_or_default();
        findings.push(Finding {
            code: CheckCode::ApigatewayRefuses.into(),
            severity: Severity::Deny,
            message: format!("API Gateway's client refuses the chain: {r}"),
            hint: apigateway.fix.clone(),
            certificate: None,
        });
        vec![CheckCode::ApigatewayRefuses.into()]
    } else {
        apigw_codes
    };
    findings.sort_by_key(|f| {
        (
            f.code != CheckCode::SelfSigned,
            std::cmp::Reverse(f.severity),
        )
    });
    let trusted =
        gw.accepted() && built.verified && !findings.iter().any(|f| f.severity == Severity::Deny);
    Verification {
        trusted,
        path,
        anchor: built.anchor,
        findings,
        fixed_chain,
        apigateway: ApigwReport {
            codes,
            ..apigateway
        },
        policy_denies,
    }
}

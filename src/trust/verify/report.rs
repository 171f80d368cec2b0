//! The two judgements of a check side by side: which findings are API Gateway's own reasons to
//! refuse, which are certctl's policy, and the fix for API Gateway's refusal.

use crate::findings::{CheckCode, Finding, Severity};
use crate::policy::Policy;

use super::apigw::{Refusal, Verdict};
use super::ApigwReport;

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

/// API Gateway's verdict as reported (the codes are filled in by `classify`).
pub(crate) fn apigw_report(v: &Verdict) -> ApigwReport {
    ApigwReport {
        verdict: if v.accepted() { "accept" } else { "refuse" },
        refused_by: v.refusal.as_ref().map(Refusal::kind),
        log_line: v.refusal.as_ref().map(Refusal::log_line),
        cause: v.refusal.as_ref().map(Refusal::cause),
        fix: v.refusal.as_ref().map(fix_for),
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
) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut apigw = Vec::new();
    if let Some(r) = &v.refusal {
        let explaining = explaining_codes(r);
        // With the self-signed leaf as the reason, it alone speaks for API Gateway.
        let self_signed = findings
            .iter()
            .any(|f| f.code == CheckCode::SelfSigned.as_str())
            && matches!(r, Refusal::Pkix { message } if message.contains("building failed"));
        for f in findings.iter_mut() {
            let ours = if self_signed {
                f.code == CheckCode::SelfSigned.as_str()
            } else {
                explaining.iter().any(|c| c.as_str() == f.code)
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

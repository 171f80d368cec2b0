//! certctl's own checks on a path (the policy judgement): keys, the leaf's shape, hostname, and
//! the hints for lint and expiry findings.

use super::Ctx;
use crate::findings::CheckCode;
use crate::x509::{CertInfo, KeyInfo};

pub(super) fn lint_hint(code: CheckCode) -> &'static str {
    match code {
        CheckCode::LintSerial => "reissue it with a positive random serial of at most 20 octets",
        CheckCode::LintKeyIdentifier => "reissue it with a non-critical subjectKeyIdentifier, and an authorityKeyIdentifier holding only the issuer's keyIdentifier",
        CheckCode::LintBasicConstraints => "CAs need a critical basicConstraints CA:TRUE and keyCertSign; leaves neither",
        CheckCode::LintNameConstraints => "put critical, non-empty name constraints on CAs only",
        CheckCode::LintCriticalExtension => "reissue it without the unknown critical extension (policyConstraints must be critical)",
        CheckCode::LintEku => "leaves: a non-critical extendedKeyUsage serverAuth; roots: none",
        CheckCode::LintNames => "reissue it with well-formed names: DNS names of letters, digits and hyphens, a CN copied from one of the SANs",
        _ => "reissue it with a well-formed encoding",
    }
}

pub(super) fn renew_hint(pos: usize) -> String {
    if pos == 0 {
        "renew the certificate (`certctl rotate`, or reissue it) and deploy it".into()
    } else {
        "serve the CA's current intermediate".into()
    }
}

pub(super) fn check_key(ctx: &mut Ctx<'_>, c: &CertInfo) {
    let policy = ctx.params.policy;
    let weak = match &c.key {
        KeyInfo::Rsa { bits } => (*bits < policy.min_rsa_bits)
            .then(|| format!("RSA {bits} bits (minimum {})", policy.min_rsa_bits)),
        KeyInfo::Ec { curve, bits } => (*bits < policy.min_ec_bits)
            .then(|| format!("EC {curve} (minimum {} bits)", policy.min_ec_bits)),
        KeyInfo::Ed25519 => None,
        KeyInfo::Other { oid } => Some(format!("a key of unsupported type {oid}")),
    };
    if let Some(what) = weak {
        ctx.add(
            CheckCode::WeakKey,
            format!("\"{}\" has {what}", c.display_name()),
            Some("reissue it with ECDSA P-256 or RSA 2048+".into()),
            Some(c),
        );
    }
}

/// HttpClient's hostname verdict, made once per check, as the policy reads it.
#[derive(Debug, Clone, Copy)]
pub(super) struct HostView {
    /// HttpClient refuses the host on the leaf's names as issued.
    pub(super) refused: bool,
    /// API Gateway's client accepts the chain (with a refused host: only because the JDK's
    /// name-constraints check copied the CN into the SANs, `apigw::cn_as_san`).
    pub(super) apigw_accepts: bool,
}

/// The leaf's shape and its names against the host.
pub(super) fn check_leaf(ctx: &mut Ctx<'_>, leaf: &CertInfo, host_view: HostView) {
    let params = ctx.params;
    if leaf.is_ca() {
        ctx.add(
            CheckCode::CaAsLeaf,
            format!(
                "the leaf \"{}\" is a CA certificate (basicConstraints CA:TRUE)",
                leaf.display_name()
            ),
            Some("serve an end-entity certificate issued by the CA, not the CA itself".into()),
            Some(leaf),
        );
    }
    match &leaf.extended_key_usage {
        Some(ekus) if !ekus.iter().any(|e| e == "serverAuth") => ctx.add(
            CheckCode::LeafMissingServerAuth,
            format!(
                "the leaf's extended key usage ({}) lacks serverAuth",
                ekus.join(", ")
            ),
            Some("reissue it with extendedKeyUsage serverAuth".into()),
            Some(leaf),
        ),
        None => ctx.add(
            CheckCode::LeafNoEku,
            "the leaf has no extended key usage extension".into(),
            Some("reissue it with extendedKeyUsage serverAuth".into()),
            Some(leaf),
        ),
        _ => {}
    }
    if let Some(ku) = &leaf.key_usage {
        let ok = match leaf.key {
            KeyInfo::Rsa { .. } => ku
                .iter()
                .any(|k| k == "digitalSignature" || k == "keyEncipherment"),
            _ => ku.iter().any(|k| k == "digitalSignature"),
        };
        if !ok {
            ctx.add(
                CheckCode::LeafKeyUsage,
                format!(
                    "the leaf's key usage ({}) does not allow a TLS handshake",
                    ku.join(", ")
                ),
                Some("reissue it with keyUsage digitalSignature".into()),
                Some(leaf),
            );
        }
    }
    if leaf.dns_names.is_empty() && leaf.ip_addresses.is_empty() {
        ctx.add(
            CheckCode::NoSan,
            "the leaf has no subjectAltName; TLS clients do not match the hostname against the CN"
                .into(),
            Some("reissue it with the hostname as a DNS SAN".into()),
            Some(leaf),
        );
    } else if let Some(cn) = &leaf.common_name {
        let covered = leaf.dns_names.iter().any(|d| d.eq_ignore_ascii_case(cn))
            || leaf.ip_addresses.iter().any(|ip| ip.to_string() == *cn);
        if !covered {
            ctx.add(
                CheckCode::CnNotInSan,
                format!("the leaf's CN \"{cn}\" is not one of its SANs"),
                Some("reissue it with the CN also listed as a SAN".into()),
                Some(leaf),
            );
        }
    }
    if leaf.not_after - leaf.not_before > 398 * 86_400 {
        ctx.add(
            CheckCode::LongValidity,
            format!(
                "the leaf is valid for {} days",
                (leaf.not_after - leaf.not_before) / 86_400
            ),
            Some("public CAs issue at most 398 days; shorter lifetimes limit exposure".into()),
            Some(leaf),
        );
    }
    if let Some(host) = params.hostname {
        if host_view.refused {
            let sans: Vec<String> = leaf
                .dns_names
                .iter()
                .cloned()
                .chain(leaf.ip_addresses.iter().map(|i| i.to_string()))
                .collect();
            ctx.add(
                CheckCode::HostnameMismatch,
                format!(
                    "the leaf is not valid for {} (its SANs: {}){}",
                    host.as_given(),
                    if sans.is_empty() { "none".to_string() } else { sans.join(", ") },
                    if host_view.apigw_accepts {
                        "; API Gateway's JDK client accepts it only because its name-constraints check copies the CN into the SAN list (sun.security.x509.NameConstraintsExtension.verify), which any other client, and a JDK that reads the SANs first, does not"
                    } else {
                        ""
                    }
                ),
                Some("reissue the certificate with this hostname, or use the hostname the certificate names".into()),
                Some(leaf),
            );
        }
    }
}

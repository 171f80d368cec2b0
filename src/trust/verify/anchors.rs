//! Where a path ends: an expired listed root, and the diagnosis of a path that reaches no
//! anchor (self-signed, missing intermediate, untrusted root, the validator's own reasons).

use super::{Ctx, Node, Source};
use crate::findings::CheckCode;
use crate::trust::store::{StoreKind, TrustStore};
use crate::x509::CertInfo;

pub(super) fn anchor_expired(ctx: &mut Ctx<'_>, c: &CertInfo, aliases: &[String]) {
    let alias = aliases
        .first()
        .map(|a| format!(" (alias {a})"))
        .unwrap_or_default();
    ctx.add(
        CheckCode::AnchorExpired,
        format!("the path ends at \"{}\"{alias}, which expired on {}; a listed but expired root cannot make a chain valid", c.display_name(), crate::x509::rfc3339(c.not_after)),
        Some("serve a chain to a current root (ask the CA for its cross-signed intermediate)".into()),
        Some(c),
    );
}

#[allow(deprecated)] // webpki still returns the unit variants in some paths
pub(super) fn diagnose(
    ctx: &mut Ctx<'_>,
    err: &webpki::Error,
    nodes: &[Node],
    name_path: &[usize],
    store: &TrustStore,
) {
    let leaf = &nodes[name_path[0]].cert.info;
    let end_node = &nodes[*name_path.last().unwrap_or(&name_path[0])];
    let end = &end_node.cert.info;
    let store_name = match &store.kind {
        StoreKind::ApiGateway => "API Gateway's list".to_string(),
        StoreKind::Custom(p) => format!("the trust store {}", p.display()),
    };
    use webpki::Error as E;
    match err {
        E::UnknownIssuer => {
            let end_listed_expired = (end_node.source == Source::TrustStore || !end_node.listed.is_empty())
                && end_node.store_root_expired.unwrap_or(end.not_after < ctx.params.at);
            if name_path.len() > 1 && end_listed_expired {
                anchor_expired(ctx, end, &end_node.listed);
            } else if name_path.len() == 1 && leaf.is_self_issued() {
                ctx.add(
                    CheckCode::SelfSigned,
                    format!("the leaf \"{}\" is self-signed; {store_name} cannot vouch for it", leaf.display_name()),
                    Some("API Gateway needs a CA-issued certificate: terminate on an ALB with an ACM certificate (`certctl acm request`), or pass --trust-store for a private CA".into()),
                    Some(leaf),
                );
            } else if name_path.len() == 1 {
                let hint = match leaf.ca_issuers.first() {
                    Some(url) => format!("the issuer certificate is published at {url}; add it after the leaf (fullchain), or pass it with --chain"),
                    None => "serve the intermediate after the leaf (fullchain.pem), or pass it with --chain".to_string(),
                };
                ctx.add(
                    CheckCode::MissingIntermediate,
                    format!("the path stops at the leaf: its issuer \"{}\" was neither sent nor in {store_name}", leaf.issuer),
                    Some(hint),
                    Some(leaf),
                );
            } else {
                untrusted_root(ctx, end, &store_name);
            }
        }
        // The per-certificate validity checks name the certificate; see `verify`.
        E::CertExpired { .. } | E::CertNotValidYet { .. } | E::InvalidCertValidity => {}
        E::CaUsedAsEndEntity => ctx.add(
            CheckCode::CaAsLeaf,
            format!("the leaf \"{}\" is a CA certificate", leaf.display_name()),
            Some("serve an end-entity certificate issued by the CA".into()),
            Some(leaf),
        ),
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) => {
            if leaf.extended_key_usage.as_ref().is_some_and(|e| !e.iter().any(|x| x == "serverAuth")) {
                // check_leaf reports it on the leaf.
            } else {
                ctx.add(
                    CheckCode::PathInvalid,
                    "an intermediate's extended key usage excludes serverAuth".into(),
                    Some("use an intermediate issued for TLS servers".into()),
                    None,
                );
            }
        }
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            let weak = name_path.iter().any(|i| nodes[*i].cert.info.has_weak_signature_hash() && !nodes[*i].cert.info.is_self_issued());
            if !weak {
                ctx.add(
                    CheckCode::UnsupportedSignatureAlgorithm,
                    format!("a signature in the path uses an algorithm the validator does not support ({err:?})"),
                    Some("reissue with ECDSA P-256/P-384 (SHA-256/384) or RSA (SHA-256+)".into()),
                    None,
                );
            }
        }
        E::InvalidSignatureForPublicKey => ctx.add(
            CheckCode::BadSignature,
            "a signature in the path does not verify with its issuer's key".into(),
            Some("the chain mixes certificates from different issuers; rebuild it from the CA's files".into()),
            None,
        ),
        E::EndEntityUsedAsCa => ctx.add(
            CheckCode::PathInvalid,
            "a certificate used as an intermediate is not a CA (no basicConstraints CA:TRUE)".into(),
            Some("remove the non-CA certificate from the chain".into()),
            None,
        ),
        other => ctx.add(
            CheckCode::PathInvalid,
            format!("the validator rejected the path: {other:?}"),
            None,
            None,
        ),
    }
}

/// `untrusted-root`: the chain ends at a root, or below an issuer, that the store lacks; a root
/// browsers trust is named so, with the listed root that cross-signs it.
fn untrusted_root(ctx: &mut Ctx<'_>, end: &crate::x509::CertInfo, store_name: &str) {
    if end.is_self_issued() {
        // A root browsers trust: say so, and name a listed cross-sign where one exists.
        let browser = crate::trust::browser::by_sha256(&end.sha256)
            .or_else(|| crate::trust::browser::by_subject_der(&end.subject_raw))
            .map(|r| crate::trust::browser::explain(&r));
        let (tail, hint) = browser.unwrap_or_else(|| (String::new(), "use a certificate from a CA on the list (e.g. ACM via the ALB), or pass --trust-store for a private CA".into()));
        ctx.add(
            CheckCode::UntrustedRoot,
            format!(
                "the chain ends at the root \"{}\", which is not in {store_name}{tail}",
                end.subject
            ),
            Some(hint),
            Some(end),
        );
    } else {
        let browser = crate::trust::browser::by_subject_der(&end.issuer_raw)
            .map(|r| crate::trust::browser::explain(&r));
        let (tail, hint) = match (browser, end.ca_issuers.first()) {
            (Some(b), _) => b,
            (None, Some(url)) => (
                String::new(),
                format!(
                    "\"{}\" is published at {url}; if it is on the list, add it with --chain",
                    end.issuer
                ),
            ),
            (None, None) => (
                String::new(),
                "use a certificate from a CA on the list, or pass --trust-store for a private CA"
                    .into(),
            ),
        };
        ctx.add(
            CheckCode::UntrustedRoot,
            format!(
                "the chain ends at \"{}\", whose issuer \"{}\" is not in {store_name}{tail}",
                end.subject, end.issuer
            ),
            Some(hint),
            Some(end),
        );
    }
}

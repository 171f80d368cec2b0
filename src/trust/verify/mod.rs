//! Path building and validation (rustls-webpki) plus the stricter checks a careful TLS client adds.

mod anchors;
pub mod apigw;
mod graph;
pub(crate) mod lint;
mod policy;
pub(crate) mod report;

use std::time::Duration;

use anchors::{anchor_expired, diagnose};
use graph::pick_leaf;
use policy::{check_key, check_leaf, lint_hint, renew_hint};

use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use serde::Serialize;

use crate::findings::{CheckCode, Finding, Severity};
use crate::policy::Policy;
use crate::trust::store::{StoreKind, TrustStore};
use crate::x509::CertInfo;

/// Where a certificate of the path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Source {
    /// In the target (the file, or the chain the server sent).
    Presented,
    /// From `--chain`.
    ChainFile,
    /// From the trust store.
    TrustStore,
}

/// What is being judged.
pub struct ChainInput {
    /// The certificates of the target, in the order given (a server's chain: leaf first).
    pub presented: Vec<CertInfo>,
    /// More candidates (`--chain`).
    pub extra: Vec<CertInfo>,
    /// The first presented certificate is the leaf (a TLS server's chain), rather than
    /// whichever certificate issues no other (a file in any order).
    pub leaf_is_first: bool,
}

/// How to judge it.
pub struct CheckParams<'a> {
    pub store: &'a TrustStore,
    pub policy: &'a Policy,
    pub at: i64,
    pub hostname: Option<&'a ServerName<'static>>,
    pub min_days: u32,
}

/// One certificate of the built path.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PathCert {
    pub(crate) role: &'static str,
    pub(crate) source: Source,
    pub(crate) subject: String,
    pub(crate) issuer: String,
    pub(crate) not_before: String,
    pub(crate) not_after: String,
    pub(crate) days_left: i64,
    pub(crate) sha256: String,
    pub(crate) key: String,
    pub(crate) signature_algorithm: String,
}

/// The trust anchor that ended the path.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AnchorReport {
    pub(crate) subject: String,
    pub(crate) sha256: String,
    pub(crate) aliases: Vec<String>,
    /// `trust-store` (a shipped or custom root) or `listed-fingerprint` (a presented
    /// certificate whose SHA-256 is on API Gateway's list).
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) not_after: Option<String>,
}

/// The outcome of judging one chain.
#[derive(Debug, Clone)]
pub struct Verification {
    pub(crate) trusted: bool,
    pub(crate) path: Vec<PathCert>,
    pub(crate) anchor: Option<AnchorReport>,
    pub(crate) findings: Vec<Finding>,
    /// Leaf and intermediates in order (no root), when the path could be completed.
    pub(crate) fixed_chain: Option<Vec<Vec<u8>>>,
    /// API Gateway's own verdict (its Java client's rules).
    pub(crate) apigateway: ApigwReport,
    /// The policy's verdict: the codes it denies beyond API Gateway's reasons.
    pub(crate) policy_denies: Vec<&'static str>,
}

impl Verification {
    /// API Gateway's own client refuses.
    pub(crate) fn apigateway_refused(&self) -> bool {
        self.apigateway.verdict != "accept"
    }
}

/// API Gateway's verdict as `check` reports it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ApigwReport {
    /// `accept` or `refuse`.
    pub(crate) verdict: &'static str,
    /// `pkix`, `hostname` or `parse`, when refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refused_by: Option<&'static str>,
    /// The line API Gateway would log for the request, when refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) log_line: Option<String>,
    /// The JDK's or HttpClient's own reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fix: Option<String>,
    /// The finding codes that are API Gateway's reasons (the rest are policy).
    pub(crate) codes: Vec<&'static str>,
    /// Signature algorithms of the path certctl could not verify itself (taken as valid).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) unverified_signatures: Vec<String>,
}

/// A certificate known to the check, with where it came from.
struct Node {
    info: CertInfo,
    source: Source,
    /// Aliases when its SHA-256 is on the list.
    listed: Vec<String>,
    /// The list date for store roots.
    store_root_expired: Option<bool>,
}

fn unix(at: i64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(at.max(0) as u64))
}

struct Ctx<'a> {
    params: &'a CheckParams<'a>,
    findings: Vec<Finding>,
    /// (code, SHA-256) of every finding so far: a repeat is found without a scan.
    seen: std::collections::HashSet<(&'static str, Option<crate::x509::Fingerprint>)>,
}

impl Ctx<'_> {
    fn add(
        &mut self,
        code: CheckCode,
        message: String,
        hint: Option<String>,
        cert: Option<&CertInfo>,
    ) {
        let code = code.as_str();
        if !self.seen.insert((code, cert.map(|c| c.sha256.clone()))) {
            return;
        }
        self.findings.push(Finding {
            code,
            severity: self.params.policy.severity(code),
            message,
            hint,
            certificate: cert.map(|c| c.sha256.colon_hex()),
        });
    }
}

/// The path RFC 5280 allows where rustls-webpki does not: a self-issued intermediate (a CA's key
/// rollover certificate) counts towards no pathLenConstraint and is exempt from the name
/// constraints above it (RFC 5280 6.1.4 (l), 4.2.1.10), and webpki applies both to it. When
/// webpki refuses with one of the errors those rules explain, the RFC 5280 validator that
/// models API Gateway's client (proved against the JDK in `tests/oracle.rs`) builds the path;
/// it is taken only if it holds a self-issued intermediate. Node indices (leaf first) and the
/// anchor's index into `anchor_ders`.
fn self_issued_path(
    err: &webpki::Error,
    nodes: &[Node],
    leaf_node: usize,
    anchor_ders: &[(CertificateDer<'_>, Option<usize>, Vec<String>)],
    at: i64,
) -> Option<(Vec<usize>, Option<usize>)> {
    use webpki::Error as E;
    if !matches!(
        err,
        E::PathLenConstraintViolated | E::NameConstraintViolation | E::InvalidSignatureForPublicKey
    ) {
        return None;
    }
    let mut order = vec![leaf_node];
    order.extend(
        (0..nodes.len()).filter(|i| *i != leaf_node && nodes[*i].source != Source::TrustStore),
    );
    let same_names = |i: usize| nodes[i].info.subject_raw == nodes[i].info.issuer_raw;
    if !order[1..].iter().any(|i| same_names(*i)) {
        return None;
    }
    let presented: Vec<Vec<u8>> = order.iter().map(|i| nodes[*i].info.der.clone()).collect();
    let anchors: Vec<Vec<u8>> = anchor_ders.iter().map(|(d, _, _)| d.to_vec()).collect();
    let gw = apigw::judge(&presented, &anchors, at, None);
    if !gw.accepted() || gw.path.len() < 2 {
        return None;
    }
    let rollover = gw.path[1..].iter().any(|p| same_names(order[*p]));
    if !rollover {
        return None;
    }
    Some((gw.path.iter().map(|p| order[*p]).collect(), gw.anchor))
}

/// Judges a chain the way API Gateway judges its backend, and more strictly where a careful
/// client is stricter. Never fails: problems are findings.
pub fn verify(input: &ChainInput, params: &CheckParams<'_>) -> Verification {
    let store = params.store;
    let at = params.at;
    let mut ctx = Ctx {
        params,
        findings: Vec::new(),
        seen: std::collections::HashSet::new(),
    };
    let leaf_idx = pick_leaf(&input.presented, input.leaf_is_first, params.hostname);

    // Every known certificate: presented first, then --chain, deduplicated by SHA-256.
    let mut nodes: Vec<Node> = Vec::new();
    let mut duplicates = Vec::new();
    for (source, certs) in [
        (Source::Presented, &input.presented),
        (Source::ChainFile, &input.extra),
    ] {
        for c in certs.iter() {
            if nodes.iter().any(|n| n.info.sha256 == c.sha256) {
                if source == Source::Presented {
                    duplicates.push(c.clone());
                }
                continue;
            }
            let listed = store
                .listed(&c.sha256)
                .iter()
                .map(|e| e.alias.clone())
                .collect();
            nodes.push(Node {
                info: c.clone(),
                source,
                listed,
                store_root_expired: None,
            });
        }
    }
    let leaf_sha = input.presented[leaf_idx].sha256.clone();
    let leaf_node = nodes
        .iter()
        .position(|n| n.info.sha256 == leaf_sha)
        .unwrap_or(0);

    // Best-effort path by names (what the path would be), used for diagnosis and display.
    let mut name_path = vec![leaf_node];
    while name_path.len() <= 12 {
        let cur = nodes[name_path[name_path.len() - 1]].info.clone();
        if cur.is_self_issued() {
            break;
        }
        let issues_cur = |n: &Node| n.info.sha256 != cur.sha256 && cur.issued_by(&n.info);
        // Store roots first: a valid anchor ends the path, as webpki's search does.
        let mut next = None;
        for r in store.roots_named(&cur.issuer_raw) {
            if let Some(i) = nodes.iter().position(|n| n.info.sha256 == r.sha256) {
                if !name_path.contains(&i) && issues_cur(&nodes[i]) {
                    next = Some(i);
                    break;
                }
                continue;
            }
            if let Ok(info) = CertInfo::parse(&r.der) {
                if cur.issued_by(&info) {
                    nodes.push(Node {
                        info,
                        source: Source::TrustStore,
                        listed: r.aliases.clone(),
                        store_root_expired: Some(r.expired_at(at)),
                    });
                    next = Some(nodes.len() - 1);
                    break;
                }
            }
        }
        if next.is_none() {
            // Prefer a listed certificate, then presented, then --chain.
            next = (0..nodes.len())
                .filter(|i| !name_path.contains(i) && issues_cur(&nodes[*i]))
                .min_by_key(|i| {
                    (
                        nodes[*i].listed.is_empty(),
                        nodes[*i].source != Source::Presented,
                    )
                });
        }
        let Some(i) = next else { break };
        name_path.push(i);
        // A store root or a listed certificate ends the path.
        if nodes[i].source == Source::TrustStore || !nodes[i].listed.is_empty() {
            break;
        }
    }

    // webpki: anchors are the valid store roots and any known certificate on the list.
    let mut anchor_ders: Vec<(CertificateDer<'_>, Option<usize>, Vec<String>)> = store
        .roots
        .iter()
        .filter(|r| !r.expired_at(at))
        .map(|r| (r.der.clone(), None, r.aliases.clone()))
        .collect();
    for (i, n) in nodes.iter().enumerate() {
        if n.source != Source::TrustStore
            && !n.listed.is_empty()
            && n.info.not_after >= at
            && n.info.not_before <= at
            && i != leaf_node
        {
            anchor_ders.push((
                CertificateDer::from(n.info.der.clone()),
                Some(i),
                n.listed.clone(),
            ));
        }
    }
    let anchors: Vec<(TrustAnchor<'_>, usize)> = anchor_ders
        .iter()
        .enumerate()
        .filter_map(|(k, (d, _, _))| webpki::anchor_from_trusted_cert(d).ok().map(|a| (a, k)))
        .collect();
    let anchor_list: Vec<TrustAnchor<'_>> = anchors.iter().map(|(a, _)| a.clone()).collect();
    let intermediates: Vec<CertificateDer<'_>> = nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| *i != leaf_node && n.source != Source::TrustStore)
        .map(|(_, n)| CertificateDer::from(n.info.der.as_slice()))
        .collect();
    let leaf_der = CertificateDer::from(nodes[leaf_node].info.der.as_slice());

    let mut path_idx: Vec<usize> = name_path.clone();
    let mut anchor_report = None;
    let mut verified = false;
    let mut webpki_error = None;
    match webpki::EndEntityCert::try_from(&leaf_der) {
        Err(e) => ctx.add(
            CheckCode::PathInvalid,
            format!("the leaf cannot be used by a TLS client: {e:?}"),
            None,
            Some(&nodes[leaf_node].info),
        ),
        Ok(ee) => {
            let result = ee.verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &anchor_list,
                &intermediates,
                unix(at),
                webpki::KeyUsage::server_auth(),
                None,
                None,
            );
            // The path: node indices (leaf first) and the anchor (index into `anchor_ders`).
            let found: Option<(Vec<usize>, Option<usize>)> = match result {
                Ok(vp) => {
                    let mut idx = vec![leaf_node];
                    for inter in vp.intermediate_certificates() {
                        if let Some(i) = nodes
                            .iter()
                            .position(|n| n.info.der.as_slice() == inter.der().as_ref())
                        {
                            idx.push(i);
                        }
                    }
                    let a = vp.anchor();
                    let k = anchors
                        .iter()
                        .find(|(x, _)| {
                            x.subject == a.subject
                                && x.subject_public_key_info == a.subject_public_key_info
                        })
                        .map(|(_, k)| *k);
                    Some((idx, k))
                }
                Err(e) => {
                    let fallback = self_issued_path(&e, &nodes, leaf_node, &anchor_ders, at);
                    if fallback.is_none() {
                        diagnose(&mut ctx, &e, &nodes, &name_path, store);
                        webpki_error = Some(e);
                    }
                    fallback
                }
            };
            if let Some((mut idx, k)) = found {
                verified = true;
                if let Some(k) = k {
                    let (der, node, aliases) = &anchor_ders[k];
                    let node_idx = match node {
                        Some(i) => Some(*i),
                        None => {
                            let fp = crate::x509::Fingerprint::sha256(der.as_ref());
                            match nodes.iter().position(|n| n.info.sha256 == fp) {
                                Some(i) => Some(i),
                                None => CertInfo::parse(der).ok().map(|info| {
                                    nodes.push(Node {
                                        info,
                                        source: Source::TrustStore,
                                        listed: aliases.clone(),
                                        store_root_expired: Some(false),
                                    });
                                    nodes.len() - 1
                                }),
                            }
                        }
                    };
                    if let Some(i) = node_idx {
                        if !idx.contains(&i) {
                            idx.push(i);
                        }
                        let n = &nodes[i];
                        let by_fp = node.is_some();
                        anchor_report = Some(AnchorReport {
                            subject: n.info.subject.clone(),
                            sha256: n.info.sha256.colon_hex(),
                            aliases: aliases.clone(),
                            kind: if by_fp {
                                "listed-fingerprint"
                            } else {
                                "trust-store"
                            },
                            not_after: Some(crate::x509::rfc3339(n.info.not_after)),
                        });
                        if by_fp {
                            let alias = aliases.first().cloned().unwrap_or_default();
                            ctx.add(
                                CheckCode::AnchoredByFingerprint,
                                format!("the path ends at \"{}\", whose SHA-256 is on API Gateway's list (alias {alias})", n.info.display_name()),
                                None,
                                Some(&n.info),
                            );
                        }
                    }
                }
                path_idx = idx;
            }
        }
    }

    // Checks on every certificate of the path.
    let last = *path_idx.last().unwrap_or(&leaf_node);
    for (pos, &i) in path_idx.iter().enumerate() {
        let n = &nodes[i];
        let c = &n.info;
        let is_end = pos + 1 == path_idx.len() && pos > 0;
        let is_root = is_end && (n.source == Source::TrustStore || c.is_self_issued());
        check_key(&mut ctx, c);
        if is_root {
            let expired = n.store_root_expired.unwrap_or(c.not_after < at);
            if expired && (!n.listed.is_empty() || n.source == Source::TrustStore) {
                anchor_expired(&mut ctx, c, &n.listed);
            }
            continue;
        }
        if c.not_after < at {
            ctx.add(
                CheckCode::Expired,
                format!(
                    "\"{}\" expired on {} ({} days ago)",
                    c.display_name(),
                    crate::x509::rfc3339(c.not_after),
                    -c.days_left(at)
                ),
                Some(renew_hint(pos)),
                Some(c),
            );
        } else if c.not_before > at {
            ctx.add(
                CheckCode::NotYetValid,
                format!(
                    "\"{}\" is not valid before {}",
                    c.display_name(),
                    crate::x509::rfc3339(c.not_before)
                ),
                Some("check the clock of the machine that issued it, or wait".into()),
                Some(c),
            );
        } else if c.days_left(at) < i64::from(params.min_days) {
            ctx.add(
                CheckCode::ExpiresSoon,
                format!(
                    "\"{}\" expires on {}, in {} days (minimum {})",
                    c.display_name(),
                    crate::x509::rfc3339(c.not_after),
                    c.days_left(at),
                    params.min_days
                ),
                Some(renew_hint(pos)),
                Some(c),
            );
        }
        if c.has_weak_signature_hash() {
            ctx.add(
                CheckCode::Sha1Signature,
                format!(
                    "\"{}\" is signed with {}",
                    c.display_name(),
                    c.signature_algorithm
                ),
                Some("reissue it with a SHA-256 (or stronger) signature".into()),
                Some(c),
            );
        } else if !params.policy.allows_signature(&c.signature_algorithm) {
            ctx.add(
                CheckCode::DisallowedSignatureAlgorithm,
                format!(
                    "\"{}\" is signed with {}, which the policy does not allow",
                    c.display_name(),
                    c.signature_algorithm
                ),
                Some("reissue it, or add the algorithm to allowed-signature-algorithms".into()),
                Some(c),
            );
        }
        if pos > 0 && n.source == Source::ChainFile {
            ctx.add(
                CheckCode::MissingIntermediate,
                format!("the path needs \"{}\" from --chain; the target does not include it, so API Gateway cannot build the path", c.display_name()),
                Some("serve leaf + intermediates (fullchain.pem); `--fix-chain OUT` writes it".into()),
                Some(c),
            );
        }
    }
    let leaf = &nodes[leaf_node].info;
    check_leaf(&mut ctx, leaf, params);
    if params.policy.lint {
        for (pos, &i) in path_idx.iter().enumerate() {
            let n = &nodes[i];
            let role = if pos == 0 {
                lint::Role::Leaf
            } else if pos + 1 == path_idx.len()
                && (n.source == Source::TrustStore || n.info.is_self_issued())
            {
                lint::Role::Root
            } else {
                lint::Role::Intermediate
            };
            let Ok(det) = crate::x509::CertDetail::parse(&n.info.der) else {
                continue;
            };
            for (lint_code, message) in lint::lint(&n.info, &det, role) {
                let code = lint_code.as_str();
                if !ctx
                    .findings
                    .iter()
                    .any(|f| f.code == code && f.message == message)
                {
                    let hint = lint_hint(lint_code);
                    ctx.seen.insert((code, Some(n.info.sha256.clone())));
                    ctx.findings.push(Finding {
                        code,
                        severity: params.policy.severity(code),
                        message,
                        hint: Some(hint.into()),
                        certificate: Some(n.info.sha256.colon_hex()),
                    });
                }
            }
        }
    }
    if let Some(e @ (webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. })) =
        &webpki_error
    {
        if !ctx.findings.iter().any(|f| {
            f.code == CheckCode::Expired.as_str() || f.code == CheckCode::NotYetValid.as_str()
        }) {
            let code = if matches!(e, webpki::Error::CertNotValidYet { .. }) {
                CheckCode::NotYetValid
            } else {
                CheckCode::Expired
            };
            ctx.add(
                code,
                format!("a certificate the validator tried is outside its validity period ({e:?})"),
                None,
                None,
            );
        }
    }

    // The order and content of what was presented.
    let presented_path: Vec<&CertInfo> = input
        .presented
        .iter()
        .filter(|c| path_idx.iter().any(|i| nodes[*i].info.sha256 == c.sha256))
        .collect();
    let in_order = presented_path
        .first()
        .is_none_or(|c| c.sha256 == leaf.sha256)
        && presented_path.windows(2).all(|w| {
            let pos = |c: &CertInfo| {
                path_idx
                    .iter()
                    .position(|i| nodes[*i].info.sha256 == c.sha256)
            };
            pos(w[0]) < pos(w[1])
        })
        && input
            .presented
            .first()
            .is_none_or(|c| c.sha256 == leaf.sha256);
    if !in_order {
        ctx.add(
            CheckCode::ChainOutOfOrder,
            "the certificates are not in leaf-to-root order (leaf first, then each issuer)".into(),
            Some("reorder them; `--fix-chain OUT` writes the ordered chain".into()),
            None,
        );
    }
    for d in &duplicates {
        ctx.add(
            CheckCode::DuplicateCertificate,
            format!("\"{}\" appears more than once", d.display_name()),
            Some("remove the repeated copy".into()),
            Some(d),
        );
    }
    for c in &input.presented {
        let in_path = path_idx.iter().any(|i| nodes[*i].info.sha256 == c.sha256);
        if !in_path {
            ctx.add(
                CheckCode::ExtraCertificate,
                format!("\"{}\" is not part of the path", c.display_name()),
                Some("remove it from the chain".into()),
                Some(c),
            );
        } else if c.is_self_issued() && c.sha256 != leaf.sha256 {
            ctx.add(
                CheckCode::RootSent,
                format!("the chain includes the root \"{}\"", c.display_name()),
                Some("harmless; clients use their own copy of the root".into()),
                Some(c),
            );
        }
    }

    // The ordered chain without its root, when the path is complete.
    let end = &nodes[last];
    let complete = verified || end.info.is_self_issued() || !end.listed.is_empty();
    let fixed_chain = complete.then(|| {
        path_idx
            .iter()
            .filter(|i| {
                let n = &nodes[**i];
                n.source != Source::TrustStore && !(n.info.is_self_issued() && **i != leaf_node)
            })
            .map(|i| nodes[*i].info.der.clone())
            .collect()
    });

    let path: Vec<PathCert> = path_idx
        .iter()
        .enumerate()
        .map(|(pos, &i)| {
            let n = &nodes[i];
            let c = &n.info;
            let role = if pos == 0 {
                "leaf"
            } else if pos + 1 == path_idx.len()
                && (c.is_self_issued()
                    || n.source == Source::TrustStore
                    || (verified && anchor_report.is_some()))
            {
                if c.is_self_issued() {
                    "root"
                } else {
                    "anchor"
                }
            } else {
                "intermediate"
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
        .collect();

    // API Gateway's own verdict: the chain as the server sends it, leaf first.
    let mut sent: Vec<Vec<u8>> = vec![leaf.der.clone()];
    sent.extend(
        input
            .presented
            .iter()
            .filter(|c| c.sha256 != leaf.sha256)
            .map(|c| c.der.clone()),
    );
    // Only the roots a presented certificate names (as issuer, or as itself) can take part:
    // looked up by subject, never the whole store parsed.
    let mut anchor_ders: Vec<Vec<u8>> = Vec::new();
    for c in &input.presented {
        for r in store
            .roots_named(&c.issuer_raw)
            .chain(store.roots_named(&c.subject_raw))
        {
            let der = r.der.to_vec();
            if !anchor_ders.contains(&der) {
                anchor_ders.push(der);
            }
        }
    }
    anchor_ders.extend(
        nodes
            .iter()
            .filter(|n| n.source != Source::TrustStore && !n.listed.is_empty())
            .map(|n| n.info.der.clone()),
    );
    let host = params.hostname.map(|h| h.to_str().into_owned());
    let gw = apigw::judge(&sent, &anchor_ders, at, host.as_deref());
    if !gw.accepted() && leaf.is_self_issued() {
        let store_name = match &store.kind {
            StoreKind::ApiGateway => "API Gateway's list".to_string(),
            StoreKind::Custom(p) => format!("the trust store {}", p.display()),
        };
        ctx.add(
            CheckCode::SelfSigned,
            format!(
                "the leaf \"{}\" is self-signed (its own issuer){}; API Gateway accepts only a chain to a CA in {store_name}, so it refuses it",
                leaf.display_name(),
                if leaf.is_ca() { ", whatever its basicConstraints CA:TRUE" } else { "" }
            ),
            Some("API Gateway needs a CA-issued certificate: terminate on an ALB with an ACM certificate (`certctl acm request`), or pass --trust-store for a private CA".into()),
            Some(leaf),
        );
    }
    if let Some(apigw::Refusal::Host { reason, .. }) = &gw.refusal {
        if !ctx
            .findings
            .iter()
            .any(|f| f.code == CheckCode::HostnameMismatch.as_str())
        {
            ctx.add(
                CheckCode::HostnameMismatch,
                format!(
                    "the leaf is not valid for {}: {reason}",
                    host.as_deref().unwrap_or_default()
                ),
                Some(report::HOST_FIX.into()),
                Some(leaf),
            );
        }
    }
    let apigateway = report::apigw_report(&gw);
    let mut findings = ctx.findings;
    let (apigw_codes, policy_denies) = report::classify(&mut findings, &gw, params.policy);
    if !gw.accepted() && apigw_codes.is_empty() {
        let r = gw
            .refusal
            .as_ref()
            .map(apigw::Refusal::cause)
            .unwrap_or_default();
        findings.push(Finding {
            code: CheckCode::ApigatewayRefuses.as_str(),
            severity: Severity::Deny,
            message: format!("API Gateway's client refuses the chain: {r}"),
            hint: apigateway.fix.clone(),
            certificate: None,
        });
    }
    let apigateway = ApigwReport {
        codes: if !gw.accepted() && apigw_codes.is_empty() {
            vec![CheckCode::ApigatewayRefuses.as_str()]
        } else {
            apigw_codes
        },
        ..apigateway
    };
    // `self-signed` first, then by severity.
    findings.sort_by_key(|f| {
        (
            f.code != CheckCode::SelfSigned.as_str(),
            std::cmp::Reverse(f.severity),
        )
    });
    let trusted =
        gw.accepted() && verified && !findings.iter().any(|f| f.severity == Severity::Deny);
    Verification {
        trusted,
        path,
        anchor: anchor_report,
        findings,
        fixed_chain,
        apigateway,
        policy_denies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::store::{ListEntry, TrustList};
    use crate::x509::Fingerprint;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

    const AT: i64 = 1_900_000_000;

    fn params(cn: &str, ca: bool) -> CertificateParams {
        let mut p = CertificateParams::new(if ca { vec![] } else { vec![cn.to_string()] }).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.not_before = time::OffsetDateTime::from_unix_timestamp(AT - 86_400 * 30).unwrap();
        p.not_after = time::OffsetDateTime::from_unix_timestamp(AT + 86_400 * 200).unwrap();
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        } else {
            p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        }
        p
    }

    /// root → intermediate → leaf, as parsed summaries.
    fn chain() -> (CertInfo, CertInfo, CertInfo) {
        let root_key = KeyPair::generate().unwrap();
        let root_params = params("Unit Root", true);
        let root = root_params.self_signed(&root_key).unwrap();
        let root_issuer = Issuer::new(root_params, &root_key);
        let int_key = KeyPair::generate().unwrap();
        let int_params = params("Unit Intermediate", true);
        let int = int_params.signed_by(&int_key, &root_issuer).unwrap();
        let int_issuer = Issuer::new(int_params, &int_key);
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = params("api.example.com", false)
            .signed_by(&leaf_key, &int_issuer)
            .unwrap();
        let parse = |d: &[u8]| CertInfo::parse(&CertificateDer::from(d.to_vec())).unwrap();
        (parse(root.der()), parse(int.der()), parse(leaf.der()))
    }

    fn listed_store(fp: &Fingerprint, not_after: Option<i64>) -> TrustStore {
        TrustStore {
            kind: StoreKind::ApiGateway,
            list: Some(TrustList {
                entries: vec![ListEntry {
                    alias: "unitintermediate".into(),
                    sha1: Fingerprint(vec![0; 20]),
                    sha256: fp.clone(),
                    not_after,
                    subject: "Unit Intermediate".into(),
                    shipped: false,
                }],
            }),
            roots: Vec::new(),
        }
    }

    fn run(store: &TrustStore, presented: Vec<CertInfo>) -> Verification {
        let policy = Policy::builtin();
        let host = ServerName::try_from("api.example.com").unwrap();
        let params = CheckParams {
            store,
            policy: &policy,
            at: AT,
            hostname: Some(&host),
            min_days: 30,
        };
        verify(
            &ChainInput {
                presented,
                extra: Vec::new(),
                leaf_is_first: true,
            },
            &params,
        )
    }

    #[test]
    fn a_presented_certificate_on_the_list_anchors_the_path() {
        let (_root, int, leaf) = chain();
        let store = listed_store(&int.sha256, None);
        let v = run(&store, vec![leaf.clone(), int.clone()]);
        assert!(v.trusted, "{:?}", v.findings);
        let anchor = v.anchor.expect("anchor");
        assert_eq!(anchor.kind, "listed-fingerprint");
        assert_eq!(anchor.aliases, vec!["unitintermediate".to_string()]);
        assert!(v
            .findings
            .iter()
            .any(|f| f.code == CheckCode::AnchoredByFingerprint.as_str()));
        // Without the intermediate on the list, the same chain has no anchor.
        let other = listed_store(&Fingerprint(vec![1; 32]), None);
        let v = run(&other, vec![leaf, int]);
        assert!(!v.trusted);
        assert!(
            v.findings
                .iter()
                .any(|f| f.code == CheckCode::UntrustedRoot.as_str()),
            "{:?}",
            v.findings
        );
    }

    #[test]
    fn the_leaf_alone_is_a_missing_intermediate_naming_the_issuer() {
        let (_root, _int, leaf) = chain();
        let store = listed_store(&Fingerprint(vec![1; 32]), None);
        let v = run(&store, vec![leaf]);
        let f = v
            .findings
            .iter()
            .find(|f| f.code == CheckCode::MissingIntermediate.as_str())
            .expect("missing-intermediate");
        assert!(f.message.contains("Unit Intermediate"), "{}", f.message);
        assert_eq!(f.severity, Severity::Deny);
    }

    #[test]
    fn pick_leaf_finds_the_end_entity_in_any_order() {
        let (root, int, leaf) = chain();
        let presented = vec![root, int, leaf.clone()];
        let i = pick_leaf(&presented, false, None);
        assert_eq!(presented[i].sha256, leaf.sha256);
    }
}

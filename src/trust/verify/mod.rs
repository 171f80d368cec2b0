//! Path building and validation (rustls-webpki) plus the stricter checks a careful TLS client adds.

pub mod apigw;
pub mod lint;
pub mod report;

use std::time::Duration;

use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use serde::Serialize;

use crate::findings::{CheckCode, Finding, Severity};
use crate::policy::Policy;
use crate::trust::store::{StoreKind, TrustStore};
use crate::x509::{CertInfo, KeyInfo};

/// Where a certificate of the path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
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
pub struct PathCert {
    pub role: &'static str,
    pub source: Source,
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub days_left: i64,
    pub sha256: String,
    pub key: String,
    pub signature_algorithm: String,
}

/// The trust anchor that ended the path.
#[derive(Debug, Clone, Serialize)]
pub struct AnchorReport {
    pub subject: String,
    pub sha256: String,
    pub aliases: Vec<String>,
    /// `trust-store` (a shipped or custom root) or `listed-fingerprint` (a presented
    /// certificate whose SHA-256 is on API Gateway's list).
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
}

/// The outcome of judging one chain.
#[derive(Debug, Clone)]
pub struct Verification {
    pub trusted: bool,
    pub path: Vec<PathCert>,
    pub anchor: Option<AnchorReport>,
    pub findings: Vec<Finding>,
    /// Leaf and intermediates in order (no root), when the path could be completed.
    pub fixed_chain: Option<Vec<Vec<u8>>>,
    /// API Gateway's own verdict (its Java client's rules).
    pub apigateway: ApigwReport,
    /// The policy's verdict: the codes it denies beyond API Gateway's reasons.
    pub policy_denies: Vec<&'static str>,
}

impl Verification {
    /// API Gateway's own client refuses.
    pub fn apigateway_refused(&self) -> bool {
        self.apigateway.verdict != "accept"
    }
}

/// API Gateway's verdict as `check` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ApigwReport {
    /// `accept` or `refuse`.
    pub verdict: &'static str,
    /// `pkix`, `hostname` or `parse`, when refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused_by: Option<&'static str>,
    /// The line API Gateway would log for the request, when refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_line: Option<String>,
    /// The JDK's or HttpClient's own reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The finding codes that are API Gateway's reasons (the rest are policy).
    pub codes: Vec<&'static str>,
    /// Signature algorithms of the path certctl could not verify itself (taken as valid).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unverified_signatures: Vec<String>,
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

/// Picks the leaf of a chain given in any order.
fn pick_leaf(presented: &[CertInfo], first: bool, host: Option<&ServerName<'_>>) -> usize {
    if first || presented.len() < 2 {
        return 0;
    }
    let issues_another = |i: usize| {
        presented
            .iter()
            .enumerate()
            .any(|(j, c)| j != i && c.sha256 != presented[i].sha256 && c.issued_by(&presented[i]))
    };
    let ends: Vec<usize> = (0..presented.len())
        .filter(|i| !issues_another(*i))
        .collect();
    let non_ca: Vec<usize> = ends
        .iter()
        .copied()
        .filter(|i| !presented[*i].is_ca())
        .collect();
    let pool = if non_ca.is_empty() { &ends } else { &non_ca };
    if let Some(h) = host {
        if let Some(i) = pool.iter().find(|i| names_match(&presented[**i], h)) {
            return *i;
        }
    }
    pool.first().copied().unwrap_or(0)
}

fn names_match(info: &CertInfo, host: &ServerName<'_>) -> bool {
    apigw::host_problem(&info.der, &host.to_str()).is_none()
}

fn unix(at: i64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(at.max(0) as u64))
}

struct Ctx<'a> {
    params: &'a CheckParams<'a>,
    findings: Vec<Finding>,
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
        if self
            .findings
            .iter()
            .any(|f| f.code == code && f.certificate == cert.map(|c| c.sha256.colon_hex()))
        {
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

/// Judges a chain the way API Gateway judges its backend, and more strictly where a careful
/// client is stricter. Never fails: problems are findings.
pub fn verify(input: &ChainInput, params: &CheckParams<'_>) -> Verification {
    let store = params.store;
    let at = params.at;
    let mut ctx = Ctx {
        params,
        findings: Vec::new(),
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
            match result {
                Ok(vp) => {
                    verified = true;
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
                Err(e) => {
                    diagnose(&mut ctx, &e, &nodes, &name_path, store);
                    webpki_error = Some(e);
                }
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
    let mut anchor_ders: Vec<Vec<u8>> = store.roots.iter().map(|r| r.der.to_vec()).collect();
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

fn lint_hint(code: CheckCode) -> &'static str {
    match code {
        CheckCode::LintSerial => "reissue it with a positive random serial of at most 20 octets",
        CheckCode::LintKeyIdentifier => "reissue it with a non-critical subjectKeyIdentifier, and an authorityKeyIdentifier holding only the issuer's keyIdentifier",
        CheckCode::LintBasicConstraints => "CAs need a critical basicConstraints CA:TRUE and keyCertSign; leaves neither",
        CheckCode::LintNameConstraints => "put critical, non-empty name constraints on CAs only",
        CheckCode::LintCriticalExtension => "reissue it without the unknown critical extension (policyConstraints must be critical)",
        CheckCode::LintEku => "leaves: a non-critical extendedKeyUsage serverAuth; roots: none",
        CheckCode::LintNames => "reissue it with well-formed DNS names (letters, digits, hyphens)",
        _ => "reissue it with a well-formed encoding",
    }
}

fn renew_hint(pos: usize) -> String {
    if pos == 0 {
        "renew the certificate (`certctl rotate`, or reissue it) and deploy it".into()
    } else {
        "serve the CA's current intermediate".into()
    }
}

fn anchor_expired(ctx: &mut Ctx<'_>, c: &CertInfo, aliases: &[String]) {
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

fn check_key(ctx: &mut Ctx<'_>, c: &CertInfo) {
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

fn check_leaf(ctx: &mut Ctx<'_>, leaf: &CertInfo, params: &CheckParams<'_>) {
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
        if !names_match(leaf, host) {
            let sans: Vec<String> = leaf
                .dns_names
                .iter()
                .cloned()
                .chain(leaf.ip_addresses.iter().map(|i| i.to_string()))
                .collect();
            ctx.add(
                CheckCode::HostnameMismatch,
                format!(
                    "the leaf is not valid for {} (its SANs: {})",
                    host.to_str(),
                    if sans.is_empty() { "none".to_string() } else { sans.join(", ") }
                ),
                Some("reissue the certificate with this hostname, or use the hostname the certificate names".into()),
                Some(leaf),
            );
        }
    }
}

#[allow(deprecated)] // webpki still returns the unit variants in some paths
fn diagnose(
    ctx: &mut Ctx<'_>,
    err: &webpki::Error,
    nodes: &[Node],
    name_path: &[usize],
    store: &TrustStore,
) {
    let leaf = &nodes[name_path[0]].info;
    let end_node = &nodes[*name_path.last().unwrap_or(&name_path[0])];
    let end = &end_node.info;
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
            } else if end.is_self_issued() {
                ctx.add(
                    CheckCode::UntrustedRoot,
                    format!("the chain ends at the root \"{}\", which is not in {store_name}", end.subject),
                    Some("use a certificate from a CA on the list (e.g. ACM via the ALB), or pass --trust-store for a private CA".into()),
                    Some(end),
                );
            } else {
                let hint = match end.ca_issuers.first() {
                    Some(url) => format!("\"{}\" is published at {url}; if it is on the list, add it with --chain", end.issuer),
                    None => "use a certificate from a CA on the list, or pass --trust-store for a private CA".into(),
                };
                ctx.add(
                    CheckCode::UntrustedRoot,
                    format!("the chain ends at \"{}\", whose issuer \"{}\" is not in {store_name}", end.subject, end.issuer),
                    Some(hint),
                    Some(end),
                );
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
            let weak = name_path.iter().any(|i| nodes[*i].info.has_weak_signature_hash() && !nodes[*i].info.is_self_issued());
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

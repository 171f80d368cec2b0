//! Phase 3, build paths: rustls-webpki's path from the leaf to an anchor (the store's valid
//! roots and any known certificate on API Gateway's list), the RFC 5280 key-rollover path webpki
//! does not allow, and the anchor that ended the path.

use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor};

use super::anchors::diagnose;
use super::collect::Known;
use super::sigmemo::SigMemo;
use super::{apigw, unix, AnchorReport, Ctx, Node, Parsed, Source};
use crate::findings::CheckCode;
use crate::trust::store::TrustStore;

/// What path building found.
pub(super) struct Built {
    /// Node indices, leaf first: the validated path, else the name path.
    pub(super) path: Vec<usize>,
    pub(super) anchor: Option<AnchorReport>,
    /// webpki (or the RFC 5280 rollover rule) validated the path.
    pub(super) verified: bool,
    pub(super) webpki_error: Option<webpki::Error>,
}

/// A webpki anchor: its DER, the node when it is a presented listed certificate, its aliases.
type AnchorDer<'a> = (CertificateDer<'a>, Option<usize>, Vec<String>);

/// webpki's anchors: the valid store roots and any known, valid certificate on the list.
fn anchor_ders<'a>(
    known: &'a Known,
    leaf: usize,
    store: &'a TrustStore,
    at: i64,
) -> Vec<AnchorDer<'a>> {
    let mut out: Vec<AnchorDer<'a>> = store
        .roots
        .iter()
        .filter(|r| !r.expired_at(at))
        .map(|r| (r.der.clone(), None, r.aliases.clone()))
        .collect();
    for (i, n) in known.nodes.iter().enumerate() {
        let c = &n.cert.info;
        if n.source != Source::TrustStore
            && !n.listed.is_empty()
            && c.not_after >= at
            && c.not_before <= at
            && i != leaf
        {
            out.push((
                CertificateDer::from(c.der.as_slice()),
                Some(i),
                n.listed.clone(),
            ));
        }
    }
    out
}

/// Builds and validates the path from `leaf`; problems become findings.
pub(super) fn build_paths(
    ctx: &mut Ctx<'_>,
    known: &mut Known,
    leaf: usize,
    name_path: Vec<usize>,
) -> Built {
    let (store, at) = (ctx.params.store, ctx.params.at);
    let mut built = Built {
        path: name_path,
        anchor: None,
        verified: false,
        webpki_error: None,
    };
    let leaf_der = known.info(leaf).der.clone();
    let leaf_der = CertificateDer::from(leaf_der.as_slice());
    let ee = match webpki::EndEntityCert::try_from(&leaf_der) {
        Ok(ee) => ee,
        Err(e) => {
            let info = known.info(leaf).clone();
            ctx.add(
                CheckCode::PathInvalid,
                format!("the leaf cannot be used by a TLS client: {e:?}"),
                None,
                Some(&info),
            );
            return built;
        }
    };
    let ders = anchor_ders(known, leaf, store, at);
    let found = webpki_path(&ee, known, leaf, &ders, at, &ctx.sigs).or_else(|e| {
        let fallback = self_issued_path(&e, &known.nodes, leaf, &ders, at, &ctx.sigs);
        if fallback.is_none() {
            diagnose(ctx, &e, &known.nodes, &built.path, store);
            built.webpki_error = Some(e);
        }
        fallback.ok_or(())
    });
    let Ok((mut idx, k)) = found else {
        return built;
    };
    built.verified = true;
    if let Some(k) = k {
        let (der, node, aliases) = &ders[k];
        let (der, node, aliases) = (der.to_vec(), *node, aliases.clone());
        if let Some(i) = anchor_node(known, &der, node, &aliases) {
            if !idx.contains(&i) {
                idx.push(i);
            }
            built.anchor = Some(anchor_report(ctx, known, i, node.is_some(), aliases));
        }
    }
    built.path = idx;
    built
}

/// rustls-webpki's path: node indices (leaf first) and the anchor (index into `ders`).
fn webpki_path(
    ee: &webpki::EndEntityCert<'_>,
    known: &Known,
    leaf: usize,
    ders: &[AnchorDer<'_>],
    at: i64,
    sigs: &SigMemo,
) -> Result<(Vec<usize>, Option<usize>), webpki::Error> {
    let anchors: Vec<(TrustAnchor<'_>, usize)> = ders
        .iter()
        .enumerate()
        .filter_map(|(k, (d, _, _))| webpki::anchor_from_trusted_cert(d).ok().map(|a| (a, k)))
        .collect();
    let anchor_list: Vec<TrustAnchor<'_>> = anchors.iter().map(|(a, _)| a.clone()).collect();
    let intermediates: Vec<CertificateDer<'_>> = known
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| *i != leaf && n.source != Source::TrustStore)
        .map(|(_, n)| CertificateDer::from(n.cert.info.der.as_slice()))
        .collect();
    // Recorded, so that the JDK model does not verify the same signatures again.
    let recording = sigs.recording(webpki::ALL_VERIFICATION_ALGS);
    let algs: Vec<&dyn SignatureVerificationAlgorithm> = recording
        .iter()
        .map(|a| a as &dyn SignatureVerificationAlgorithm)
        .collect();
    let vp = ee.verify_for_usage(
        &algs,
        &anchor_list,
        &intermediates,
        unix(at),
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )?;
    let mut idx = vec![leaf];
    for inter in vp.intermediate_certificates() {
        if let Some(i) = known
            .nodes
            .iter()
            .position(|n| n.cert.info.der.as_slice() == inter.der().as_ref())
        {
            idx.push(i);
        }
    }
    let a = vp.anchor();
    let k = anchors
        .iter()
        .find(|(x, _)| {
            x.subject == a.subject && x.subject_public_key_info == a.subject_public_key_info
        })
        .map(|(_, k)| *k);
    Ok((idx, k))
}

/// The node of the anchor that ended the path (a store root joins `known` here).
fn anchor_node(
    known: &mut Known,
    der: &[u8],
    node: Option<usize>,
    aliases: &[String],
) -> Option<usize> {
    if node.is_some() {
        return node;
    }
    let fp = crate::x509::Fingerprint::sha256(der);
    if let Some(i) = known.nodes.iter().position(|n| n.cert.info.sha256 == fp) {
        return Some(i);
    }
    let cert = Parsed::parse(der).ok()?;
    known.nodes.push(Node {
        cert,
        source: Source::TrustStore,
        listed: aliases.to_vec(),
        store_root_expired: Some(false),
    });
    Some(known.nodes.len() - 1)
}

/// The anchor as reported; a presented certificate on the list is also a finding.
fn anchor_report(
    ctx: &mut Ctx<'_>,
    known: &Known,
    i: usize,
    by_fp: bool,
    aliases: Vec<String>,
) -> AnchorReport {
    let c = known.info(i);
    if by_fp {
        let alias = aliases.first().cloned().unwrap_or_default();
        ctx.add(
            CheckCode::AnchoredByFingerprint,
            format!(
                "the path ends at \"{}\", whose SHA-256 is on API Gateway's list (alias {alias})",
                c.display_name()
            ),
            None,
            Some(c),
        );
    }
    AnchorReport {
        subject: c.subject.clone(),
        sha256: c.sha256.colon_hex(),
        aliases,
        kind: if by_fp {
            "listed-fingerprint"
        } else {
            "trust-store"
        },
        not_after: Some(crate::x509::rfc3339(c.not_after)),
    }
}

/// The path RFC 5280 allows where rustls-webpki does not: a self-issued intermediate (a CA's key
/// rollover certificate) counts towards no pathLenConstraint and is exempt from the name
/// constraints above it (RFC 5280 6.1.4 (l), 4.2.1.10), and webpki applies both to it. When
/// webpki refuses with one of the errors those rules explain, the RFC 5280 validator that
/// models API Gateway's client (proved against the JDK in `tests/oracle.rs`) builds the path;
/// it is taken only if it holds a self-issued intermediate. Node indices (leaf first) and the
/// anchor's index into `ders`.
fn self_issued_path(
    err: &webpki::Error,
    nodes: &[Node],
    leaf: usize,
    ders: &[AnchorDer<'_>],
    at: i64,
    sigs: &SigMemo,
) -> Option<(Vec<usize>, Option<usize>)> {
    use webpki::Error as E;
    if !matches!(
        err,
        E::PathLenConstraintViolated | E::NameConstraintViolation | E::InvalidSignatureForPublicKey
    ) {
        return None;
    }
    let mut order = vec![leaf];
    order.extend((0..nodes.len()).filter(|i| *i != leaf && nodes[*i].source != Source::TrustStore));
    let same_names = |i: usize| nodes[i].cert.info.subject_raw == nodes[i].cert.info.issuer_raw;
    if !order[1..].iter().any(|i| same_names(*i)) {
        return None;
    }
    let presented: Vec<&Parsed> = order.iter().map(|i| &nodes[*i].cert).collect();
    // Store roots are parsed here only on this rare path; listed nodes are already parsed.
    let roots: Vec<Option<Parsed>> = ders
        .iter()
        .map(|(d, node, _)| node.is_none().then(|| Parsed::parse(d).ok()).flatten())
        .collect();
    let (kept, anchors): (Vec<usize>, Vec<&Parsed>) = ders
        .iter()
        .zip(&roots)
        .enumerate()
        .filter_map(|(k, ((_, node, _), root))| {
            node.map(|i| &nodes[i].cert)
                .or(root.as_ref())
                .map(|p| (k, p))
        })
        .unzip();
    let gw = apigw::judge_parsed(&presented, &anchors, at, None, sigs);
    if !gw.accepted() || gw.path.len() < 2 {
        return None;
    }
    if !gw.path[1..].iter().any(|p| same_names(order[*p])) {
        return None;
    }
    Some((
        gw.path.iter().map(|p| order[*p]).collect(),
        gw.anchor.map(|k| kept[k]),
    ))
}

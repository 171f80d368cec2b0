//! Phase 6, findings on what was presented: its order, repeated certificates, certificates
//! outside the path and a root sent along; and the ordered chain `--fix-chain` writes.

use super::build::Built;
use super::collect::Known;
use super::{Ctx, Source};
use crate::findings::CheckCode;
use crate::x509::CertInfo;

/// The findings about the presented certificates.
pub(super) fn presentation_findings(
    ctx: &mut Ctx<'_>,
    presented: &[CertInfo],
    known: &Known,
    built: &Built,
    leaf: usize,
) {
    let leaf = known.info(leaf);
    let pos = |c: &CertInfo| {
        built
            .path
            .iter()
            .position(|i| known.info(*i).sha256 == c.sha256)
    };
    let in_path: Vec<&CertInfo> = presented.iter().filter(|c| pos(c).is_some()).collect();
    let in_order = in_path.first().is_none_or(|c| c.sha256 == leaf.sha256)
        && in_path.windows(2).all(|w| pos(w[0]) < pos(w[1]))
        && presented.first().is_none_or(|c| c.sha256 == leaf.sha256);
    if !in_order {
        ctx.add(
            CheckCode::ChainOutOfOrder,
            "the certificates are not in leaf-to-root order (leaf first, then each issuer)".into(),
            Some("reorder them; `--fix-chain OUT` writes the ordered chain".into()),
            None,
        );
    }
    for d in &known.duplicates {
        ctx.add(
            CheckCode::DuplicateCertificate,
            format!("\"{}\" appears more than once", d.display_name()),
            Some("remove the repeated copy".into()),
            Some(d),
        );
    }
    for c in presented {
        if pos(c).is_none() {
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
}

/// The ordered chain without its root, when the path is complete.
pub(super) fn fixed_chain(known: &Known, built: &Built, leaf: usize) -> Option<Vec<Vec<u8>>> {
    let end = &known.nodes[*built.path.last().unwrap_or(&leaf)];
    let complete = built.verified || end.cert.info.is_self_issued() || !end.listed.is_empty();
    complete.then(|| {
        built
            .path
            .iter()
            .filter(|i| {
                let n = &known.nodes[**i];
                n.source != Source::TrustStore && !(n.cert.info.is_self_issued() && **i != leaf)
            })
            .map(|i| known.info(*i).der.clone())
            .collect()
    })
}

//! Phase 5, certctl's policy on the built path (beyond webpki's own verdict): validity and
//! expiry windows, keys and signature algorithms, certificates only `--chain` supplied, the
//! leaf's shape and, with `lint` on, the RFC 5280 structure lints.

use super::anchors::anchor_expired;
use super::build::Built;
use super::collect::Known;
use super::lint;
use super::policy::{check_key, check_leaf, lint_hint, renew_hint, HostView};
use super::{Ctx, Source};
use crate::findings::{CheckCode, Finding};

/// Every policy check of the path and its leaf.
pub(super) fn policy_checks(
    ctx: &mut Ctx<'_>,
    known: &Known,
    built: &Built,
    leaf: usize,
    host: HostView,
) {
    for (pos, &i) in built.path.iter().enumerate() {
        path_cert(ctx, known, built, pos, i);
    }
    check_leaf(ctx, known.info(leaf), host);
    if ctx.params.policy.lint {
        lints(ctx, known, built);
    }
    validator_validity(ctx, built);
}

/// The checks on one certificate of the path at `pos`.
fn path_cert(ctx: &mut Ctx<'_>, known: &Known, built: &Built, pos: usize, i: usize) {
    let (at, min_days) = (ctx.params.at, ctx.params.min_days);
    let n = &known.nodes[i];
    let c = &n.cert.info;
    let is_end = pos + 1 == built.path.len() && pos > 0;
    check_key(ctx, c);
    if is_end && (n.source == Source::TrustStore || c.is_self_issued()) {
        let expired = n.store_root_expired.unwrap_or(c.not_after < at);
        if expired && (!n.listed.is_empty() || n.source == Source::TrustStore) {
            anchor_expired(ctx, c, &n.listed);
        }
        return;
    }
    if c.not_after < at {
        let msg = format!(
            "\"{}\" expired on {} ({} days ago)",
            c.display_name(),
            crate::x509::rfc3339(c.not_after),
            -c.days_left(at)
        );
        ctx.add(CheckCode::Expired, msg, Some(renew_hint(pos)), Some(c));
    } else if c.not_before > at {
        let msg = format!(
            "\"{}\" is not valid before {}",
            c.display_name(),
            crate::x509::rfc3339(c.not_before)
        );
        let hint = "check the clock of the machine that issued it, or wait".to_string();
        ctx.add(CheckCode::NotYetValid, msg, Some(hint), Some(c));
    } else if c.days_left(at) < i64::from(min_days) {
        let msg = format!(
            "\"{}\" expires on {}, in {} days (minimum {min_days})",
            c.display_name(),
            crate::x509::rfc3339(c.not_after),
            c.days_left(at)
        );
        ctx.add(CheckCode::ExpiresSoon, msg, Some(renew_hint(pos)), Some(c));
    }
    if c.has_weak_signature_hash() {
        let msg = format!(
            "\"{}\" is signed with {}",
            c.display_name(),
            c.signature_algorithm
        );
        let hint = "reissue it with a SHA-256 (or stronger) signature".to_string();
        ctx.add(CheckCode::Sha1Signature, msg, Some(hint), Some(c));
    } else if !ctx.params.policy.allows_signature(&c.signature_algorithm) {
        let msg = format!(
            "\"{}\" is signed with {}, which the policy does not allow",
            c.display_name(),
            c.signature_algorithm
        );
        let hint = "reissue it, or add the algorithm to allowed-signature-algorithms".to_string();
        ctx.add(
            CheckCode::DisallowedSignatureAlgorithm,
            msg,
            Some(hint),
            Some(c),
        );
    }
    if pos > 0 && n.source == Source::ChainFile {
        let msg = format!("the path needs \"{}\" from --chain; the target does not include it, so API Gateway cannot build the path", c.display_name());
        let hint =
            "serve leaf + intermediates (fullchain.pem); `--fix-chain OUT` writes it".to_string();
        ctx.add(CheckCode::MissingIntermediate, msg, Some(hint), Some(c));
    }
}

/// The structure lints of every certificate of the path in its role (from the one parse).
fn lints(ctx: &mut Ctx<'_>, known: &Known, built: &Built) {
    for (pos, &i) in built.path.iter().enumerate() {
        let n = &known.nodes[i];
        let role = if pos == 0 {
            lint::Role::Leaf
        } else if pos + 1 == built.path.len()
            && (n.source == Source::TrustStore || n.cert.info.is_self_issued())
        {
            lint::Role::Root
        } else {
            lint::Role::Intermediate
        };
        let Ok(det) = &n.cert.det else {
            continue;
        };
        for (lint_code, message) in lint::lint(&n.cert.info, det, role) {
            let code = lint_code;
            // A repeat (the same lint on two certificates) is found in a set, not by a scan:
            // large bundles stay linear.
            if !ctx.lint_seen.insert((code, message.clone())) {
                continue;
            }
            ctx.seen.insert((code, Some(n.cert.info.sha256.clone())));
            ctx.findings.push(Finding {
                code: code.into(),
                severity: ctx.params.policy.severity(code.as_str()),
                message,
                hint: Some(lint_hint(lint_code).into()),
                certificate: Some(n.cert.info.sha256.colon_hex()),
            });
        }
    }
}

/// webpki's validity refusal on a certificate outside the path certctl shows.
fn validator_validity(ctx: &mut Ctx<'_>, built: &Built) {
    use webpki::Error as E;
    let Some(e @ (E::CertExpired { .. } | E::CertNotValidYet { .. })) = &built.webpki_error else {
        return;
    };
    let said = ctx
        .findings
        .iter()
        .any(|f| f.code == CheckCode::Expired || f.code == CheckCode::NotYetValid);
    if said {
        return;
    }
    let code = if matches!(e, E::CertNotValidYet { .. }) {
        CheckCode::NotYetValid
    } else {
        CheckCode::Expired
    };
    let msg = format!("a certificate the validator tried is outside its validity period ({e:?})");
    ctx.add(code, msg, None, None);
}

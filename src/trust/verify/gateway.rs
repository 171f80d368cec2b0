//! Phase 4, API Gateway's client (the JDK model in `apigw`): the chain as the server sends it,
//! leaf first, against the roots it names, for the host as written; and the findings that
//! carry its refusal (a self-signed leaf, a hostname mismatch).

use super::collect::Known;
use super::{apigw, report, Ctx, Parsed, Source};
use crate::findings::CheckCode;
use crate::trust::store::StoreKind;

/// API Gateway's verdict on the presented chain with `leaf` first. `host_check` is HttpClient's
/// verdict on the leaf, made once per check.
pub(super) fn judge(
    ctx: &Ctx<'_>,
    known: &Known,
    leaf: usize,
    host_check: Option<apigw::HostCheck>,
) -> apigw::Verdict {
    let store = ctx.params.store;
    let presented = &known.presented;
    // What the server sends: the leaf, then the rest in the order given (repeats included).
    let mut sent: Vec<&Parsed> = vec![&known.nodes[leaf].cert];
    let mut rest = presented.clone();
    if let Some(k) = rest.iter().position(|i| *i == leaf) {
        rest.remove(k);
    }
    sent.extend(rest.iter().map(|i| &known.nodes[*i].cert));
    // Only the roots a presented certificate names (as issuer, or as itself) can take part:
    // looked up by subject, never the whole store parsed.
    let mut roots: Vec<Parsed> = Vec::new();
    for i in presented {
        let c = known.info(*i);
        for r in store
            .roots_named(&c.issuer_raw)
            .chain(store.roots_named(&c.subject_raw))
        {
            if roots.iter().any(|p| p.info.sha256 == r.sha256) {
                continue;
            }
            if let Ok(p) = Parsed::parse(&r.der) {
                roots.push(p);
            }
        }
    }
    let mut anchors: Vec<&Parsed> = roots.iter().collect();
    anchors.extend(
        known
            .nodes
            .iter()
            .filter(|n| n.source != Source::TrustStore && !n.listed.is_empty())
            .map(|n| &n.cert),
    );
    apigw::judge_parsed(&sent, &anchors, ctx.params.at, host_check, &ctx.sigs)
}

/// The findings that carry API Gateway's refusal.
pub(super) fn refusal_findings(ctx: &mut Ctx<'_>, known: &Known, leaf: usize, gw: &apigw::Verdict) {
    let leaf = known.info(leaf);
    // A refusal for the host name alone is not about the issuer: a self-signed leaf in the
    // trust store is then no reason (`--trust-store leaf.pem --hostname wrong`).
    let host_only = matches!(gw.refusal, Some(apigw::Refusal::Host { .. }));
    if !gw.accepted() && !host_only && leaf.is_self_issued() {
        let store_name = match &ctx.params.store.kind {
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
        let said = ctx
            .findings
            .iter()
            .any(|f| f.code == CheckCode::HostnameMismatch);
        if !said {
            let host = ctx
                .params
                .hostname
                .map(|h| h.as_given())
                .unwrap_or_default();
            ctx.add(
                CheckCode::HostnameMismatch,
                format!("the leaf is not valid for {host}: {reason}"),
                Some(report::HOST_FIX.into()),
                Some(leaf),
            );
        }
    }
}

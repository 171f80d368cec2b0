//! Path building and validation (rustls-webpki) plus the stricter checks a careful TLS client adds.

//!
//! `verify` is a pipeline of phases, each in its own module: collect (every certificate parsed
//! once into a [`Parsed`]) → pick the leaf (`graph`) → build paths (`build`, rustls-webpki) →
//! API Gateway's client (`gateway` over `apigw`, the JDK model) → certctl's policy (`checks`,
//! `policy`, `lint`) → findings on what was presented (`presentation`) → the report (`report`).

mod anchors;
pub mod apigw;
mod build;
mod checks;
mod collect;
mod gateway;
mod graph;
pub(crate) mod lint;
mod policy;
mod presentation;
pub(crate) mod report;
mod sigmemo;

use std::time::Duration;

use rustls_pki_types::{ServerName, UnixTime};
use serde::Serialize;

use crate::findings::{CheckCode, Code, Finding};
use crate::policy::Policy;
use crate::trust::store::TrustStore;
use crate::x509::{CertDetail, CertInfo};

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

/// The host a check judges, validated once: as written (HttpClient matches the integration
/// URI's host string as it is, a trailing dot included) and as a TLS name (webpki, SNI).
#[derive(Debug, Clone)]
pub struct Hostname {
    name: ServerName<'static>,
    given: String,
}

impl Hostname {
    /// `given` as written and the TLS name it was validated into.
    pub fn new(given: &str, name: ServerName<'static>) -> Hostname {
        Hostname {
            name,
            given: given.to_string(),
        }
    }

    /// The TLS name (no trailing dot, no brackets).
    pub(crate) fn server_name(&self) -> &ServerName<'static> {
        &self.name
    }

    /// The host as written, which API Gateway's HttpClient matches.
    pub(crate) fn as_given(&self) -> &str {
        &self.given
    }
}

/// How to judge it.
pub struct CheckParams<'a> {
    pub store: &'a TrustStore,
    pub policy: &'a Policy,
    pub at: i64,
    pub hostname: Option<&'a Hostname>,
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
    pub(crate) policy_denies: Vec<Code>,
}

impl Verification {
    /// API Gateway's own client refuses.
    pub(crate) fn apigateway_refused(&self) -> bool {
        !self.apigateway.verdict.accepts()
    }
}

/// API Gateway's verdict on a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApigwVerdict {
    Accept,
    Refuse,
}

impl ApigwVerdict {
    /// `Accept` when `accepted`.
    pub(crate) fn of(accepted: bool) -> ApigwVerdict {
        if accepted {
            ApigwVerdict::Accept
        } else {
            ApigwVerdict::Refuse
        }
    }

    pub(crate) fn accepts(self) -> bool {
        self == ApigwVerdict::Accept
    }
}

/// API Gateway's verdict as `check` reports it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ApigwReport {
    /// `accept` or `refuse`.
    pub(crate) verdict: ApigwVerdict,
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
    /// When HttpClient generations differ: an older client would accept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    /// The finding codes that are API Gateway's reasons (the rest are policy).
    pub(crate) codes: Vec<Code>,
    /// Signature algorithms of the path certctl could not verify itself (taken as valid).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) unverified_signatures: Vec<String>,
}

/// One certificate, parsed once: the summary every phase reads and the structural detail the
/// JDK model and the lints read (or why it does not parse).
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    pub(crate) info: CertInfo,
    pub(crate) det: Result<CertDetail, String>,
}

impl Parsed {
    /// Parses DER in full.
    pub(crate) fn parse(der: &[u8]) -> Result<Parsed, String> {
        let info = CertInfo::parse(&rustls_pki_types::CertificateDer::from(der))
            .map_err(|e| e.to_string())?;
        Ok(Parsed::from_info(info))
    }

    /// Adds the structural detail to a summary already parsed.
    pub(crate) fn from_info(info: CertInfo) -> Parsed {
        let det = CertDetail::parse(&info.der).map_err(|e| e.to_string());
        Parsed { info, det }
    }
}

/// A certificate known to the check, with where it came from.
struct Node {
    cert: Parsed,
    source: Source,
    /// Aliases when its SHA-256 is on the list.
    listed: Vec<String>,
    /// The list date for store roots.
    store_root_expired: Option<bool>,
}

/// `--at` as webpki's time (instants before 1970 read as 1970).
pub(crate) fn unix(at: i64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(at.max(0) as u64))
}

struct Ctx<'a> {
    params: &'a CheckParams<'a>,
    findings: Vec<Finding>,
    /// (code, SHA-256) of every finding so far: a repeat is found without a scan.
    seen: std::collections::HashSet<(CheckCode, Option<crate::x509::Fingerprint>)>,
    /// (code, message) of every lint finding so far.
    lint_seen: std::collections::HashSet<(CheckCode, String)>,
    /// Signatures verified so far (rustls-webpki's, then the JDK model's).
    sigs: sigmemo::SigMemo,
}

impl Ctx<'_> {
    fn add(
        &mut self,
        code: CheckCode,
        message: String,
        hint: Option<String>,
        cert: Option<&CertInfo>,
    ) {
        if !self.seen.insert((code, cert.map(|c| c.sha256.clone()))) {
            return;
        }
        self.findings.push(Finding {
            code: code.into(),
            severity: self.params.policy.severity(code.as_str()),
            message,
            hint,
            certificate: cert.map(|c| c.sha256.colon_hex()),
        });
    }
}

/// Judges a chain the way API Gateway judges its backend, and more strictly where a careful
/// client is stricter. Never fails: problems are findings.
pub fn verify(input: &ChainInput, params: &CheckParams<'_>) -> Verification {
    let mut ctx = Ctx {
        params,
        findings: Vec::new(),
        seen: std::collections::HashSet::new(),
        lint_seen: std::collections::HashSet::new(),
        sigs: sigmemo::SigMemo::default(),
    };
    let mut known = collect::collect(&input.presented, &input.extra, params.store);
    if known.nodes.is_empty() {
        return nothing_presented(ctx.findings, params.policy);
    }
    let leaf = graph::pick_leaf(&known, input.leaf_is_first, params.hostname);
    let name_path = collect::name_path(&mut known, leaf, params.store, params.at);
    let built = build::build_paths(&mut ctx, &mut known, leaf, name_path);
    // The hostname: validated once (`Hostname`), matched once here, read by both judgements.
    let host_check = params
        .hostname
        .map(|h| apigw::host_check(&known.nodes[leaf].cert, h.as_given()));
    // certctl's policy matches the names as issued; API Gateway's JDK client may match the CN
    // its name-constraints check copied into the SANs (`apigw::cn_as_san`).
    let host_refused = host_check.as_ref().is_some_and(|h| h.as_issued.is_some());
    let gw = gateway::judge(&ctx, &known, leaf, host_check);
    let host = policy::HostView {
        refused: host_refused,
        apigw_accepts: gw.accepted(),
    };
    checks::policy_checks(&mut ctx, &known, &built, leaf, host);
    presentation::presentation_findings(&mut ctx, &input.presented, &known, &built, leaf);
    gateway::refusal_findings(&mut ctx, &known, leaf, &gw);
    let path = report::path_rows(&known, &built, params.at);
    let fixed_chain = presentation::fixed_chain(&known, &built, leaf);
    report::assemble(ctx.findings, &gw, built, path, fixed_chain, params.policy)
}

/// The report when there is no certificate at all.
fn nothing_presented(findings: Vec<Finding>, policy: &Policy) -> Verification {
    let gw = apigw::judge_parsed(&[], &[], 0, None, &sigmemo::SigMemo::default());
    let built = build::Built {
        path: Vec::new(),
        anchor: None,
        verified: false,
        webpki_error: None,
    };
    report::assemble(findings, &gw, built, Vec::new(), None, policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;
    use crate::trust::store::{ListEntry, StoreKind, TrustList};
    use crate::x509::Fingerprint;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    use rustls_pki_types::CertificateDer;

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
        let host = Hostname::new(
            "api.example.com",
            ServerName::try_from("api.example.com").unwrap(),
        );
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
            .any(|f| f.code == CheckCode::AnchoredByFingerprint));
        // Without the intermediate on the list, the same chain has no anchor.
        let other = listed_store(&Fingerprint(vec![1; 32]), None);
        let v = run(&other, vec![leaf, int]);
        assert!(!v.trusted);
        assert!(
            v.findings
                .iter()
                .any(|f| f.code == CheckCode::UntrustedRoot),
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
            .find(|f| f.code == CheckCode::MissingIntermediate)
            .expect("missing-intermediate");
        assert!(f.message.contains("Unit Intermediate"), "{}", f.message);
        assert_eq!(f.severity, Severity::Deny);
    }

    #[test]
    fn pick_leaf_finds_the_end_entity_in_any_order_and_else_takes_the_first() {
        let (root, int, leaf) = chain();
        let store = listed_store(&Fingerprint(vec![1; 32]), None);
        let known = collect::collect(&[root.clone(), int.clone(), leaf.clone()], &[], &store);
        let i = graph::pick_leaf(&known, false, None);
        assert_eq!(known.nodes[i].cert.info.sha256, leaf.sha256);
        // The first certificate issues none of the others: it is the leaf, as TLS defines.
        let known = collect::collect(&[int.clone(), root], &[], &store);
        let i = graph::pick_leaf(&known, false, None);
        assert_eq!(known.nodes[i].cert.info.sha256, int.sha256);
    }
}

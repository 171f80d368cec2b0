//! API Gateway's own verdict: the rules of its TLS client, the JDK's default PKIX trust manager
//! (server variant, revocation off) followed by Apache HttpClient 4.5's hostname verifier.
//!
//! The JDK is laxer than rustls-webpki in places (v1 certificates, DSA, 1024-bit RSA, a CA in the
//! leaf position, name constraints on a root, the CN when there is no SAN) and stricter in others
//! (a root without basicConstraints, a critical SKI, an empty subject, a wildcard over a public
//! suffix). This module follows the JDK; certctl's stricter views are policy findings elsewhere.
//! Signatures are verified with `ring`; DSA, P-521 and a few rare algorithms `ring` lacks are
//! taken as valid and reported as not verified.

use std::net::IpAddr;

use ring::signature as sig;

use super::sigmemo::{SigInput, SigMemo};
use super::Parsed;
use crate::names::{self, CertNames};
use crate::x509::{AltName, CertDetail, CertInfo, KeyInfo};

/// The start of every log line API Gateway writes for a backend TLS failure.
pub(crate) const SSL_ENGINE_PROBLEM: &str =
    "Execution failed due to configuration error: General SSLEngine problem";

/// Why API Gateway's client refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A certificate the JDK cannot even parse.
    Parse { message: String },
    /// The PKIX trust manager refuses the chain.
    Pkix { message: String },
    /// The leaf's names do not match the host (HttpClient 4.5.14).
    Host {
        log_line: String,
        reason: String,
        /// An older HttpClient 4.x (CN fallback when no SAN of the host's kind) would accept.
        older_accepts: bool,
    },
}

impl Refusal {
    /// The line API Gateway would log.
    pub fn log_line(&self) -> String {
        match self {
            Refusal::Parse { message } | Refusal::Pkix { message } => {
                format!("{SSL_ENGINE_PROBLEM} ({message})")
            }
            Refusal::Host { log_line, .. } => {
                format!("Execution failed due to configuration error: {log_line}")
            }
        }
    }

    /// The JDK's or HttpClient's own reason.
    pub(crate) fn cause(&self) -> String {
        match self {
            Refusal::Parse { message } | Refusal::Pkix { message } => message.clone(),
            Refusal::Host { log_line, .. } => log_line.clone(),
        }
    }

    /// `parse`, `pkix` or `hostname`.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::Parse { .. } => "parse",
            Refusal::Pkix { .. } => "pkix",
            Refusal::Host { .. } => "hostname",
        }
    }
}

/// API Gateway's verdict on one presented chain.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub refusal: Option<Refusal>,
    /// Indices into the presented chain of the validated path (leaf first), when accepted.
    pub(crate) path: Vec<usize>,
    /// Index into the anchors of the anchor that ended the path, when accepted.
    pub(crate) anchor: Option<usize>,
    /// Signatures of the path `ring` cannot verify (algorithm names), taken as valid.
    pub(crate) unverified_signatures: Vec<String>,
}

impl Verdict {
    fn refused(r: Refusal) -> Verdict {
        Verdict {
            refusal: Some(r),
            path: Vec::new(),
            anchor: None,
            unverified_signatures: Vec::new(),
        }
    }

    pub(crate) fn accepted(&self) -> bool {
        self.refusal.is_none()
    }
}

/// A certificate as the JDK sees it: a view of the one parsed value of `super::Parsed`.
#[derive(Clone, Copy)]
struct Cert<'a> {
    info: &'a CertInfo,
    det: &'a CertDetail,
}

impl<'a> Cert<'a> {
    /// The view, or why the JDK's parser would refuse the certificate.
    fn of(p: &'a Parsed) -> Result<Cert<'a>, String> {
        let det = p.det.as_ref().map_err(Clone::clone)?;
        let c = Cert { info: &p.info, det };
        match c.jdk_parse_problem() {
            Some(m) => Err(m),
            None => Ok(c),
        }
    }

    /// The refusals of the JDK's certificate parser.
    fn jdk_parse_problem(&self) -> Option<String> {
        let d = &self.det;
        if d.issuer_empty {
            return Some("Empty issuer DN not allowed in X509Certificates".into());
        }
        if d.has_duplicate_extensions {
            return Some("Duplicate extensions not allowed".into());
        }
        if !d.sig_alg_consistent {
            return Some("Signature algorithm mismatch".into());
        }
        if d.subject_empty && d.version == 3 && !(d.san.is_some() && d.san_critical) {
            return Some(
                "X.509 Certificate is incomplete: SubjectAlternativeName extension MUST be marked critical when subject field is empty".into(),
            );
        }
        if d.spki_alg_oid == "1.2.840.10045.2.1" && d.spki_params.first() != Some(&0x06) {
            return Some("Only named ECParameters supported".into());
        }
        if d.san_critical && jdk_san(d).is_none() {
            return Some("the critical subjectAltName extension cannot be parsed".into());
        }
        None
    }

    fn subject(&self) -> &'a [u8] {
        &self.info.subject_raw
    }

    fn issuer(&self) -> &'a [u8] {
        &self.info.issuer_raw
    }

    fn self_issued(&self) -> bool {
        self.info.subject_raw == self.info.issuer_raw
    }

    fn key_usage_has(&self, bit: &str) -> Option<bool> {
        self.info
            .key_usage
            .as_ref()
            .map(|k| k.iter().any(|b| b == bit))
    }
}

/// The subjectAltName as the JDK decodes it: `None` when absent or when an entry does not
/// decode (then the JDK ignores the extension).
fn jdk_san(d: &CertDetail) -> Option<(Vec<String>, Vec<IpAddr>)> {
    let san = d.san.as_ref()?;
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    for n in san {
        match n {
            AltName::Dns(s) => dns.push(s.clone()),
            AltName::Ip(b) => match b.len() {
                4 => ips.push(IpAddr::from(<[u8; 4]>::try_from(b.as_slice()).ok()?)),
                16 => ips.push(IpAddr::from(<[u8; 16]>::try_from(b.as_slice()).ok()?)),
                // The JDK's IPAddressName also takes address + mask forms; they match no host.
                8 | 32 => {}
                _ => return None,
            },
            AltName::Other => return None,
            _ => {}
        }
    }
    Some((dns, ips))
}

/// The name `sun.security.x509.NameConstraintsExtension.verify(X509Certificate)` adds for the
/// certificate's most specific CN (`X500Name.findMostSpecificAttribute`, the last CN) when
/// `names` (its subject and SANs) hold no name of the CN's kind: an IP address when the CN is
/// an IP literal (`IPAddressUtil.isIPv4LiteralAddress` / `isIPv6LiteralAddress`), else a DNS
/// name when `new DNSName(cn)` accepts it (no wildcard: that constructor passes
/// `allowWildcard = false`).
///
/// The JDK adds it to the `GeneralNames` object `SubjectAlternativeNameExtension.getNames()`
/// returns, which is the extension's own list, not a copy: when the certificate has a
/// subjectAltName extension, the CN stays in it, and a later `getSubjectAlternativeNames()` (the
/// first call builds and caches the list) returns it as a SAN. HttpClient's verifier reads that
/// list after the trust manager, so the CN then matches as a SAN of its kind (see
/// [`host_refusal`]). Found by `tests/verdict_fuzz.rs` (seed 2026) and confirmed on JDK 17:
/// `getSubjectAlternativeNames()` called before the PKIX check returns the SANs as issued, and
/// HttpClient then refuses.
fn cn_as_san(d: &CertDetail, names: &[AltName]) -> Option<AltName> {
    let cn = d.subject_cns.last()?;
    let ip = jdk_ipv4_literal(cn).map(|a| a.to_vec()).or_else(|| {
        cn.parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|a| a.octets().to_vec())
    });
    match ip {
        Some(ip) if !names.iter().any(|n| matches!(n, AltName::Ip(_))) => Some(AltName::Ip(ip)),
        Some(_) => None,
        None if jdk_dns_syntax(cn, false)
            && !names.iter().any(|n| matches!(n, AltName::Dns(_))) =>
        {
            Some(AltName::Dns(cn.clone()))
        }
        None => None,
    }
}

/// `sun.net.util.IPAddressUtil.textToNumericFormatV4`: one to four decimal parts, the leading
/// ones a byte each, the last filling the remaining bytes ("10.5" is 10.0.0.5).
fn jdk_ipv4_literal(s: &str) -> Option<[u8; 4]> {
    if s.is_empty() || s.len() > 15 {
        return None;
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut res = [0u8; 4];
    let (last, lead) = parts.split_last()?;
    for (k, p) in lead.iter().enumerate() {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        res[k] = p.parse::<u8>().ok()?;
    }
    if last.is_empty() || !last.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = last.parse().ok()?;
    let room = 4 - lead.len();
    if value >= 1u64 << (8 * room) {
        return None;
    }
    for k in 0..room {
        res[3 - k] = ((value >> (8 * k)) & 0xff) as u8;
    }
    Some(res)
}

/// The JDK's `DNSName(String, boolean allowWildcard)` syntax (a wildcard, when allowed, as `*.`
/// + a letter or digit).
fn jdk_dns_syntax(name: &str, allow_wildcard: bool) -> bool {
    if name.is_empty() || !name.is_ascii() {
        return false;
    }
    let b = name.as_bytes();
    let mut start = 0;
    while start < b.len() {
        let end = name[start..].find('.').map_or(b.len(), |i| start + i);
        if end == start {
            return false;
        }
        if !b[start].is_ascii_alphanumeric() {
            let wildcard_ok = allow_wildcard
                && start == 0
                && b.len() >= 3
                && b[0] == b'*'
                && b[1] == b'.'
                && b[2].is_ascii_alphanumeric();
            if !wildcard_ok {
                return false;
            }
        }
        if !b[start + 1..end]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        {
            return false;
        }
        start = end + 1;
        if start == b.len() {
            // A trailing dot leaves an empty last component.
            return false;
        }
    }
    true
}

enum SigCheck {
    Valid,
    Invalid,
    /// `ring` cannot check this algorithm; the JDK can.
    Unverifiable(String),
    /// The JDK's disabled algorithms refuse it.
    Disabled(String),
}

const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
const P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];

/// Checks `child`'s signature with `issuer`'s key.
fn check_signature(child: &CertDetail, issuer: &Cert<'_>, sigs: &SigMemo) -> SigCheck {
    let key = &issuer.info.public_key;
    let ispki = issuer.det.spki_alg_oid.as_str();
    let curve = issuer.det.spki_params.as_slice();
    let name = crate::x509::sig_alg_name(&child.sig_alg_oid);
    let algs: Vec<&'static dyn sig::VerificationAlgorithm> =
        match (child.sig_alg_oid.as_str(), ispki) {
            ("1.2.840.113549.1.1.2" | "1.2.840.113549.1.1.4", _) => {
                return SigCheck::Disabled(name)
            }
            ("1.2.840.113549.1.1.5", "1.2.840.113549.1.1.1") => {
                vec![&sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY]
            }
            ("1.2.840.113549.1.1.11", "1.2.840.113549.1.1.1") => {
                vec![&sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY]
            }
            ("1.2.840.113549.1.1.12", "1.2.840.113549.1.1.1")
                if issuer.det.rsa_bits.unwrap_or(0) >= 2048 =>
            {
                vec![&sig::RSA_PKCS1_2048_8192_SHA384]
            }
            ("1.2.840.113549.1.1.13", "1.2.840.113549.1.1.1") => {
                vec![&sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY]
            }
            ("1.2.840.113549.1.1.10", "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10")
                if issuer.det.rsa_bits.unwrap_or(0) >= 2048 =>
            {
                vec![
                    &sig::RSA_PSS_2048_8192_SHA256,
                    &sig::RSA_PSS_2048_8192_SHA384,
                    &sig::RSA_PSS_2048_8192_SHA512,
                ]
            }
            ("1.2.840.10045.4.3.2", "1.2.840.10045.2.1") if curve == P256 => {
                vec![&sig::ECDSA_P256_SHA256_ASN1]
            }
            ("1.2.840.10045.4.3.3", "1.2.840.10045.2.1") if curve == P256 => {
                vec![&sig::ECDSA_P256_SHA384_ASN1]
            }
            ("1.2.840.10045.4.3.2", "1.2.840.10045.2.1") if curve == P384 => {
                vec![&sig::ECDSA_P384_SHA256_ASN1]
            }
            ("1.2.840.10045.4.3.3", "1.2.840.10045.2.1") if curve == P384 => {
                vec![&sig::ECDSA_P384_SHA384_ASN1]
            }
            ("1.3.101.112", "1.3.101.112") => vec![&sig::ED25519],
            (s, "1.2.840.10045.2.1")
                if s.starts_with("1.2.840.10045.4") && curve != P256 && curve != P384 =>
            {
                if curve == P521 {
                    return SigCheck::Unverifiable(name);
                }
                // Curves other than P-256/384/521: the JDK refuses small ones by key size
                // and supports no others.
                return SigCheck::Disabled(format!("{name} with an unsupported curve"));
            }
            ("1.2.840.10045.4.1" | "1.2.840.10045.4.3.1" | "1.2.840.10045.4.3.4", _)
            | ("1.2.840.10040.4.3" | "2.16.840.1.101.3.4.3.1" | "2.16.840.1.101.3.4.3.2", _)
            | ("1.2.840.113549.1.1.12" | "1.2.840.113549.1.1.10", _) => {
                return SigCheck::Unverifiable(name)
            }
            _ => return SigCheck::Invalid,
        };
    let input = SigInput {
        spki_alg: &issuer.det.spki_alg_id,
        sig_alg: &child.sig_alg_id,
        key,
        message: &child.tbs,
        signature: &child.signature,
    };
    let ok = sigs.is_valid(&input)
        || algs.iter().any(|alg| {
            sig::UnparsedPublicKey::new(*alg, key)
                .verify(&child.tbs, &child.signature)
                .is_ok()
        });
    if ok {
        sigs.remember(&input);
        SigCheck::Valid
    } else {
        SigCheck::Invalid
    }
}

/// The JDK's `jdk.certpath.disabledAlgorithms` key-size limits (JDK 17).
fn weak_key(c: &Cert<'_>) -> Option<String> {
    match &c.info.key {
        KeyInfo::Rsa { bits } if *bits < 1024 => Some(format!("RSA {bits} bit key")),
        KeyInfo::Ec { bits, .. } if *bits < 224 => Some(format!("EC {bits} bit key")),
        _ => match c.det.dsa_bits {
            Some(b) if b < 1024 => Some(format!("DSA {b} bit key")),
            _ => None,
        },
    }
}

/// Extensions the JDK's PKIX validator processes; any other critical one fails the path.
const KNOWN_CRITICAL: &[&str] = &[
    "2.5.29.15", // keyUsage
    "2.5.29.17", // subjectAltName
    "2.5.29.19", // basicConstraints
    "2.5.29.30", // nameConstraints
    "2.5.29.32", // certificatePolicies
    "2.5.29.33", // policyMappings
    "2.5.29.35", // authorityKeyIdentifier
    "2.5.29.36", // policyConstraints
    "2.5.29.37", // extKeyUsage
    "2.5.29.54", // inhibitAnyPolicy
];

struct Ctx<'a> {
    certs: &'a [Cert<'a>],
    anchors: &'a [Cert<'a>],
    at: i64,
    unverified: Vec<String>,
    budget: usize,
    /// `NameConstraintsExtension.verify` ran on the leaf (a CA above it in a path tried carries
    /// name constraints): the JDK then copied the leaf's CN into its SAN list, see
    /// [`cn_as_san`].
    leaf_name_constrained: bool,
    sigs: &'a SigMemo,
}

/// Judges a presented chain (leaf first, as the server sends it) the way API Gateway's client
/// does, against `anchors`, at `at` (Unix seconds), for `host` (DNS name or IP literal, as
/// written). DER in; see [`judge_parsed`] for certificates already parsed.
pub fn judge(presented: &[Vec<u8>], anchors: &[Vec<u8>], at: i64, host: Option<&str>) -> Verdict {
    let presented = match presented
        .iter()
        .map(|d| Parsed::parse(d))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(p) => p,
        Err(message) => return Verdict::refused(Refusal::Parse { message }),
    };
    // An anchor that does not parse is no anchor (and keeps its index).
    let anchors: Vec<Option<Parsed>> = anchors.iter().map(|d| Parsed::parse(d).ok()).collect();
    let p: Vec<&Parsed> = presented.iter().collect();
    let a: Vec<&Parsed> = anchors.iter().flatten().collect();
    let host_check = match (host, p.first()) {
        (Some(h), Some(leaf)) if Cert::of(leaf).is_ok() => Some(host_check(leaf, h)),
        _ => None,
    };
    let mut v = judge_parsed(&p, &a, at, host_check, &SigMemo::default());
    let kept: Vec<usize> = (0..anchors.len())
        .filter(|k| anchors[*k].is_some())
        .collect();
    v.anchor = v.anchor.map(|k| kept[k]);
    v
}

/// [`judge`] over parsed certificates, with the leaf's hostname verdicts already made
/// ([`host_check`]; `None` when no host is given).
pub(crate) fn judge_parsed(
    presented: &[&Parsed],
    anchors: &[&Parsed],
    at: i64,
    host_check: Option<HostCheck>,
    sigs: &SigMemo,
) -> Verdict {
    let refuse = Verdict::refused;
    let certs = match presented
        .iter()
        .map(|p| Cert::of(p))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => {
            return refuse(Refusal::Parse {
                message: "the server sent no certificate".into(),
            })
        }
        Err(message) => return refuse(Refusal::Parse { message }),
    };
    // The anchors the JDK can read, with their indices into `anchors`.
    let (anchor_idx, anchors): (Vec<usize>, Vec<Cert<'_>>) = anchors
        .iter()
        .enumerate()
        .filter_map(|(k, p)| Cert::of(p).ok().map(|c| (k, c)))
        .unzip();
    let mut ctx = Ctx {
        certs: &certs,
        anchors: &anchors,
        at,
        unverified: Vec::new(),
        budget: 4096,
        leaf_name_constrained: false,
        sigs,
    };
    let (path, anchor) = match engine_validate(&mut ctx) {
        Ok(v) => v,
        Err(message) => return refuse(Refusal::Pkix { message }),
    };
    // The TLS server end-entity checks, unless the leaf is itself trusted.
    if anchor.is_some() || path.len() > 1 {
        if let Some(m) = end_entity_problem(certs[0]) {
            return refuse(Refusal::Pkix { message: m });
        }
    }
    if let Some(r) = host_check.and_then(|h| h.verdict(ctx.leaf_name_constrained)) {
        return refuse(r);
    }
    let mut unverified = ctx.unverified;
    unverified.dedup();
    Verdict {
        refusal: None,
        path,
        anchor: anchor.map(|a| anchor_idx[a]),
        unverified_signatures: unverified,
    }
}

/// HttpClient's hostname verdicts on the leaf, made once per check (`None` matches): on the
/// certificate as issued, and after the JDK's name-constraints check copied its CN into its
/// SAN list ([`cn_as_san`]), which is what HttpClient reads when a CA of the validated path
/// carries name constraints.
#[derive(Debug, Clone)]
pub(crate) struct HostCheck {
    pub(crate) as_issued: Option<Refusal>,
    pub(crate) cn_as_san: Option<Refusal>,
}

impl HostCheck {
    /// The verdict HttpClient gives after the trust manager ran.
    fn verdict(self, leaf_name_constrained: bool) -> Option<Refusal> {
        if leaf_name_constrained {
            self.cn_as_san
        } else {
            self.as_issued
        }
    }
}

/// HttpClient's hostname verdicts on one parsed certificate, made once per check.
pub(crate) fn host_check(leaf: &Parsed, host: &str) -> HostCheck {
    match Cert::of(leaf) {
        Ok(c) => HostCheck {
            as_issued: host_refusal(c, host, false),
            cn_as_san: host_refusal(c, host, true),
        },
        Err(message) => HostCheck {
            as_issued: Some(Refusal::Parse {
                message: message.clone(),
            }),
            cn_as_san: Some(Refusal::Parse { message }),
        },
    }
}

/// HttpClient's hostname verdict, generation by generation.
///
/// HttpClient 4.5.14 (`org.apache.http.conn.ssl.DefaultHostnameVerifier.verify(String,
/// X509Certificate)`): when the certificate has any DNS or IP subjectAltName, an IP host is
/// matched against the IP SANs (`matchIPAddress`, `matchIPv6Address`) and any other host against
/// the DNS SANs (`matchDNSName`), and the subject's CN is read only when there is no DNS or IP SAN
/// at all (`matchCN`). Older 4.x (`AbstractVerifier.verify(String, String[], String[])`, which
/// received only the SANs of the host's kind) fell back to the CN when there was no SAN *of the
/// host's kind*. The newer accepts a subset of what the older accepts; AWS does not publish the
/// version API Gateway runs, so where they differ the refusal is the verdict and `older_accepts`
/// says an older client would accept.
///
/// `cn_copied`: the JDK's `NameConstraintsExtension.verify` ran on the leaf and, when the leaf
/// has a subjectAltName extension the JDK reads, appended the CN to it as a SAN of the CN's kind
/// ([`cn_as_san`]); `getSubjectAlternativeNames()`, which HttpClient's `getSubjectAltNames`
/// calls, then lists it.
fn host_refusal(leaf: Cert<'_>, host: &str, cn_copied: bool) -> Option<Refusal> {
    let san = jdk_san(leaf.det);
    let copied = match (&leaf.det.san, &san) {
        (Some(raw), Some(_)) if cn_copied => cn_as_san(leaf.det, raw),
        _ => None,
    };
    let (mut dns, mut ips) = san.unwrap_or_default();
    match copied {
        Some(AltName::Dns(d)) => dns.push(d),
        Some(AltName::Ip(b)) => ips.extend(ip_of(&b)),
        _ => {}
    }
    let cn = leaf.det.subject_cns.last().map(String::as_str);
    let older = names::host_matches(
        host,
        &CertNames {
            dns: Some(&dns),
            ip: Some(&ips),
            cn,
        },
    );
    let refusal = |reason: String, older_accepts: bool| Refusal::Host {
        log_line: format!(
            "Host name '{host}' does not match the certificate subject provided by the peer ({})",
            leaf.det.subject_java
        ),
        reason,
        older_accepts,
    };
    if dns.is_empty() && ips.is_empty() {
        // No SAN at all: both generations match the CN.
        return older.err().map(|names::HostMismatch(r)| refusal(r, false));
    }
    let sans_only = names::host_matches(
        host,
        &CertNames {
            dns: Some(&dns),
            ip: Some(&ips),
            cn: None,
        },
    );
    match (sans_only, older) {
        (Ok(()), _) => None,
        (Err(_), older) => {
            // `subjectAlts` as DefaultHostnameVerifier lists them: DNS and IP values.
            let all: Vec<String> = dns.iter().cloned().chain(ips.iter().map(java_ip)).collect();
            let reason = format!(
                "Certificate for <{host}> doesn't match any of the subject alternative names: [{}]",
                all.join(", ")
            );
            Some(refusal(reason, older.is_ok()))
        }
    }
}

/// A 4- or 16-byte address.
fn ip_of(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

/// An IP address as Java's `InetAddress.getHostAddress` writes it (IPv6 uncompressed).
fn java_ip(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => a
            .segments()
            .iter()
            .map(|s| format!("{s:x}"))
            .collect::<Vec<_>>()
            .join(":"),
    }
}

fn end_entity_problem(leaf: Cert<'_>) -> Option<String> {
    if leaf.key_usage_has("digitalSignature") == Some(false) {
        return Some("KeyUsage does not allow digital signatures".into());
    }
    if let Some(ekus) = &leaf.info.extended_key_usage {
        let ok = ekus.iter().any(|e| {
            matches!(
                e.as_str(),
                "serverAuth"
                    | "anyExtendedKeyUsage"
                    | "2.16.840.1.113730.4.1"
                    | "1.3.6.1.4.1.311.10.3.3"
            )
        });
        if !ok {
            return Some(
                "Extended key usage does not permit use for TLS server authentication".into(),
            );
        }
    }
    None
}

fn same_key(a: &Cert<'_>, b: &Cert<'_>) -> bool {
    a.subject() == b.subject() && a.info.public_key == b.info.public_key
}

/// `PKIXValidator.engineValidate`: the chain as sent when it is in order, else path building.
/// Returns the path (indices into the presented chain) and the anchor (`None` when the leaf
/// itself is trusted).
type PathResult = Result<(Vec<usize>, Option<usize>), String>;

fn engine_validate(ctx: &mut Ctx<'_>) -> PathResult {
    let certs = ctx.certs;
    for i in 0..certs.len() {
        if i > 0 && certs[i].subject() != certs[i - 1].issuer() {
            return build(ctx);
        }
        if let Some(a) = ctx.anchors.iter().position(|a| same_key(a, &certs[i])) {
            if i == 0 {
                return Ok((vec![0], None));
            }
            let path: Vec<usize> = (0..i).collect();
            return validate(ctx, &path, a)
                .map(|()| (path, Some(a)))
                .map_err(|m| format!("PKIX path validation failed: {m}"));
        }
    }
    let last = &certs[certs.len() - 1];
    let direct = ctx.anchors.iter().position(|a| {
        a.subject() == last.issuer()
            && matches!(check_signature(last.det, a, ctx.sigs), SigCheck::Valid)
    });
    if let Some(a) = direct {
        let path: Vec<usize> = (0..certs.len()).collect();
        return validate(ctx, &path, a)
            .map(|()| (path, Some(a)))
            .map_err(|m| format!("PKIX path validation failed: {m}"));
    }
    build(ctx)
}

const BUILD_FAILED: &str = "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target";

/// `SunCertPathBuilder`: any path from the leaf over the presented certificates to an anchor
/// that validates.
fn build(ctx: &mut Ctx<'_>) -> PathResult {
    let mut path = vec![0usize];
    match search(ctx, &mut path) {
        Some(a) => Ok((path, Some(a))),
        None => Err(BUILD_FAILED.into()),
    }
}

fn search(ctx: &mut Ctx<'_>, path: &mut Vec<usize>) -> Option<usize> {
    if ctx.budget == 0 || path.len() > 12 {
        return None;
    }
    ctx.budget -= 1;
    let cur = &ctx.certs[*path.last()?];
    // Anchors first, as the JDK's forward builder does. When `PKIXValidator.engineValidate`
    // falls back to `doBuild` (the chain is not a clean leaf → … → anchor sequence),
    // `SunCertPathBuilder` asks `ForwardBuilder.getMatchingCACerts` for each certificate's
    // issuers. That method matches the trusted certificates with its cached `caSelector` and
    // only afterwards calls `sel.setCertificateValid(buildParams.date())` on the same selector,
    // which keeps the date for every later call: the leaf's issuer (the first lookup) may be an
    // anchor whatever its validity, every issuer further up must be an anchor valid at the
    // date, else the build ends in "unable to find valid certification path". (A clean chain
    // is validated as sent, in `engine_validate`, and there the anchor's validity is never
    // read.) Observed with the JDK 17 oracle: `tests/verdict_fuzz.rs`.
    let first_lookup = path.len() == 1;
    for a in 0..ctx.anchors.len() {
        let anchor = &ctx.anchors[a];
        let valid_at = anchor.info.not_before <= ctx.at && ctx.at <= anchor.info.not_after;
        let selectable = first_lookup || valid_at;
        if anchor.subject() == cur.issuer() && selectable && validate(ctx, path, a).is_ok() {
            return Some(a);
        }
    }
    for i in 1..ctx.certs.len() {
        let c = &ctx.certs[i];
        if path.contains(&i)
            || c.subject() != cur.issuer()
            || path.iter().any(|p| same_key(&ctx.certs[*p], c))
        {
            continue;
        }
        path.push(i);
        if let Some(a) = search(ctx, path) {
            return Some(a);
        }
        path.pop();
    }
    None
}

/// `PKIXCertPathValidator` over `path` (leaf first) ending at anchor `a`.
fn validate(ctx: &mut Ctx<'_>, path: &[usize], a: usize) -> Result<(), String> {
    let anchor = &ctx.anchors[a];
    let cpv = "java.security.cert.CertPathValidatorException";
    // The trust anchor must be able to sign certificates.
    if anchor.det.version >= 3 {
        if anchor.info.basic_constraints_ca != Some(true) {
            return Err(format!(
                "sun.security.validator.ValidatorException: TrustAnchor with subject \"{}\" is not a CA certificate",
                anchor.info.subject
            ));
        }
        if anchor.key_usage_has("keyCertSign") == Some(false) {
            return Err(format!(
                "sun.security.validator.ValidatorException: TrustAnchor with subject \"{}\" does not have keyCertSign bit set in KeyUsage extension",
                anchor.info.subject
            ));
        }
    }
    if anchor
        .det
        .extension("2.5.29.14")
        .is_some_and(|e| e.critical)
    {
        return Err(format!(
            "{cpv}: Path does not chain with any of the trust anchors"
        ));
    }
    if let Some(w) = weak_key(anchor) {
        return Err(format!(
            "{cpv}: Algorithm constraints check failed on keysize limits: {w} used with certificate: {}",
            anchor.info.subject
        ));
    }
    let n = path.len();
    // From the anchor down: position k = 0 is the certificate the anchor issued.
    let mut max_path_len = n as i64;
    let mut constraints: Vec<&CertDetail> = Vec::new();
    for k in 0..n {
        let cert = &ctx.certs[path[n - 1 - k]];
        let issuer: &Cert<'_> = if k == 0 {
            anchor
        } else {
            &ctx.certs[path[n - k]]
        };
        let is_leaf = k == n - 1;
        match check_signature(cert.det, issuer, ctx.sigs) {
            SigCheck::Valid => {}
            SigCheck::Invalid => return Err(format!("{cpv}: signature check failed")),
            SigCheck::Unverifiable(alg) => ctx.unverified.push(alg),
            SigCheck::Disabled(alg) => {
                return Err(format!(
                    "{cpv}: Algorithm constraints check failed on signature algorithm: {alg}"
                ))
            }
        }
        if let Some(w) = weak_key(cert) {
            return Err(format!(
                "{cpv}: Algorithm constraints check failed on keysize limits: {w} used with certificate: {}",
                cert.info.subject
            ));
        }
        if cert.info.not_before > ctx.at || cert.info.not_after < ctx.at {
            return Err(format!("{cpv}: validity check failed"));
        }
        let unknown_critical = cert
            .det
            .extensions
            .iter()
            .any(|e| e.critical && !KNOWN_CRITICAL.contains(&e.oid.as_str()));
        if unknown_critical {
            return Err(format!("{cpv}: unrecognized critical extension(s)"));
        }
        if cert.det.extension("2.5.29.14").is_some_and(|e| e.critical) {
            return Err(format!(
                "{cpv}: Path does not chain with any of the trust anchors"
            ));
        }
        // Name constraints of the intermediates above apply to this certificate.
        if !constraints.is_empty() && (is_leaf || !cert.self_issued()) {
            // `NameConstraintsExtension.verify` copies the leaf's CN into its SAN list.
            ctx.leaf_name_constrained |= is_leaf;
            for nc in &constraints {
                if let Err(m) = name_constraints_allow(nc, cert) {
                    return Err(format!("{cpv}: {m}"));
                }
            }
        }
        if !is_leaf {
            if cert.det.version < 3 {
                return Err(format!(
                    "{cpv}: basic constraints check failed: this is not a CA certificate"
                ));
            }
            if cert.info.basic_constraints_ca != Some(true) {
                return Err(format!(
                    "{cpv}: basic constraints check failed: this is not a CA certificate"
                ));
            }
            if !cert.self_issued() {
                if max_path_len <= 0 {
                    return Err(format!("{cpv}: basic constraints check failed: pathLenConstraint violated - this cert must be the last cert in the certification path"));
                }
                max_path_len -= 1;
            }
            if let Some(pl) = cert.info.path_len {
                max_path_len = max_path_len.min(i64::from(pl));
            }
            if cert.key_usage_has("keyCertSign") == Some(false) {
                return Err(format!(
                    "{cpv}: CA key usage check failed: keyCertSign bit is not set"
                ));
            }
            if cert.det.name_constraints.is_some() {
                constraints.push(cert.det);
            }
        }
    }
    Ok(())
}

/// One name-constraints extension against a certificate's subject and SANs (DNS, IP,
/// directory names; other name forms the JDK cannot match).
fn name_constraints_allow(nc_cert: &CertDetail, cert: &Cert<'_>) -> Result<(), String> {
    let Some((permitted, excluded)) = &nc_cert.name_constraints else {
        return Ok(());
    };
    let failed = || "name constraints check failed".to_string();
    let mut names: Vec<AltName> = Vec::new();
    if !cert.det.subject_empty {
        names.push(AltName::Directory(cert.info.subject_raw.clone()));
    }
    if let Some(san) = &cert.det.san {
        names.extend(san.iter().cloned());
    }
    // Without a SAN of its kind, the most specific CN counts as a DNS name or IP address.
    if let Some(cn) = cn_as_san(cert.det, &names) {
        names.push(cn);
    }
    let all_constraints = permitted.iter().flatten().chain(excluded.iter().flatten());
    let has_other = all_constraints
        .clone()
        .any(|c| matches!(c, AltName::OtherName));
    if has_other && names.iter().any(|n| matches!(n, AltName::OtherName)) {
        return Err("Narrowing, widening, and matching are not supported for OtherName.".into());
    }
    for name in &names {
        if let Some(ex) = excluded {
            if ex.iter().any(|c| within(name, c) == Some(true)) {
                return Err(failed());
            }
        }
        if let Some(pe) = permitted {
            let same_type: Vec<&AltName> =
                pe.iter().filter(|c| within(name, c).is_some()).collect();
            if !same_type.is_empty() && !same_type.iter().any(|c| within(name, c) == Some(true)) {
                return Err(failed());
            }
        }
    }
    Ok(())
}

/// `Some(true)` when `name` is within subtree `c`, `Some(false)` when not, `None` when they are
/// of different types.
fn within(name: &AltName, c: &AltName) -> Option<bool> {
    match (name, c) {
        (AltName::Dns(n), AltName::Dns(c)) => {
            let (n, c) = (n.to_ascii_lowercase(), c.to_ascii_lowercase());
            Some(c.is_empty() || n == c || n.ends_with(&format!(".{c}")))
        }
        (AltName::Ip(ip), AltName::Ip(c)) => Some(ip_within(ip, c)),
        (AltName::Directory(n), AltName::Directory(c)) => {
            let inner = |d: &[u8]| -> Vec<u8> { der_contents(d).unwrap_or_default() };
            let (n, c) = (inner(n), inner(c));
            Some(n.starts_with(&c))
        }
        (AltName::Email(_), AltName::Email(_)) | (AltName::Uri(_), AltName::Uri(_)) => Some(true),
        _ => None,
    }
}

/// `sun.security.x509.IPAddressName.constrains`, subtree `c` against name `ip` (4 or 16 bytes
/// an address, 8 or 32 an address and a mask), as `NameConstraintsExtension.verify` reads it:
/// within on `NAME_MATCH` or `NAME_NARROWS`. An address and a subnet of the other IP version,
/// or two different addresses, are `NAME_SAME_TYPE` and not within, so an IPv6 SAN fails a
/// permitted IPv4 subtree; a subnet-shaped SAN (limbo `nc-permits-invalid-ip-san`) is within a
/// subnet that encloses it.
fn ip_within(ip: &[u8], c: &[u8]) -> bool {
    let subnet = |b: &[u8]| b.len() == 8 || b.len() == 32;
    if ip.len() == c.len() && !subnet(c) {
        return ip == c;
    }
    if c.len() == ip.len() * 2 {
        // A subnet against an address: the address masked is the subnet's address.
        let (addr, mask) = c.split_at(ip.len());
        return ip.iter().zip(addr).zip(mask).all(|((i, a), m)| i & m == *a);
    }
    if ip.len() != c.len() || !subnet(c) {
        return false;
    }
    let half = c.len() / 2;
    let (ca, cm) = c.split_at(half);
    let (na, nm) = ip.split_at(half);
    let c_empty = ca.iter().zip(cm).any(|(a, m)| a & m != *a);
    let n_empty = na.iter().zip(nm).any(|(a, m)| a & m != *a);
    let equal = ca
        .iter()
        .zip(cm)
        .zip(na.iter().zip(nm))
        .all(|((a, m), (b, n))| a & m == b & n)
        && cm == nm;
    if equal {
        return true;
    }
    if c_empty || n_empty {
        // MATCH when both are empty, NARROWS when only the name is, WIDENS when only `c` is.
        return n_empty;
    }
    // The name's subnet inside `c`'s: its mask at least as long, its address in `c`.
    (0..half).all(|i| cm[i] & nm[i] == cm[i] && ca[i] & cm[i] == na[i] & cm[i])
}

/// The contents of a DER TLV.
fn der_contents(d: &[u8]) -> Option<Vec<u8>> {
    let len0 = *d.get(1)? as usize;
    let (start, len) = if len0 < 0x80 {
        (2, len0)
    } else {
        let n = len0 & 0x7f;
        let mut l = 0usize;
        for b in d.get(2..2 + n)? {
            l = (l << 8) | *b as usize;
        }
        (2 + n, l)
    };
    d.get(start..start + len).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jdk_dns_name_syntax() {
        assert!(jdk_dns_syntax("api.example.com", true));
        assert!(jdk_dns_syntax("*.example.com", true));
        assert!(!jdk_dns_syntax("*.example.com", false));
        assert!(!jdk_dns_syntax("f*o.example.com", true));
        assert!(!jdk_dns_syntax("_acme.example.com", true));
        assert!(!jdk_dns_syntax("a..b", true));
        assert!(!jdk_dns_syntax("*", true));
    }

    #[test]
    fn ip_subtrees_as_ipaddressname_constrains() {
        let net = [192, 0, 2, 0, 255, 255, 255, 0];
        assert!(ip_within(&[192, 0, 2, 1], &net));
        assert!(!ip_within(&[192, 0, 3, 1], &net));
        assert!(ip_within(&net, &net));
        assert!(ip_within(&[192, 0, 2, 128, 255, 255, 255, 128], &net));
        assert!(!ip_within(&[192, 0, 0, 0, 255, 255, 0, 0], &net));
        assert!(!ip_within(&[0u8; 16], &net));
        assert!(!ip_within(&[192, 0, 2, 1], &[192, 0, 2, 2]));
    }

    #[test]
    fn jdk_ipv4_literal_forms() {
        assert_eq!(jdk_ipv4_literal("10.0.0.5"), Some([10, 0, 0, 5]));
        assert_eq!(jdk_ipv4_literal("10.5"), Some([10, 0, 0, 5]));
        assert_eq!(jdk_ipv4_literal("167772165"), Some([10, 0, 0, 5]));
        assert_eq!(jdk_ipv4_literal("10.0.261"), Some([10, 0, 1, 5]));
        assert_eq!(jdk_ipv4_literal("10.0.0.256"), None);
        assert_eq!(jdk_ipv4_literal("10..5"), None);
        assert_eq!(jdk_ipv4_literal("1.2.3.4.5"), None);
        assert_eq!(jdk_ipv4_literal("lb.example.test"), None);
        assert_eq!(jdk_ipv4_literal(""), None);
    }
}

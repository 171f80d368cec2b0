//! Client-certificate verification as an ALB in mutual TLS `verify` mode does it: rustls-webpki
//! builds the path from the presented chain to a root of the trust store for TLS client use,
//! then the ALB's own limits apply; each refusal names the ALB connection log's
//! `tls_verify_status` value.

use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use serde::Serialize;

use super::{AlbBundle, MAX_CHAIN_DEPTH};
use crate::x509::CertInfo;

/// A client the ALB would admit: the verified path, leaf first, anchor last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ClientPath {
    pub(crate) certificates: Vec<PathCert>,
    /// Certificates in the path, leaf and anchor included (the ALB allows at most 4).
    pub(crate) depth: usize,
}

/// One certificate of a verified path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PathCert {
    pub(crate) subject: String,
    pub(crate) sha256: String,
    pub(crate) not_after: String,
}

impl PathCert {
    fn of(c: &CertInfo) -> PathCert {
        PathCert {
            subject: c.subject.clone(),
            sha256: c.sha256.colon_hex(),
            not_after: crate::x509::rfc3339(c.not_after),
        }
    }
}

/// Why an ALB in verify mode refuses a client, each with its connection-log code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AlbRefusal {
    #[error("no client certificate was presented")]
    NoCertificate,
    #[error("\"{subject}\" does not chain to a root CA certificate of the trust store ({reason})")]
    Untrusted { subject: String, reason: String },
    #[error("\"{subject}\" expired on {not_after}")]
    Expired { subject: String, not_after: String },
    #[error("\"{subject}\" is not valid until {not_before}")]
    NotYetValid { subject: String, not_before: String },
    #[error("\"{subject}\" may not be used for TLS client authentication: {reason}")]
    PurposeInvalid { subject: String, reason: String },
    #[error("the verified path has {depth} certificates; the ALB allows at most {max}")]
    MaxChainDepthExceeded { depth: usize, max: usize },
    #[error("the client certificate uses what the ALB does not support: {reason}")]
    Unsupported { reason: String },
    #[error("the client certificate is malformed: {reason}")]
    Invalid { reason: String },
}

impl AlbRefusal {
    /// The `tls_verify_status` the ALB's connection log shows for it. `NoCertificate` and
    /// `Invalid` are certctl's reading (the guide names no code for them); the others are
    /// the codes the ELB user guide lists.
    pub(crate) fn log_code(&self) -> &'static str {
        match self {
            AlbRefusal::NoCertificate => "Failed:UnmappedConnectionError",
            AlbRefusal::Untrusted { .. } => "Failed:ClientCertUntrusted",
            AlbRefusal::Expired { .. } => "Failed:ClientCertExpired",
            AlbRefusal::NotYetValid { .. } => "Failed:ClientCertNotYetValid",
            AlbRefusal::PurposeInvalid { .. } => "Failed:ClientCertPurposeInvalid",
            AlbRefusal::MaxChainDepthExceeded { .. } => "Failed:ClientCertMaxChainDepthExceeded",
            AlbRefusal::Unsupported { .. } => "Failed:ClientCertTypeUnsupported",
            AlbRefusal::Invalid { .. } => "Failed:ClientCertInvalid",
        }
    }

    /// A stable kebab-case code for JSON.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            AlbRefusal::NoCertificate => "no-certificate",
            AlbRefusal::Untrusted { .. } => "untrusted",
            AlbRefusal::Expired { .. } => "expired",
            AlbRefusal::NotYetValid { .. } => "not-yet-valid",
            AlbRefusal::PurposeInvalid { .. } => "purpose-invalid",
            AlbRefusal::MaxChainDepthExceeded { .. } => "max-chain-depth-exceeded",
            AlbRefusal::Unsupported { .. } => "unsupported",
            AlbRefusal::Invalid { .. } => "invalid",
        }
    }

    /// The fix.
    pub(crate) fn hint(&self) -> &'static str {
        match self {
            AlbRefusal::NoCertificate => "give the client (the API Gateway stage) a client certificate to present",
            AlbRefusal::Untrusted { .. } => "put the root CA (and any intermediates) that issued the client certificate in the bundle: `certctl truststore bundle --for alb ca.pem --out bundle.pem`",
            AlbRefusal::Expired { .. } => "issue a new client certificate (`certctl issue client … --force`) and re-import it; replace an expired CA",
            AlbRefusal::NotYetValid { .. } => "wait until it is valid, or check the issuing machine's clock",
            AlbRefusal::PurposeInvalid { .. } => "issue it with `certctl issue client` (extendedKeyUsage clientAuth, keyUsage digitalSignature)",
            AlbRefusal::MaxChainDepthExceeded { .. } => "issue the client certificate from a CA nearer the root (leaf, at most 2 intermediates, root)",
            AlbRefusal::Unsupported { .. } => "use an X.509v3 certificate with an RSA (2048+) or ECDSA (P-256, P-384) key and a SHA-256 or stronger signature",
            AlbRefusal::Invalid { .. } => "export the client certificate again from its source",
        }
    }
}

/// Verifies a presented client chain (leaf first, then what the client sends) against a trust
/// store bundle at `at`, as the ALB does: rustls-webpki with the client-auth usage, the
/// bundle's self-issued certificates as anchors and its other CAs as intermediates; then the
/// leaf's keyUsage (digitalSignature or keyAgreement when present, as OpenSSL's client purpose
/// checks), the anchor's validity (webpki never checks it; the ALB does) and the chain depth.
pub(crate) fn verify_client(
    chain: &[CertificateDer<'_>],
    bundle: &AlbBundle,
    at: UnixTime,
) -> Result<ClientPath, AlbRefusal> {
    let leaf_der = chain.first().ok_or(AlbRefusal::NoCertificate)?;
    let leaf = CertInfo::parse(leaf_der).map_err(|e| AlbRefusal::Invalid {
        reason: e.to_string(),
    })?;
    let ee = webpki::EndEntityCert::try_from(leaf_der).map_err(|e| refusal(&e, &leaf, None))?;
    let (roots, others): (Vec<&CertInfo>, Vec<&CertInfo>) = bundle
        .certificates
        .iter()
        .map(|c| &c.info)
        .partition(|c| c.is_self_issued());
    let root_ders: Vec<CertificateDer<'_>> = roots
        .iter()
        .map(|c| CertificateDer::from(c.der.as_slice()))
        .collect();
    let anchors: Vec<(TrustAnchor<'_>, &CertInfo)> = root_ders
        .iter()
        .zip(&roots)
        .filter_map(|(d, c)| webpki::anchor_from_trusted_cert(d).ok().map(|a| (a, *c)))
        .collect();
    let anchor_list: Vec<TrustAnchor<'_>> = anchors.iter().map(|(a, _)| a.clone()).collect();
    let mut intermediates: Vec<CertificateDer<'_>> = chain[1..].to_vec();
    intermediates.extend(
        others
            .iter()
            .map(|c| CertificateDer::from(c.der.as_slice())),
    );
    let secs = at.as_secs() as i64;
    let vp = ee
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchor_list,
            &intermediates,
            at,
            webpki::KeyUsage::client_auth(),
            None,
            None,
        )
        .map_err(|e| {
            let presented: Vec<CertInfo> = chain[1..]
                .iter()
                .filter_map(|d| CertInfo::parse(d).ok())
                .collect();
            let expired = presented
                .iter()
                .chain(others.iter().copied())
                .find(|c| c.not_after < secs || c.not_before > secs);
            refusal(&e, &leaf, expired)
        })?;
    let mut path = vec![PathCert::of(&leaf)];
    for inter in vp.intermediate_certificates() {
        match CertInfo::parse(&inter.der()) {
            Ok(c) => {
                issuer_profile(&c)?;
                path.push(PathCert::of(&c));
            }
            Err(e) => {
                return Err(AlbRefusal::Invalid {
                    reason: e.to_string(),
                })
            }
        }
    }
    let a = vp.anchor();
    let anchor = anchors
        .iter()
        .find(|(x, _)| {
            x.subject == a.subject && x.subject_public_key_info == a.subject_public_key_info
        })
        .map(|(_, c)| *c);
    if let Some(root) = anchor {
        validity(root, secs)?;
        issuer_profile(root)?;
        path.push(PathCert::of(root));
    }
    purpose(&leaf)?;
    // RFC 5280 4.2.1.1: every certificate but a self-signed one carries an
    // authorityKeyIdentifier; OpenSSL's strict verification refuses a client certificate
    // without one ("Missing Authority Key Identifier").
    if leaf.authority_key_id.is_none() && !leaf.is_self_issued() {
        return Err(AlbRefusal::Untrusted {
            subject: leaf.subject.clone(),
            reason: "it has no authorityKeyIdentifier".into(),
        });
    }
    let depth = path.len();
    if depth > MAX_CHAIN_DEPTH {
        return Err(AlbRefusal::MaxChainDepthExceeded {
            depth,
            max: MAX_CHAIN_DEPTH,
        });
    }
    Ok(ClientPath {
        certificates: path,
        depth,
    })
}

/// What every CA certificate of the path (intermediates and the anchor) must be beyond what
/// webpki checks, as OpenSSL's verification with `X509_V_FLAG_X509_STRICT` and the `sslclient`
/// purpose requires (the ELB guide says the ALB verifies "X.509v3 client certificates" with
/// "established libraries" and names no rule of its own here; certctl takes OpenSSL's, the
/// stricter reading, so that it never promises a client the ALB may refuse):
/// - keyUsage present, with keyCertSign (RFC 5280 4.2.1.3; OpenSSL `check_ca` refuses a CA
///   whose keyUsage lacks keyCertSign in any mode, and its strict mode a CA without keyUsage:
///   "CA cert does not include key usage extension");
/// - basicConstraints marked critical (RFC 5280 4.2.1.9; "Basic Constraints of CA cert not
///   marked critical");
/// - a subjectKeyIdentifier (RFC 5280 4.2.1.2; "Missing Subject Key Identifier"), and, when
///   not self-issued, an authorityKeyIdentifier (4.2.1.1; "Missing Authority Key Identifier");
/// - an extendedKeyUsage, when present, holding clientAuth: OpenSSL's `sslclient` purpose
///   applies to every certificate of the chain, the trust anchor included in strict mode
///   (anyExtendedKeyUsage alone does not satisfy it). webpki checks it on intermediates only.
fn issuer_profile(c: &CertInfo) -> Result<(), AlbRefusal> {
    let untrusted = |why: &str| AlbRefusal::Untrusted {
        subject: c.subject.clone(),
        reason: format!("its CA certificate {why}"),
    };
    match &c.key_usage {
        None => return Err(untrusted("has no keyUsage extension")),
        Some(ku) if !ku.iter().any(|u| u == "keyCertSign") => {
            return Err(untrusted("has a keyUsage without keyCertSign"))
        }
        Some(_) => {}
    }
    if !c.basic_constraints_critical {
        return Err(untrusted("has basicConstraints not marked critical"));
    }
    if c.subject_key_id.is_none() {
        return Err(untrusted("has no subjectKeyIdentifier"));
    }
    if c.authority_key_id.is_none() && !c.is_self_issued() {
        return Err(untrusted("has no authorityKeyIdentifier"));
    }
    if let Some(eku) = &c.extended_key_usage {
        if !eku.iter().any(|u| u == "clientAuth") {
            return Err(AlbRefusal::PurposeInvalid {
                subject: c.subject.clone(),
                reason: format!(
                    "it is a CA whose extendedKeyUsage ({}) lacks clientAuth",
                    eku.join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// The leaf's keyUsage, when present, allows the signature a TLS client makes.
fn purpose(leaf: &CertInfo) -> Result<(), AlbRefusal> {
    let Some(ku) = &leaf.key_usage else {
        return Ok(());
    };
    if ku
        .iter()
        .any(|u| u == "digitalSignature" || u == "keyAgreement")
    {
        return Ok(());
    }
    Err(AlbRefusal::PurposeInvalid {
        subject: leaf.subject.clone(),
        reason: format!(
            "its keyUsage ({}) has neither digitalSignature nor keyAgreement",
            ku.join(", ")
        ),
    })
}

fn validity(c: &CertInfo, at: i64) -> Result<(), AlbRefusal> {
    if c.not_after < at {
        return Err(AlbRefusal::Expired {
            subject: c.subject.clone(),
            not_after: crate::x509::rfc3339(c.not_after),
        });
    }
    if c.not_before > at {
        return Err(AlbRefusal::NotYetValid {
            subject: c.subject.clone(),
            not_before: crate::x509::rfc3339(c.not_before),
        });
    }
    Ok(())
}

/// webpki's refusal as the ALB's; `other_out_of_date` is a certificate besides the leaf that
/// is outside its validity, named when webpki's time error is not about the leaf.
fn refusal(e: &webpki::Error, leaf: &CertInfo, other_out_of_date: Option<&CertInfo>) -> AlbRefusal {
    use webpki::Error as E;
    let subject = leaf.subject.clone();
    let reason = format!("{e:?}");
    match e {
        E::CertExpired { .. } | E::CertNotValidYet { .. } => {
            let at = match e {
                E::CertExpired { time, .. } | E::CertNotValidYet { time, .. } => {
                    time.as_secs() as i64
                }
                _ => 0,
            };
            let c = if validity(leaf, at).is_err() {
                leaf
            } else {
                other_out_of_date.unwrap_or(leaf)
            };
            validity(c, at)
                .err()
                .unwrap_or(AlbRefusal::Untrusted { subject, reason })
        }
        E::RequiredEkuNotFoundContext(_) => AlbRefusal::PurposeInvalid {
            subject,
            reason: "its extendedKeyUsage lacks clientAuth".into(),
        },
        E::CaUsedAsEndEntity => AlbRefusal::PurposeInvalid {
            subject,
            reason: "it is a CA certificate, not a client certificate".into(),
        },
        E::MaximumPathDepthExceeded => AlbRefusal::MaxChainDepthExceeded {
            depth: MAX_CHAIN_DEPTH + 1,
            max: MAX_CHAIN_DEPTH,
        },
        E::UnsupportedCertVersion
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            AlbRefusal::Unsupported { reason }
        }
        E::BadDer | E::BadDerTime | E::TrailingData(_) | E::MalformedExtensions => {
            AlbRefusal::Invalid { reason }
        }
        _ => AlbRefusal::Untrusted { subject, reason },
    }
}

//! ALB trust store bundles (mutual TLS in `verify` mode): the bundle format and limits the ALB
//! enforces, client-certificate verification as the ALB does it, and a builder of bundles it
//! accepts.
//!
//! The rules, from the Elastic Load Balancing user guide (Application Load Balancers: "Mutual
//! authentication with TLS" → "Before you begin configuring mutual TLS", and "Quotas for your
//! Application Load Balancers" → trust stores):
//! - the CA certificates bundle is PEM only, with no blank lines; comment lines start with `#`
//!   and contain no `-`; revocation lists are separate files (only CERTIFICATE blocks here);
//! - at most [`MAX_CA_CERTIFICATES`] CA certificates per trust store, each at most
//!   [`MAX_CERTIFICATE_BYTES`] (certctl measures the DER certificate), a client chain of depth at
//!   most [`MAX_CHAIN_DEPTH`]; [`MAX_TRUST_STORES`] trust stores per account (the AWS side's
//!   concern, named here for its messages);
//! - every certificate of the bundle is a CA certificate (basicConstraints CA:TRUE), X.509v3,
//!   and valid.
//!
//! Readings certctl makes where the guide is silent, each chosen as the stricter one:
//! - chain depth counts every certificate of the verified path, the client's leaf and the
//!   trust anchor included (leaf → root is 2; leaf → 2 intermediates → root is 4);
//! - trust anchors are the bundle's self-issued (root) certificates; the bundle's other CA
//!   certificates serve as intermediates, so a bundle must reach a root (as OpenSSL's default
//!   verification, without partial chains, requires).

mod build;
mod parse;
mod verify;

use serde::Serialize;

use crate::findings::Severity;
use crate::x509::CertInfo;

// The whole interface, also what `truststore` does not use itself (the AWS commands judge a
// trust store's current certificates and an ACM client certificate with it).
#[allow(unused_imports)]
pub(crate) use build::{build_bundle, BuildError, BuiltBundle, BundleInput};
#[allow(unused_imports)]
pub(crate) use parse::{certificate_findings, lint, parse_bundle};
#[allow(unused_imports)]
pub(crate) use verify::{verify_client, AlbRefusal, ClientPath, PathCert};

/// CA certificates per trust store (ELB quotas: "CA certificates per trust store").
pub(crate) const MAX_CA_CERTIFICATES: usize = 25;
/// Size of one CA certificate in a bundle (ELB quotas: "CA certificate size", 16 KB).
pub(crate) const MAX_CERTIFICATE_BYTES: usize = 16 * 1024;
/// Certificates in a verified client path, leaf and anchor included ("certificate chain depth").
pub(crate) const MAX_CHAIN_DEPTH: usize = 4;
/// Trust stores per account (ELB quotas: "Trust stores per account").
#[allow(dead_code)]
pub(crate) const MAX_TRUST_STORES: usize = 20;

/// Where a bundle is meant to go: the only target today is an ALB trust store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum BundleTarget {
    /// An Application Load Balancer trust store (mutual TLS, verify mode).
    Alb,
}

impl BundleTarget {
    pub(crate) fn name(self) -> &'static str {
        match self {
            BundleTarget::Alb => "alb",
        }
    }
}

/// A certificate of a bundle, as parsed.
#[derive(Debug, Clone)]
pub(crate) struct BundleCert {
    /// The 1-based line of its BEGIN line.
    pub(crate) line: usize,
    pub(crate) info: CertInfo,
}

/// A trust store bundle: the certificates it holds, in order (every CERTIFICATE block that
/// decoded to a certificate, whatever the findings say about it).
#[derive(Debug, Clone, Default)]
pub(crate) struct AlbBundle {
    pub(crate) certificates: Vec<BundleCert>,
}

impl AlbBundle {
    /// A bundle of already parsed certificates (e.g. a trust store's current CA certificates).
    #[allow(dead_code)]
    pub(crate) fn of(certificates: Vec<CertInfo>) -> AlbBundle {
        AlbBundle {
            certificates: certificates
                .into_iter()
                .map(|info| BundleCert { line: 0, info })
                .collect(),
        }
    }
}

/// Every finding code a bundle lint reports: the one place they are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum BundleCode {
    /// DER (binary) where the ALB wants PEM.
    NotPem,
    /// No certificate at all.
    EmptyBundle,
    BlankLine,
    /// A comment line holding `-`.
    CommentHyphen,
    /// A line outside the blocks that is not a `#` comment.
    StrayText,
    /// A PEM block that is not CERTIFICATE (a CRL, a key, …).
    NotCertificateBlock,
    /// A block with bad base64, no END line, or bytes that are no certificate.
    MalformedBlock,
    TooManyCertificates,
    CertificateTooLarge,
    NotCa,
    NotV3,
    Expired,
    NotYetValid,
    DuplicateCertificate,
    /// A CA certificate whose issuer is not in the bundle (no root to end a path).
    NoRoot,
}

impl BundleCode {
    /// The stable kebab-case code, as serialized.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            BundleCode::NotPem => "not-pem",
            BundleCode::EmptyBundle => "empty-bundle",
            BundleCode::BlankLine => "blank-line",
            BundleCode::CommentHyphen => "comment-hyphen",
            BundleCode::StrayText => "stray-text",
            BundleCode::NotCertificateBlock => "not-certificate-block",
            BundleCode::MalformedBlock => "malformed-block",
            BundleCode::TooManyCertificates => "too-many-certificates",
            BundleCode::CertificateTooLarge => "certificate-too-large",
            BundleCode::NotCa => "not-ca",
            BundleCode::NotV3 => "not-v3",
            BundleCode::Expired => "expired",
            BundleCode::NotYetValid => "not-yet-valid",
            BundleCode::DuplicateCertificate => "duplicate-certificate",
            BundleCode::NoRoot => "no-root",
        }
    }

    /// How much it matters: `deny` when the ALB refuses the bundle (or, for `no-root`, every
    /// client that chains to that CA).
    pub(crate) const fn severity(self) -> Severity {
        match self {
            BundleCode::DuplicateCertificate => Severity::Warn,
            BundleCode::NotYetValid => Severity::Warn,
            _ => Severity::Deny,
        }
    }

    /// The fix.
    pub(crate) const fn hint(self) -> &'static str {
        match self {
            BundleCode::NotPem => "convert it: openssl x509 -inform der -in ca.der -out ca.pem; or build the bundle with `certctl truststore bundle --for alb`",
            BundleCode::EmptyBundle => "put the CA certificates that issue your client certificates in it",
            BundleCode::BlankLine => "remove every blank line (`certctl truststore bundle --for alb` writes none)",
            BundleCode::CommentHyphen => "remove the `-` from the comment, or the comment",
            BundleCode::StrayText => "remove the line, or make it a comment starting with `#` (without `-`)",
            BundleCode::NotCertificateBlock => "keep only CERTIFICATE blocks; revocation lists are added to the trust store separately",
            BundleCode::MalformedBlock => "re-export the certificate as PEM from its source",
            BundleCode::TooManyCertificates => "split the CAs over several trust stores, or drop CAs that issue no client certificates",
            BundleCode::CertificateTooLarge => "the ALB refuses CA certificates over 16 KB; use a CA certificate without large extensions",
            BundleCode::NotCa => "remove it: a trust store holds CA certificates only, never client (leaf) certificates",
            BundleCode::NotV3 => "remove it: only X.509 version 3 certificates are accepted",
            BundleCode::Expired => "remove it, and make sure the clients' certificates chain to a CA that is still valid",
            BundleCode::NotYetValid => "it verifies nothing until its not-before; keep it only for a planned rollover",
            BundleCode::DuplicateCertificate => "remove the repeated copy",
            BundleCode::NoRoot => "add the root CA certificate that issued it",
        }
    }
}

/// One observation about a bundle: data, never an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct BundleFinding {
    pub(crate) code: BundleCode,
    pub(crate) severity: Severity,
    pub(crate) message: String,
    pub(crate) hint: &'static str,
    /// The 1-based line it is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) line: Option<usize>,
    /// The SHA-256 of the certificate it is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) certificate: Option<String>,
}

impl BundleFinding {
    pub(crate) fn new(code: BundleCode, message: String) -> BundleFinding {
        BundleFinding {
            code,
            severity: code.severity(),
            message,
            hint: code.hint(),
            line: None,
            certificate: None,
        }
    }

    pub(crate) fn at_line(mut self, line: usize) -> BundleFinding {
        self.line = Some(line);
        self
    }

    pub(crate) fn about(mut self, c: &CertInfo) -> BundleFinding {
        self.certificate = Some(c.sha256.colon_hex());
        self
    }
}

#[cfg(test)]
mod tests;

//! Findings as data: stable kebab-case codes, severities, messages and fix hints.

use serde::Serialize;

/// How much a finding matters, after the policy has been applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Deny,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Deny => "deny",
        }
    }
}

/// One observation about a certificate or chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hint: Option<String>,
    /// SHA-256 of the certificate the finding is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) certificate: Option<String>,
}

/// Every finding code `check` can report: the one place they are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum CheckCode {
    ApigatewayRefuses,
    UntrustedRoot,
    SelfSigned,
    MissingIntermediate,
    Expired,
    NotYetValid,
    ExpiresSoon,
    HostnameMismatch,
    AnchorExpired,
    WeakKey,
    Sha1Signature,
    DisallowedSignatureAlgorithm,
    CaAsLeaf,
    LeafMissingServerAuth,
    NoSan,
    BadSignature,
    UnsupportedSignatureAlgorithm,
    PathInvalid,
    ChainOutOfOrder,
    LeafNoEku,
    LeafKeyUsage,
    CnNotInSan,
    LongValidity,
    AnchoredByFingerprint,
    RootSent,
    ExtraCertificate,
    LintSerial,
    LintKeyIdentifier,
    LintBasicConstraints,
    LintNameConstraints,
    LintCriticalExtension,
    LintEku,
    LintNames,
    LintEncoding,
    DuplicateCertificate,
}

impl CheckCode {
    /// The stable kebab-case code, as serialized.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            CheckCode::ApigatewayRefuses => "apigateway-refuses",
            CheckCode::UntrustedRoot => "untrusted-root",
            CheckCode::SelfSigned => "self-signed",
            CheckCode::MissingIntermediate => "missing-intermediate",
            CheckCode::Expired => "expired",
            CheckCode::NotYetValid => "not-yet-valid",
            CheckCode::ExpiresSoon => "expires-soon",
            CheckCode::HostnameMismatch => "hostname-mismatch",
            CheckCode::AnchorExpired => "anchor-expired",
            CheckCode::WeakKey => "weak-key",
            CheckCode::Sha1Signature => "sha1-signature",
            CheckCode::DisallowedSignatureAlgorithm => "disallowed-signature-algorithm",
            CheckCode::CaAsLeaf => "ca-as-leaf",
            CheckCode::LeafMissingServerAuth => "leaf-missing-server-auth",
            CheckCode::NoSan => "no-san",
            CheckCode::BadSignature => "bad-signature",
            CheckCode::UnsupportedSignatureAlgorithm => "unsupported-signature-algorithm",
            CheckCode::PathInvalid => "path-invalid",
            CheckCode::ChainOutOfOrder => "chain-out-of-order",
            CheckCode::LeafNoEku => "leaf-no-eku",
            CheckCode::LeafKeyUsage => "leaf-key-usage",
            CheckCode::CnNotInSan => "cn-not-in-san",
            CheckCode::LongValidity => "long-validity",
            CheckCode::AnchoredByFingerprint => "anchored-by-fingerprint",
            CheckCode::RootSent => "root-sent",
            CheckCode::ExtraCertificate => "extra-certificate",
            CheckCode::LintSerial => "lint-serial",
            CheckCode::LintKeyIdentifier => "lint-key-identifier",
            CheckCode::LintBasicConstraints => "lint-basic-constraints",
            CheckCode::LintNameConstraints => "lint-name-constraints",
            CheckCode::LintCriticalExtension => "lint-critical-extension",
            CheckCode::LintEku => "lint-eku",
            CheckCode::LintNames => "lint-names",
            CheckCode::LintEncoding => "lint-encoding",
            CheckCode::DuplicateCertificate => "duplicate-certificate",
        }
    }
}

/// A finding code and what it means; the policy may change its level.
pub(crate) struct CodeInfo {
    pub(crate) code: &'static str,
    pub(crate) default: Severity,
    pub(crate) meaning: &'static str,
}

/// Every finding code `check` can report, with its default level.
pub(crate) const CHECK_CODES: &[CodeInfo] = &[
    code(
        CheckCode::ApigatewayRefuses,
        Severity::Deny,
        "API Gateway's Java client refuses the chain for a reason no other code names",
    ),
    code(
        CheckCode::UntrustedRoot,
        Severity::Deny,
        "the chain ends at a CA that is not on API Gateway's list",
    ),
    code(
        CheckCode::SelfSigned,
        Severity::Deny,
        "the leaf is self-signed; API Gateway never trusts it",
    ),
    code(
        CheckCode::MissingIntermediate,
        Severity::Deny,
        "the server (or file) does not include an intermediate the path needs",
    ),
    code(
        CheckCode::Expired,
        Severity::Deny,
        "a certificate of the path is past its not-after",
    ),
    code(
        CheckCode::NotYetValid,
        Severity::Deny,
        "a certificate of the path is before its not-before",
    ),
    code(
        CheckCode::ExpiresSoon,
        Severity::Deny,
        "a certificate of the path expires within min-days",
    ),
    code(
        CheckCode::HostnameMismatch,
        Severity::Deny,
        "the leaf's SANs do not cover the hostname",
    ),
    code(
        CheckCode::AnchorExpired,
        Severity::Deny,
        "the root ending the path is listed but expired",
    ),
    code(
        CheckCode::WeakKey,
        Severity::Deny,
        "RSA below min-rsa-bits or EC below min-ec-bits",
    ),
    code(
        CheckCode::Sha1Signature,
        Severity::Deny,
        "a certificate is signed with SHA-1 (or MD5)",
    ),
    code(
        CheckCode::DisallowedSignatureAlgorithm,
        Severity::Deny,
        "a signature algorithm not in the policy's allowed list",
    ),
    code(
        CheckCode::CaAsLeaf, Severity::Deny, "the leaf is a CA certificate"),
    code(
        CheckCode::LeafMissingServerAuth,
        Severity::Deny,
        "the leaf's extended key usage lacks serverAuth",
    ),
    code(
        CheckCode::NoSan,
        Severity::Deny,
        "the leaf has no subjectAltName; TLS clients ignore the CN",
    ),
    code(
        CheckCode::BadSignature,
        Severity::Deny,
        "a signature in the path does not verify",
    ),
    code(
        CheckCode::UnsupportedSignatureAlgorithm,
        Severity::Deny,
        "a signature algorithm the validator does not support",
    ),
    code(
        CheckCode::PathInvalid,
        Severity::Deny,
        "the path is invalid for another reason the validator gave",
    ),
    code(
        CheckCode::ChainOutOfOrder,
        Severity::Warn,
        "the certificates are not in leaf-to-root order",
    ),
    code(
        CheckCode::LeafNoEku,
        Severity::Warn,
        "the leaf has no extended key usage extension",
    ),
    code(
        CheckCode::LeafKeyUsage,
        Severity::Warn,
        "the leaf's key usage does not allow TLS server use",
    ),
    code(
        CheckCode::CnNotInSan,
        Severity::Warn,
        "the leaf's CN is not one of its SANs",
    ),
    code(
        CheckCode::LongValidity,
        Severity::Info,
        "the leaf is valid for more than 398 days",
    ),
    code(
        CheckCode::AnchoredByFingerprint,
        Severity::Info,
        "the path ends at a presented certificate whose SHA-256 is on the list",
    ),
    code(
        CheckCode::RootSent,
        Severity::Info,
        "the chain includes the root itself, which is harmless but unneeded",
    ),
    code(
        CheckCode::ExtraCertificate,
        Severity::Info,
        "a certificate that is not part of the path",
    ),
    code(
        CheckCode::LintSerial,
        Severity::Deny,
        "lint: a serial number that is zero, negative or longer than 20 octets",
    ),
    code(
        CheckCode::LintKeyIdentifier,
        Severity::Deny,
        "lint: authority/subject key identifiers missing, critical or malformed",
    ),
    code(
        CheckCode::LintBasicConstraints,
        Severity::Deny,
        "lint: basicConstraints missing, not critical or inconsistent with keyUsage",
    ),
    code(
        CheckCode::LintNameConstraints,
        Severity::Deny,
        "lint: name constraints on a leaf, not critical, or empty",
    ),
    code(
        CheckCode::LintCriticalExtension,
        Severity::Deny,
        "lint: an unknown critical extension, or policyConstraints not critical",
    ),
    code(
        CheckCode::LintEku,
        Severity::Deny,
        "lint: extendedKeyUsage on a root, anyExtendedKeyUsage or a critical EKU on the leaf",
    ),
    code(
        CheckCode::LintNames,
        Severity::Deny,
        "lint: malformed DNS names (underscores, bad labels), an empty subject with a non-critical SAN",
    ),
    code(
        CheckCode::LintEncoding,
        Severity::Deny,
        "lint: malformed authorityInfoAccess, an RSA modulus not a multiple of 8, a v1/v2 certificate",
    ),
    code(
        CheckCode::DuplicateCertificate,
        Severity::Info,
        "the same certificate appears more than once",
    ),
];

const fn code(code: CheckCode, default: Severity, meaning: &'static str) -> CodeInfo {
    CodeInfo {
        code: code.as_str(),
        default,
        meaning,
    }
}

/// The catalogue entry of a code.
pub(crate) fn code_info(code: &str) -> Option<&'static CodeInfo> {
    CHECK_CODES.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_kebab_case_names() {
        for c in CHECK_CODES {
            assert!(code_info(c.code).is_some());
        }
        assert_eq!(
            serde_json::to_string(&CheckCode::LeafMissingServerAuth).unwrap(),
            "\"leaf-missing-server-auth\""
        );
        assert_eq!(CheckCode::ApigatewayRefuses.as_str(), "apigateway-refuses");
    }
}

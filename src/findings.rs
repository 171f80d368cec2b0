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
    pub fn as_str(self) -> &'static str {
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
    pub hint: Option<String>,
    /// SHA-256 of the certificate the finding is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

/// A finding code and what it means; the policy may change its level.
pub struct CodeInfo {
    pub code: &'static str,
    pub default: Severity,
    pub meaning: &'static str,
}

/// Every finding code `check` can report, with its default level.
pub const CHECK_CODES: &[CodeInfo] = &[
    code(
        "apigateway-refuses",
        Severity::Deny,
        "API Gateway's Java client refuses the chain for a reason no other code names",
    ),
    code(
        "untrusted-root",
        Severity::Deny,
        "the chain ends at a CA that is not on API Gateway's list",
    ),
    code(
        "self-signed",
        Severity::Deny,
        "the leaf is self-signed; API Gateway never trusts it",
    ),
    code(
        "missing-intermediate",
        Severity::Deny,
        "the server (or file) does not include an intermediate the path needs",
    ),
    code(
        "expired",
        Severity::Deny,
        "a certificate of the path is past its not-after",
    ),
    code(
        "not-yet-valid",
        Severity::Deny,
        "a certificate of the path is before its not-before",
    ),
    code(
        "expires-soon",
        Severity::Deny,
        "a certificate of the path expires within min-days",
    ),
    code(
        "hostname-mismatch",
        Severity::Deny,
        "the leaf's SANs do not cover the hostname",
    ),
    code(
        "anchor-expired",
        Severity::Deny,
        "the root ending the path is listed but expired",
    ),
    code(
        "weak-key",
        Severity::Deny,
        "RSA below min-rsa-bits or EC below min-ec-bits",
    ),
    code(
        "sha1-signature",
        Severity::Deny,
        "a certificate is signed with SHA-1 (or MD5)",
    ),
    code(
        "disallowed-signature-algorithm",
        Severity::Deny,
        "a signature algorithm not in the policy's allowed list",
    ),
    code("ca-as-leaf", Severity::Deny, "the leaf is a CA certificate"),
    code(
        "leaf-missing-server-auth",
        Severity::Deny,
        "the leaf's extended key usage lacks serverAuth",
    ),
    code(
        "no-san",
        Severity::Deny,
        "the leaf has no subjectAltName; TLS clients ignore the CN",
    ),
    code(
        "bad-signature",
        Severity::Deny,
        "a signature in the path does not verify",
    ),
    code(
        "unsupported-signature-algorithm",
        Severity::Deny,
        "a signature algorithm the validator does not support",
    ),
    code(
        "path-invalid",
        Severity::Deny,
        "the path is invalid for another reason the validator gave",
    ),
    code(
        "chain-out-of-order",
        Severity::Warn,
        "the certificates are not in leaf-to-root order",
    ),
    code(
        "leaf-no-eku",
        Severity::Warn,
        "the leaf has no extended key usage extension",
    ),
    code(
        "leaf-key-usage",
        Severity::Warn,
        "the leaf's key usage does not allow TLS server use",
    ),
    code(
        "cn-not-in-san",
        Severity::Warn,
        "the leaf's CN is not one of its SANs",
    ),
    code(
        "long-validity",
        Severity::Info,
        "the leaf is valid for more than 398 days",
    ),
    code(
        "anchored-by-fingerprint",
        Severity::Info,
        "the path ends at a presented certificate whose SHA-256 is on the list",
    ),
    code(
        "root-sent",
        Severity::Info,
        "the chain includes the root itself, which is harmless but unneeded",
    ),
    code(
        "extra-certificate",
        Severity::Info,
        "a certificate that is not part of the path",
    ),
    code(
        "lint-serial",
        Severity::Deny,
        "lint: a serial number that is zero, negative or longer than 20 octets",
    ),
    code(
        "lint-key-identifier",
        Severity::Deny,
        "lint: authority/subject key identifiers missing, critical or malformed",
    ),
    code(
        "lint-basic-constraints",
        Severity::Deny,
        "lint: basicConstraints missing, not critical or inconsistent with keyUsage",
    ),
    code(
        "lint-name-constraints",
        Severity::Deny,
        "lint: name constraints on a leaf, not critical, or empty",
    ),
    code(
        "lint-critical-extension",
        Severity::Deny,
        "lint: an unknown critical extension, or policyConstraints not critical",
    ),
    code(
        "lint-eku",
        Severity::Deny,
        "lint: extendedKeyUsage on a root, anyExtendedKeyUsage or a critical EKU on the leaf",
    ),
    code(
        "lint-names",
        Severity::Deny,
        "lint: malformed DNS names (underscores, bad labels), an empty subject with a non-critical SAN",
    ),
    code(
        "lint-encoding",
        Severity::Deny,
        "lint: malformed authorityInfoAccess, an RSA modulus not a multiple of 8, a v1/v2 certificate",
    ),
    code(
        "duplicate-certificate",
        Severity::Info,
        "the same certificate appears more than once",
    ),
];

/// The strict profile's lint codes (reported only when the policy sets `lint = true`).
pub const LINT_CODES: &[&str] = &[
    "lint-serial",
    "lint-key-identifier",
    "lint-basic-constraints",
    "lint-name-constraints",
    "lint-critical-extension",
    "lint-eku",
    "lint-names",
    "lint-encoding",
];

const fn code(code: &'static str, default: Severity, meaning: &'static str) -> CodeInfo {
    CodeInfo {
        code,
        default,
        meaning,
    }
}

/// The catalogue entry of a code.
pub fn code_info(code: &str) -> Option<&'static CodeInfo> {
    CHECK_CODES.iter().find(|c| c.code == code)
}

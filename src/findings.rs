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
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hint: Option<String>,
    /// SHA-256 of the certificate the finding is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) certificate: Option<String>,
}

/// Declares one family of finding codes: the enum, serialized kebab-case, with `ALL` (every
/// code, in declaration order) and `as_str` (the stable spelling, as serialized; a unit test
/// checks the two agree).
macro_rules! codes {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $($variant,)*
        }

        impl $name {
            /// Every code of the family, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stable kebab-case code, as serialized.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

/// The families whose codes are [`Finding`] codes.
macro_rules! finding_families {
    ($($name:ident)*) => {
        $(
            impl From<$name> for Code {
                fn from(c: $name) -> Code {
                    Code::$name(c)
                }
            }

            impl PartialEq<$name> for Code {
                fn eq(&self, other: &$name) -> bool {
                    *self == Code::from(*other)
                }
            }
        )*
    };
}

finding_families!(CheckCode SkipVerifyCode DoctorCode AcmCode MtlsCode ScanCode);

/// A finding's code: one enum per family, serialized as the code's kebab-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    CheckCode(CheckCode),
    SkipVerifyCode(SkipVerifyCode),
    DoctorCode(DoctorCode),
    AcmCode(AcmCode),
    MtlsCode(MtlsCode),
    ScanCode(ScanCode),
}

impl Code {
    /// The stable kebab-case code, as serialized.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::CheckCode(c) => c.as_str(),
            Code::SkipVerifyCode(c) => c.as_str(),
            Code::DoctorCode(c) => c.as_str(),
            Code::AcmCode(c) => c.as_str(),
            Code::MtlsCode(c) => c.as_str(),
            Code::ScanCode(c) => c.as_str(),
        }
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

codes! {
    /// Every finding code `check` can report (its policy levels are [`CHECK_CODES`]).
    CheckCode {
        ApigatewayRefuses => "apigateway-refuses",
        UntrustedRoot => "untrusted-root",
        SelfSigned => "self-signed",
        MissingIntermediate => "missing-intermediate",
        Expired => "expired",
        NotYetValid => "not-yet-valid",
        ExpiresSoon => "expires-soon",
        HostnameMismatch => "hostname-mismatch",
        AnchorExpired => "anchor-expired",
        WeakKey => "weak-key",
        Sha1Signature => "sha1-signature",
        DisallowedSignatureAlgorithm => "disallowed-signature-algorithm",
        CaAsLeaf => "ca-as-leaf",
        LeafMissingServerAuth => "leaf-missing-server-auth",
        NoSan => "no-san",
        BadSignature => "bad-signature",
        UnsupportedSignatureAlgorithm => "unsupported-signature-algorithm",
        PathInvalid => "path-invalid",
        ChainOutOfOrder => "chain-out-of-order",
        LeafNoEku => "leaf-no-eku",
        LeafKeyUsage => "leaf-key-usage",
        CnNotInSan => "cn-not-in-san",
        LongValidity => "long-validity",
        AnchoredByFingerprint => "anchored-by-fingerprint",
        RootSent => "root-sent",
        ExtraCertificate => "extra-certificate",
        LintSerial => "lint-serial",
        LintKeyIdentifier => "lint-key-identifier",
        LintBasicConstraints => "lint-basic-constraints",
        LintNameConstraints => "lint-name-constraints",
        LintCriticalExtension => "lint-critical-extension",
        LintEku => "lint-eku",
        LintNames => "lint-names",
        LintEncoding => "lint-encoding",
        DuplicateCertificate => "duplicate-certificate",
    }
}

codes! {
    /// The codes of `check --skip-verification` (API Gateway's rules with
    /// insecureSkipVerification) of its own; the rest are [`CheckCode`]s.
    SkipVerifyCode {
        SkipVerification => "skip-verification",
        SkipVerifyNoRoot => "skip-verify-no-root",
        SkipVerifyRootNotCa => "skip-verify-root-not-ca",
        SkipVerifySelfSignedLeaf => "skip-verify-self-signed-leaf",
    }
}

codes! {
    /// The codes of `doctor`'s hops (a hop also carries `check`'s and ACM's codes).
    DoctorCode {
        DnsNoRecord => "dns-no-record",
        DnsNotAlias => "dns-not-alias",
        DnsAliasMissing => "dns-alias-missing",
        DnsAliasUnknownTarget => "dns-alias-unknown-target",
        DnsAliasWrongTarget => "dns-alias-wrong-target",
        DnsAliasWrongZone => "dns-alias-wrong-zone",
        DnsNoPublicZone => "dns-no-public-zone",
        NlbNotNetwork => "nlb-not-network",
        NlbNoListener => "nlb-no-listener",
        NlbListenerNotTcp => "nlb-listener-not-tcp",
        NlbNoTargetGroup => "nlb-no-target-group",
        NlbTargetGroupNotAlb => "nlb-target-group-not-alb",
        NlbNoAlbRegistered => "nlb-no-alb-registered",
        NlbWrongAlb => "nlb-wrong-alb",
        NlbTargetUnhealthy => "nlb-target-unhealthy",
        UriPortMismatch => "uri-port-mismatch",
        AlbNoHttpsListener => "alb-no-https-listener",
        AlbCertUnreadable => "alb-cert-unreadable",
        AlbCertNameMismatch => "alb-cert-name-mismatch",
        ExpiresSoon => "expires-soon",
        Expired => "expired",
        SelfSigned => "self-signed",
        VpcMismatch => "vpc-mismatch",
        LiveTlsError => "live-tls-error",
        OnpremNoTargetGroup => "onprem-no-target-group",
        OnpremNoTargets => "onprem-no-targets",
        OnpremTargetUnhealthy => "onprem-target-unhealthy",
        OnpremNotHttps => "onprem-not-https",
        OnpremUnreachable => "onprem-unreachable",
        ApigwNoVpcLinkIntegration => "apigw-no-vpc-link-integration",
        ApigwUriNotHttps => "apigw-uri-not-https",
        ApigwUriHostMismatch => "apigw-uri-host-mismatch",
        ApigwSkipVerification => "apigw-skip-verification",
        ApigwStageVariables => "apigw-stage-variables",
        ApigwStageVariableMissing => "apigw-stage-variable-missing",
        ApigwNoStage => "apigw-no-stage",
        ApigwPathsDisagree => "apigw-paths-disagree",
        VpcLinkMissing => "vpc-link-missing",
        VpcLinkNotAvailable => "vpc-link-not-available",
        VpcLinkNoTarget => "vpc-link-no-target",
        VpcLinkWrongTarget => "vpc-link-wrong-target",
    }
}

codes! {
    /// The codes of ACM: `acm request`/`status` (`acm-…`) and `acm audit` (with its DNS
    /// look-ups for why validation is stuck).
    AcmCode {
        AcmNamesReordered => "acm-names-reordered",
        AcmFailedBefore => "acm-failed-before",
        AcmKeyAlgorithmDiffers => "acm-key-algorithm-differs",
        AcmValidationPending => "acm-validation-pending",
        AcmValidationFailed => "acm-validation-failed",
        AcmValidationTimedOut => "acm-validation-timed-out",
        AcmRevoked => "acm-revoked",
        AcmExpired => "acm-expired",
        AcmNotIssued => "acm-not-issued",
        AcmRenewalIneligible => "acm-renewal-ineligible",
        ExpiresSoon => "expires-soon",
        Expired => "expired",
        Failed => "failed",
        RenewalFailed => "renewal-failed",
        PendingValidationStuck => "pending-validation-stuck",
        ValidationRecordMissing => "validation-record-missing",
        ValidationZonePrivate => "validation-zone-private",
        ValidationCnameNotInDns => "validation-cname-not-in-dns",
        ZoneDelegationMismatch => "zone-delegation-mismatch",
        CaaForbidsAmazon => "caa-forbids-amazon",
        RenewalIneligible => "renewal-ineligible",
        NotInUse => "not-in-use",
        CaaCriticalUnknownProperty => "caa-critical-unknown-property",
        DnsServerFailure => "dns-server-failure",
        DnsCheckSkipped => "dns-check-skipped",
        WhyPendingUnknown => "why-pending-unknown",
    }
}

codes! {
    /// The codes of backend mutual TLS: `mtls status` and doctor's mtls hop judging the
    /// stage's client certificate against the listener's trust store.
    MtlsCode {
        StageMissing => "stage-missing",
        NoClientCertificate => "no-client-certificate",
        ClientCertMissing => "client-cert-missing",
        ClientCertUnreadable => "client-cert-unreadable",
        AcmNotIssued => "acm-not-issued",
        ClientCertExpired => "client-cert-expired",
        ClientCertExpiresSoon => "client-cert-expires-soon",
        NeverRenewed => "never-renewed",
        GeneratedExpires => "generated-expires",
        NoClientAuth => "no-client-auth",
        ChainTooDeep => "chain-too-deep",
        AlbRefuses => "alb-refuses",
        BundleInvalid => "bundle-invalid",
        TrustStoreMissing => "trust-store-missing",
        TrustStoreNotActive => "trust-store-not-active",
        ListenerOff => "listener-off",
        ListenerPassthrough => "listener-passthrough",
    }
}

codes! {
    /// The codes of `scan`'s findings on each certificate.
    ScanCode {
        Expired => "expired",
        NotYetValid => "not-yet-valid",
        ExpiresSoon => "expires-soon",
        Sha1Signature => "sha1-signature",
        WeakKey => "weak-key",
        TrailingData => "trailing-data",
        SelfSigned => "self-signed",
    }
}

codes! {
    /// What kept `scan` from reading a file (a problem, not a finding).
    ScanProblemCode {
        Unreadable => "unreadable",
        TooLarge => "too-large",
        Malformed => "malformed",
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
    use std::collections::BTreeSet;

    /// Every code of a family, spelled as serde serializes it (which `as_str` must match).
    fn spelled<T: Serialize + Copy>(all: &[T], as_str: fn(T) -> &'static str) -> BTreeSet<String> {
        all.iter()
            .map(|c| {
                let json = serde_json::to_string(c).unwrap();
                assert_eq!(json, format!("\"{}\"", as_str(*c)));
                let s = as_str(*c);
                assert!(
                    s.chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
                    "{s} is kebab-case"
                );
                s.to_string()
            })
            .collect()
    }

    /// The `code`s quoted in a text.
    fn quoted(text: &str) -> BTreeSet<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .filter(|w| {
                !w.is_empty()
                    && w.chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
            })
            .map(str::to_string)
            .collect()
    }

    /// The line of `doc` that starts with `start`.
    fn line<'a>(doc: &'a str, start: &str) -> &'a str {
        doc.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starting {start}"))
    }

    const SCHEMA: &str = include_str!("../docs/json-schema.md");
    const CHECK_DOC: &str = include_str!("../docs/check.md");
    const DOCTOR_DOC: &str = include_str!("../docs/doctor.md");
    const ACM_DOC: &str = include_str!("../docs/acm.md");
    const AUDIT_DOC: &str = include_str!("../docs/audit-and-metrics.md");

    #[test]
    fn scan_codes_are_the_documented_ones() {
        let findings = line(SCHEMA, "| `findings` | *finding* list: `expired`");
        assert_eq!(
            quoted(findings.split_once("list:").unwrap().1),
            spelled(ScanCode::ALL, ScanCode::as_str)
        );
        let problems = line(SCHEMA, "| `code` | `unreadable`");
        assert_eq!(
            quoted(problems.trim_start_matches("| `code` |")),
            spelled(ScanProblemCode::ALL, ScanProblemCode::as_str)
        );
    }

    #[test]
    fn acm_codes_are_the_documented_ones() {
        let codes = spelled(AcmCode::ALL, AcmCode::as_str);
        // The audit table: one row per code (or pair of codes) audit reports.
        let table: BTreeSet<String> = AUDIT_DOC
            .lines()
            .skip_while(|l| !l.starts_with("| code | level | meaning |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .flat_map(|l| quoted(l.split('|').nth(1).unwrap()))
            .collect();
        assert!(!table.is_empty());
        let unknown: Vec<_> = table.difference(&codes).collect();
        assert!(unknown.is_empty(), "documented, not AcmCode: {unknown:?}");
        let docs: BTreeSet<String> = [ACM_DOC, AUDIT_DOC, DOCTOR_DOC]
            .iter()
            .flat_map(|d| quoted(d))
            .collect();
        let missing: Vec<_> = codes.difference(&docs).collect();
        assert!(missing.is_empty(), "AcmCode not documented: {missing:?}");
    }

    #[test]
    fn doctor_and_skip_verification_codes_are_documented() {
        // docs/doctor.md's table of codes by hop: its `acm-…` codes are ACM's, the rest are
        // exactly DoctorCode's.
        let table: BTreeSet<String> = DOCTOR_DOC
            .lines()
            .skip_while(|l| !l.starts_with("| hop | codes |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .flat_map(|l| quoted(l.split('|').nth(2).unwrap()))
            .collect();
        let acm = spelled(AcmCode::ALL, AcmCode::as_str);
        let mtls = spelled(MtlsCode::ALL, MtlsCode::as_str);
        let (acm_used, rest): (BTreeSet<String>, BTreeSet<String>) = table
            .into_iter()
            .partition(|c| c.starts_with("acm-") && acm.contains(c));
        let (mtls_used, own): (BTreeSet<String>, BTreeSet<String>) =
            rest.into_iter().partition(|c| mtls.contains(c));
        assert!(!acm_used.is_empty());
        // The mtls hop's row lists every MtlsCode (`acm-not-issued` is spelled in both).
        let mut mtls_row = mtls_used;
        mtls_row.extend(acm_used.intersection(&mtls).cloned());
        assert_eq!(mtls_row, mtls);
        assert_eq!(own, spelled(DoctorCode::ALL, DoctorCode::as_str));
        let docs = quoted(CHECK_DOC);
        let missing: Vec<_> = spelled(SkipVerifyCode::ALL, SkipVerifyCode::as_str)
            .into_iter()
            .filter(|c| !docs.contains(c))
            .collect();
        assert!(
            missing.is_empty(),
            "SkipVerifyCode not in docs/check.md: {missing:?}"
        );
    }

    #[test]
    fn mtls_codes_are_the_documented_ones() {
        let row = line(SCHEMA, "| `code` | `stage-missing`");
        assert_eq!(
            quoted(row.trim_start_matches("| `code` |")),
            spelled(MtlsCode::ALL, MtlsCode::as_str)
        );
    }

    #[test]
    fn every_check_code_has_a_policy_level() {
        let listed: BTreeSet<String> = CHECK_CODES.iter().map(|c| c.code.to_string()).collect();
        assert_eq!(listed, spelled(CheckCode::ALL, CheckCode::as_str));
    }

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

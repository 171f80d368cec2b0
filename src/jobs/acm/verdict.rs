//! The verdict on an ACM certificate's status: FAILED, VALIDATION_TIMED_OUT, REVOKED and EXPIRED
//! are deny findings, with ACM's `FailureReason` said in words and a fix. One place, used by
//! `acm request`, `acm status`, `check arn:…` and doctor's alb hop.

use super::*;

/// ACM's `FailureReason` (CertificateDetail), in words, and what to do about it.
pub(crate) fn explain_failure(reason: &str) -> (&'static str, &'static str) {
    match reason {
        "CAA_ERROR" => (
            "a CAA record on a name (or a parent) does not allow Amazon to issue",
            "add `0 issue \"amazon.com\"` (or amazontrust.com / awstrust.com / amazonaws.com) to the CAA records, or remove the CAA set that excludes Amazon; then request again",
        ),
        "DOMAIN_NOT_ALLOWED" => (
            "ACM does not issue for one of the names (e.g. an AWS-owned domain such as amazonaws.com, or a name on a block list)",
            "request names in a domain you own; if the name is yours, open a case with AWS Support",
        ),
        "INVALID_PUBLIC_DOMAIN" => (
            "a name is not a valid public domain (no public suffix, or a reserved/internal name)",
            "use names under a registered public domain; private names need a private CA",
        ),
        "DOMAIN_VALIDATION_DENIED" => (
            "ACM (the Amazon CA) refused to validate a name, often a high-risk or blocked domain",
            "open a case with AWS Support naming the domain",
        ),
        "ADDITIONAL_VERIFICATION_REQUIRED" => (
            "Amazon needs more information before issuing for these names (it protects high-risk domains)",
            "open a case with AWS Support; ACM cannot issue until it is resolved",
        ),
        "NO_AVAILABLE_CONTACTS" => (
            "email validation found no contact address for a name",
            "use DNS validation (certctl requests with DNS): request again",
        ),
        "PCA_INVALID_STATE" => (
            "the private CA is not ACTIVE (disabled, expired, pending or deleted)",
            "activate or renew the private CA in AWS Private CA, then request again",
        ),
        "PCA_ACCESS_DENIED" => (
            "ACM may not use the private CA (its permissions/policy do not allow acm.amazonaws.com)",
            "grant ACM permission on the private CA, then request again",
        ),
        "PCA_LIMIT_EXCEEDED" => (
            "the private CA reached its issuance quota",
            "raise the AWS Private CA quota, then request again",
        ),
        "PCA_INVALID_ARN" | "PCA_RESOURCE_NOT_FOUND" => (
            "the private CA ARN is wrong or the CA does not exist",
            "request with the ARN of an existing private CA",
        ),
        "PCA_INVALID_ARGS" | "PCA_INVALID_DURATION" | "PCA_REQUEST_FAILED" => (
            "the private CA could not issue the certificate as requested",
            "check the private CA (its validity must outlast the certificate) and request again",
        ),
        "PCA_NAME_CONSTRAINTS_VALIDATION" => (
            "a name is outside the private CA's name constraints",
            "request only names the private CA may issue for",
        ),
        "SLR_NOT_FOUND" => (
            "ACM's service-linked role (AWSServiceRoleForCertificateManager) is missing",
            "create it (`aws iam create-service-linked-role --aws-service-name acm.amazonaws.com`), then request again",
        ),
        _ => (
            "ACM gave no specific reason",
            "`aws acm describe-certificate` shows what ACM says; fix it and request again",
        ),
    }
}

/// The deny finding for a certificate ACM will not serve (FAILED, VALIDATION_TIMED_OUT,
/// REVOKED, EXPIRED); None for ISSUED, PENDING_VALIDATION and INACTIVE.
pub(crate) fn status_finding(d: &CertDetail) -> Option<Finding> {
    let label = &d.arn;
    let (code, message, hint): (AcmCode, String, String) = match d.status.as_str() {
        "FAILED" => {
            let reason = d.failure_reason.as_deref().unwrap_or("OTHER");
            let (words, fix) = explain_failure(reason);
            (
                AcmCode::AcmValidationFailed,
                format!("ACM failed {label} ({reason}): {words}"),
                format!("{fix}; ACM never retries a failed certificate, and the next `certctl acm request` for these names asks for a new one"),
            )
        }
        "VALIDATION_TIMED_OUT" => (
            AcmCode::AcmValidationTimedOut,
            format!("{label} was not validated within 72 hours of the request (VALIDATION_TIMED_OUT)"),
            "put the validation CNAMEs in the public zone (`--route53-zone auto`) and request again: certctl asks for a new certificate".into(),
        ),
        "REVOKED" => (
            AcmCode::AcmRevoked,
            format!("{label} is REVOKED{}", d.failure_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()),
            "clients refuse a revoked certificate: request a new one (`certctl acm request HOST --wait`) and attach it (`certctl acm attach`)".into(),
        ),
        "EXPIRED" => (
            AcmCode::AcmExpired,
            format!("{label} is EXPIRED"),
            if d.kind.as_deref() == Some("IMPORTED") {
                "ACM never renews an imported certificate: re-import a new one to the same ARN (`aws acm import-certificate --certificate-arn …`)".into()
            } else {
                "request a new one (`certctl acm request HOST --wait`) and attach it (`certctl acm attach`); ACM renews only certificates that are in use and whose validation CNAMEs resolve".into()
            },
        ),
        _ => return None,
    };
    Some(Finding {
        code: code.into(),
        severity: Severity::Deny,
        message,
        hint: Some(hint),
        certificate: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(status: &str, reason: Option<&str>) -> CertDetail {
        CertDetail {
            arn: "arn:aws:acm:eu-west-1:1:certificate/x".into(),
            status: status.into(),
            failure_reason: reason.map(str::to_string),
            ..CertDetail::default()
        }
    }

    #[test]
    fn every_dead_status_is_a_deny_with_a_fix_and_the_reason_in_words() {
        for (status, code) in [
            ("FAILED", "acm-validation-failed"),
            ("VALIDATION_TIMED_OUT", "acm-validation-timed-out"),
            ("REVOKED", "acm-revoked"),
            ("EXPIRED", "acm-expired"),
        ] {
            let f = status_finding(&cert(status, None)).unwrap();
            assert_eq!((f.code.as_str(), f.severity), (code, Severity::Deny));
            assert!(f.hint.is_some());
        }
        for status in ["ISSUED", "PENDING_VALIDATION", "INACTIVE"] {
            assert!(status_finding(&cert(status, None)).is_none(), "{status}");
        }
        let f = status_finding(&cert("FAILED", Some("CAA_ERROR"))).unwrap();
        assert!(f.message.contains("CAA_ERROR") && f.message.contains("CAA record"));
        assert!(f.hint.unwrap().contains("amazon.com"));
        for r in [
            "DOMAIN_NOT_ALLOWED",
            "INVALID_PUBLIC_DOMAIN",
            "DOMAIN_VALIDATION_DENIED",
            "ADDITIONAL_VERIFICATION_REQUIRED",
            "NO_AVAILABLE_CONTACTS",
            "PCA_INVALID_STATE",
            "PCA_ACCESS_DENIED",
            "PCA_LIMIT_EXCEEDED",
            "PCA_INVALID_ARN",
            "PCA_RESOURCE_NOT_FOUND",
            "PCA_INVALID_ARGS",
            "PCA_INVALID_DURATION",
            "PCA_REQUEST_FAILED",
            "PCA_NAME_CONSTRAINTS_VALIDATION",
            "SLR_NOT_FOUND",
        ] {
            assert_ne!(explain_failure(r).0, explain_failure("OTHER").0, "{r}");
        }
        let mut imported = cert("EXPIRED", None);
        imported.kind = Some("IMPORTED".into());
        assert!(status_finding(&imported)
            .unwrap()
            .hint
            .unwrap()
            .contains("re-import"));
    }
}

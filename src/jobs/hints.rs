//! Hints that fit the case. `verify` words its hints for the common case: a chain served from
//! files by a load balancer and judged against API Gateway's list. `check` knows more: whether
//! a private `--trust-store` was given, whether the chain is an ACM certificate's (an ARN,
//! `acm status`, doctor's ALB hop), and, for a file, what certctl's own layout beside it says.
//! [`fit`] rewrites the report's hints for that case before anything is printed. Verdicts are
//! never changed; one explanation is: a leaf whose issuer is the private root in `chain.pem`
//! beside it (what `issue onprem --ca` writes) lacks no intermediate, so its
//! `missing-intermediate` becomes `untrusted-root`.

use crate::findings::{CheckCode, Code};
use crate::x509::CertInfo;

use super::check::CheckReport;

/// The tail `verify` gives the hints of an untrusted chain.
pub(crate) const PRIVATE_CA: &str = ", or pass --trust-store for a private CA";

/// What replaces [`PRIVATE_CA`] when the chain was judged against API Gateway's list.
pub(crate) const PRIVATE_CA_FIT: &str = "; for a private CA, API Gateway needs \
     insecureSkipVerification on the integration (`--skip-verification` judges that): \
     `--trust-store` changes certctl's verdict, not API Gateway's";

/// The note of a check against a private `--trust-store`.
pub(crate) const CUSTOM_STORE_NOTE: &str = "judged against --trust-store, which changes \
     certctl's verdict, not API Gateway's: API Gateway trusts only the CAs on its list, or, \
     with insecureSkipVerification on the integration, a complete chain to any CA root \
     (`--skip-verification` judges that)";

/// The hints for an ACM certificate's chain, by finding code: ACM serves what it holds, so
/// "serve the intermediate" or "deploy it" cannot be done; requesting, re-importing or
/// attaching can.
pub(crate) const ACM_HINTS: &[(CheckCode, &str)] = &[
    (CheckCode::MissingIntermediate, ACM_REIMPORT_CHAIN),
    (CheckCode::ChainOutOfOrder, ACM_REIMPORT_CHAIN),
    (CheckCode::RootSent, "ACM serves the chain imported with the certificate: re-import it without the root (`aws acm import-certificate --certificate-arn ARN`)"),
    (CheckCode::UntrustedRoot, ACM_PUBLIC),
    (CheckCode::SelfSigned, ACM_PUBLIC),
    (CheckCode::AnchorExpired, ACM_PUBLIC),
    (CheckCode::Expired, ACM_RENEW),
    (CheckCode::ExpiresSoon, ACM_RENEW),
    (CheckCode::NotYetValid, "ACM serves the certificate as imported: re-import one that is valid now, or request a public one (`certctl acm request HOST`)"),
    (CheckCode::HostnameMismatch, ACM_NAMES),
    (CheckCode::NoSan, ACM_NAMES),
    (CheckCode::WeakKey, "request one with a stronger key (`certctl acm request HOST --key-algorithm ec-p256`), or re-import one"),
];

const ACM_REIMPORT_CHAIN: &str = "ACM serves the chain imported with the certificate: \
     re-import it with its intermediates, leaf's issuer first (`aws acm import-certificate \
     --certificate-arn ARN --certificate-chain fileb://chain.pem`), or request a public one \
     (`certctl acm request HOST`)";
const ACM_PUBLIC: &str = "this ACM certificate (imported, or from a private CA) does not chain \
     to a CA on API Gateway's list: request a public one (`certctl acm request HOST`), which \
     chains to Amazon's roots, and attach it (`certctl acm attach`)";
const ACM_RENEW: &str = "ACM renews the public certificates it issues (from 45 days before \
     expiry, while in use and validated: `certctl acm status ARN` shows the renewal); an \
     imported one is never renewed: re-import a renewed certificate to the same ARN";
const ACM_NAMES: &str = "request an ACM certificate that names this host (`certctl acm request \
     HOST`) and attach it to the listener (`certctl acm attach`)";

/// What `check` knows beyond the chain.
#[derive(Debug, Default)]
pub(crate) struct Case {
    /// `--trust-store` named a file or directory (not `apigateway`).
    pub(crate) custom_store: bool,
    /// The chain is an ACM certificate's, as ACM serves it.
    pub(crate) acm: bool,
    /// The private root that issued the leaf, found in `chain.pem` beside a file target:
    /// (that file, the root).
    pub(crate) root_beside: Option<(String, CertInfo)>,
}

/// Rewrites the report's hints (and, for [`Case::root_beside`], one finding) for `case`.
pub(crate) fn fit(report: &mut CheckReport, case: &Case) {
    if let Some((file, root)) = &case.root_beside {
        root_beside(report, file, root);
    }
    let apigw_codes = report.apigateway.codes.clone();
    if case.acm {
        for f in &mut report.findings {
            if let Some(h) = acm_hint(f.code) {
                f.hint = Some(h.to_string());
            }
        }
        if let Some(h) = apigw_codes.iter().find_map(|c| acm_hint(*c)) {
            report.apigateway.fix = Some(h.to_string());
        }
    }
    let tail = if case.custom_store {
        ""
    } else {
        PRIVATE_CA_FIT
    };
    for hint in report
        .findings
        .iter_mut()
        .filter_map(|f| f.hint.as_mut())
        .chain(report.apigateway.fix.as_mut())
    {
        if let Some(at) = hint.find(PRIVATE_CA) {
            hint.replace_range(at..at + PRIVATE_CA.len(), tail);
        }
    }
    if case.custom_store {
        let note = &mut report.apigateway.note;
        *note = Some(match note.take() {
            Some(n) => format!("{n}; {CUSTOM_STORE_NOTE}"),
            None => CUSTOM_STORE_NOTE.to_string(),
        });
    }
}

/// The ACM hint for a finding code, when ACM changes what can be done.
pub(crate) fn acm_hint(code: Code) -> Option<&'static str> {
    ACM_HINTS.iter().find(|(c, _)| code == *c).map(|(_, h)| *h)
}

/// The leaf's issuer is a private root kept beside the file: the chain is complete, the root
/// is not trusted. `missing-intermediate` on the leaf becomes `untrusted-root` on that root.
fn root_beside(report: &mut CheckReport, file: &str, root: &CertInfo) {
    let Some(leaf) = report.path.first() else {
        return;
    };
    let leaf_fp = leaf.sha256.clone();
    let store = if report.trust_store == "apigateway" {
        "API Gateway's list".to_string()
    } else {
        format!("the trust store {}", report.trust_store)
    };
    let Some(f) = report.findings.iter_mut().find(|f| {
        f.code == CheckCode::MissingIntermediate
            && f.certificate.as_deref() == Some(leaf_fp.as_str())
    }) else {
        return;
    };
    f.code = CheckCode::UntrustedRoot.into();
    f.message = format!(
        "the leaf's issuer \"{}\" is a private root (in {file}, beside it), which is not in {store}: no intermediate is missing, the root is not trusted",
        root.subject
    );
    f.hint = Some(
        "use a certificate from a CA on the list (e.g. ACM via the ALB), or pass --trust-store for a private CA"
            .into(),
    );
    f.certificate = Some(root.sha256.colon_hex());
    if report.apigateway.fix.is_some() {
        report.apigateway.fix = Some(format!(
            "the chain is complete, but its root \"{}\" is private: use a certificate from a CA on API Gateway's list (e.g. ACM via the ALB){PRIVATE_CA}",
            root.subject
        ));
    }
    for codes in [&mut report.apigateway.codes, &mut report.policy.codes] {
        for c in codes.iter_mut() {
            if *c == CheckCode::MissingIntermediate {
                *c = CheckCode::UntrustedRoot.into();
            }
        }
        codes.dedup();
    }
}

/// The private root in `chain.pem` beside `target` that issued `leaf`, if there is one
/// (certctl's own layout: `issue onprem --ca` and `rotate` write the issuer chain there, the
/// root included, and keep the root out of fullchain.pem).
pub(crate) fn find_root_beside(
    target: &std::path::Path,
    leaf: &CertInfo,
) -> Option<(String, CertInfo)> {
    if leaf.is_self_issued() {
        return None;
    }
    let beside = target.parent()?.join("chain.pem");
    if beside == target {
        return None;
    }
    let certs = crate::target::load_file(&beside).ok()?;
    let root = certs
        .into_iter()
        .find(|c| c.is_self_issued() && leaf.issued_by(c))?;
    Some((beside.display().to_string(), root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_acm_hint_names_an_acm_action_not_a_file() {
        for (code, hint) in ACM_HINTS {
            assert!(
                hint.contains("acm") || hint.contains("ACM"),
                "{code}: {hint}"
            );
            assert!(!hint.contains("fullchain"), "{code}: {hint}");
            assert!(!hint.contains("--chain "), "{code}: {hint}");
            assert!(!hint.contains("--trust-store"), "{code}: {hint}");
        }
        assert_eq!(acm_hint(CheckCode::Sha1Signature.into()), None);
    }

    /// An ACM certificate's chain (as `acm status` and `check ARN` judge it) gets ACM's hints:
    /// an expired, self-signed (imported) certificate for another name.
    #[test]
    fn an_acm_chain_gets_acm_hints() {
        const AT: i64 = 1_906_502_400;
        let spec = crate::mint::LeafSpec {
            dns: vec!["imported.example.com".into()],
            ips: Vec::new(),
            key: crate::keys::KeyAlg::EcdsaP256,
            days: 30,
            at: AT,
        };
        let minted = crate::mint::leaf(&spec, None).unwrap();
        let pem = crate::pem::encode_certificate(&minted.cert.der);
        let later = AT + 40 * 86_400;
        let r = crate::jobs::check::check_pem(
            pem.as_bytes(),
            "arn:aws:acm:eu-west-1:123456789012:certificate/x",
            Some("api.example.com"),
            later,
        )
        .unwrap();
        let hint = |code: &str| {
            r.findings
                .iter()
                .find(|f| f.code.as_str() == code)
                .and_then(|f| f.hint.clone())
                .unwrap_or_else(|| panic!("no {code}: {:?}", r.findings))
        };
        assert_eq!(hint("self-signed"), ACM_PUBLIC);
        assert_eq!(hint("expired"), ACM_RENEW);
        assert_eq!(hint("hostname-mismatch"), ACM_NAMES);
        let fix = r.apigateway.fix.clone().unwrap();
        assert!(ACM_HINTS.iter().any(|(_, h)| *h == fix), "{fix}");
        for h in r
            .findings
            .iter()
            .filter_map(|f| f.hint.as_deref())
            .chain([fix.as_str()])
        {
            assert!(!h.contains("fullchain") && !h.contains("deploy it"), "{h}");
            assert!(!h.contains("--trust-store"), "{h}");
        }
    }
}

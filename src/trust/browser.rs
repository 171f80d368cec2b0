//! Roots that browsers trust and API Gateway does not (`ca/browser-roots.tsv`, from Mozilla's
//! root program): `untrusted-root` names them so, and the listed root that cross-signs one.
//! Read only when a chain ends at a root off API Gateway's list, never at start-up.

use crate::x509::Fingerprint;

const DATA: &str = include_str!("../../ca/browser-roots.tsv");

/// A browser root that is not on API Gateway's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BrowserRoot {
    /// Its subject, as text.
    pub(crate) subject: String,
    /// The alias on API Gateway's list of a root that cross-signs it, when one does.
    pub(crate) cross_signed_by: Option<String>,
}

/// The row whose column `col` (0: SHA-256, 1: subject DER hex) is `want`.
fn find(col: usize, want: &str) -> Option<BrowserRoot> {
    DATA.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|f| f.len() >= 4 && f[col].eq_ignore_ascii_case(want))
        .map(|f| BrowserRoot {
            subject: f[2].to_string(),
            cross_signed_by: Some(f[3].trim().to_string()).filter(|a| !a.is_empty()),
        })
}

/// The browser root with this fingerprint.
pub(crate) fn by_sha256(fp: &Fingerprint) -> Option<BrowserRoot> {
    find(0, &fp.colon_hex())
}

/// The browser root with this subject (a certificate's issuer, to name the root a chain stops
/// below).
pub(crate) fn by_subject_der(der: &[u8]) -> Option<BrowserRoot> {
    let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
    find(1, &hex)
}

/// What `untrusted-root` adds for a browser root: the message's tail and the hint.
pub(crate) fn explain(root: &BrowserRoot) -> (String, String) {
    let tail = format!(
        "; \"{}\" is trusted by browsers (Mozilla's root program) but is not on API Gateway's list, which has not changed since 2022-01",
        root.subject
    );
    let hint = match &root.cross_signed_by {
        Some(alias) => format!(
            "serve the chain cross-signed by \"{alias}\", which is on API Gateway's list (ask the CA for its cross-signed intermediate and send it after the issuing one), or use a certificate from ACM via the ALB"
        ),
        None => "use a certificate from a CA on API Gateway's list (`certctl truststore list`), e.g. ACM via the ALB".into(),
    };
    (tail, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_well_formed_and_none_is_on_the_list() {
        let list = crate::trust::store::TrustList::embedded().unwrap();
        let mut n = 0;
        for l in DATA.lines().filter(|l| !l.starts_with('#')) {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "{l}");
            let fp = Fingerprint::parse_hex(f[0]).unwrap();
            assert!(list.entries.iter().all(|e| e.sha256 != fp), "{l}");
            assert!(by_sha256(&fp).is_some());
            n += 1;
        }
        assert!(n > 30, "{n}");
        let x2 = DATA
            .lines()
            .find(|l| l.contains("CN=ISRG Root X2"))
            .unwrap();
        let der: Vec<u8> = (0..x2.split('\t').nth(1).unwrap().len() / 2)
            .map(|i| {
                u8::from_str_radix(&x2.split('\t').nth(1).unwrap()[2 * i..2 * i + 2], 16).unwrap()
            })
            .collect();
        let root = by_subject_der(&der).unwrap();
        assert_eq!(root.cross_signed_by.as_deref(), Some("isrgrootx1"));
        let (tail, hint) = explain(&root);
        assert!(tail.contains("trusted by browsers"), "{tail}");
        assert!(hint.contains("isrgrootx1"), "{hint}");
    }
}

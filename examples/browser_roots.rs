//! Writes `ca/browser-roots.tsv`: the roots of Mozilla's program (the webpki-root-certs crate)
//! that are not on API Gateway's list, so that `check` can say a chain is "trusted by browsers,
//! not by API Gateway" and name a cross-signed chain that is on the list where one exists.
//!
//! Usage: cargo run --example browser_roots -- ca/apigateway-cas.tsv > ca/browser-roots.tsv

use certctl::trust::store::TrustList;
use certctl::x509::{CertInfo, Fingerprint};

/// Cross-signs by a root on API Gateway's list (by the browser root's CN: the issuing root's
/// alias there), as the CAs
/// publish them: a server can send the cross-signed intermediate and chain to the listed root.
const CROSS_SIGNED: &[(&str, &str)] = &[
    ("ISRG Root X2", "isrgrootx1"),
    (
        "Sectigo Public Server Authentication Root R46",
        "usertrustrsacertificationauthority",
    ),
    (
        "Sectigo Public Server Authentication Root E46",
        "usertrustecccertificationauthority",
    ),
];

fn main() {
    let Some(list_path) = std::env::args().nth(1) else {
        eprintln!("usage: browser_roots <apigateway-cas.tsv>");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&list_path).unwrap_or_else(|e| {
        eprintln!("error: {list_path}: {e}");
        std::process::exit(2);
    });
    let list = TrustList::parse(&text).unwrap_or_else(|e| {
        eprintln!("error: {list_path}: {e}");
        std::process::exit(2);
    });
    println!("# Roots of Mozilla's program (webpki-root-certs 1.0.11) not on API Gateway's list.");
    println!("# Written by `cargo run --example browser_roots -- ca/apigateway-cas.tsv`.");
    println!("# sha256\tsubject_der_hex\tsubject\tcross_signed_by_listed_alias");
    let mut rows = Vec::new();
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let sha = Fingerprint::sha256(der.as_ref());
        if list.entries.iter().any(|e| e.sha256 == sha) {
            continue;
        }
        let Ok(info) = CertInfo::parse(der) else {
            continue;
        };
        let subject = info.subject().replace('\t', " ");
        let cross = CROSS_SIGNED
            .iter()
            .find(|(cn, _)| subject.ends_with(&format!("CN={cn}")))
            .map(|(_, a)| *a)
            .filter(|a| list.entries.iter().any(|e| e.alias == *a))
            .unwrap_or("");
        let hex: String = info
            .subject_der()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        rows.push(format!("{}\t{hex}\t{subject}\t{cross}", sha.colon_hex()));
    }
    rows.sort();
    for r in rows {
        println!("{r}");
    }
}

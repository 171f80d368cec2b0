//! The candidates and the name walk: which presented certificate is the leaf, and whether a
//! certificate's names cover a host.

use rustls_pki_types::ServerName;

use super::apigw;
use crate::x509::CertInfo;

/// Picks the leaf of a chain given in any order.
pub(super) fn pick_leaf(
    presented: &[CertInfo],
    first: bool,
    host: Option<&ServerName<'_>>,
) -> usize {
    if first || presented.len() < 2 {
        return 0;
    }
    let issues_another = |i: usize| {
        presented
            .iter()
            .enumerate()
            .any(|(j, c)| j != i && c.sha256 != presented[i].sha256 && c.issued_by(&presented[i]))
    };
    let ends: Vec<usize> = (0..presented.len())
        .filter(|i| !issues_another(*i))
        .collect();
    let non_ca: Vec<usize> = ends
        .iter()
        .copied()
        .filter(|i| !presented[*i].is_ca())
        .collect();
    let pool = if non_ca.is_empty() { &ends } else { &non_ca };
    if let Some(h) = host {
        if let Some(i) = pool.iter().find(|i| names_match(&presented[**i], h)) {
            return *i;
        }
    }
    pool.first().copied().unwrap_or(0)
}

pub(super) fn names_match(info: &CertInfo, host: &ServerName<'_>) -> bool {
    apigw::host_problem(&info.der, &host.to_str()).is_none()
}

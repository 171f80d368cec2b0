//! Phase 2, pick the leaf: which presented certificate is the end entity.

use super::apigw;
use super::collect::Known;
use super::Hostname;

/// The node of the end entity. TLS defines it as the first certificate the server sends
/// (RFC 8446 4.4.2, RFC 5246 7.4.2) and the JDK's `PKIXValidator.engineValidate` judges
/// `chain[0]` as the end entity, nothing re-picked: so for a live chain (`first`) it is always
/// the first, and for a file too, unless the file's first certificate issues another one of
/// it (a bundle written root first, or shuffled): then the certificate that issues no other is
/// the leaf (a non-CA first, then one whose names cover the host), and the path is still found
/// in any order.
pub(super) fn pick_leaf(known: &Known, first: bool, host: Option<&Hostname>) -> usize {
    let presented = &known.presented;
    let Some(&head) = presented.first() else {
        return 0;
    };
    let issues_another = |i: usize| {
        presented.iter().any(|&j| {
            j != i
                && known.info(j).sha256 != known.info(i).sha256
                && known.info(j).issued_by(known.info(i))
        })
    };
    if first || presented.len() < 2 || !issues_another(head) {
        return head;
    }
    let mut ends: Vec<usize> = presented
        .iter()
        .copied()
        .filter(|i| !issues_another(*i))
        .collect();
    ends.dedup();
    let non_ca: Vec<usize> = ends
        .iter()
        .copied()
        .filter(|i| !known.info(*i).is_ca())
        .collect();
    let pool = if non_ca.is_empty() { &ends } else { &non_ca };
    if let Some(h) = host {
        let covers = |i: usize| {
            apigw::host_check(&known.nodes[i].cert, h.as_given())
                .as_issued
                .is_none()
        };
        if let Some(i) = pool.iter().find(|i| covers(**i)) {
            return *i;
        }
    }
    pool.first().copied().unwrap_or(head)
}

//! Phase 1, collect: every certificate the check knows (presented, `--chain`, the store roots
//! the walk reaches), each parsed once into a [`Parsed`] value, and the best-effort name path.

use super::{Node, Parsed, Source};
use crate::trust::store::TrustStore;
use crate::x509::CertInfo;

/// The certificates of one check.
pub(super) struct Known {
    pub(super) nodes: Vec<Node>,
    /// Presented certificates that repeat an earlier one.
    pub(super) duplicates: Vec<CertInfo>,
    /// The node of each presented certificate, in the order given (repeats included).
    pub(super) presented: Vec<usize>,
}

impl Known {
    pub(super) fn info(&self, i: usize) -> &CertInfo {
        &self.nodes[i].cert.info
    }
}

/// Presented first, then `--chain`, deduplicated by SHA-256; each parsed in full once.
pub(super) fn collect(presented: &[CertInfo], extra: &[CertInfo], store: &TrustStore) -> Known {
    let mut known = Known {
        nodes: Vec::new(),
        duplicates: Vec::new(),
        presented: Vec::new(),
    };
    for (source, certs) in [(Source::Presented, presented), (Source::ChainFile, extra)] {
        for c in certs {
            if let Some(i) = known
                .nodes
                .iter()
                .position(|n| n.cert.info.sha256 == c.sha256)
            {
                if source == Source::Presented {
                    known.duplicates.push(c.clone());
                    known.presented.push(i);
                }
                continue;
            }
            if source == Source::Presented {
                known.presented.push(known.nodes.len());
            }
            let listed = store
                .listed(&c.sha256)
                .iter()
                .map(|e| e.alias.clone())
                .collect();
            known.nodes.push(Node {
                cert: Parsed::from_info(c.clone()),
                source,
                listed,
                store_root_expired: None,
            });
        }
    }
    known
}

/// The best-effort path by names from the leaf (what the path would be), for diagnosis and
/// display: store roots first (a valid anchor ends the path, as webpki's search does), then a
/// listed certificate, then presented, then `--chain`. Store roots it reaches join `known`.
pub(super) fn name_path(known: &mut Known, leaf: usize, store: &TrustStore, at: i64) -> Vec<usize> {
    let mut path = vec![leaf];
    while path.len() <= 12 {
        let cur = known.info(path[path.len() - 1]).clone();
        if cur.is_self_issued() {
            break;
        }
        let next = store_issuer(known, &path, &cur, store, at).or_else(|| {
            let nodes = &known.nodes;
            (0..nodes.len())
                .filter(|i| !path.contains(i) && issues(&nodes[*i].cert.info, &cur))
                .min_by_key(|i| {
                    (
                        nodes[*i].listed.is_empty(),
                        nodes[*i].source != Source::Presented,
                    )
                })
        });
        let Some(i) = next else { break };
        path.push(i);
        // A store root or a listed certificate ends the path.
        if known.nodes[i].source == Source::TrustStore || !known.nodes[i].listed.is_empty() {
            break;
        }
    }
    path
}

fn issues(candidate: &CertInfo, cur: &CertInfo) -> bool {
    candidate.sha256 != cur.sha256 && cur.issued_by(candidate)
}

/// The store root that issued `cur`, added to `known` the first time it is reached.
fn store_issuer(
    known: &mut Known,
    path: &[usize],
    cur: &CertInfo,
    store: &TrustStore,
    at: i64,
) -> Option<usize> {
    for r in store.roots_named(&cur.issuer_raw) {
        if let Some(i) = known
            .nodes
            .iter()
            .position(|n| n.cert.info.sha256 == r.sha256)
        {
            if !path.contains(&i) && issues(known.info(i), cur) {
                return Some(i);
            }
            continue;
        }
        if let Ok(p) = Parsed::parse(&r.der) {
            if cur.issued_by(&p.info) {
                known.nodes.push(Node {
                    cert: p,
                    source: Source::TrustStore,
                    listed: r.aliases.clone(),
                    store_root_expired: Some(r.expired_at(at)),
                });
                return Some(known.nodes.len() - 1);
            }
        }
    }
    None
}

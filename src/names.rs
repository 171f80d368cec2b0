//! Host names and IP addresses for certificates: validation, normalisation and the one hostname
//! matcher (Apache HttpClient 4.5's rules, which API Gateway applies to its backend).

use std::net::IpAddr;

/// Why a name cannot go into a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NameError {
    #[error("\"{name}\" is not a valid DNS name: {why}")]
    Dns { name: String, why: &'static str },
    #[error("\"{0}\" is not an IP address")]
    Ip(String),
    #[error("{count} DNS names and IP addresses: a certificate holds at most {max}")]
    TooMany { count: usize, max: usize },
}

/// The most SANs (DNS names and IP addresses together) a certificate certctl makes may hold.
/// At this many names of the longest kind (253 characters), the largest file of a set
/// (haproxy.pem: certificate, chain and key) stays far below the 1 MiB certctl reads back,
/// and the list fits `CERTCTL_DOMAINS_FILE` for a deploy hook.
pub(crate) const MAX_SANS: usize = 1000;

/// Refuses more than [`MAX_SANS`] names, before anything is made.
pub(crate) fn check_count(count: usize) -> Result<(), NameError> {
    if count > MAX_SANS {
        Err(NameError::TooMany {
            count,
            max: MAX_SANS,
        })
    } else {
        Ok(())
    }
}

/// Validates and normalises a DNS name: lower-case, trailing dot stripped, at most 253
/// characters, labels of 1-63 letters, digits and hyphens (not at either end), a wildcard
/// only as the whole leftmost label, and never a wildcard alone or over a single label.
pub(crate) fn dns_name(raw: &str) -> Result<String, NameError> {
    let bad = |why| NameError::Dns {
        name: raw.to_string(),
        why,
    };
    let name = raw.strip_suffix('.').unwrap_or(raw).to_lowercase();
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    // Internationalised labels become their ASCII (punycode) form.
    let name = if name.is_ascii() {
        name
    } else {
        name.split('.')
            .map(|l| {
                if l.is_ascii() {
                    Some(l.to_string())
                } else {
                    crate::punycode::encode(l).map(|p| format!("xn--{p}"))
                }
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("a label cannot be encoded as punycode"))?
            .join(".")
    };
    if name.len() > 253 {
        return Err(bad("longer than 253 characters"));
    }
    if name.parse::<IpAddr>().is_ok() {
        return Err(bad("it is an IP address; pass it as an IP SAN"));
    }
    let labels: Vec<&str> = name.split('.').collect();
    for (i, label) in labels.iter().enumerate() {
        if label.is_empty() {
            return Err(bad("it has an empty label"));
        }
        if *label == "*" {
            if i != 0 {
                return Err(bad(
                    "a wildcard is allowed only as the whole leftmost label",
                ));
            }
            if labels.len() < 3 {
                return Err(bad("a wildcard needs at least two labels after it"));
            }
            continue;
        }
        if label.len() > 63 {
            return Err(bad("a label is longer than 63 characters"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad("labels may hold only letters, digits and hyphens (a wildcard must be a whole label)"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad("a label starts or ends with a hyphen"));
        }
    }
    Ok(name)
}

/// The names of a certificate a TLS client matches a host against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CertNames<'a> {
    /// `None` when the certificate has no subjectAltName a Java client can decode.
    pub(crate) dns: Option<&'a [String]>,
    pub(crate) ip: Option<&'a [IpAddr]>,
    /// The most specific common name of the subject.
    pub(crate) cn: Option<&'a str>,
}

/// Why a host does not match (HttpClient's own reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostMismatch(pub(crate) String);

/// Matches `host` the way Apache HttpClient 4.5's `DefaultHostnameVerifier` (with its default
/// public suffix list) does: an IP host against IP SANs, a DNS host against DNS SANs, and the
/// common name only when there is no SAN of the host's kind; a wildcard matches within one
/// label, and never across a public suffix (`*.co.uk`).
pub(crate) fn host_matches(host: &str, names: &CertNames<'_>) -> Result<(), HostMismatch> {
    let v6 = {
        let s = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        s.parse::<std::net::Ipv6Addr>().ok()
    };
    let v4 = is_httpclient_ipv4(host);
    if v4 || v6.is_some() {
        let ips = names.ip.filter(|l| !l.is_empty());
        if let Some(ips) = ips {
            let ok = if v4 {
                ips.iter().any(|ip| ip.is_ipv4() && ip.to_string() == host)
            } else {
                ips.iter()
                    .any(|ip| matches!(ip, IpAddr::V6(a) if Some(*a) == v6))
            };
            let list: Vec<String> = ips.iter().map(ToString::to_string).collect();
            return if ok {
                Ok(())
            } else {
                Err(HostMismatch(format!(
                    "Certificate for <{host}> doesn't match any of the subject alternative names: [{}]",
                    list.join(", ")
                )))
            };
        }
    } else if let Some(dns) = names.dns.filter(|l| !l.is_empty()) {
        let h = host.to_lowercase();
        if dns.iter().any(|d| identity_matches(&h, &d.to_lowercase())) {
            return Ok(());
        }
        return Err(HostMismatch(format!(
            "Certificate for <{host}> doesn't match any of the subject alternative names: [{}]",
            dns.join(", ")
        )));
    }
    match names.cn {
        None => Err(HostMismatch(format!(
            "Certificate subject for <{host}> doesn't contain a common name and does not have alternative names"
        ))),
        Some(cn) if identity_matches(&host.to_lowercase(), &cn.to_lowercase()) => Ok(()),
        Some(cn) => Err(HostMismatch(format!(
            "Certificate for <{host}> doesn't match common name of the certificate subject: {cn}"
        ))),
    }
}

/// Whether one certificate DNS name (a wildcard allowed) covers `host`, by the same rules.
pub(crate) fn name_covers(name: &str, host: &str) -> bool {
    let dns = [name.to_string()];
    host_matches(
        host,
        &CertNames {
            dns: Some(&dns),
            ip: None,
            cn: None,
        },
    )
    .is_ok()
}

/// HttpClient's IPv4 pattern: four dot-separated numbers 0-255, up to three digits each.
fn is_httpclient_ipv4(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
                && !(p.len() == 3 && p.starts_with(['3', '4', '5', '6', '7', '8', '9']))
        })
}

/// One identity (SAN or CN, lower-cased) against the lower-cased host.
fn identity_matches(host: &str, identity: &str) -> bool {
    if host.contains('.') {
        match domain_root(identity) {
            Some(root) => {
                let ok = host.ends_with(root)
                    && (host.len() == root.len()
                        || host.as_bytes()[host.len() - root.len() - 1] == b'.');
                if !ok {
                    return false;
                }
            }
            None => return false,
        }
    }
    match identity.find('*') {
        Some(i) => {
            let (prefix, suffix) = (&identity[..i], &identity[i + 1..]);
            if (!prefix.is_empty() && !host.starts_with(prefix))
                || (!suffix.is_empty() && !host.ends_with(suffix))
                || host.len() < prefix.len() + suffix.len()
            {
                return false;
            }
            !host[prefix.len()..host.len() - suffix.len()].contains('.')
        }
        None => host == identity,
    }
}

/// A sorted set of ASCII strings compiled in by `build.rs`: the entries concatenated in byte
/// order and the end offset of each (no pointer per entry, so nothing to relocate at start).
struct Sorted {
    text: &'static str,
    ends: &'static [u32],
}

impl Sorted {
    /// Entry `i`.
    fn get(&self, i: usize) -> &'static [u8] {
        let start = match i.checked_sub(1) {
            Some(p) => self.ends.get(p).map_or(0, |e| *e as usize),
            None => 0,
        };
        let end = self.ends.get(i).map_or(start, |e| *e as usize);
        self.text.as_bytes().get(start..end).unwrap_or_default()
    }

    /// Whether the concatenation of `parts` is an entry.
    fn contains(&self, parts: &[&str]) -> bool {
        let key = || parts.iter().flat_map(|p| p.bytes());
        let (mut lo, mut hi) = (0, self.ends.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).iter().copied().cmp(key()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.ends.len()
    }
}

// SUFFIX_RULES and SUFFIX_EXCEPTIONS: the ICANN list shipped in src/data, each rule lower-cased
// and internationalised labels in punycode, as HttpClient's PublicSuffixListParser reads it.
include!(concat!(env!("OUT_DIR"), "/public_suffix.rs"));

/// The registrable part of a name per the ICANN public suffix rules, as HttpClient's
/// `PublicSuffixMatcher.getDomainRoot` computes it; `None` when the name is itself a suffix.
fn domain_root(name: &str) -> Option<&str> {
    domain_root_by(
        name,
        |p| SUFFIX_RULES.contains(p),
        |p| SUFFIX_EXCEPTIONS.contains(p),
    )
}

/// [`domain_root`] over any rule and exception sets (each asked about a name in parts).
fn domain_root_by(
    name: &str,
    is_rule: impl Fn(&[&str]) -> bool,
    is_exception: impl Fn(&[&str]) -> bool,
) -> Option<&str> {
    if name.starts_with('.') {
        return None;
    }
    let mut current = Some(name);
    let mut result: Option<&str> = None;
    while let Some(d) = current {
        if is_exception(&[d]) {
            return Some(d);
        }
        if is_rule(&[d]) {
            return result;
        }
        let next = d.find('.').map(|i| &d[i + 1..]);
        if let Some(n) = next {
            if is_rule(&["*.", n]) {
                return result;
            }
        }
        result = Some(d);
        current = next;
    }
    result
}

/// Parses an IP address SAN.
pub(crate) fn ip_addr(raw: &str) -> Result<IpAddr, NameError> {
    raw.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| NameError::Ip(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn valid_and_invalid_names() {
        assert_eq!(dns_name("API.Example.com.").unwrap(), "api.example.com");
        assert_eq!(dns_name("*.example.com").unwrap(), "*.example.com");
        assert!(dns_name("lb").is_ok());
        // IDNs become punycode (RFC 3492 sample values).
        assert_eq!(dns_name("Bücher.example").unwrap(), "xn--bcher-kva.example");
        assert_eq!(dns_name("münchen.de").unwrap(), "xn--mnchen-3ya.de");
        assert_eq!(dns_name("例え.jp").unwrap(), "xn--r8jz45g.jp");
        for bad in [
            "",
            "*.*.example",
            "a..b",
            "-a.b",
            "a-.b",
            "*.com",
            "f*o.example.com",
            "a.*.example.com",
            "10.0.0.5",
        ] {
            assert!(dns_name(bad).is_err(), "{bad}");
        }
        assert!(dns_name(&format!("{}.com", "a".repeat(64))).is_err());
        assert!(dns_name(&["abc"; 70].join(".")).is_err());
        assert!(ip_addr("10.0.0.5").is_ok());
        assert!(ip_addr("::1").is_ok());
        assert!(ip_addr("10.0.0.256").is_err());
    }

    #[test]
    fn httpclient_host_rules() {
        let dns = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let m = |host: &str, sans: &[&str], cn: Option<&str>| {
            let d = dns(sans);
            host_matches(
                host,
                &CertNames {
                    dns: Some(&d),
                    ip: None,
                    cn,
                },
            )
            .is_ok()
        };
        assert!(m("api.example.com", &["API.example.com"], None));
        assert!(m("a.example.com", &["*.example.com"], None));
        assert!(!m("a.b.example.com", &["*.example.com"], None));
        assert!(!m("example.com", &["*.example.com"], None));
        // A wildcard over a public suffix, one label or two, never matches.
        assert!(!m("example.co.uk", &["*.co.uk"], None));
        assert!(!m("example.com", &["*.com"], None));
        // Partial wildcards are HttpClient's, not RFC 6125's.
        assert!(m("foo.example.com", &["f*.example.com"], None));
        // The CN counts only without DNS SANs.
        assert!(!m(
            "cn.example.com",
            &["other.example.com"],
            Some("cn.example.com")
        ));
        assert!(m("cn.example.com", &[], Some("cn.example.com")));
        let ips = [
            "10.0.0.5".parse::<IpAddr>().unwrap(),
            "::1".parse().unwrap(),
        ];
        let n = CertNames {
            dns: None,
            ip: Some(&ips),
            cn: None,
        };
        assert!(host_matches("10.0.0.5", &n).is_ok());
        assert!(host_matches("0:0:0:0:0:0:0:1", &n).is_ok());
        assert!(host_matches("10.0.0.6", &n).is_err());
    }

    /// The list as certctl parsed it at run time before `build.rs` did: the reference the
    /// compiled tables must equal.
    fn runtime_parse() -> (HashSet<String>, HashSet<String>) {
        let (mut rules, mut exceptions) = (HashSet::new(), HashSet::new());
        for line in include_str!("data/public-suffix-icann.txt").lines() {
            if line.is_empty() || line.starts_with("//") {
                continue;
            }
            let (set, rule) = match line.strip_prefix('!') {
                Some(r) => (&mut exceptions, r),
                None => (&mut rules, line),
            };
            let ascii: Option<Vec<String>> = rule
                .split('.')
                .map(|lab| {
                    if lab.is_ascii() {
                        Some(lab.to_lowercase())
                    } else {
                        crate::punycode::encode(&lab.to_lowercase()).map(|p| format!("xn--{p}"))
                    }
                })
                .collect();
            if let Some(labels) = ascii {
                set.insert(labels.join("."));
            }
        }
        (rules, exceptions)
    }

    #[test]
    fn compiled_suffix_list_equals_the_runtime_parse() {
        let (rules, exceptions) = runtime_parse();
        assert!(rules.len() > 7000, "{}", rules.len());
        assert_eq!(SUFFIX_RULES.len(), rules.len());
        assert_eq!(SUFFIX_EXCEPTIONS.len(), exceptions.len());
        for (table, set) in [(&SUFFIX_RULES, &rules), (&SUFFIX_EXCEPTIONS, &exceptions)] {
            for r in set.iter() {
                assert!(table.contains(&[r]), "{r}");
                // Split anywhere, the parts name the same entry.
                let mid = r.len() / 2;
                if r.is_char_boundary(mid) {
                    assert!(table.contains(&[&r[..mid], &r[mid..]]), "{r}");
                }
                assert!(!table.contains(&[r, "!"]), "{r}!");
            }
            for i in 1..table.len() {
                assert!(table.get(i - 1) < table.get(i), "sorted at {i}");
            }
        }
        assert!(!SUFFIX_RULES.contains(&[""]));
        assert!(!SUFFIX_RULES.contains(&["zzzzzzzz"]));

        // The old matcher, over the runtime sets, answers every name as the compiled one.
        let old = |name: &str| {
            domain_root_by(
                name,
                |p| rules.contains(&p.concat()),
                |p| exceptions.contains(&p.concat()),
            )
            .map(str::to_string)
        };
        let mut names: Vec<String> = [
            "example.com",
            "a.b.example.co.uk",
            "co.uk",
            "uk",
            "www.ck",
            "a.www.ck",
            "b.c.ck",
            "ck",
            "city.kawasaki.jp",
            "a.city.kawasaki.jp",
            "foo.kawasaki.jp",
            "kawasaki.jp",
            "xn--mnchen-3ya.de",
            "a.xn--55qx5d.cn",
            "xn--55qx5d.cn",
            "a.b.test",
            "test",
            "",
            ".",
            ".com",
            "com.",
            "a..com",
            "*.co.uk",
            "*.example.com",
            "api.example.com",
            "10.0.0.5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for r in rules.iter().chain(exceptions.iter()) {
            names.push(r.clone());
            names.push(format!("x.{r}"));
            names.push(format!("y.x.{r}"));
            names.push(r.replace("*.", "w."));
            names.push(r.replace("*.", "v.w."));
        }
        for n in &names {
            assert_eq!(domain_root(n).map(str::to_string), old(n), "{n}");
        }
    }
}

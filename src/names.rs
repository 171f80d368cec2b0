//! Host names and IP addresses for certificates: validation and normalisation (one rule set).

use std::net::IpAddr;

/// Why a name cannot go into a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("\"{name}\" is not a valid DNS name: {why}")]
    Dns { name: String, why: &'static str },
    #[error("\"{0}\" is not an IP address")]
    Ip(String),
}

/// Validates and normalises a DNS name: lower-case, trailing dot stripped, at most 253
/// characters, labels of 1-63 letters, digits and hyphens (not at either end), a wildcard
/// only as the whole leftmost label, and never a wildcard alone or over a single label.
pub fn dns_name(raw: &str) -> Result<String, NameError> {
    let bad = |why| NameError::Dns {
        name: raw.to_string(),
        why,
    };
    let name = raw.strip_suffix('.').unwrap_or(raw).to_ascii_lowercase();
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if !name.is_ascii() {
        return Err(bad("non-ASCII; give the punycode form (xn--…)"));
    }
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

/// Parses an IP address SAN.
pub fn ip_addr(raw: &str) -> Result<IpAddr, NameError> {
    raw.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| NameError::Ip(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid_names() {
        assert_eq!(dns_name("API.Example.com.").unwrap(), "api.example.com");
        assert_eq!(dns_name("*.example.com").unwrap(), "*.example.com");
        assert!(dns_name("lb").is_ok());
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
            "bücher.example",
        ] {
            assert!(dns_name(bad).is_err(), "{bad}");
        }
        assert!(dns_name(&format!("{}.com", "a".repeat(64))).is_err());
        assert!(dns_name(&["abc"; 70].join(".")).is_err());
        assert!(ip_addr("10.0.0.5").is_ok());
        assert!(ip_addr("::1").is_ok());
        assert!(ip_addr("10.0.0.256").is_err());
    }
}

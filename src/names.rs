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
                    punycode(l).map(|p| format!("xn--{p}"))
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

/// RFC 3492 punycode of one label (without the `xn--` prefix).
fn punycode(label: &str) -> Option<String> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    let adapt = |mut delta: u32, numpoints: u32, first: bool| {
        delta /= if first { DAMP } else { 2 };
        delta += delta / numpoints;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (BASE - TMIN + 1) * delta / (delta + SKEW)
    };
    // Punycode digits: 0-25 are a-z, 26-35 are 0-9.
    let digit = |d: u32| match d {
        0..=25 => char::from_u32(u32::from(b'a') + d),
        26..=35 => char::from_u32(u32::from(b'0') + d - 26),
        _ => None,
    };
    let cps: Vec<u32> = label.chars().map(u32::from).collect();
    let mut out: String = label.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    let mut h = basic;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (128u32, 0u32, 72u32);
    while (h as usize) < cps.len() {
        let m = *cps.iter().filter(|c| **c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(h + 1)?)?;
        n = m;
        for &c in &cps {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t))?);
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q)?);
                bias = adapt(delta, h + 1, h == basic);
                delta = 0;
                h += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Some(out)
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
}

//! The strict profile's structural lints (RFC 5280 and the CA/Browser Forum baseline): what a
//! careful client rejects even where API Gateway's client and rustls-webpki accept.

use crate::findings::CheckCode;
use crate::x509::{CertDetail, CertInfo};

/// The position of a certificate in the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Leaf,
    Intermediate,
    Root,
}

/// One lint result: code, message.
pub(crate) type Lint = (CheckCode, String);

/// Extensions RFC 5280 defines that a client must understand when critical.
const KNOWN: &[&str] = &[
    "2.5.29.14", // subjectKeyIdentifier
    "2.5.29.15", // keyUsage
    "2.5.29.17", // subjectAltName
    "2.5.29.19", // basicConstraints
    "2.5.29.30", // nameConstraints
    "2.5.29.32", // certificatePolicies
    "2.5.29.33", // policyMappings
    "2.5.29.35", // authorityKeyIdentifier
    "2.5.29.36", // policyConstraints
    "2.5.29.37", // extKeyUsage
    "2.5.29.54", // inhibitAnyPolicy
];

/// One certificate in its role, as every section's lints read it.
#[derive(Clone, Copy)]
struct Cert<'a> {
    info: &'a CertInfo,
    d: &'a CertDetail,
    role: Role,
    name: &'a str,
    self_issued: bool,
    ca: bool,
}

/// Every structural problem of one certificate in its role, section by section of RFC 5280
/// (rustls-webpki style: one function per section).
pub(crate) fn lint(info: &CertInfo, d: &CertDetail, role: Role) -> Vec<Lint> {
    let c = Cert {
        info,
        d,
        role,
        name: info.display_name(),
        self_issued: info.subject_raw == info.issuer_raw,
        ca: role != Role::Leaf,
    };
    let mut out: Vec<Lint> = Vec::new();
    for section in [
        serial,
        key_identifiers,
        basic_constraints,
        name_constraints,
        critical_extensions,
        extended_key_usage,
        names_and_encoding,
    ] {
        section(&c, &mut out);
    }
    out
}

/// RFC 5280 4.1.2.2: the serial number.
fn serial(c: &Cert<'_>, out: &mut Vec<Lint>) {
    let Cert { d, role, name, .. } = *c;
    // Serial number: positive, non-zero, at most 20 octets (RFC 5280 4.1.2.2).
    // (A root's serial is its CA's business: clients never look at it.)
    let serial: &[u8] = if role == Role::Root {
        &[1]
    } else {
        &d.raw_serial
    };
    if serial.iter().all(|b| *b == 0) {
        out.push((
            CheckCode::LintSerial,
            format!("\"{name}\" has serial number zero"),
        ));
    } else if serial.first().is_some_and(|b| b & 0x80 != 0) {
        out.push((
            CheckCode::LintSerial,
            format!("\"{name}\" has a negative serial number"),
        ));
    } else if serial.len() > 20 {
        out.push((
            CheckCode::LintSerial,
            format!(
                "\"{name}\" has a serial number of {} octets (at most 20)",
                serial.len()
            ),
        ));
    }
}

/// RFC 5280 4.2.1.1, 4.2.1.2: authority and subject key identifiers.
fn key_identifiers(c: &Cert<'_>, out: &mut Vec<Lint>) {
    let Cert {
        d,
        role,
        name,
        self_issued,
        ca,
        ..
    } = *c;
    // Key identifiers (RFC 5280 4.2.1.1, 4.2.1.2).
    match (&d.aki, d.extension("2.5.29.35")) {
        (_, Some(e)) if e.critical => out.push((
            CheckCode::LintKeyIdentifier,
            format!("\"{name}\" marks authorityKeyIdentifier critical"),
        )),
        // A trust anchor is exempt: it ends the path, nothing checks its issuer.
        (None, None) if !self_issued && role != Role::Root => out.push((
            CheckCode::LintKeyIdentifier,
            format!("\"{name}\" has no authorityKeyIdentifier"),
        )),
        (Some((kid, issuer, serial)), _) => {
            if kid.is_none() {
                out.push((
                    CheckCode::LintKeyIdentifier,
                    format!("\"{name}\"'s authorityKeyIdentifier has no keyIdentifier"),
                ));
            }
            if *issuer || *serial {
                out.push((
                    CheckCode::LintKeyIdentifier,
                    format!(
                        "\"{name}\"'s authorityKeyIdentifier names the issuer by name and serial"
                    ),
                ));
            }
            if role == Role::Root && self_issued {
                if let (Some(k), Some(s)) = (kid, &d.ski) {
                    if k != s {
                        out.push((
                            CheckCode::LintKeyIdentifier,
                            format!("the root \"{name}\"'s authorityKeyIdentifier differs from its subjectKeyIdentifier"),
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    if ca && d.ski.is_none() {
        out.push((
            CheckCode::LintKeyIdentifier,
            format!("the CA \"{name}\" has no subjectKeyIdentifier"),
        ));
    }
    if d.extension("2.5.29.14").is_some_and(|e| e.critical) {
        out.push((
            CheckCode::LintKeyIdentifier,
            format!("\"{name}\" marks subjectKeyIdentifier critical"),
        ));
    }
}

/// RFC 5280 4.2.1.9 (and 4.2.1.3): basicConstraints and its consistency with keyUsage.
fn basic_constraints(c: &Cert<'_>, out: &mut Vec<Lint>) {
    let Cert {
        info, d, name, ca, ..
    } = *c;
    // basicConstraints (RFC 5280 4.2.1.9) and its consistency with keyUsage.
    let bc = d.extension("2.5.29.19");
    let cert_sign = info
        .key_usage
        .as_ref()
        .is_some_and(|k| k.iter().any(|b| b == "keyCertSign"));
    if ca {
        match bc {
            None => out.push((
                CheckCode::LintBasicConstraints,
                format!("the CA \"{name}\" has no basicConstraints"),
            )),
            Some(e) if !e.critical => out.push((
                CheckCode::LintBasicConstraints,
                format!("the CA \"{name}\" does not mark basicConstraints critical"),
            )),
            _ => {}
        }
        if info.basic_constraints_ca != Some(true) {
            out.push((
                CheckCode::LintBasicConstraints,
                format!("the CA \"{name}\" is not CA:TRUE"),
            ));
        }
        if info.key_usage.is_some() && !cert_sign {
            out.push((
                CheckCode::LintBasicConstraints,
                format!("the CA \"{name}\" has keyUsage without keyCertSign"),
            ));
        }
    } else if cert_sign {
        out.push((
            CheckCode::LintBasicConstraints,
            format!("the leaf \"{name}\" has keyUsage keyCertSign"),
        ));
    }
}

/// RFC 5280 4.2.1.10 (and 4.2.1.11): name constraints, policyConstraints' criticality.
fn name_constraints(c: &Cert<'_>, out: &mut Vec<Lint>) {
    let Cert { d, role, name, .. } = *c;
    // Name constraints (RFC 5280 4.2.1.10).
    if let Some(nc) = &d.name_constraints {
        if role == Role::Leaf {
            out.push((
                CheckCode::LintNameConstraints,
                format!("the leaf \"{name}\" carries name constraints"),
            ));
        }
        if d.extension("2.5.29.30").is_some_and(|e| !e.critical) {
            out.push((
                CheckCode::LintNameConstraints,
                format!("\"{name}\" does not mark nameConstraints critical"),
            ));
        }
        let leading_dot =
            nc.0.iter()
                .chain(nc.1.iter())
                .flatten()
                .any(|n| matches!(n, crate::x509::AltName::Dns(d) if d.starts_with('.')));
        if leading_dot {
            out.push((
                CheckCode::LintNameConstraints,
                format!("\"{name}\"'s nameConstraints has a DNS subtree with a leading period"),
            ));
        }
        let empty = |l: &Option<Vec<crate::x509::AltName>>| l.as_ref().is_none_or(Vec::is_empty);
        if empty(&nc.0) && empty(&nc.1) {
            out.push((
                CheckCode::LintNameConstraints,
                format!("\"{name}\"'s nameConstraints has neither permitted nor excluded subtrees"),
            ));
        }
    }
    if d.extension("2.5.29.36").is_some_and(|e| !e.critical) {
        out.push((
            CheckCode::LintCriticalExtension,
            format!("\"{name}\" does not mark policyConstraints critical"),
        ));
    }
}

/// RFC 5280 4.2: unknown critical extensions.
fn critical_extensions(c: &Cert<'_>, out: &mut Vec<Lint>) {
    let Cert { d, name, .. } = *c;
    // Unknown critical extensions (RFC 5280 4.2).
    for e in &d.extensions {
        if e.critical && !KNOWN.contains(&e.oid.as_str()) {
            out.push((
                CheckCode::LintCriticalExtension,
                format!("\"{name}\" has an unknown critical extension {}", e.oid),
            ));
        }
    }
}

/// RFC 5280 4.2.1.12: extended key usage by role.
fn extended_key_usage(c: &Cert<'_>, out: &mut Vec<Lint>) {
    let Cert {
        info,
        d,
        role,
        name,
        ..
    } = *c;
    // Extended key usage.
    if let Some(ekus) = &info.extended_key_usage {
        if role == Role::Root {
            out.push((
                CheckCode::LintEku,
                format!("the root \"{name}\" carries extendedKeyUsage"),
            ));
        }
        if role == Role::Leaf && ekus.iter().any(|e| e == "anyExtendedKeyUsage") {
            out.push((
                CheckCode::LintEku,
                format!("the leaf \"{name}\" has anyExtendedKeyUsage"),
            ));
        }
        if role == Role::Leaf && d.extension("2.5.29.37").is_some_and(|e| e.critical) {
            out.push((
                CheckCode::LintEku,
                format!("the leaf \"{name}\" marks extendedKeyUsage critical"),
            ));
        }
    }
}

/// RFC 5280 4.1.2.6, 4.2.1.6 and CA/B BR 7.1.4.3: subject, names, encodings.
fn names_and_encoding(c: &Cert<'_>, out: &mut Vec<Lint>) {
    let Cert {
        info,
        d,
        role,
        name,
        ..
    } = *c;
    // Subject, names, encodings.
    if d.subject_empty && !d.san_critical {
        out.push((
            CheckCode::LintNames,
            format!("\"{name}\" has an empty subject and a non-critical subjectAltName"),
        ));
    }
    if !d.subject_empty && d.san_critical {
        out.push((
            CheckCode::LintNames,
            format!("\"{name}\" marks subjectAltName critical although its subject is not empty"),
        ));
    }
    if role == Role::Leaf {
        // CA/B BR 7.1.4.3: a CN, when present, is a character-for-character copy of a SAN
        // entry in its standard encoding. A CN spelling one of the leaf's names differently is
        // malformed; a CN naming something else altogether is `cn-not-in-san` (a warning: RFC
        // 5280 allows it, and no client reads the CN when there is a SAN).
        if let Some(cn) = &info.common_name {
            if let Some(problem) = cn_encoding_problem(cn, &info.dns_names) {
                out.push((CheckCode::LintNames, problem));
            }
        }
        for n in info.dns_names.iter() {
            if crate::names::dns_name(n).is_err() || n.contains('_') {
                out.push((
                    CheckCode::LintNames,
                    format!("the leaf's DNS name \"{n}\" is malformed"),
                ));
            }
        }
    }
    if let Some(e) = d.extension("1.3.6.1.5.5.7.1.1") {
        if !e.parsed {
            out.push((
                CheckCode::LintEncoding,
                format!("\"{name}\" has a malformed authorityInfoAccess"),
            ));
        }
    }
    if let Some(bits) = d.rsa_bits {
        if bits % 8 != 0 {
            out.push((
                CheckCode::LintEncoding,
                format!("\"{name}\" has an RSA modulus of {bits} bits, not a multiple of 8"),
            ));
        }
    }
    if d.version != 3 {
        out.push((
            CheckCode::LintEncoding,
            format!("\"{name}\" is an X.509 v{} certificate", d.version),
        ));
    }
}

/// Why a leaf's CN is a malformed spelling of a name (CA/B BR 7.1.4.3), if it is: an IP address
/// not in its standard text form, a domain name in U-labels, or a SAN entry in other letter case.
fn cn_encoding_problem(cn: &str, dns_names: &[String]) -> Option<String> {
    if let Some(ip) = lenient_ip(cn) {
        if ip.to_string() != cn {
            return Some(format!(
                "the leaf's CN \"{cn}\" is the IP address {ip} in a non-standard form (dotted quad for IPv4, RFC 5952 for IPv6)"
            ));
        }
        return None;
    }
    if !cn.is_ascii() && cn.contains('.') && !cn.contains(char::is_whitespace) {
        return Some(format!(
            "the leaf's CN \"{cn}\" is a domain name in Unicode; certificates carry its xn-- (A-label) form"
        ));
    }
    let differs_in_case = dns_names.iter().find(|n| n.eq_ignore_ascii_case(cn))?;
    if dns_names.iter().any(|n| n == cn) {
        return None;
    }
    Some(format!(
        "the leaf's CN \"{cn}\" differs from its SAN \"{differs_in_case}\" in letter case (the CN must copy the SAN exactly)"
    ))
}

/// An IP address in a spelling a resolver's `inet_aton` or an IPv6 parser accepts: four IPv4
/// parts each decimal, octal (leading 0) or hex (0x), one hex number, upper case or uncompressed
/// IPv6. (Fewer decimal parts, as in "1.2", read as version numbers, not addresses.)
fn lenient_ip(s: &str) -> Option<std::net::IpAddr> {
    if s.contains(':') {
        return s
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(std::net::IpAddr::V6);
    }
    let parts: Vec<&str> = s.split('.').collect();
    let one_hex = parts.len() == 1 && (s.starts_with("0x") || s.starts_with("0X"));
    if parts.len() != 4 && !one_hex {
        return None;
    }
    let mut addr: u32 = 0;
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X"))
        {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        let v = u32::from_str_radix(digits, radix).ok()?;
        if parts.len() == 4 {
            if v > 255 {
                return None;
            }
            addr = (addr << 8) | v;
        } else {
            addr = v;
        }
    }
    Some(std::net::IpAddr::V4(std::net::Ipv4Addr::from(addr)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cn_spelling_a_name_differently_is_malformed_and_a_different_name_is_not() {
        let san = vec!["example.com".to_string()];
        for cn in [
            "0xC0A80101",
            "192.168.001.001",
            "2001:DB8::1",
            "2001:0db8:0:0:0:0:0:1",
            "test-測試.com",
            "Example.COM",
        ] {
            assert!(cn_encoding_problem(cn, &san).is_some(), "{cn}");
        }
        for cn in [
            "example.com",
            "other.example.com",
            "192.168.1.1",
            "2001:db8::1",
            "1.2",
            "12345",
            "Acme Ünternehmen",
            "007.example.com",
        ] {
            assert_eq!(cn_encoding_problem(cn, &san), None, "{cn}");
        }
        assert_eq!(lenient_ip("0xC0A80101"), "192.168.1.1".parse().ok());
        assert_eq!(lenient_ip("192.168.001.010"), "192.168.1.8".parse().ok());
        assert_eq!(lenient_ip("192.168.1.256"), None);
        assert_eq!(lenient_ip("0x"), None);
    }
}

//! `certctl inspect`: every certificate of a file or a server's chain, in detail.

use serde::Serialize;

use crate::target::{self as input, InputError, Target};
use crate::x509::CertInfo;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct InspectReport {
    pub(crate) schema_version: u32,
    pub(crate) target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) protocol: Option<String>,
    pub(crate) at: String,
    pub(crate) certificates: Vec<CertInfo>,
    #[serde(skip)]
    pub(crate) at_unix: i64,
}

/// `fetched_pem`: the chain already fetched for the target (an ACM ARN's GetCertificate).
pub(crate) fn run(
    target: &str,
    fetched_pem: Option<&[u8]>,
    hostname: Option<&str>,
    connect_to: Option<&str>,
    timeout: f64,
    at: i64,
) -> Result<InspectReport, InputError> {
    let (certificates, address, protocol) = match fetched_pem {
        Some(pem) => (
            input::parse_bytes(pem, std::path::Path::new(target))?,
            None,
            None,
        ),
        None => match input::parse_target(target)? {
            Target::File(path) => (input::load_file(&path)?, None, None),
            Target::Url { host, port } => {
                let r = input::fetch(&host, port, hostname, connect_to, timeout)?;
                (r.certs, Some(r.address), Some(r.protocol))
            }
        },
    };
    Ok(InspectReport {
        schema_version: 1,
        target: target.to_string(),
        address,
        protocol,
        at: crate::x509::rfc3339(at),
        certificates,
        at_unix: at,
    })
}

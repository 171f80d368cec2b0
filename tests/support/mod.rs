//! Shared test support: chains generated at test time (rcgen) around a pinned instant, and a
//! runner for the certctl binary.
#![allow(dead_code)]

pub mod dnsserver;
pub mod moto;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

/// The instant every test evaluates at: 2030-06-01T00:00:00Z.
pub const AT: &str = "2030-06-01T00:00:00Z";
pub const AT_UNIX: i64 = 1_906_502_400;
pub const DAY: i64 = 86_400;

pub fn ts(t: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t).unwrap()
}

/// A generated certificate with its key and the params to sign others.
pub struct Made {
    pub pem: String,
    pub der: Vec<u8>,
    pub key: KeyPair,
    pub params: CertificateParams,
}

impl Made {
    pub fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

/// What a generated certificate should look like.
pub struct Spec {
    pub cn: String,
    pub dns: Vec<String>,
    pub ips: Vec<std::net::IpAddr>,
    pub ca: bool,
    pub not_before: i64,
    pub not_after: i64,
    pub eku: Option<Vec<ExtendedKeyUsagePurpose>>,
    pub key_usages: Vec<KeyUsagePurpose>,
    pub aia_ca_issuers: Option<String>,
    pub alg: &'static rcgen::SignatureAlgorithm,
}

impl Spec {
    pub fn leaf(host: &str) -> Spec {
        Spec {
            cn: host.to_string(),
            dns: vec![host.to_string()],
            ips: vec![],
            ca: false,
            not_before: AT_UNIX - 30 * DAY,
            not_after: AT_UNIX + 200 * DAY,
            eku: Some(vec![ExtendedKeyUsagePurpose::ServerAuth]),
            key_usages: vec![KeyUsagePurpose::DigitalSignature],
            aia_ca_issuers: None,
            alg: &rcgen::PKCS_ECDSA_P256_SHA256,
        }
    }

    pub fn ca(cn: &str) -> Spec {
        Spec {
            cn: cn.to_string(),
            dns: vec![],
            ips: vec![],
            ca: true,
            not_before: AT_UNIX - 365 * DAY,
            not_after: AT_UNIX + 3650 * DAY,
            eku: None,
            key_usages: vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign],
            aia_ca_issuers: None,
            alg: &rcgen::PKCS_ECDSA_P256_SHA256,
        }
    }

    fn params(&self) -> CertificateParams {
        let mut p = CertificateParams::default();
        p.distinguished_name
            .push(DnType::CommonName, self.cn.clone());
        p.subject_alt_names = self
            .dns
            .iter()
            .map(|d| SanType::DnsName(d.clone().try_into().unwrap()))
            .chain(self.ips.iter().map(|i| SanType::IpAddress(*i)))
            .collect();
        p.not_before = ts(self.not_before);
        p.not_after = ts(self.not_after);
        p.is_ca = if self.ca {
            IsCa::Ca(BasicConstraints::Unconstrained)
        } else {
            IsCa::ExplicitNoCa
        };
        p.key_usages = self.key_usages.clone();
        p.extended_key_usages = self.eku.clone().unwrap_or_default();
        p.use_authority_key_identifier_extension = true;
        if let Some(url) = &self.aia_ca_issuers {
            p.custom_extensions.push(aia_extension(url));
        }
        p
    }

    pub fn self_signed(&self) -> Made {
        let key = KeyPair::generate_for(self.alg).unwrap();
        let params = self.params();
        let cert = params.self_signed(&key).unwrap();
        Made {
            pem: cert.pem(),
            der: cert.der().to_vec(),
            key,
            params,
        }
    }

    pub fn signed_by(&self, issuer: &Made) -> Made {
        let key = KeyPair::generate_for(self.alg).unwrap();
        let params = self.params();
        let cert = params.signed_by(&key, &issuer.issuer()).unwrap();
        Made {
            pem: cert.pem(),
            der: cert.der().to_vec(),
            key,
            params,
        }
    }
}

/// authorityInfoAccess with one caIssuers URI (DER by hand: rcgen has no builder for it).
fn aia_extension(url: &str) -> CustomExtension {
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        if body.len() < 128 {
            v.push(body.len() as u8);
        } else {
            v.push(0x81);
            v.push(body.len() as u8);
        }
        v.extend_from_slice(body);
        v
    }
    // id-ad-caIssuers 1.3.6.1.5.5.7.48.2
    let oid = tlv(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02]);
    let uri = tlv(0x86, url.as_bytes());
    let desc = tlv(0x30, &[oid, uri].concat());
    let value = tlv(0x30, &desc);
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], value)
}

/// root → intermediate → leaf for `host`.
pub struct Chain {
    pub root: Made,
    pub inter: Made,
    pub leaf: Made,
}

pub fn chain(host: &str) -> Chain {
    chain_with(host, |_| {})
}

pub fn chain_with(host: &str, tweak: impl FnOnce(&mut Spec)) -> Chain {
    let root = Spec::ca("Test Root CA").self_signed();
    let inter = Spec::ca("Test Intermediate CA").signed_by(&root);
    let mut spec = Spec::leaf(host);
    tweak(&mut spec);
    let leaf = spec.signed_by(&inter);
    Chain { root, inter, leaf }
}

/// A temp directory for one test.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// The certctl binary.
pub fn certctl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_certctl"));
    c.env_remove("NO_COLOR").env_remove("CERTCTL_P12_PASSWORD");
    c
}

/// Runs certctl with args; returns (exit code, stdout, stderr).
pub fn run<I, S>(args: I) -> (i32, String, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out: Output = certctl().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs certctl with `--json` and parses stdout.
pub fn run_json<I, S>(args: I) -> (i32, serde_json::Value, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut all: Vec<std::ffi::OsString> = vec!["--json".into()];
    all.extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
    let (code, out, err) = run(all);
    let doc = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    (code, doc, err)
}

/// The codes of a check report's findings.
pub fn codes(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["code"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The severity of finding `code` in a check report.
pub fn severity(doc: &serde_json::Value, code: &str) -> Option<String> {
    doc["findings"]
        .as_array()?
        .iter()
        .find(|f| f["code"] == code)
        .map(|f| f["severity"].as_str().unwrap_or("").to_string())
}

/// Asserts the output holds no panic or backtrace text.
pub fn assert_no_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked")
            && !stderr.contains("RUST_BACKTRACE")
            && !stderr.contains("internal error"),
        "panic: {stderr}"
    );
}

/// The top-level fields README.md's "JSON schema" table documents for `document` (e.g.
/// `"acm status"`): (always present, present when it applies).
pub fn documented_fields(document: &str) -> (Vec<String>, Vec<String>) {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## JSON schema")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README.md has a JSON schema section");
    let row = section
        .lines()
        .find(|l| {
            l.starts_with(&format!("| `{document}` |")) || l.starts_with(&format!("| {document} |"))
        })
        .unwrap_or_else(|| panic!("README.md documents no `{document}` document"));
    let cells = row.split('|').nth(2).unwrap_or_default();
    let (mut always, mut optional) = (Vec::new(), Vec::new());
    for f in cells.split(',').map(|f| f.trim().trim_matches('`')) {
        match f.strip_suffix('?') {
            Some(f) => optional.push(f.to_string()),
            None => always.push(f.to_string()),
        }
    }
    (always, optional)
}

/// Asserts a document has every field README.md says it always has, and none it does not name.
pub fn assert_documented(document: &str, doc: &serde_json::Value) {
    let (always, optional) = documented_fields(document);
    let keys: Vec<String> = doc
        .as_object()
        .unwrap_or_else(|| panic!("{document}: not an object: {doc}"))
        .keys()
        .cloned()
        .collect();
    for f in &always {
        assert!(
            keys.contains(f),
            "{document}: README.md promises `{f}`; got {keys:?}"
        );
    }
    for k in &keys {
        assert!(
            always.contains(k) || optional.contains(k),
            "{document}: prints `{k}`, which README.md does not document"
        );
    }
}

/// A TLS server on 127.0.0.1 serving the certificate a fixture wrote into `dir` (cert.pem with
/// ca.pem, key.pem) for `connections` handshakes; returns its port.
pub fn serve_dir(dir: &Path, connections: usize) -> u16 {
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use std::sync::Arc;
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let mut chain: Vec<CertificateDer<'static>> =
        certctl::pem::decode_certificates(&read("cert.pem")).unwrap();
    chain.extend(certctl::pem::decode_certificates(&read("ca.pem")).unwrap());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certctl::pem::decode_private_key(&read("key.pem")).unwrap(),
    ));
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(mut tcp) = stream else { continue };
            let Ok(mut conn) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            while conn.is_handshaking() {
                if conn.complete_io(&mut tcp).is_err() {
                    break;
                }
            }
        }
    });
    port
}

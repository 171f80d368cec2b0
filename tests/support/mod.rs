//! Shared test support: chains generated at test time (rcgen) around a pinned instant, and a
//! runner for the certctl binary.
#![allow(dead_code)]

pub mod dnsserver;
pub mod faultproxy;
pub mod fuzz;
pub mod moto;
pub mod mtls;
pub mod oracle;
pub mod pyfixture;

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
/// The real clock as the tests pin it for debug builds (`CERTCTL_DEBUG_WALL_CLOCK`): 20 years
/// after [`AT`], so that every `rotate --at` a test pins is in the past of it. A test of the
/// rule itself (rotate writes no certificate that is not valid yet) sets its own.
pub const WALL_CLOCK: i64 = AT_UNIX + 20 * 365 * DAY;

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
    // Tests never reach the instance metadata service (no 1 s probes, no real role).
    c.env_remove("NO_COLOR")
        .env_remove("CERTCTL_P12_PASSWORD")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("CERTCTL_DEBUG_WALL_CLOCK", WALL_CLOCK.to_string());
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

/// Runs certctl with `--json`, parses stdout, and asserts that the document is what
/// README.md's JSON schema says (every field, at every depth: [`assert_documented`]).
pub fn run_json<I, S>(args: I) -> (i32, serde_json::Value, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut all: Vec<std::ffi::OsString> = vec!["--json".into()];
    all.extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
    let (code, out, err) = run(&all);
    let doc = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    let words: Vec<String> = all
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    assert_documented(&document_of(&words, &doc), &doc);
    (code, doc, err)
}

/// A certctl run that prints one JSON document.
pub struct JsonRun {
    pub code: i32,
    pub doc: serde_json::Value,
    pub stderr: String,
}

/// Runs certctl with `args` (which carry `--json` and the emulator's `--endpoint-url`) and fake
/// AWS keys, no profile and no metadata service; parses stdout and asserts the document is
/// documented and stderr shows no panic.
pub fn run_aws_json<S: AsRef<str>>(args: &[S]) -> JsonRun {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let out = certctl()
        .args(&args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
    assert_documented(&document_of(&args, &doc), &doc);
    assert_no_panic(&stderr);
    JsonRun {
        code: out.status.code().unwrap_or(-1),
        doc,
        stderr,
    }
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

/// One field of a documented object: its name, whether it may be left out (`name?`), and the
/// kind of object it holds (a `*kind*` reference), if it holds objects.
#[derive(Debug, Clone)]
pub struct SchemaField {
    pub name: String,
    pub optional: bool,
    pub kind: Option<String>,
}

/// README.md's "JSON schema" section: every document (`check`, `acm status`, `any error`, …)
/// and every kind of nested object (`finding`, `path element`, …) with its fields.
#[derive(Debug)]
pub struct Schema {
    pub kinds: std::collections::BTreeMap<String, Vec<SchemaField>>,
    /// The documents, in README order (a subset of `kinds`).
    pub documents: Vec<String>,
}

/// The `*kind*` references in a README cell.
fn kind_refs(text: &str) -> Vec<String> {
    // Outside backticks: `*.example.com` is a value, not a reference.
    let prose: String = text.split('`').step_by(2).collect::<Vec<_>>().join(" ");
    prose
        .split('*')
        .skip(1)
        .step_by(2)
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect()
}

/// `name` or `name?` from the first backticked word of a cell.
fn field_name(cell: &str) -> Option<(String, bool)> {
    let name = cell.split('`').nth(1)?.trim();
    Some(match name.strip_suffix('?') {
        Some(n) => (n.to_string(), true),
        None => (name.to_string(), false),
    })
}

/// Splits a "fields" cell on the commas outside parentheses.
fn split_entries(cell: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0i32);
    for c in cell.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect()
}

/// Parses `readme`'s "JSON schema" section: first the table of documents (`| document |
/// fields |`, one row each), then one `**kind**` line per kind of object, each followed by a
/// `| field | meaning |` table. A field holding objects names their kind as `*kind*`.
/// Panics on a reference to no kind, a kind nothing refers to, or a field listed twice.
pub fn parse_schema(readme: &str) -> Schema {
    let section = readme
        .split("\n## JSON schema\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README.md has a JSON schema section");
    let mut kinds: std::collections::BTreeMap<String, Vec<SchemaField>> = Default::default();
    let mut documents = Vec::new();
    let mut current: Option<String> = None;
    let mut fence = false;
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    for line in section.lines() {
        if line.starts_with("```") {
            fence = !fence;
        }
        if fence {
            continue;
        }
        if let Some(rest) = line.strip_prefix("**") {
            let name = rest.split("**").next().unwrap_or_default().to_string();
            assert!(
                !kinds.contains_key(&name),
                "README JSON schema: kind *{name}* twice"
            );
            kinds.insert(name.clone(), Vec::new());
            current = Some(name);
            continue;
        }
        if !line.starts_with("| ") {
            continue;
        }
        let row = cells(line);
        if row.len() < 2 || row[0] == "document" || row[0] == "field" {
            continue;
        }
        let fields: Vec<SchemaField> = match &current {
            // The documents table.
            None => split_entries(&row[1])
                .iter()
                .map(|e| {
                    let (name, optional) =
                        field_name(e).unwrap_or_else(|| panic!("README JSON schema: `{e}`"));
                    SchemaField {
                        name,
                        optional,
                        kind: kind_refs(e).into_iter().next(),
                    }
                })
                .collect(),
            // One row of a kind's table.
            Some(_) => {
                let (name, optional) = field_name(&row[0])
                    .unwrap_or_else(|| panic!("README JSON schema: row `{line}`"));
                vec![SchemaField {
                    name,
                    optional,
                    kind: kind_refs(&row[1]).into_iter().next(),
                }]
            }
        };
        let owner = match &current {
            None => {
                let doc = row[0].trim_matches('`').to_string();
                assert!(
                    !kinds.contains_key(&doc),
                    "README JSON schema: document `{doc}` twice"
                );
                documents.push(doc.clone());
                kinds.insert(doc.clone(), Vec::new());
                doc
            }
            Some(k) => k.clone(),
        };
        let list = kinds.get_mut(&owner).unwrap();
        for f in fields {
            assert!(
                !list.iter().any(|g| g.name == f.name),
                "README JSON schema: {owner}: `{}` twice",
                f.name
            );
            list.push(f);
        }
    }
    let referenced: std::collections::BTreeSet<&String> = kinds
        .values()
        .flatten()
        .filter_map(|f| f.kind.as_ref())
        .collect();
    for (owner, fields) in &kinds {
        for f in fields {
            if let Some(k) = &f.kind {
                assert!(
                    kinds.contains_key(k),
                    "README JSON schema: {owner}.{} refers to *{k}*, which is not documented",
                    f.name
                );
            }
        }
        assert!(
            !fields.is_empty(),
            "README JSON schema: *{owner}* has no fields"
        );
        assert!(
            documents.contains(owner) || referenced.contains(owner),
            "README JSON schema: no field holds a *{owner}*"
        );
    }
    Schema { kinds, documents }
}

/// README.md's JSON schema, parsed once.
pub fn schema() -> &'static Schema {
    static SCHEMA: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| parse_schema(include_str!("../../docs/json-schema.md")))
}

/// The paths of `value` (a `kind` object at `path`) that README.md does not document, and
/// the documented fields it promises that are missing; recursing into every object and array.
fn undocumented(
    schema: &Schema,
    kind: Option<&str>,
    value: &serde_json::Value,
    path: &str,
    out: &mut std::collections::BTreeSet<String>,
) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::Array(items) => {
            for item in items {
                undocumented(schema, kind, item, &format!("{path}[]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            let fields = kind.and_then(|k| schema.kinds.get(k));
            for f in fields.into_iter().flatten().filter(|f| !f.optional) {
                if !map.contains_key(&f.name) {
                    out.insert(format!(
                        "{} is promised by README \"JSON schema\" but not printed",
                        join(&f.name)
                    ));
                }
            }
            for (key, v) in map {
                match fields.and_then(|fs| fs.iter().find(|f| f.name == *key)) {
                    Some(f) => undocumented(schema, f.kind.as_deref(), v, &join(key), out),
                    None => {
                        out.insert(format!(
                            "{} is printed but not in README \"JSON schema\"",
                            join(key)
                        ));
                    }
                }
            }
        }
        _ => {}
    }
}

/// What README.md's JSON schema says is wrong with `doc` as a `document` (e.g. `"acm
/// status"`), one line per path: fields printed at any depth (objects in arrays included) that
/// the README does not document, and fields it says are always there that are missing.
pub fn schema_problems(document: &str, doc: &serde_json::Value) -> Vec<String> {
    let schema = schema();
    if !schema.documents.iter().any(|d| d == document) {
        return vec![format!("README.md documents no `{document}` document")];
    }
    if !doc.is_object() {
        return vec![format!("{document}: not an object")];
    }
    let mut out = std::collections::BTreeSet::new();
    undocumented(schema, Some(document), doc, "", &mut out);
    out.into_iter()
        .map(|l| format!("{document}: {l}"))
        .collect()
}

/// Asserts that `doc` is what README.md's JSON schema says a `document` is: [`schema_problems`]
/// finds nothing.
pub fn assert_documented(document: &str, doc: &serde_json::Value) {
    let problems = schema_problems(document, doc);
    assert!(problems.is_empty(), "{}\n{doc:#}", problems.join("\n"));
}

/// The README document a certctl run printed: `any error` for an error, else the command
/// (`check`, `doctor`, …) or command and subcommand (`acm status`, `truststore show`, …).
pub fn document_of(args: &[&str], doc: &serde_json::Value) -> String {
    if doc.get("error").is_some() {
        return "any error".into();
    }
    let at = args
        .iter()
        .position(|a| {
            [
                "check",
                "inspect",
                "doctor",
                "scan",
                "rotate",
                "man",
                "issue",
                "ca",
                "acm",
                "truststore",
                "policy",
                "mtls",
            ]
            .contains(a)
        })
        .unwrap_or_else(|| panic!("no command in {args:?}"));
    match args[at] {
        "man" => "man --dir".into(),
        "issue" | "ca" | "acm" | "truststore" | "policy" | "mtls" => {
            format!("{} {}", args[at], args.get(at + 1).unwrap_or(&""))
        }
        cmd => cmd.to_string(),
    }
}

/// A TLS server on 127.0.0.1 serving the certificate a fixture wrote into `dir` (cert.pem with
/// ca.pem, key.pem) for `connections` handshakes; returns its port.
pub fn serve_dir(dir: &Path, connections: usize) -> u16 {
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let mut chain = certctl::pem::decode_certificates(&read("cert.pem")).unwrap();
    chain.extend(certctl::pem::decode_certificates(&read("ca.pem")).unwrap());
    let key = certctl::pem::decode_private_key(&read("key.pem")).unwrap();
    serve_chain(chain, key, Some(connections))
}

/// A TLS server on 127.0.0.1 presenting `chain` with the PKCS#8 `key`, each handshake on its own
/// thread (bounded by a 10 s read timeout), for `connections` handshakes or, with `None`, as
/// long as the test runs; returns its port.
pub fn serve_chain(
    chain: Vec<rustls_pki_types::CertificateDer<'static>>,
    key: Vec<u8>,
    connections: Option<usize>,
) -> u16 {
    use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use std::sync::Arc;
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)))
        .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections.unwrap_or(usize::MAX)) {
            let Ok(mut tcp) = stream else { continue };
            let config = config.clone();
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                let Ok(mut conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                while conn.is_handshaking() {
                    if conn.complete_io(&mut tcp).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// Every entry under `root` (never following links): kind, mode, owner, and a file's SHA-256.
pub fn snapshot(root: &Path) -> std::collections::BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            use std::os::unix::fs::MetadataExt;
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let what = if m.file_type().is_symlink() {
                format!("link -> {}", std::fs::read_link(&p).unwrap().display())
            } else if m.is_dir() {
                walk(root, &p, out);
                "dir".to_string()
            } else {
                let digest =
                    ring::digest::digest(&ring::digest::SHA256, &std::fs::read(&p).unwrap());
                let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
                format!("file {hex}")
            };
            out.insert(rel, format!("{what} mode {:o} uid {}", m.mode(), m.uid()));
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// A TOML basic string holding `s`.
pub fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Whether process `pid` is running (a zombie is not).
pub fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

/// Waits until `p` exists (failing after `max`), then a moment for its writer to finish.
pub fn wait_for(p: &Path, max: std::time::Duration) {
    let t = std::time::Instant::now();
    while !p.exists() {
        assert!(t.elapsed() < max, "{} never appeared", p.display());
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
}

/// Runs openssl in `dir`; it must succeed.
pub fn openssl(args: &[&str], dir: &Path) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed (scripts/test installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

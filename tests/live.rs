//! Live fetch: `check`/`inspect https://…` against real TLS servers (rustls) on 127.0.0.1,
//! including one that omits its intermediate and one reached with --connect-to and SNI.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use support::*;

/// A TLS server on 127.0.0.1 serving `chain`; it records the SNI of each handshake.
struct Server {
    port: u16,
    sni: Arc<Mutex<Vec<Option<String>>>>,
}

impl Server {
    /// The SNI of the first `n` handshakes: the server thread records one after certctl may
    /// already have exited with the chain, so wait for it (at most 10 s).
    fn snis(&self, n: usize) -> Vec<Option<String>> {
        let start = std::time::Instant::now();
        loop {
            let seen = self.sni.lock().unwrap().clone();
            if seen.len() >= n || start.elapsed() > std::time::Duration::from_secs(10) {
                return seen;
            }
            thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

fn serve(chain: Vec<Vec<u8>>, key: &rcgen::KeyPair, connections: usize) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let certs: Vec<CertificateDer<'static>> = chain.into_iter().map(CertificateDer::from).collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let config = Arc::new(config);
    let sni = Arc::new(Mutex::new(Vec::new()));
    let seen = sni.clone();
    thread::spawn(move || {
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
            seen.lock()
                .unwrap()
                .push(conn.server_name().map(str::to_string));
            let _ = conn.complete_io(&mut tcp);
        }
    });
    Server { port, sni }
}

fn root_file(c: &Chain) -> (tempfile::TempDir, String) {
    let d = tempdir();
    let p = write(d.path(), "root.pem", &c.root.pem)
        .display()
        .to_string();
    (d, p)
}

#[test]
fn a_server_sending_its_full_chain_is_trusted() {
    let c = chain("api.example.com");
    let s = serve(
        vec![c.leaf.der.clone(), c.inter.der.clone()],
        &c.leaf.key,
        1,
    );
    let (_d, root) = root_file(&c);
    let url = format!("https://127.0.0.1:{}", s.port);
    let (code, doc, err) = run_json([
        "check",
        &url,
        "--hostname",
        "api.example.com",
        "--trust-store",
        &root,
        "--at",
        AT,
    ]);
    assert_eq!(code, 0, "{doc:#} {err}");
    assert_eq!(doc["presented"], 2);
    assert_eq!(doc["path"].as_array().unwrap().len(), 3);
    // A live check says where it connected; README's schema table lists that field too.
    assert_eq!(doc["address"], format!("127.0.0.1:{}", s.port), "{doc:#}");
    assert_documented("check", &doc);
}

#[test]
fn a_server_omitting_its_intermediate() {
    let c = chain("api.example.com");
    let s = serve(vec![c.leaf.der.clone()], &c.leaf.key, 1);
    let (_d, root) = root_file(&c);
    let url = format!("https://127.0.0.1:{}", s.port);
    let (code, doc, _) = run_json([
        "check",
        &url,
        "--hostname",
        "api.example.com",
        "--trust-store",
        &root,
        "--at",
        AT,
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        severity(&doc, "missing-intermediate").as_deref(),
        Some("deny"),
        "{doc:#}"
    );
}

#[test]
fn connect_to_dials_elsewhere_and_sends_the_url_host_as_sni() {
    let c = chain("api.example.com");
    let s = serve(
        vec![c.leaf.der.clone(), c.inter.der.clone()],
        &c.leaf.key,
        1,
    );
    let (_d, root) = root_file(&c);
    let dial = format!("127.0.0.1:{}", s.port);
    let (code, doc, err) = run_json([
        "check",
        "https://api.example.com",
        "--connect-to",
        &dial,
        "--trust-store",
        &root,
        "--at",
        AT,
    ]);
    assert_eq!(code, 0, "{doc:#} {err}");
    assert_eq!(doc["hostname"], "api.example.com");
    assert_eq!(s.snis(1), [Some("api.example.com".to_string())]);
}

#[test]
fn inspect_lists_the_presented_certificates() {
    let c = chain("api.example.com");
    let s = serve(
        vec![c.leaf.der.clone(), c.inter.der.clone()],
        &c.leaf.key,
        1,
    );
    let url = format!("https://127.0.0.1:{}", s.port);
    let (code, doc, _) = run_json(["inspect", &url, "--hostname", "api.example.com"]);
    assert_eq!(code, 0);
    assert_documented("inspect", &doc);
    assert!(
        doc["protocol"].as_str().unwrap().starts_with("TLS"),
        "{doc:#}"
    );
    let certs = doc["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2);
    assert_eq!(certs[0]["dns_names"][0], "api.example.com");
    assert!(certs[1]["subject"]
        .as_str()
        .unwrap()
        .contains("Test Intermediate CA"));
}

#[test]
fn a_closed_port_is_an_operational_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, _, err) = run([
        "check",
        &format!("https://127.0.0.1:{port}"),
        "--hostname",
        "api.example.com",
    ]);
    assert_eq!(code, 3);
    assert!(
        err.starts_with("error: cannot connect to 127.0.0.1:"),
        "{err}"
    );
    assert_no_panic(&err);
}

#[test]
fn a_server_that_does_not_speak_tls_is_an_operational_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        if let Some(Ok(mut s)) = listener.incoming().next() {
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let (code, _, err) = run([
        "check",
        &format!("https://127.0.0.1:{port}"),
        "--hostname",
        "api.example.com",
        "--timeout",
        "5",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("TLS handshake with 127.0.0.1"), "{err}");
    assert_no_panic(&err);
}

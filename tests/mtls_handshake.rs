//! A real mutual-TLS handshake: `ca init` → `issue client` → `truststore bundle --for alb`,
//! then `openssl s_server` verifying clients against that bundle (`-Verify 4
//! -verify_return_error -CAfile bundle.pem`) on 127.0.0.1, and `openssl s_client` presenting
//! the certificates certctl issued. The server is the oracle: it admits the client from the
//! bundle's CA and refuses one from another CA and an expired one, and `truststore lint --for
//! alb --client` agrees with it on each. A missing openssl fails the test.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

/// The server, killed (by its own pid) when the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `openssl s_server` on 127.0.0.1 requiring a client certificate that chains to `bundle`,
/// judging validity at `at` (Unix seconds): `-www` answers a request with a status page. A
/// server that could not bind its port (taken between picking and binding) exits, and is
/// started again on another.
fn s_server(dir: &Path, bundle: &Path, at: i64) -> (Server, u16) {
    for _ in 0..5 {
        let port = free_port();
        let child = Command::new("openssl")
            .args(["s_server", "-accept", &format!("127.0.0.1:{port}")])
            .args(["-cert", "server/cert.pem", "-key", "server/key.pem"])
            .args(["-Verify", "4", "-verify_return_error"])
            .arg("-CAfile")
            .arg(bundle)
            .args(["-attime", &at.to_string(), "-www", "-quiet"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl is installed (scripts/test installs it)");
        let mut server = Server(child);
        let t = Instant::now();
        loop {
            if server.0.try_wait().unwrap().is_some() {
                break;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                // Listening, and it is this server (not another one on the same port).
                std::thread::sleep(Duration::from_millis(100));
                if server.0.try_wait().unwrap().is_none() {
                    return (server, port);
                }
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "s_server never listened on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("s_server could not start on any of 5 ports");
}

/// Whether the server admits the client of the set in `dir/set`: the handshake completes and
/// the request is answered (with TLS 1.3 a refused client learns it only on the first read).
fn admitted(dir: &Path, set: &str, port: u16) -> bool {
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-cert", &format!("{set}/cert.pem")])
        .args(["-key", &format!("{set}/key.pem")])
        .args(["-cert_chain", &format!("{set}/fullchain.pem")])
        .args(["-servername", "localhost", "-quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl is installed (scripts/test installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout.contains("HTTP/1.0 200 ok")
}

/// `truststore lint --for alb bundle.pem --client SET/fullchain.pem --at AT`: the verdict.
fn lint(dir: &Path, set: &str, at: i64) -> (i32, serde_json::Value) {
    let at = time_rfc3339(at);
    let (code, doc, err) = run_json([
        "truststore",
        "lint",
        "--for",
        "alb",
        &s(&dir.join("bundle.pem")),
        "--client",
        &s(&dir.join(set).join("fullchain.pem")),
        "--at",
        &at,
    ]);
    assert!(code == 0 || code == 1, "{err}");
    (code, doc["clients"][0].clone())
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn time_rfc3339(t: i64) -> String {
    // Whole days after AT only, so the date arithmetic stays trivial.
    let days = (t - AT_UNIX) / DAY;
    assert_eq!(AT_UNIX + days * DAY, t);
    format!("2030-06-{:02}T00:00:00Z", 1 + days)
}

fn certctl_ok(args: &[&str]) {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "certctl {args:?}: {out}{err}");
}

/// A CA made by `ca init`, a server set from it (`issue onprem`, for s_server) and its ALB
/// bundle (`truststore bundle --for alb`), all at [`AT`].
fn world(dir: &Path) {
    let p = |n: &str| s(&dir.join(n));
    certctl_ok(&["ca", "init", "--dir", &p("ca"), "--at", AT]);
    certctl_ok(&[
        "issue",
        "onprem",
        "--ca",
        &p("ca"),
        "--dns",
        "localhost",
        "--at",
        AT,
        "--out-dir",
        &p("server"),
    ]);
    certctl_ok(&[
        "truststore",
        "bundle",
        "--for",
        "alb",
        &format!("{}/ca.pem", p("ca")),
        "--out",
        &p("bundle.pem"),
        "--at",
        AT,
    ]);
}

#[test]
fn an_alb_bundle_from_certctl_admits_its_client_and_refuses_strangers_and_expired_ones() {
    let d = tempdir();
    let dir = d.path();
    let p = |n: &str| s(&dir.join(n));
    world(dir);
    certctl_ok(&["ca", "init", "--dir", &p("other-ca"), "--at", AT]);
    // The client API Gateway would present, one from a CA the ALB does not trust, and one
    // valid for a day only.
    for (set, ca, days) in [
        ("client", "ca", "365"),
        ("stranger", "other-ca", "365"),
        ("short", "ca", "1"),
    ] {
        certctl_ok(&[
            "issue",
            "client",
            "--ca",
            &p(ca),
            "--cn",
            set,
            "--days",
            days,
            "--at",
            AT,
            "--out-dir",
            &p(set),
        ]);
    }
    let (code, doc, _) = run_json([
        "truststore",
        "lint",
        "--for",
        "alb",
        &p("bundle.pem"),
        "--at",
        AT,
    ]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["findings"], serde_json::json!([]), "{doc:#}");

    // An hour after issuing: the client is admitted, the stranger refused.
    let hour = AT_UNIX + 3600;
    let (_server, port) = s_server(dir, &dir.join("bundle.pem"), hour);
    assert!(
        admitted(dir, "client", port),
        "s_server refused certctl's client"
    );
    assert!(
        !admitted(dir, "stranger", port),
        "s_server admitted a client of another CA"
    );
    assert!(
        admitted(dir, "short", port),
        "the one-day client is valid an hour in"
    );
    let at = AT_UNIX;
    let (code, c) = lint(dir, "client", at);
    assert_eq!(
        (code, &c["accepted"], &c["depth"]),
        (0, &true.into(), &2.into()),
        "{c:#}"
    );
    assert_eq!(c["tls_verify_status"], "Success");
    let (code, c) = lint(dir, "stranger", at);
    assert_eq!((code, &c["accepted"]), (1, &false.into()), "{c:#}");
    assert_eq!(
        c["tls_verify_status"], "Failed:ClientCertUntrusted",
        "{c:#}"
    );
    drop(_server);

    // Three days later the one-day client has expired: refused by both.
    let later = AT_UNIX + 3 * DAY;
    let (_server, port) = s_server(dir, &dir.join("bundle.pem"), later);
    assert!(
        !admitted(dir, "short", port),
        "s_server admitted an expired client"
    );
    assert!(
        admitted(dir, "client", port),
        "s_server refused a valid client"
    );
    let (code, c) = lint(dir, "short", later);
    assert_eq!((code, &c["accepted"]), (1, &false.into()), "{c:#}");
    assert_eq!(c["tls_verify_status"], "Failed:ClientCertExpired", "{c:#}");
    let (code, c) = lint(dir, "client", later);
    assert_eq!((code, &c["accepted"]), (0, &true.into()), "{c:#}");
}

#[test]
fn a_server_certificate_is_no_client_for_the_server_nor_for_the_lint() {
    let d = tempdir();
    let dir = d.path();
    world(dir);
    let (_server, port) = s_server(dir, &dir.join("bundle.pem"), AT_UNIX + 3600);
    // The on-prem leaf (serverAuth only) from the same CA, presented as a client.
    assert!(
        !admitted(dir, "server", port),
        "s_server admitted a serverAuth-only leaf"
    );
    let (code, c) = lint(dir, "server", AT_UNIX);
    assert_eq!((code, &c["accepted"]), (1, &false.into()), "{c:#}");
    assert_eq!(
        c["tls_verify_status"], "Failed:ClientCertPurposeInvalid",
        "{c:#}"
    );
}

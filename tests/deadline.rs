//! One deadline bounds a live fetch: resolving, connecting, the handshake and reading the
//! chain together, against a server that sends one byte at a time (a slow-loris peer).

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::*;

/// A server that accepts every connection and dribbles a TLS record one byte every 200 ms:
/// a plausible handshake-record header, then a body that never completes in time. Each byte
/// arrives well inside any per-read timeout.
struct SlowLoris {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Drop for SlowLoris {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn slow_loris() -> SlowLoris {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            if s.load(Ordering::Relaxed) {
                break;
            }
            let Ok(mut conn) = conn else { continue };
            let s = s.clone();
            std::thread::spawn(move || {
                // ContentType handshake, TLS 1.2 record version, length 16384.
                let mut bytes = vec![0x16u8, 0x03, 0x03, 0x40, 0x00];
                bytes.extend(std::iter::repeat_n(0u8, 16_384));
                for b in bytes {
                    if s.load(Ordering::Relaxed) || conn.write_all(&[b]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            });
        }
    });
    SlowLoris { port, stop }
}

/// Runs certctl; kills it after 20 s (a hang fails the test instead of stalling the suite).
/// Returns (exit code, stdout, stderr, how long it ran).
fn run_timed(args: &[&str]) -> (i32, String, String, Duration) {
    let start = Instant::now();
    let mut child = certctl()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("certctl {args:?} still running after 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    let (mut out, mut err) = (String::new(), String::new());
    let _ = child.stdout.take().unwrap().read_to_string(&mut out);
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    (status.code().unwrap_or(-1), out, err, took)
}

#[test]
fn check_and_inspect_end_at_the_timeout_against_a_slow_loris_server() {
    let server = slow_loris();
    let url = format!("https://127.0.0.1:{}", server.port);
    for cmd in ["check", "inspect"] {
        let (code, _, err, took) = run_timed(&[
            cmd,
            &url,
            "--hostname",
            "lb.example.internal",
            "--timeout",
            "2",
        ]);
        assert_no_panic(&err);
        assert_eq!(code, 3, "{cmd}: {err}");
        assert!(
            err.contains("timed out after 2 s (during handshake)"),
            "{cmd}: {err}"
        );
        assert!(took < Duration::from_secs(4), "{cmd} took {took:?}");
        assert!(took >= Duration::from_millis(1900), "{cmd} took {took:?}");
    }
    // The JSON error document says the same.
    let (code, out, _, _) = run_timed(&["--json", "check", &url, "--timeout", "1500ms"]);
    assert_eq!(code, 3);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains("timed out after 1.5 s (during handshake)"));
}

#[test]
fn rotate_verify_url_stops_at_verify_timeout_while_holding_the_lock() {
    let server = slow_loris();
    let d = tempdir();
    let cfg = write(
        d.path(),
        "onprem.toml",
        format!(
            "[[cert]]\nname = \"lb\"\ndns = [\"lb.example.internal\"]\nout-dir = \"lb\"\ndays = 365\n\
             verify-url = \"https://127.0.0.1:{}\"\nverify-timeout = \"2s\"\n",
            server.port
        ),
    );
    let (code, out, err, took) = run_timed(&[
        "--json",
        "rotate",
        "--config",
        cfg.to_str().unwrap(),
        "--at",
        AT,
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_no_panic(&err);
    assert_eq!(code, 1, "{doc:#}\n{err}");
    let set = &doc["sets"][0];
    assert_eq!(set["action"], "failed", "{doc:#}");
    assert!(
        set["error"].as_str().unwrap_or("").contains("timed out"),
        "{doc:#}"
    );
    // verify-timeout is 2 s: one attempt may not run on for its own 5 s past it.
    assert!(took < Duration::from_secs(4), "rotate took {took:?}");
}

#[test]
fn a_connect_that_never_completes_ends_at_the_timeout() {
    // A listener that never accepts: once its accept queue is full, the kernel drops further
    // SYNs, so a connect waits until the client gives up.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    let full = (0..2000).any(|_| {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => {
                held.push(s);
                false
            }
            Err(_) => true,
        }
    });
    assert!(full, "the accept queue never filled");
    let url = format!("https://{addr}");
    let (code, _, err, took) = run_timed(&["check", &url, "--timeout", "1"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("timed out after 1 s (during connect)"),
        "{err}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
    drop(listener);
}

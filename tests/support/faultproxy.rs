//! The fault-injecting proxy (tests/fixtures/faultproxy.py) between the SDK and the emulator.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::moto::venv_bin;

/// The proxy; killed on drop.
pub struct Proxy {
    child: Child,
    pub port: u16,
    pub endpoint: String,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_proxy(upstream: &str) -> Proxy {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faultproxy.py");
    let mut child = Command::new(venv_bin("python"))
        .arg(script)
        .arg(upstream)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the fault proxy starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().expect("the proxy prints its port");
    Proxy {
        child,
        port,
        endpoint: format!("http://127.0.0.1:{port}"),
    }
}

fn http(port: u16, method: &str, path: &str, body: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split("\r\n\r\n").nth(1).unwrap_or_default().to_string()
}

impl Proxy {
    /// Replaces the fault rules (and clears the log).
    pub fn faults(&self, rules: serde_json::Value) {
        http(self.port, "POST", "/__faults", &rules.to_string());
    }
    /// (operation, fault) of every request seen since the last `faults`.
    pub fn log(&self) -> Vec<(String, String)> {
        serde_json::from_str(&http(self.port, "GET", "/__log", "")).unwrap()
    }
}

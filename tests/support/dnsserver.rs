//! Small authoritative DNS servers for tests (tests/fixtures/dnsserver.py, Python stdlib) on
//! loopback addresses sharing one UDP port: a resolver stand-in, a parent zone's server, ….

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::moto::venv_bin;

/// Running servers; killed on drop.
pub struct DnsServer {
    child: Child,
    pub port: u16,
    _data: tempfile::TempDir,
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the servers `data` describes (`{"servers": {"127.0.0.1": {...}, ...}}`).
pub fn start_dns(data: &serde_json::Value) -> DnsServer {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dns.json");
    std::fs::write(&file, serde_json::to_vec(data).unwrap()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dnsserver.py");
    let mut child = Command::new(venv_bin("python"))
        .arg(script)
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the DNS fixture starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("the DNS fixture printed no port: {line:?}"));
    DnsServer {
        child,
        port,
        _data: dir,
    }
}

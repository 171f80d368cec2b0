//! Small authoritative DNS servers for tests (tests/fixtures/dnsserver.py, Python stdlib) on
//! loopback addresses sharing one UDP port: a resolver stand-in, a parent zone's server, ….

use super::pyfixture::{self, PyFixture};

/// Running servers; killed on drop.
pub struct DnsServer {
    _fixture: PyFixture,
    pub port: u16,
    _data: tempfile::TempDir,
}

/// Starts the servers `data` describes (`{"servers": {"127.0.0.1": {...}, ...}}`).
pub fn start_dns(data: &serde_json::Value) -> DnsServer {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dns.json");
    std::fs::write(&file, serde_json::to_vec(data).unwrap()).unwrap();
    let fixture = pyfixture::start("dnsserver.py", &[&file], std::process::Stdio::inherit());
    DnsServer {
        port: fixture.port,
        _fixture: fixture,
        _data: dir,
    }
}

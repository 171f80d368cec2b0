//! The fault-injecting proxy (tests/fixtures/faultproxy.py) between the SDK and the emulator.

use super::pyfixture::{self, PyFixture};

/// The proxy; killed on drop.
pub struct Proxy {
    fixture: PyFixture,
    pub port: u16,
    pub endpoint: String,
}

pub fn start_proxy(upstream: &str) -> Proxy {
    let fixture = pyfixture::start("faultproxy.py", &[upstream], std::process::Stdio::null());
    Proxy {
        port: fixture.port,
        endpoint: fixture.endpoint(),
        fixture,
    }
}

impl Proxy {
    /// Replaces the fault rules (and clears the log).
    pub fn faults(&self, rules: serde_json::Value) {
        self.fixture.http("POST", "/__faults", &rules.to_string());
    }
    /// (operation, fault) of every request seen since the last `faults`.
    pub fn log(&self) -> Vec<(String, String)> {
        serde_json::from_str(&self.fixture.http("GET", "/__log", "")).unwrap()
    }
}

//! The emulator with its backend-mTLS layer (tests/fixtures/mtls_emulator.py) in front of moto.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::moto::{start_moto, venv_bin, Moto};

/// moto and the layer in front of it; both killed on drop. Point the SDK at `endpoint`.
pub struct MtlsEmulator {
    child: Child,
    pub port: u16,
    pub endpoint: String,
    pub moto: Moto,
}

impl Drop for MtlsEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto (ACM issues requested certificates after `validation_wait` seconds) and the
/// mTLS layer in front of it.
pub fn start_mtls_emulator(validation_wait: &str) -> MtlsEmulator {
    let moto = start_moto(validation_wait);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mtls_emulator.py");
    let mut child = Command::new(venv_bin("python"))
        .arg(script)
        .arg(&moto.endpoint)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the mTLS emulator layer starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().expect("the layer prints its port");
    MtlsEmulator {
        child,
        port,
        endpoint: format!("http://127.0.0.1:{port}"),
        moto,
    }
}

impl MtlsEmulator {
    fn http(&self, method: &str, path: &str, body: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
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

    /// The layer's state: trust stores, listeners' mutual authentication, stages' client
    /// certificates, generated client certificates.
    pub fn state(&self) -> serde_json::Value {
        serde_json::from_str(&self.http("GET", "/__mtls", "")).unwrap()
    }

    /// The next `n` describes of a trust store created or modified afterwards say CREATING.
    pub fn creating(&self, n: u32) {
        self.http("POST", "/__mtls", &format!("{{\"creating\": {n}}}"));
    }

    /// Runs tests/fixtures/moto_mtls.py against the layer and returns its JSON.
    pub fn fixture(&self, args: &[&str]) -> serde_json::Value {
        super::moto::run_fixture("moto_mtls.py", &self.endpoint, args)
    }

    /// The SDK clients against the layer (fake keys, no instance metadata).
    pub fn sdk(&self) -> certctl::aws::sdk::Sdk {
        std::env::set_var("AWS_ACCESS_KEY_ID", "test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        certctl::aws::sdk::Sdk::new(&certctl::aws::AwsTarget {
            region: Some("eu-west-1".into()),
            endpoint_url: Some(self.endpoint.clone()),
            ..certctl::aws::AwsTarget::until(certctl::deadline::Deadline::after(
                std::time::Instant::now(),
                Duration::from_secs(60),
            ))
        })
        .unwrap()
    }
}

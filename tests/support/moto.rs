//! The AWS emulator for tests: moto server (installed into .venv by scripts/test) on 127.0.0.1.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server; killed on drop.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A program of the test venv; missing means the test fails (never skips).
pub fn venv_bin(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/bin")
        .join(name);
    assert!(
        p.exists(),
        "{} is missing: scripts/test installs moto[server] into .venv",
        p.display()
    );
    p
}

/// Starts moto on a free port; ACM issues requested certificates after `validation_wait` seconds.
pub fn start_moto(validation_wait: &str) -> Moto {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(venv_bin("moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("MOTO_ACM_VALIDATION_WAIT", validation_wait)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    }
}

/// Runs a Python fixture of tests/fixtures against the emulator at `endpoint` (boto3 from the
/// test venv) and returns the JSON it prints; a failing fixture fails the test.
pub fn run_fixture(script: &str, endpoint: &str, args: &[&str]) -> serde_json::Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(script);
    let out = Command::new(venv_bin("python"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .arg(script)
        .arg(endpoint)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fixture {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Empties the emulator and builds the API Gateway → NLB → ALB path (moto_topology.py
/// `doctor`) with one thing broken (`brk`, `none` for a sound path); writes the certificates
/// into `dir` and returns what the fixture made.
pub fn build_path(moto: &Moto, dir: &std::path::Path, brk: &str) -> serde_json::Value {
    let reset = Command::new(venv_bin("python"))
        .args(["-c", &format!("import urllib.request; urllib.request.urlopen(urllib.request.Request('{}/moto-api/reset', method='POST'))", moto.endpoint)])
        .status()
        .unwrap();
    assert!(reset.success());
    run_fixture(
        "moto_topology.py",
        &moto.endpoint,
        &["doctor", dir.to_str().unwrap(), brk],
    )
}

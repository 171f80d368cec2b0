//! The on-prem load balancer for real: nginx on 127.0.0.1 serves the issued pair; `rotate`
//! reloads it through the deploy hook and verifies the served certificate; a failing hook
//! leaves the old pair served. nginx missing is a failure, not a skip.

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use support::*;

fn nginx_binary() -> PathBuf {
    for p in ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!("nginx is not installed: scripts/test installs it (apt-get install nginx-light)");
}

struct Nginx {
    child: Child,
    port: u16,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its workers; SIGKILL would orphan them.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_nginx(prefix: &Path, certs: &Path) -> Nginx {
    let port = free_port();
    std::fs::create_dir_all(prefix.join("logs")).unwrap();
    let conf = format!(
        "daemon off;\nmaster_process on;\nworker_processes 1;\npid {p}/nginx.pid;\nerror_log {p}/logs/error.log;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {p}/tmp;\n  proxy_temp_path {p}/tmp;\n  fastcgi_temp_path {p}/tmp;\n  uwsgi_temp_path {p}/tmp;\n  scgi_temp_path {p}/tmp;\n  server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name lb.onprem.example.internal;\n    ssl_certificate {c}/fullchain.pem;\n    ssl_certificate_key {c}/key.pem;\n    location / {{ return 200 \"ok\\n\"; }}\n  }}\n}}\n",
        p = prefix.display(),
        c = certs.display(),
    );
    std::fs::create_dir_all(prefix.join("tmp")).unwrap();
    std::fs::write(prefix.join("nginx.conf"), conf).unwrap();
    let child = Command::new(nginx_binary())
        .args([
            "-p",
            prefix.to_str().unwrap(),
            "-c",
            prefix.join("nginx.conf").to_str().unwrap(),
            "-e",
            prefix.join("logs/error.log").to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nginx starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not listen: {}",
            std::fs::read_to_string(prefix.join("logs/error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Nginx { child, port }
}

/// The leaf fingerprint nginx serves, through `certctl check --connect-to`.
fn served(port: u16) -> String {
    let dial = format!("127.0.0.1:{port}");
    let (_, doc, err) = run_json([
        "check",
        "https://lb.onprem.example.internal",
        "--connect-to",
        &dial,
        "--trust-store",
        "apigateway",
    ]);
    doc["path"][0]["sha256"]
        .as_str()
        .unwrap_or_else(|| panic!("no chain: {doc:#} {err}"))
        .to_string()
}

/// Waits until nginx serves `sha256` on three connections in a row.
fn eventually_served(port: u16, sha256: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut streak = 0;
    while streak < 3 {
        if served(port) == sha256 {
            streak += 1;
        } else {
            streak = 0;
            assert!(Instant::now() < deadline, "nginx does not serve {sha256}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn on_disk(dir: &Path) -> String {
    let bytes = std::fs::read(dir.join("cert.pem")).unwrap();
    let der = certctl::pem::decode_certificates(&bytes).unwrap();
    certctl::x509::CertInfo::parse(&der[0])
        .unwrap()
        .sha256
        .colon_hex()
}

#[test]
fn rotate_reloads_nginx_and_a_failing_hook_keeps_the_old_pair_served() {
    let d = tempdir();
    let certs = d.path().join("lb");
    let prefix = d.path().join("nginx");
    // The first pair, before nginx starts.
    assert_eq!(
        run([
            "issue",
            "onprem",
            "--dns",
            "lb.onprem.example.internal",
            "--ip",
            "127.0.0.1",
            "--out-dir",
            certs.to_str().unwrap()
        ])
        .0,
        0
    );
    let nginx = start_nginx(&prefix, &certs);
    let first = on_disk(&certs);
    assert_eq!(served(nginx.port), first);

    let reload = format!(
        "{} -p {} -c {} -s reload",
        nginx_binary().display(),
        prefix.display(),
        prefix.join("nginx.conf").display()
    );
    let cfg = write(
        d.path(),
        "onprem.toml",
        format!(
            "[[cert]]\nname = \"onprem-lb\"\ndns = [\"lb.onprem.example.internal\"]\nip = [\"127.0.0.1\"]\nout-dir = \"lb\"\ndays = 365\ndeploy-hook = \"{reload}\"\nverify-url = \"https://lb.onprem.example.internal\"\nverify-connect-to = \"127.0.0.1:{}\"\nverify-timeout = \"10s\"\n",
            nginx.port
        ),
    );
    let (code, doc, err) = run_json(["rotate", "--config", cfg.to_str().unwrap(), "--force"]);
    assert_eq!(code, 0, "{doc:#} {err}");
    let s = &doc["sets"][0];
    assert_eq!(s["action"], "renewed");
    assert_eq!(s["verified"], true);
    let second = on_disk(&certs);
    assert_ne!(second, first);
    assert_eq!(s["new"]["sha256"], second);
    // A reload is graceful: old workers may answer for a moment after it.
    eventually_served(nginx.port, &second);

    // A hook that fails: the previous pair comes back and stays served.
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        &format!("deploy-hook = \"{reload}\""),
        &format!("deploy-hook = \"{reload} && exit 1\""),
    );
    std::fs::write(&cfg, text).unwrap();
    let (code, doc, _) = run_json(["rotate", "--config", cfg.to_str().unwrap(), "--force"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["sets"][0]["action"], "failed");
    assert_eq!(doc["sets"][0]["rolled_back"], true);
    assert_eq!(on_disk(&certs), second);
    // The rollback ran the hook again (it reloads before failing), so nginx serves the old pair.
    let deadline = Instant::now() + Duration::from_secs(10);
    while served(nginx.port) != second {
        assert!(
            Instant::now() < deadline,
            "nginx does not serve the restored pair"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(nginx);
}

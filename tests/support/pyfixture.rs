//! A Python fixture of tests/fixtures run by the test venv's interpreter: it prints the port it
//! listens on as its first line and is killed on drop; `http` speaks to its control paths.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::moto::venv_bin;

/// A running fixture; killed on drop.
pub struct PyFixture {
    child: Child,
    pub port: u16,
}

impl Drop for PyFixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tests/fixtures/<script>` with `args`; `stderr` says where its own messages go.
pub fn start<S: AsRef<OsStr>>(script: &str, args: &[S], stderr: Stdio) -> PyFixture {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(script);
    let mut child = Command::new(venv_bin("python"))
        .arg(path)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("{script} starts: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{script} printed no port: {line:?}"));
    PyFixture { child, port }
}

impl PyFixture {
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One HTTP/1.1 request to the fixture; the answer's body.
    pub fn http(&self, method: &str, path: &str, body: &str) -> String {
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
}

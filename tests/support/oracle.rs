//! The API Gateway oracle (tests/oracle/ApigwOracle.java: the JDK's PKIX trust manager plus
//! Apache HttpClient 4.5's hostname verifier), compiled for the suites that judge with it.

use std::path::Path;
use std::process::Command;

/// HttpClient 4.5 and what it needs (Debian's libhttpclient-java).
pub const JARS: &[&str] = &[
    "/usr/share/java/httpclient.jar",
    "/usr/share/java/httpcore.jar",
    "/usr/share/java/commons-logging.jar",
];

/// Compiles the oracle into `dir`; returns the class path to run it with.
pub fn compile_oracle(dir: &Path) -> String {
    for jar in JARS {
        assert!(
            Path::new(jar).exists(),
            "{jar} is missing: install the Debian package libhttpclient-java (scripts/test does)"
        );
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/ApigwOracle.java");
    let out = Command::new("javac")
        .arg("-d")
        .arg(dir)
        .arg("-cp")
        .arg(JARS.join(":"))
        .arg(&src)
        .output()
        .expect("javac (JDK 17) must be installed");
    assert!(
        out.status.success(),
        "javac failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!("{}:{}", dir.display(), JARS.join(":"))
}

//! The emulator with its backend-mTLS layer (tests/fixtures/mtls_emulator.py) in front of moto.

use std::time::Duration;

use super::moto::{start_moto, Moto};
use super::pyfixture::{self, PyFixture};

/// moto and the layer in front of it; both killed on drop. Point the SDK at `endpoint`.
pub struct MtlsEmulator {
    layer: PyFixture,
    pub port: u16,
    pub endpoint: String,
    pub moto: Moto,
}

/// Starts moto (ACM issues requested certificates after `validation_wait` seconds) and the
/// mTLS layer in front of it.
pub fn start_mtls_emulator(validation_wait: &str) -> MtlsEmulator {
    let moto = start_moto(validation_wait);
    let layer = pyfixture::start(
        "mtls_emulator.py",
        &[&moto.endpoint],
        std::process::Stdio::null(),
    );
    MtlsEmulator {
        port: layer.port,
        endpoint: layer.endpoint(),
        layer,
        moto,
    }
}

impl MtlsEmulator {
    /// The layer's state: trust stores, listeners' mutual authentication, stages' client
    /// certificates, generated client certificates.
    pub fn state(&self) -> serde_json::Value {
        serde_json::from_str(&self.layer.http("GET", "/__mtls", "")).unwrap()
    }

    /// The next `n` describes of a trust store created or modified afterwards say CREATING.
    pub fn creating(&self, n: u32) {
        self.layer
            .http("POST", "/__mtls", &format!("{{\"creating\": {n}}}"));
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

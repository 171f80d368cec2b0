//! One module per command group; each returns a report value and never prints.

pub(crate) mod acm;
pub(crate) mod albtrust;
pub mod check;
pub(crate) mod doctor;
pub(crate) mod hints;
pub(crate) mod inspect;
pub(crate) mod man;
pub(crate) mod mtls;
pub(crate) mod onprem;
pub(crate) mod policy;
pub(crate) mod skipverify;
pub(crate) mod truststore;

use crate::exit::ExitStatus;

/// What the top level needs from a job's error: the exit code it maps to (2 input, 3
/// operational) and, when there is one, a hint for the `hint:` line.
pub(crate) trait JobError: std::error::Error + Send + Sync + 'static {
    fn exit_code(&self) -> ExitStatus;
    fn hint(&self) -> Option<String> {
        None
    }
    /// What the job had already changed when it failed (a new certificate, records written).
    fn changes(&self) -> Vec<Change> {
        Vec::new()
    }
    /// The step that was running when the command's deadline passed (`acm:DescribeCertificate`,
    /// `tls: live fetch of HOST`).
    fn step(&self) -> Option<String> {
        None
    }
    /// The underlying library's own account of the failure, for -v.
    fn detail(&self) -> Option<String> {
        None
    }
    /// Each problem of an invalid input (a config's `line N: …`), printed one per line after
    /// the error line.
    fn problems(&self) -> Vec<String> {
        Vec::new()
    }
}

/// One change a job made before it failed: its kind (`acm-certificate`,
/// `route53-records`, `listener-certificate`, …) and the id of what was changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Change {
    pub(crate) kind: &'static str,
    pub(crate) id: String,
}

//! certctl: certificates for the API Gateway → NLB → ALB → on-prem path, as a library.

pub mod app;
pub mod aws;
pub(crate) mod certset;
pub mod cli;
pub mod deadline;
pub mod dns;
pub(crate) mod duration;
pub mod exit;
pub mod findings;
pub(crate) mod fsx;
pub mod helptext;
pub(crate) mod input_file;
pub mod jobs;
pub mod keys;
pub(crate) mod metrics;
pub(crate) mod mint;
pub(crate) mod names;
pub mod output;
pub mod pem;
pub mod policy;
pub(crate) mod progress;
pub(crate) mod punycode;
pub(crate) mod safepath;
pub(crate) mod tls;
pub mod trust;
pub mod x509;

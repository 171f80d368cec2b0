//! certctl: certificates for the API Gateway → NLB → ALB → on-prem path, as a library.

pub mod app;
pub mod aws;
pub mod certset;
pub mod cli;
pub mod dns;
pub mod duration;
pub mod exit;
pub mod findings;
pub mod fsx;
pub mod helptext;
pub mod input_file;
pub mod jobs;
pub mod keys;
pub mod metrics;
pub mod mint;
pub mod names;
pub mod output;
pub mod pem;
pub mod policy;
pub mod progress;
pub mod tls;
pub mod trust;
pub mod x509;

//! One module per command group; each returns a report value and never prints.

pub mod check;
pub mod input;
pub mod inspect;
pub mod onprem;
pub mod policy;
pub mod truststore;

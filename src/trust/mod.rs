//! Trust: the API Gateway store and custom stores, path building and validation.

pub(crate) mod browser;
pub mod store;
pub mod verify;

pub use store::{TrustList, TrustStore};
pub use verify::{verify, ChainInput, CheckParams, Hostname};

//! Unit tests of `mtls plan|apply` with the in-memory fakes: the order of the steps.

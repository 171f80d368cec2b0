//! Signatures found valid earlier in the same check: rustls-webpki's path and the JDK model's
//! path run over the same certificates, and each signature is verified once.
//!
//! An entry is the whole input of a verification: the issuer's SPKI algorithm identifier, the
//! certificate's signatureAlgorithm identifier (both as rustls-webpki compares them: the
//! AlgorithmIdentifier's contents), the key, the signed bytes and the signature. rustls-webpki
//! records what it verified (an algorithm it accepts for exactly those identifiers); the JDK
//! model chooses its algorithm from the same identifiers, and every one it chooses for an
//! identifier pair rustls-webpki also verifies is the same computation with key-size limits
//! no narrower, so a recorded success is its success too. Only successes are recorded, and
//! rustls-webpki never reads the memo: what it accepts is its own verification.

use std::sync::Mutex;

use rustls_pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};

/// The valid signatures of one check.
#[derive(Debug, Default)]
pub(crate) struct SigMemo {
    valid: Mutex<Vec<Entry>>,
}

#[derive(Debug, PartialEq, Eq)]
struct Entry {
    spki_alg: Box<[u8]>,
    sig_alg: Box<[u8]>,
    key: Box<[u8]>,
    message: Box<[u8]>,
    signature: Box<[u8]>,
}

/// One verification's input (see the module's doc).
pub(crate) struct SigInput<'a> {
    pub(crate) spki_alg: &'a [u8],
    pub(crate) sig_alg: &'a [u8],
    pub(crate) key: &'a [u8],
    pub(crate) message: &'a [u8],
    pub(crate) signature: &'a [u8],
}

impl SigInput<'_> {
    fn matches(&self, e: &Entry) -> bool {
        *e.signature == *self.signature
            && *e.key == *self.key
            && *e.message == *self.message
            && *e.sig_alg == *self.sig_alg
            && *e.spki_alg == *self.spki_alg
    }
}

impl SigMemo {
    /// The signature was found valid earlier in this check.
    pub(crate) fn is_valid(&self, s: &SigInput<'_>) -> bool {
        self.valid
            .lock()
            .is_ok_and(|v| v.iter().any(|e| s.matches(e)))
    }

    /// Records a valid signature.
    pub(crate) fn remember(&self, s: &SigInput<'_>) {
        if let Ok(mut v) = self.valid.lock() {
            if !v.iter().any(|e| s.matches(e)) {
                v.push(Entry {
                    spki_alg: s.spki_alg.into(),
                    sig_alg: s.sig_alg.into(),
                    key: s.key.into(),
                    message: s.message.into(),
                    signature: s.signature.into(),
                });
            }
        }
    }

    /// `algs`, each recording here what it verifies.
    pub(crate) fn recording<'a>(
        &'a self,
        algs: &[&'static dyn SignatureVerificationAlgorithm],
    ) -> Vec<Recording<'a>> {
        algs.iter()
            .map(|inner| Recording {
                inner: *inner,
                memo: self,
            })
            .collect()
    }
}

/// A rustls-webpki algorithm that records its successes in a [`SigMemo`].
#[derive(Debug)]
pub(crate) struct Recording<'a> {
    inner: &'static dyn SignatureVerificationAlgorithm,
    memo: &'a SigMemo,
}

impl SignatureVerificationAlgorithm for Recording<'_> {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        self.inner
            .verify_signature(public_key, message, signature)?;
        self.memo.remember(&SigInput {
            spki_alg: self.inner.public_key_alg_id().as_ref(),
            sig_alg: self.inner.signature_alg_id().as_ref(),
            key: public_key,
            message,
            signature,
        });
        Ok(())
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.public_key_alg_id()
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.signature_alg_id()
    }

    fn fips_status(&self) -> rustls_pki_types::FipsStatus {
        self.inner.fips_status()
    }
}

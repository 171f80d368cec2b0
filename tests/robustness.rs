//! Mutation harness (stable Rust, seeded): bit flips, truncations, insertions, DER length and OID
//! mutations of valid certificates, chains, keys, PKCS#12 files, TOML configs and AWS-page
//! copies, driven through every parser and the check path. No input may panic or take over 1 s
//! of CPU.
//! `scripts/fuzz N` runs N cases; `scripts/test` runs a few thousand.

mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::Duration;

use certctl::trust::{ChainInput, CheckParams, TrustStore};
use support::*;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random mutation of `input`.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    if v.is_empty() {
        return vec![rng.next() as u8];
    }
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let i = rng.below(v.len());
        match rng.below(7) {
            0 => v[i] ^= 1 << rng.below(8),
            1 => v.truncate(i),
            2 => v.insert(i, rng.next() as u8),
            3 => {
                v.remove(i);
            }
            // A DER length byte: after a tag, make the length lie.
            4 => {
                if let Some(p) = v
                    .iter()
                    .skip(i)
                    .position(|b| *b == 0x30 || *b == 0x04 || *b == 0x03)
                {
                    let at = i + p + 1;
                    if at < v.len() {
                        v[at] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff][rng.below(7)];
                    }
                }
            }
            // An OID: corrupt the bytes after an OBJECT IDENTIFIER tag.
            5 => {
                if let Some(p) = v.iter().skip(i).position(|b| *b == 0x06) {
                    let at = i + p + 2 + rng.below(4);
                    if at < v.len() {
                        v[at] = rng.next() as u8;
                    }
                }
            }
            _ => {
                let n = rng.below(64);
                let j = rng.below(v.len());
                let chunk: Vec<u8> = v[j..(j + n).min(v.len())].to_vec();
                v.splice(i..i, chunk);
            }
        }
        if v.is_empty() {
            break;
        }
    }
    v
}

/// Every parser and the check path on one input; panics propagate to the caller.
fn drive(kind: usize, bytes: &[u8], store: &TrustStore) {
    let text = String::from_utf8_lossy(bytes);
    match kind {
        0 | 1 => {
            if let Ok(ders) = certctl::pem::decode_certificates(bytes) {
                let infos: Vec<_> = ders
                    .iter()
                    .filter_map(|d| certctl::x509::CertInfo::parse(d).ok())
                    .collect();
                if !infos.is_empty() {
                    let policy = certctl::policy::Policy::builtin();
                    let host = certctl::trust::Hostname::new(
                        "api.example.com",
                        rustls_pki_types::ServerName::try_from("api.example.com").unwrap(),
                    );
                    let params = CheckParams {
                        store,
                        policy: &policy,
                        at: AT_UNIX,
                        hostname: Some(&host),
                        min_days: 30,
                    };
                    let _ = certctl::trust::verify(
                        &ChainInput {
                            presented: infos,
                            extra: Vec::new(),
                            leaf_is_first: kind == 1,
                        },
                        &params,
                    );
                }
            }
        }
        2 => {
            let _ = certctl::keys::load_pem(bytes);
            let _ = certctl::pem::decode_sections(bytes);
        }
        3 => {
            let _ = certctl::policy::Policy::parse(&text);
        }
        4 => {
            let _ = certctl::rotation::RotateConfig::parse(&text, Path::new("/cfg"));
        }
        5 => {
            let _ = certctl::trust::TrustList::default().from_aws_page(&text);
            let _ = certctl::trust::TrustList::parse(&text);
        }
        _ => {
            let _ = p12_keystore::KeyStore::from_pkcs12(
                bytes,
                "pw",
                p12_keystore::Pkcs12ImportPolicy::Relaxed,
            );
        }
    }
}

fn seeds() -> Vec<(usize, Vec<u8>)> {
    let c = chain("api.example.com");
    let full = format!("{}{}{}", c.leaf.pem, c.inter.pem, c.root.pem);
    let d = tempdir();
    let out = d.path().join("p12");
    let pw = write(d.path(), "pw", "pw\n");
    let (code, _, err) = run([
        "issue",
        "onprem",
        "--dns",
        "a.example.com",
        "--format",
        "pkcs12",
        "--p12-password-file",
        pw.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let p12 = std::fs::read(out.join("cert.p12")).unwrap();
    vec![
        (0, full.clone().into_bytes()),
        (1, c.leaf.der.clone()),
        (0, c.inter.der.clone()),
        (2, c.leaf.key.serialize_pem().into_bytes()),
        (3, certctl::policy::DEFAULT_GATEWAY_POLICY.as_bytes().to_vec()),
        (4, include_bytes!("../policies/onprem.toml").to_vec()),
        (5, b"Alias name: amazonrootca1\n\t SHA1: 8D:A7:F9:65:EC:5E:FC:37:91:0F:1C:6E:59:FD:C1:CC:6A:6E:DE:16\n\t SHA256: 8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E\n".to_vec()),
        (6, p12),
    ]
}

#[test]
fn no_input_panics_or_hangs() {
    let cases: u64 = std::env::var("CERTCTL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let seed: u64 = std::env::var("CERTCTL_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_cafe);
    let store = TrustStore::apigateway().unwrap();
    let seeds = seeds();
    let mut rng = Rng(seed);
    let mut slowest = Duration::ZERO;
    // Quiet the default hook: a panic is reported below with its input.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failure = None;
    for n in 0..cases {
        let (kind, base) = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, base);
        // CPU time of this thread: what a case costs, not how busy the machine is.
        let start = thread_cpu();
        let result = catch_unwind(AssertUnwindSafe(|| drive(*kind, &input, &store)));
        let took = thread_cpu().saturating_sub(start);
        slowest = slowest.max(took);
        if result.is_err() || took > Duration::from_secs(1) {
            failure = Some((n, *kind, input, took, result.is_err()));
            break;
        }
    }
    std::panic::set_hook(hook);
    if let Some((n, kind, input, took, panicked)) = failure {
        let path = std::env::temp_dir().join(format!("certctl-fuzz-case-{seed}-{n}.bin"));
        std::fs::write(&path, &input).unwrap();
        panic!(
            "case {n} (seed {seed}, parser {kind}): {} after {took:?}; input saved to {}",
            if panicked { "panic" } else { "too slow" },
            path.display()
        );
    }
    eprintln!("{cases} mutated inputs, none panicked; slowest {slowest:?}");
}

/// CPU time this thread has used (CLOCK_THREAD_CPUTIME_ID).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

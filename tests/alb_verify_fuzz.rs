//! Differential testing of the ALB client-certificate verdict (`truststore lint --for alb
//! BUNDLE --client CHAIN`, i.e. `albtrust::verify_client`) against OpenSSL's `openssl verify`
//! on randomly generated trust-store bundles and client chains.
//!
//! Drawn at random per case: key types and hashes (ECDSA P-256/P-384, RSA 2048/3072 with
//! SHA-256/384/512); path length (leaf under the root, 1 to 4 intermediates, sometimes 5);
//! where each intermediate is (sent by the client, in the bundle, both, neither);
//! basicConstraints on intermediates (present, absent, CA:FALSE, not critical, pathLen
//! violated); keyUsage on CAs (keyCertSign present or absent) and on the leaf (digitalSignature,
//! keyAgreement, keyEncipherment only, absent; critical or not); extendedKeyUsage on the leaf
//! (clientAuth, serverAuth only, both, anyExtendedKeyUsage, absent) and on intermediates; each
//! certificate's validity against `--at` (valid, expired, not yet valid); a client certificate
//! from another CA with the same subject as the bundle's root (wrong key); the root also sent by
//! the client; a misordered client chain; an unrelated root in the bundle.
//!
//! The oracle, per case:
//! `openssl verify -x509_strict -purpose sslclient -attime AT -verify_depth 2
//!  -CAfile <the bundle's self-issued certificates> -untrusted <what the client sent after its
//!  leaf, then the bundle's other CA certificates> leaf.pem`.
//! - Anchors: the bundle's self-issued certificates only, its other CAs as untrusted
//!   intermediates, and no `-partial_chain`: certctl's reading (src/albtrust/mod.rs) that a
//!   path must end at a root of the trust store, as OpenSSL's default verification requires.
//! - Depth: the Elastic Load Balancing quotas allow a client "certificate chain depth" of 4,
//!   which certctl reads as 4 certificates in the verified path, leaf and root included. OpenSSL's
//!   `-verify_depth N` counts neither the leaf nor the anchor (openssl-verification-options(1):
//!   "a maximal depth chain can have up to num+2 certificates"), so the equivalent is
//!   `-verify_depth 2`; `the_depth_mapping_holds_by_experiment` checks it on OpenSSL itself
//!   (2 intermediates pass, 3 fail; with `-verify_depth 3`, 3 pass).
//! - The ELB user guide ("Mutual authentication with TLS in Application Load Balancer")
//!   validates "X.509v3 client certificates" and does not support X.509v1 ones; rcgen makes only
//!   v3 certificates, so no v1 case is generated and no post-filter is needed for it.
//!
//! - No `-partial_chain`: with it OpenSSL would trust a bundle intermediate as an anchor of
//!   its own, which certctl's reading (a path ends at a root) refuses.
//!
//! What the generator found, and how each was settled (src/albtrust/verify.rs
//! `issuer_profile`, with a named regression each in src/albtrust/tests.rs): webpki admitted
//! paths OpenSSL refuses: a CA certificate whose keyUsage lacks keyCertSign ("invalid CA
//! certificate", in any OpenSSL mode), and under `-x509_strict` a CA certificate without
//! keyUsage, with basicConstraints not critical, without a subjectKeyIdentifier, a client
//! certificate without an authorityKeyIdentifier, and a root whose extendedKeyUsage lacks
//! clientAuth (OpenSSL's `sslclient` purpose checks every certificate of the chain, the anchor
//! included in strict mode; anyExtendedKeyUsage alone does not satisfy it; webpki checks
//! intermediates only). The ELB guide names no rule on these; certctl now refuses each, the
//! stricter reading, so that it never promises a client the ALB may refuse.
//!
//! Documented difference, certctl stricter (`Case::stricter`): a client certificate with
//! basicConstraints CA:TRUE. OpenSSL's `sslclient` purpose admits it; rustls-webpki refuses a
//! CA certificate as an end entity (`CaUsedAsEndEntity`), and certctl keeps that refusal
//! (ClientCertPurposeInvalid: a client certificate is not a CA). The oracle's acceptance is then
//! expected as certctl's refusal, counted apart in the summary line.
//!
//! On intermediates' extendedKeyUsage OpenSSL and webpki agree (an EKU without clientAuth
//! refuses the path); the ELB guide says nothing of it.
//!
//! `cargo test` runs `CERTCTL_ALB_FUZZ_CASES` (default 300) cases from `CERTCTL_ALB_FUZZ_SEED`
//! (default 23); `scripts/fuzz-alb-verify N SEED` runs more by hand. Every disagreement is
//! printed with the directory holding its files (kept under target/tmp/alb-verify-fuzz-SEED/).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{CertificateParams, DnType, IsCa, KeyPair};
use support::{AT, AT_UNIX, DAY};

/// OpenSSL's `-verify_depth` equivalent to the ALB's chain depth of 4 (see the module doc).
const VERIFY_DEPTH: &str = "2";

use support::fuzz::*;

/// One certificate to make.
struct Plan {
    cn: String,
    bc: Bc,
    ku: Option<(u8, bool)>,
    eku: Option<(Vec<&'static [u8]>, bool)>,
    /// A subjectKeyIdentifier (rcgen writes one only for the CAs it marks itself).
    skid: bool,
    /// An authorityKeyIdentifier (on what an issuer signs).
    akid: bool,
    not_before: i64,
    not_after: i64,
    key: Key,
}

/// (notBefore, notAfter): mostly valid at the instant, sometimes expired or not yet valid.
fn validity(rng: &mut Rng, days: i64, odd: u64) -> (i64, i64, &'static str) {
    let r = rng.below(100) as u64;
    if r < odd {
        (AT_UNIX - 2 * days * DAY, AT_UNIX - DAY, " expired")
    } else if r < 2 * odd {
        (AT_UNIX + DAY, AT_UNIX + days * DAY, " not-yet-valid")
    } else {
        (AT_UNIX - 30 * DAY, AT_UNIX + days * DAY, "")
    }
}

/// EKU variants: clientAuth, serverAuth only, both, anyExtendedKeyUsage.
fn eku_variant(rng: &mut Rng) -> (Vec<&'static [u8]>, &'static str) {
    match rng.below(4) {
        0 => (vec![CLIENT_AUTH], "clientAuth"),
        1 => (vec![SERVER_AUTH], "serverAuth"),
        2 => (vec![SERVER_AUTH, CLIENT_AUTH], "server+clientAuth"),
        _ => (vec![ANY_EKU], "anyEKU"),
    }
}

impl Plan {
    /// The root: always a well-formed CA (the bundle's lint judges roots); only its validity and
    /// sometimes an EKU vary.
    fn root(name: &str, rng: &mut Rng, shape: &mut String) -> Plan {
        let (nb, na, v) = validity(rng, 3650, 2);
        if !v.is_empty() {
            shape.push_str(&format!(" root{v}"));
        }
        let eku = rng.pct(3).then(|| {
            let (e, s) = eku_variant(rng);
            shape.push_str(&format!(" root-eku:{s}"));
            (e, false)
        });
        Plan {
            cn: name.to_string(),
            bc: Some((true, None, true)),
            ku: Some((0x06, true)),
            eku,
            skid: true,
            akid: true,
            not_before: nb,
            not_after: na,
            key: random_key(rng),
        }
    }

    /// An intermediate at `i` (0 nearest the root) of `count`.
    fn intermediate(name: &str, i: usize, count: usize, rng: &mut Rng, shape: &mut String) -> Plan {
        let (nb, na, v) = validity(rng, 1825, 2);
        if !v.is_empty() {
            shape.push_str(&format!(" int{i}{v}"));
        }
        // CAs below this one, the leaf excluded: a pathLen under it is a violation.
        let below = (count - 1 - i) as u8;
        let bc = match rng.below(100) {
            0..=1 => {
                shape.push_str(&format!(" int{i}-no-bc"));
                None
            }
            2 => {
                shape.push_str(&format!(" int{i}-ca-false"));
                Some((false, None, true))
            }
            3..=5 => {
                shape.push_str(&format!(" int{i}-bc-not-critical"));
                Some((true, None, false))
            }
            6..=13 => {
                let n = rng.below(3) as u8;
                if n < below {
                    shape.push_str(&format!(" int{i}-pathlen{n}-violated"));
                }
                Some((true, Some(n), true))
            }
            _ => Some((true, None, true)),
        };
        let ku = match rng.below(100) {
            0..=3 => {
                shape.push_str(&format!(" int{i}-no-ku"));
                None
            }
            4..=6 => {
                shape.push_str(&format!(" int{i}-ku-no-keyCertSign"));
                Some((0x82, true))
            }
            7..=12 => Some((0x86, false)),
            _ => Some((0x06, true)),
        };
        let eku = rng.pct(8).then(|| {
            let (e, s) = eku_variant(rng);
            shape.push_str(&format!(" int{i}-eku:{s}"));
            (e, false)
        });
        let skid = !rng.pct(3);
        if !skid {
            shape.push_str(&format!(" int{i}-no-skid"));
        }
        let akid = !rng.pct(2);
        if !akid {
            shape.push_str(&format!(" int{i}-no-akid"));
        }
        Plan {
            cn: name.to_string(),
            bc,
            ku,
            eku,
            skid,
            akid,
            not_before: nb,
            not_after: na,
            key: random_key(rng),
        }
    }

    fn leaf(name: &str, rng: &mut Rng, shape: &mut String) -> Plan {
        let (nb, na, v) = validity(rng, 365, 4);
        if !v.is_empty() {
            shape.push_str(&format!(" leaf{v}"));
        }
        let bc = match rng.below(100) {
            0..=49 => None,
            50..=95 => Some((false, None, rng.pct(50))),
            _ => {
                shape.push_str(" leaf-ca-true");
                Some((true, None, true))
            }
        };
        let critical = rng.pct(60);
        let ku = match rng.below(100) {
            0..=19 => None,
            20..=69 => Some((0x80, critical)),
            70..=77 => {
                shape.push_str(" leaf-ku:keyAgreement");
                Some((0x08, critical))
            }
            78..=85 => {
                shape.push_str(" leaf-ku:keyEncipherment");
                Some((0x20, critical))
            }
            86..=91 => Some((0xa0, critical)),
            _ => {
                shape.push_str(" leaf-ku:keyCertSign");
                Some((0x04, critical))
            }
        };
        let no_akid = rng.pct(3);
        if no_akid {
            shape.push_str(" leaf-no-akid");
        }
        let eku = match rng.below(100) {
            0..=14 => {
                shape.push_str(" leaf-no-eku");
                None
            }
            15..=64 => Some((vec![CLIENT_AUTH], rng.pct(20))),
            _ => {
                let (e, s) = eku_variant(rng);
                shape.push_str(&format!(" leaf-eku:{s}"));
                Some((e, rng.pct(20)))
            }
        };
        Plan {
            cn: name.to_string(),
            bc,
            ku,
            eku,
            skid: rng.pct(50),
            akid: !no_akid,
            not_before: nb,
            not_after: na,
            key: random_key(rng),
        }
    }

    fn params(&self, key: &KeyPair) -> CertificateParams {
        let mut p = CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name
            .push(DnType::CommonName, self.cn.clone());
        p.distinguished_name
            .push(DnType::OrganizationName, "ALB Fuzz");
        p.not_before = support::ts(self.not_before);
        p.not_after = support::ts(self.not_after);
        p.is_ca = IsCa::NoCa;
        p.use_authority_key_identifier_extension = self.akid;
        if let Some(bc) = self.bc {
            p.custom_extensions.push(bc_ext(bc));
        }
        if let Some((bits, critical)) = self.ku {
            p.custom_extensions.push(ku_ext(bits, critical));
        }
        if let Some((oids, critical)) = &self.eku {
            p.custom_extensions.push(eku_ext(oids, *critical));
        }
        if self.skid {
            // The identifier rcgen puts in the authorityKeyIdentifier of what this signs.
            let id = p.key_identifier(key);
            p.custom_extensions
                .push(ext(&[2, 5, 29, 14], tlv(0x04, &id), false));
        }
        p
    }
}

/// A made certificate: DER and what signs with it.
fn make(plan: &Plan, issuer: Option<&Signed>, pool: &KeyPool, rng: &mut Rng) -> Signed {
    let key = pool.key(plan.key, rng);
    let params = plan.params(&key);
    sign(params, key, issuer)
}

/// One generated case: the client's chain (leaf first, as sent), the bundle, and which bundle
/// certificates are roots (self-issued: certctl's anchors, the oracle's `-CAfile`).
struct Case {
    id: String,
    chain: Vec<Vec<u8>>,
    bundle_roots: Vec<Vec<u8>>,
    bundle_others: Vec<Vec<u8>>,
    /// How it was made, for the report.
    shape: String,
    /// Why certctl refuses where OpenSSL accepts, when one of its documented stricter
    /// readings applies (see the module doc).
    stricter: Option<&'static str>,
}

fn generate(n: usize, rng: &mut Rng, pool: &KeyPool) -> Case {
    let mut shape = String::new();
    let root_name = format!("ALB Fuzz Root {n}");
    let root = make(&Plan::root(&root_name, rng, &mut shape), None, pool, rng);
    let count = *rng.pick(&[0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 4, 5]);
    let mut inters: Vec<Signed> = Vec::new();
    for i in 0..count {
        let plan = Plan::intermediate(
            &format!("ALB Fuzz Intermediate {n}.{i}"),
            i,
            count,
            rng,
            &mut shape,
        );
        let m = make(&plan, Some(inters.last().unwrap_or(&root)), pool, rng);
        inters.push(m);
    }
    let leaf_plan = Plan::leaf(&format!("ALB Fuzz Client {n}"), rng, &mut shape);
    // A client certificate from another CA with the root's very name (a different key).
    let impostor = rng.pct(4).then(|| {
        shape.push_str(" impostor-root");
        let mut s = String::new();
        make(&Plan::root(&root_name, rng, &mut s), None, pool, rng)
    });
    let issuer = match &impostor {
        Some(i) => i,
        None => inters.last().unwrap_or(&root),
    };
    let leaf = make(&leaf_plan, Some(issuer), pool, rng);
    let mut chain: Vec<Vec<u8>> = vec![leaf.der.clone()];
    let mut bundle_others: Vec<Vec<u8>> = Vec::new();
    // Each intermediate, nearest the leaf first: sent, in the bundle, both or neither.
    for (i, m) in inters.iter().enumerate().rev() {
        match rng.below(100) {
            0..=59 => chain.push(m.der.clone()),
            60..=89 => {
                shape.push_str(&format!(" int{i}-in-bundle"));
                bundle_others.push(m.der.clone());
            }
            90..=96 => {
                shape.push_str(&format!(" int{i}-sent-and-in-bundle"));
                chain.push(m.der.clone());
                bundle_others.push(m.der.clone());
            }
            _ => shape.push_str(&format!(" int{i}-missing")),
        }
    }
    if let Some(i) = &impostor {
        if rng.pct(50) {
            chain.push(i.der.clone());
        }
    }
    if rng.pct(15) {
        chain.push(root.der.clone());
        shape.push_str(" root-sent");
    }
    if chain.len() > 2 && rng.pct(10) {
        let (a, b) = (
            1 + rng.below(chain.len() - 1),
            1 + rng.below(chain.len() - 1),
        );
        chain.swap(a, b);
        shape.push_str(" misordered");
    }
    let mut bundle_roots = Vec::new();
    if rng.pct(97) {
        bundle_roots.push(root.der.clone());
    } else {
        shape.push_str(" root-not-in-bundle");
    }
    if bundle_roots.is_empty() || rng.pct(10) {
        let mut s = String::new();
        let other = make(
            &Plan::root(&format!("ALB Fuzz Other {n}"), rng, &mut s),
            None,
            pool,
            rng,
        );
        bundle_roots.insert(rng.below(bundle_roots.len() + 1), other.der);
        shape.push_str(" other-root-in-bundle");
    }
    Case {
        id: format!("c{n}"),
        chain,
        bundle_roots,
        bundle_others,
        shape: format!("{count} intermediates;{shape}"),
        stricter: matches!(leaf_plan.bc, Some((true, _, _))).then_some("leaf-is-ca"),
    }
}

fn pem_all(ders: &[Vec<u8>]) -> String {
    ders.iter()
        .map(|d| certctl::pem::encode_certificate(d))
        .collect()
}

/// Writes the case's files into `dir`: bundle.pem (roots and other CAs interleaved as a user
/// would), client.pem (the chain as sent), and the oracle's roots.pem, untrusted.pem, leaf.pem.
fn write_case(dir: &Path, c: &Case) {
    std::fs::create_dir_all(dir).unwrap();
    let mut bundle: Vec<Vec<u8>> = c.bundle_others.clone();
    bundle.extend(c.bundle_roots.iter().cloned());
    support::write(dir, "bundle.pem", pem_all(&bundle));
    support::write(dir, "client.pem", pem_all(&c.chain));
    support::write(dir, "roots.pem", pem_all(&c.bundle_roots));
    let mut untrusted: Vec<Vec<u8>> = c.chain[1..].to_vec();
    untrusted.extend(c.bundle_others.iter().cloned());
    support::write(dir, "untrusted.pem", pem_all(&untrusted));
    support::write(dir, "leaf.pem", pem_all(&c.chain[..1]));
}

/// OpenSSL's verdict on the files of `dir`: `None` accepts, else its error line.
fn oracle(dir: &Path, depth: &str) -> Option<String> {
    let mut cmd = Command::new("openssl");
    cmd.args(["verify", "-x509_strict", "-purpose", "sslclient"])
        .args(["-attime", &AT_UNIX.to_string(), "-verify_depth", depth])
        .args(["-CAfile", "roots.pem"]);
    if std::fs::metadata(dir.join("untrusted.pem")).unwrap().len() > 0 {
        cmd.args(["-untrusted", "untrusted.pem"]);
    }
    let out = cmd
        .arg("leaf.pem")
        .current_dir(dir)
        .output()
        .expect("openssl must be installed");
    if out.status.success() {
        return None;
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        text.lines()
            .find(|l| l.starts_with("error "))
            .unwrap_or(text.trim())
            .to_string(),
    )
}

/// certctl's verdict: `None` accepts, else the refusal code and message.
fn certctl_verdict(dir: &Path) -> Option<String> {
    let (_, out, err) = support::run(
        [
            "truststore",
            "lint",
            "--for",
            "alb",
            "bundle.pem",
            "--client",
            "client.pem",
            "--at",
            AT,
            "--json",
        ]
        .map(|a| {
            if a.ends_with(".pem") {
                dir.join(a).into_os_string()
            } else {
                a.into()
            }
        }),
    );
    let doc: serde_json::Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    let client = &doc["clients"][0];
    (client["accepted"] != true).then(|| {
        format!(
            "{} {}",
            client["tls_verify_status"].as_str().unwrap_or("?"),
            client["message"].as_str().unwrap_or("?")
        )
    })
}

/// The fuzz run's tally.
struct Tally {
    cases: usize,
    accepted: usize,
    /// OpenSSL accepts, certctl's stricter reading refuses.
    stricter: usize,
    disagreements: Vec<String>,
    /// OpenSSL refusals by error number.
    by_error: std::collections::BTreeMap<String, usize>,
}

fn fuzz(count: usize, seed: u64, keep: &Path) -> Tally {
    let work = support::tempdir();
    let pool = KeyPool::new(work.path());
    let mut rng = Rng(seed);
    let mut t = Tally {
        cases: 0,
        accepted: 0,
        stricter: 0,
        disagreements: Vec::new(),
        by_error: std::collections::BTreeMap::new(),
    };
    for i in 0..count {
        let c = generate(i, &mut rng, &pool);
        let dir = keep.join(&c.id);
        write_case(&dir, &c);
        let theirs = oracle(&dir, VERIFY_DEPTH);
        let ours = certctl_verdict(&dir);
        t.cases += 1;
        match &theirs {
            None => t.accepted += 1,
            Some(e) => {
                let code = e.split(' ').nth(1).unwrap_or("?").to_string();
                *t.by_error.entry(code).or_default() += 1;
            }
        }
        // certctl refuses whatever OpenSSL refuses, and accepts what it accepts unless one of
        // its stricter readings applies.
        let expect_refusal = theirs.is_some() || c.stricter.is_some();
        if c.stricter.is_some() && theirs.is_none() {
            t.stricter += 1;
        }
        if ours.is_some() != expect_refusal {
            let line = format!(
                "DISAGREE {} ({}{}): certctl {}; openssl {}\n    files: {}",
                c.id,
                c.shape,
                c.stricter
                    .map_or(String::new(), |s| format!("; certctl stricter: {s}")),
                ours.as_deref()
                    .map_or("ACCEPT".into(), |m| format!("REFUSE {m}")),
                theirs
                    .as_deref()
                    .map_or("ACCEPT".into(), |m| format!("REFUSE {m}")),
                dir.display()
            );
            println!("{line}");
            t.disagreements.push(line);
        } else {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    t
}

#[test]
fn the_alb_verdict_agrees_with_openssl_on_generated_chains() {
    let count: usize = env_or("CERTCTL_ALB_FUZZ_CASES", 300);
    let seed: u64 = env_or("CERTCTL_ALB_FUZZ_SEED", 23);
    let keep: PathBuf =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("alb-verify-fuzz-{seed}"));
    let _ = std::fs::remove_dir_all(&keep);
    let started = std::time::Instant::now();
    let t = fuzz(count, seed, &keep);
    println!(
        "alb-verify-fuzz seed {seed}: {} cases, {} disagreements, openssl accepts {} ({:.1}%), of which certctl's stricter readings refuse {}, openssl refusals by error {:?}, {:.1} s",
        t.cases,
        t.disagreements.len(),
        t.accepted,
        100.0 * t.accepted as f64 / t.cases.max(1) as f64,
        t.stricter,
        t.by_error,
        started.elapsed().as_secs_f64()
    );
    assert!(
        t.disagreements.is_empty(),
        "{} disagreements with openssl verify (files kept under {}):\n{}",
        t.disagreements.len(),
        keep.display(),
        t.disagreements.join("\n")
    );
    let _ = std::fs::remove_dir_all(&keep);
}

/// The `-verify_depth` mapping, by experiment on OpenSSL itself: the ALB's depth of 4 (leaf, 2
/// intermediates, root) passes `-verify_depth 2` and one more intermediate fails it with
/// "certificate chain too long", which `-verify_depth 3` admits; certctl gives depth 4 and
/// refuses 5 with ClientCertMaxChainDepthExceeded.
#[test]
fn the_depth_mapping_holds_by_experiment() {
    let work = support::tempdir();
    let pool = KeyPool {
        rsa2048: Vec::new(),
        rsa3072: Vec::new(),
    };
    let rng = &mut Rng(4);
    let plain = |cn: &str, ca: bool| Plan {
        cn: cn.to_string(),
        bc: Some((ca, None, true)),
        ku: Some(if ca { (0x06, true) } else { (0x80, true) }),
        eku: (!ca).then(|| (vec![CLIENT_AUTH], false)),
        skid: true,
        akid: true,
        not_before: AT_UNIX - 30 * DAY,
        not_after: AT_UNIX + 200 * DAY,
        key: Key::P256,
    };
    let root = make(&plain("Depth Root", true), None, &pool, rng);
    let mut inters: Vec<Signed> = Vec::new();
    for k in 0..=3usize {
        let leaf = make(
            &plain(&format!("Depth Client {k}"), false),
            Some(inters.last().unwrap_or(&root)),
            &pool,
            rng,
        );
        let mut chain = vec![leaf.der.clone()];
        chain.extend(inters.iter().rev().map(|m| m.der.clone()));
        let case = Case {
            id: format!("depth{k}"),
            chain,
            bundle_roots: vec![root.der.clone()],
            bundle_others: Vec::new(),
            shape: String::new(),
            stricter: None,
        };
        let dir = work.path().join(&case.id);
        write_case(&dir, &case);
        let at2 = oracle(&dir, VERIFY_DEPTH);
        let at3 = oracle(&dir, "3");
        let ours = certctl_verdict(&dir);
        if k <= 2 {
            assert_eq!(at2, None, "{k} intermediates");
            assert_eq!(ours, None, "{k} intermediates");
        } else {
            assert!(
                at2.as_deref().is_some_and(|e| e.contains("chain too long")),
                "{at2:?}"
            );
            assert_eq!(at3, None, "{k} intermediates with -verify_depth 3");
            assert!(
                ours.as_deref()
                    .is_some_and(|e| e.contains("ClientCertMaxChainDepthExceeded")),
                "{ours:?}"
            );
        }
        inters.push(make(
            &plain(&format!("Depth Intermediate {k}"), true),
            Some(inters.last().unwrap_or(&root)),
            &pool,
            rng,
        ));
    }
}

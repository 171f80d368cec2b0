//! Crash safety of `certctl ca init --force`: SIGKILLed at many points spread over its run
//! (starting from a CA of certctl's layout, and from a CA of plain files as older versions wrote
//! it). After every kill, `ca.pem` and `ca.key` are readable and fit each other, the key in place
//! is the old one or the new one, and the old key is never lost: it is in place, or it is the
//! rollback target (`.previous`) of the new pair.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use support::*;

/// (certificate bytes, key bytes, whether the key fits the certificate)
fn read_pair(dir: &Path) -> Result<(Vec<u8>, Vec<u8>, bool), String> {
    let cert_bytes = fs::read(dir.join("ca.pem")).map_err(|e| format!("ca.pem: {e}"))?;
    let key_bytes = fs::read(dir.join("ca.key")).map_err(|e| format!("ca.key: {e}"))?;
    let der = certctl::pem::decode_certificates(&cert_bytes).map_err(|e| format!("ca.pem: {e}"))?;
    let cert = certctl::x509::CertInfo::parse(&der[0]).map_err(|e| format!("ca.pem: {e}"))?;
    let key = certctl::keys::load_pem(&key_bytes).map_err(|e| format!("ca.key: {e}"))?;
    let fits = certctl::keys::matches(&key, &cert);
    Ok((cert_bytes, key_bytes, fits))
}

/// Rewrites the CA directory as two plain files holding the pair now in place.
fn reset_to_plain(dir: &Path) {
    let (cert, key, fits) = read_pair(dir).unwrap();
    assert!(
        fits,
        "the pair in place does not fit: a kill left a mixed CA pair"
    );
    fs::remove_dir_all(dir).unwrap();
    fs::create_dir(dir).unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
    fs::write(dir.join("ca.key"), key).unwrap();
    fs::set_permissions(dir.join("ca.key"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::write(dir.join("ca.pem"), cert).unwrap();
}

#[test]
fn killed_ca_init_force_never_mixes_or_loses_the_ca_pair() {
    let d = tempdir();
    let ca = d.path().join("ca");
    let c = ca.to_str().unwrap().to_string();
    let init = |force: bool| {
        let mut cmd = certctl();
        cmd.args(["-q", "ca", "init", "--dir", &c, "--at", AT]);
        if force {
            cmd.arg("--force");
        }
        cmd
    };
    assert!(init(false).status().unwrap().success());

    // How long one forced init takes (median of a few), to spread the kills over it.
    let mut spans: Vec<u64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            assert!(init(true).status().unwrap().success());
            start.elapsed().as_micros() as u64
        })
        .collect();
    spans.sort();
    let span = spans[spans.len() / 2];

    let (mut kills, mut completed, mut old_kept, mut new_switched) = (0u32, 0u32, 0u32, 0u32);
    let (mut mismatched, mut lost, mut unreadable) = (0u32, 0u32, 0u32);
    let mut adoptions = 0u32;
    let mut i = 0u64;
    while kills < 120 && i < 600 {
        if i.is_multiple_of(5) {
            reset_to_plain(&ca);
            adoptions += 1;
        }
        let (_, old_key, _) = read_pair(&ca).unwrap();
        let mut child = init(true).spawn().unwrap();
        // Spread over the whole run (and a little past it), with jitter from the index.
        let delay = span * (i % 50) / 45 + (i * 7919 % 300);
        std::thread::sleep(Duration::from_micros(delay));
        if child.try_wait().unwrap().is_some() {
            completed += 1;
        } else {
            let _ = child.kill();
            kills += 1;
        }
        let _ = child.wait();
        i += 1;
        match read_pair(&ca) {
            Err(e) => {
                unreadable += 1;
                eprintln!("run {i}: unreadable after a kill at {delay} µs: {e}");
            }
            Ok((_, key, fits)) => {
                if !fits {
                    mismatched += 1;
                    eprintln!("run {i}: ca.key does not fit ca.pem after a kill at {delay} µs");
                }
                if key == old_key {
                    old_kept += 1;
                } else {
                    new_switched += 1;
                    let previous = fs::read(ca.join(".previous/ca.key")).unwrap_or_default();
                    if previous != old_key {
                        lost += 1;
                        eprintln!("run {i}: the old CA key is gone after a kill at {delay} µs");
                    }
                }
            }
        }
    }
    println!(
        "ca init --force: runs {i}, kills {kills}, completed {completed}, old kept {old_kept}, \
         new switched {new_switched}, mismatched {mismatched}, lost {lost}, unreadable \
         {unreadable} (span {span} µs, {adoptions} starts from plain files)"
    );
    assert_eq!(mismatched, 0, "mismatched CA pairs");
    assert_eq!(lost, 0, "lost CA keys");
    assert_eq!(unreadable, 0, "unreadable CA files");
    assert!(
        kills >= 100,
        "only {kills} kills landed while the command ran"
    );
    assert!(
        old_kept > 0 && new_switched > 0,
        "kills must land both before and after the switch (old {old_kept}, new {new_switched})"
    );

    // The next ordinary run cleans up what killed runs left, and the CA signs.
    assert!(init(true).status().unwrap().success());
    let (code, _, err) = run([
        "issue",
        "onprem",
        "--dns",
        "lb.example.internal",
        "--ca",
        &c,
        "--out-dir",
        d.path().join("leaf").to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(code, 0, "{err}");
    let leftovers: Vec<String> = fs::read_dir(&ca)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".certctl-tmp."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let versions = fs::read_dir(ca.join(".sets")).unwrap().count();
    assert_eq!(
        versions, 2,
        "the CA in place and the previous pair are kept, nothing else"
    );
}

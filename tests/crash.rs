//! Crash safety: `certctl rotate` is SIGKILLed at many points of a rotation; the pair on disk
//! must always fit (key matches certificate) and be the old pair or a new one, and the next run
//! must finish the job.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::*;

fn pair(dir: &Path) -> (String, bool) {
    let cert_bytes = std::fs::read(dir.join("cert.pem")).expect("cert.pem readable");
    let key_bytes = std::fs::read(dir.join("key.pem")).expect("key.pem readable");
    let der = certctl::pem::decode_certificates(&cert_bytes).expect("cert.pem is whole");
    let cert = certctl::x509::CertInfo::parse(&der[0]).expect("cert.pem parses");
    let key = certctl::keys::load_pem(&key_bytes).expect("key.pem is whole");
    (cert.sha256.colon_hex(), certctl::keys::matches(&key, &cert))
}

#[test]
fn killed_rotations_never_leave_a_mixed_or_partial_pair() {
    let d = tempdir();
    let cfg = write(
        d.path(),
        "onprem.toml",
        // A hook that takes a while, so kills land before, during and after it.
        "[[cert]]\nname = \"lb\"\ndns = [\"lb.example.internal\"]\nout-dir = \"lb\"\ndays = 30\nkey = \"ecdsa-p256\"\ndeploy-hook = \"sleep 0.05\"\n",
    );
    let c = cfg.to_str().unwrap();
    assert_eq!(run(["rotate", "--config", c, "--at", AT]).0, 0);
    let lb = d.path().join("lb");
    assert!(pair(&lb).1);

    // How long one forced rotation takes, to spread the kills over it.
    let start = Instant::now();
    assert_eq!(run(["rotate", "--config", c, "--at", AT, "--force"]).0, 0);
    let span = start.elapsed().as_micros() as u64;
    let mut current = pair(&lb).0;

    let mut seen_new = 0;
    let runs = 60u64;
    for i in 0..runs {
        let mut child = certctl()
            .args(["-q", "rotate", "--config", c, "--at", AT, "--force"])
            .spawn()
            .unwrap();
        // Spread over the whole run, with a little jitter from the index.
        let delay = span * i / runs + (i * 7919 % 500);
        std::thread::sleep(Duration::from_micros(delay));
        let _ = child.kill();
        let _ = child.wait();
        let (now, fits) = pair(&lb);
        assert!(
            fits,
            "run {i}: key does not fit the certificate after a kill at {delay} µs"
        );
        if now != current {
            seen_new += 1;
            current = now;
        }
    }
    assert!(
        seen_new > 0,
        "no kill landed after a switch; the test did not exercise anything"
    );

    // The next ordinary run completes whatever a kill interrupted, and then nothing is due.
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 0, "{doc:#}");
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 0);
    assert_eq!(doc["sets"][0]["action"], "unchanged", "{doc:#}");
    assert!(pair(&lb).1);
    // Temp files of killed runs are gone once a run has held the lock.
    for e in std::fs::read_dir(&lb).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with(".certctl-tmp."), "leftover {name}");
    }
}

/// The hook phase: `rotate --force` runs are SIGKILLed (with their hook, as a crash or a
/// service manager's stop takes the whole group) at points spread over the run; after each,
/// one plain `rotate` must leave the certificate in place deployed by the hook. Over 120 kills:
/// 0 certificates switched in but never deployed.
#[test]
fn killed_deploys_are_always_finished_by_the_next_run() {
    let d = tempdir();
    let p = |n: &str| d.path().join(n).display().to_string();
    let hook = format!(
        "echo $$ > {pid}; sleep 0.05; echo \"$CERTCTL_FINGERPRINT\" > {tmp}.$$ && mv {tmp}.$$ {dep}",
        pid = p("hookpid"),
        tmp = p("deployed.tmp"),
        dep = p("deployed"),
    );
    let cfg = write(
        d.path(),
        "onprem.toml",
        format!(
            "[[cert]]\nname = \"lb\"\ndns = [\"lb.example.internal\"]\nout-dir = \"lb\"\ndays = 30\ndeploy-hook = \"{}\"\n",
            hook.replace('"', "\\\"")
        ),
    );
    let c = cfg.to_str().unwrap();
    let lb = d.path().join("lb");
    let deployed = || {
        std::fs::read_to_string(d.path().join("deployed"))
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    assert_eq!(run(["rotate", "--config", c, "--at", AT]).0, 0);
    assert_eq!(deployed(), pair(&lb).0);
    let start = Instant::now();
    assert_eq!(run(["rotate", "--config", c, "--at", AT, "--force"]).0, 0);
    let span = start.elapsed().as_micros() as u64;

    let kills = 120u64;
    let (mut undeployed_at_kill, mut redeployed, mut never_deployed) = (0, 0, 0);
    for i in 0..kills {
        let _ = std::fs::remove_file(d.path().join("hookpid"));
        let mut child = certctl()
            .args(["-q", "rotate", "--config", c, "--at", AT, "--force"])
            .spawn()
            .unwrap();
        let delay = span * i / kills + (i * 7919 % 500);
        std::thread::sleep(Duration::from_micros(delay));
        let _ = child.kill();
        let _ = child.wait();
        std::thread::sleep(Duration::from_millis(5));
        if let Ok(pid) = std::fs::read_to_string(d.path().join("hookpid")) {
            let _ = std::process::Command::new("kill")
                .args(["-9", "--", &format!("-{}", pid.trim())])
                .stderr(std::process::Stdio::null())
                .status();
        }
        let (in_place, fits) = pair(&lb);
        assert!(fits, "kill {i}: the pair does not fit");
        if in_place != deployed() {
            undeployed_at_kill += 1;
        }
        let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
        assert_eq!(code, 0, "kill {i}: {doc:#}");
        if doc["sets"][0]["action"] == "redeployed" {
            redeployed += 1;
        }
        if pair(&lb).0 != deployed() {
            never_deployed += 1;
        }
    }
    println!(
        "{kills} kills: {undeployed_at_kill} left a certificate switched in but not deployed, \
         {redeployed} next runs redeployed, {never_deployed} certificates switched in but never deployed"
    );
    assert_eq!(never_deployed, 0);
    assert!(
        undeployed_at_kill > 0,
        "no kill landed between switch and deploy; the test exercised nothing"
    );
}

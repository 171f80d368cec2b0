//! `certctl rotate`'s deploy phase against hostile and crashing hooks: output capture and
//! redaction, the hook's environment, timeouts over whole process groups, interrupted deploys,
//! what a rollback reports, and exit codes / `-q` lines of a run that fails.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::*;

fn cert(p: &Path) -> certctl::x509::CertInfo {
    let der = certctl::pem::decode_certificates(&std::fs::read(p).unwrap()).unwrap();
    certctl::x509::CertInfo::parse(&der[0]).unwrap()
}

fn fp(dir: &Path) -> String {
    cert(&dir.join("cert.pem")).sha256.colon_hex()
}

/// A config with one set `lb` in `<dir>/lb`, plus `extra` lines in its table.
fn config(dir: &Path, extra: &str) -> PathBuf {
    write(
        dir,
        "onprem.toml",
        format!(
            "[[cert]]\nname = \"lb\"\ndns = [\"lb.onprem.example.internal\"]\nout-dir = \"lb\"\ndays = 365\n{extra}"
        ),
    )
}

/// Kills a hook's whole process group (its shell wrote `$$` into `pidfile`).
fn kill_group(pidfile: &Path) {
    if let Ok(pid) = std::fs::read_to_string(pidfile) {
        let _ = std::process::Command::new("kill")
            .args(["-9", "--", &format!("-{}", pid.trim())])
            .status();
    }
}

#[test]
fn hook_output_goes_through_a_pipe_redacted_and_the_hook_gets_no_secrets() {
    let d = tempdir();
    let pwfile = write(d.path(), "p12pw", "file-pw-Quux93\n");
    std::fs::set_permissions(&pwfile, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    // The hook prints the new private key (as a careless `cat $CERTCTL_KEY` would), both
    // passwords, a non-UTF-8 byte, and where its output goes.
    write(d.path(), "envpw.txt", "env-pw-Zorp42\n");
    let hook = format!(
        "cat \"$CERTCTL_KEY\"; echo \"env=[$CERTCTL_P12_PASSWORD]\"; cat {dir}/p12pw; cat {dir}/envpw.txt >&2; printf 'bad \\377 byte\\n'; readlink /proc/$$/fd/1; readlink /proc/$$/fd/2; cat {dir}/extra.pem",
        dir = d.path().display()
    );
    // A second key, RSA-style header, whose END never comes.
    write(
        d.path(),
        "extra.pem",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAtrailingkeymaterial\n",
    );
    let cfg = config(
        d.path(),
        &format!(
            "formats = [\"pkcs12\"]\np12-password-file = \"p12pw\"\ndeploy-hook = {}\n",
            toml_str(&hook)
        ),
    );
    let before: Vec<String> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("certctl-hook-"))
        .collect();
    for json in [true, false] {
        let mut args = vec!["rotate", "--config", cfg.to_str().unwrap(), "--at", AT];
        args.push("--force");
        if json {
            args.insert(0, "--json");
        } else {
            args.insert(0, "-v");
        }
        let out = certctl()
            .args(&args)
            .env("CERTCTL_P12_PASSWORD", "env-pw-Zorp42")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
        let key = std::fs::read_to_string(d.path().join("lb/key.pem")).unwrap();
        let key_body: Vec<&str> = key.lines().filter(|l| !l.starts_with("-----")).collect();
        for text in [&stdout, &stderr] {
            for line in &key_body {
                assert!(!text.contains(line), "key material printed: {text}");
            }
            assert!(!text.contains("PRIVATE KEY-----\n"), "{text}");
            assert!(!text.contains("trailingkeymaterial"), "{text}");
            assert!(!text.contains("file-pw-Quux93"), "{text}");
            assert!(!text.contains("env-pw-Zorp42"), "{text}");
        }
        if json {
            let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            let output = doc["sets"][0]["hook"]["output"].as_str().unwrap();
            assert!(
                output.contains("env=[]"),
                "the hook saw the password: {output}"
            );
            assert!(output.contains("[private key redacted]"), "{output}");
            assert!(output.contains("[secret redacted]"), "{output}");
            assert!(output.contains("bad \u{fffd} byte"), "{output}");
            // stdout and stderr are one pipe, not a file anyone could open.
            assert_eq!(output.matches("pipe:[").count(), 2, "{output}");
        }
    }
    let after: Vec<String> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("certctl-hook-"))
        .collect();
    assert_eq!(before, after, "hook output files in the temp directory");
}

#[test]
fn a_chatty_hook_keeps_the_last_64_kib_and_a_key_that_scrolled_away_stays_hidden() {
    let d = tempdir();
    // A key header, 200 KB of key-like lines with no END (BEGIN leaves the window, END never
    // comes); then the same after a complete key and plain filler.
    let hook = "echo starting; echo -----BEGIN PRIVATE KEY-----; i=0; while [ $i -lt 3000 ]; do echo QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2; i=$((i+1)); done";
    let cfg = config(d.path(), &format!("deploy-hook = {}\n", toml_str(hook)));
    let (code, doc, _) = run_json(["rotate", "--config", cfg.to_str().unwrap(), "--at", AT]);
    assert_eq!(code, 0, "{doc:#}");
    let out = doc["sets"][0]["hook"]["output"].as_str().unwrap();
    assert!(!out.contains("QUJD"), "key material in the report");
    assert_eq!(out, "starting\n[private key redacted]");
    let hook = "cat \"$CERTCTL_KEY\"; head -c 300000 /dev/zero | tr '\\0' x; echo; echo done";
    let cfg = config(d.path(), &format!("deploy-hook = {}\n", toml_str(hook)));
    let (code, doc, _) = run_json([
        "rotate",
        "--config",
        cfg.to_str().unwrap(),
        "--at",
        AT,
        "--force",
    ]);
    assert_eq!(code, 0, "{doc:#}");
    let out = doc["sets"][0]["hook"]["output"].as_str().unwrap();
    assert!(out.len() <= 64 * 1024 + 64, "{}", out.len());
    assert!(
        out.starts_with("[... ") && out.ends_with("xx\ndone\n"),
        "{}",
        &out[..40]
    );
}

#[test]
fn a_hook_timeout_terms_then_kills_the_whole_process_group() {
    let d = tempdir();
    let pids = d.path().join("pids");
    // Two background sleeps, one of them deaf to TERM, and a foreground sleep.
    let hook = format!(
        "sleep 1000 & echo $! >> {p}; (trap '' TERM; exec sleep 1000) & echo $! >> {p}; echo $$ >> {p}; sleep 1000",
        p = pids.display()
    );
    let cfg = config(
        d.path(),
        &format!("deploy-hook = {}\nhook-timeout = \"1s\"\n", toml_str(&hook)),
    );
    let t = Instant::now();
    let (code, doc, _) = run_json(["rotate", "--config", cfg.to_str().unwrap(), "--at", AT]);
    let took = t.elapsed();
    assert_eq!(code, 1, "{doc:#}");
    let h = &doc["sets"][0]["hook"];
    assert_eq!(h["timed_out"], true, "{doc:#}");
    assert_eq!(h["signals_sent"], serde_json::json!(["SIGTERM", "SIGKILL"]));
    assert_eq!(h["signal"], "SIGTERM", "the shell itself died of the TERM");
    // 1 s timeout, then the default 5 s grace for the TERM-deaf child.
    assert!(took < Duration::from_secs(15), "{took:?}");
    std::thread::sleep(Duration::from_millis(300));
    let pids = std::fs::read_to_string(&pids).unwrap();
    assert_eq!(pids.lines().count(), 3);
    for pid in pids.lines() {
        assert!(!alive(pid), "pid {pid} of the hook survived its timeout");
    }
    let e = doc["sets"][0]["error"].as_str().unwrap();
    assert!(
        e.contains("timed out") && e.contains("SIGTERM then SIGKILL"),
        "{e}"
    );
}

#[test]
fn a_background_child_holding_the_output_open_does_not_hang_the_run() {
    let d = tempdir();
    let pidfile = d.path().join("bg");
    let hook = format!("sleep 60 & echo $! > {}; echo reloaded", pidfile.display());
    let cfg = config(d.path(), &format!("deploy-hook = {}\n", toml_str(&hook)));
    let t = Instant::now();
    let (code, doc, _) = run_json(["rotate", "--config", cfg.to_str().unwrap(), "--at", AT]);
    let took = t.elapsed();
    let bg = std::fs::read_to_string(&pidfile).unwrap();
    let _ = std::process::Command::new("kill")
        .args(["-9", bg.trim()])
        .status();
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["sets"][0]["action"], "renewed");
    assert!(
        doc["sets"][0]["hook"]["output"]
            .as_str()
            .unwrap()
            .contains("reloaded"),
        "{doc:#}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// A hook that, while `<dir>/slow` exists, removes it, records its shell's pid and hangs;
/// every run records the fingerprint it deployed in `<dir>/deployed` (atomically).
fn slow_once_hook(dir: &Path) -> String {
    let p = |n: &str| dir.join(n).display().to_string();
    format!(
        "if [ -e {slow} ]; then rm {slow}; echo $$ > {pid}; sleep 30; fi; echo \"$CERTCTL_FINGERPRINT\" > {tmp}.$$ && mv {tmp}.$$ {dep}",
        slow = p("slow"),
        pid = p("hookpid"),
        tmp = p("deployed.tmp"),
        dep = p("deployed"),
    )
}

#[test]
fn a_rotation_killed_during_its_hook_is_deployed_by_the_next_run() {
    let d = tempdir();
    let cfg = config(
        d.path(),
        &format!("deploy-hook = {}\n", toml_str(&slow_once_hook(d.path()))),
    );
    let c = cfg.to_str().unwrap();
    let lb = d.path().join("lb");
    assert_eq!(run(["rotate", "--config", c, "--at", AT]).0, 0);
    let first = fp(&lb);
    write(d.path(), "slow", "");
    let mut killed = certctl()
        .args(["-q", "rotate", "--config", c, "--at", AT, "--force"])
        .spawn()
        .unwrap();
    wait_for(&d.path().join("hookpid"), Duration::from_secs(20));
    killed.kill().unwrap();
    killed.wait().unwrap();
    kill_group(&d.path().join("hookpid"));
    let switched = fp(&lb);
    assert_ne!(switched, first, "the kill landed after the switch");
    assert_eq!(
        std::fs::read_to_string(d.path().join("deployed"))
            .unwrap()
            .trim(),
        first,
        "the new certificate was never deployed"
    );

    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 0, "{doc:#}");
    let s = &doc["sets"][0];
    assert_eq!(s["action"], "redeployed", "{doc:#}");
    assert_eq!(s["reasons"], serde_json::json!(["interrupted-deploy"]));
    assert_eq!(s["hook"]["exit_code"], 0);
    assert_eq!(fp(&lb), switched, "no re-issue: the pair in place was fine");
    assert_eq!(
        std::fs::read_to_string(d.path().join("deployed"))
            .unwrap()
            .trim(),
        switched
    );
    // Deployed now: the next run has nothing to do.
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 0);
    assert_eq!(doc["sets"][0]["action"], "unchanged", "{doc:#}");
}

#[test]
fn a_run_waiting_on_the_lock_sees_the_interrupted_deploy() {
    let d = tempdir();
    let cfg = config(
        d.path(),
        &format!("deploy-hook = {}\n", toml_str(&slow_once_hook(d.path()))),
    );
    let c = cfg.to_str().unwrap();
    let lb = d.path().join("lb");
    assert_eq!(run(["rotate", "--config", c, "--at", AT]).0, 0);
    write(d.path(), "slow", "");
    let mut first = certctl()
        .args(["-q", "rotate", "--config", c, "--at", AT, "--force"])
        .spawn()
        .unwrap();
    wait_for(&d.path().join("hookpid"), Duration::from_secs(20));
    // The second run starts while the first holds the lock, and waits for it.
    let second = certctl()
        .args(["--json", "rotate", "--config", c, "--at", AT])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    first.kill().unwrap();
    first.wait().unwrap();
    kill_group(&d.path().join("hookpid"));
    let out = second.wait_with_output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    assert_eq!(doc["sets"][0]["action"], "redeployed", "{doc:#}");
    assert_eq!(
        doc["sets"][0]["reasons"],
        serde_json::json!(["interrupted-deploy"])
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("deployed"))
            .unwrap()
            .trim(),
        fp(&lb)
    );
}

#[test]
fn a_failed_first_deploy_does_not_claim_a_rollback() {
    let d = tempdir();
    let cfg = config(
        d.path(),
        "deploy-hook = \"echo reload failed >&2; exit 7\"\n",
    );
    let c = cfg.to_str().unwrap();
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 1);
    let s = &doc["sets"][0];
    assert_eq!(s["action"], "failed");
    assert_eq!(s["rolled_back"], false);
    let e = s["error"].as_str().unwrap();
    assert!(!e.contains("back in place"), "{e}");
    assert!(
        e.contains("no previous pair") && e.contains("stays in place but was not deployed"),
        "{e}"
    );
    // The pair is there (better than none), and the next run tries to deploy it again.
    let lb = d.path().join("lb");
    let in_place = fp(&lb);
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("exit 7", "exit 0"),
    )
    .unwrap();
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["sets"][0]["action"], "redeployed");
    assert_eq!(fp(&lb), in_place);
}

#[test]
fn a_rollback_names_the_certificate_in_place() {
    let d = tempdir();
    let cfg = config(d.path(), "");
    let c = cfg.to_str().unwrap();
    assert_eq!(run(["rotate", "--config", c, "--at", AT]).0, 0);
    let lb = d.path().join("lb");
    let before = cert(&lb.join("cert.pem"));
    // Deploying fails; deploying the rolled-back pair works.
    let text = std::fs::read_to_string(&cfg).unwrap()
        + "deploy-hook = \"[ \\\"$CERTCTL_ACTION\\\" = rollback ] || exit 7\"\n";
    std::fs::write(&cfg, text).unwrap();
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT, "--force"]);
    assert_eq!(code, 1);
    let s = &doc["sets"][0];
    assert_eq!(s["rolled_back"], true, "{doc:#}");
    let e = s["error"].as_str().unwrap();
    assert!(e.contains(&before.sha256.colon_hex()), "{e}");
    assert!(e.contains(&certctl::x509::rfc3339(before.not_after)), "{e}");
    assert_eq!(fp(&lb), before.sha256.colon_hex());
    // The rollback was deployed: nothing is pending.
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 0);
    assert_eq!(doc["sets"][0]["action"], "unchanged", "{doc:#}");
}

/// Plain files (not certctl's links) over an older certctl version: the failed deploy's
/// report must name what is really in place afterwards.
fn adopted_pair_fails_deploy(d: &Path) -> (serde_json::Value, String) {
    let cfg = config(d, "");
    let c = cfg.to_str().unwrap();
    assert_eq!(run(["rotate", "--config", c, "--at", AT]).0, 0);
    // Another pair, copied over the links as plain files (as an operator might).
    let other = d.join("other");
    assert_eq!(
        run([
            "issue",
            "onprem",
            "--dns",
            "lb.onprem.example.internal",
            "--out-dir",
            other.to_str().unwrap(),
            "--at",
            AT
        ])
        .0,
        0
    );
    let lb = d.join("lb");
    for f in ["cert.pem", "key.pem"] {
        let bytes = std::fs::read(other.join(f)).unwrap();
        std::fs::remove_file(lb.join(f)).unwrap();
        std::fs::write(lb.join(f), bytes).unwrap();
    }
    let adopted = fp(&lb);
    let text = std::fs::read_to_string(&cfg).unwrap()
        + "deploy-hook = \"[ \\\"$CERTCTL_ACTION\\\" = rollback ] || exit 7\"\n";
    std::fs::write(&cfg, text).unwrap();
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT, "--force"]);
    assert_eq!(code, 1, "{doc:#}");
    (doc, adopted)
}

#[test]
fn after_a_failed_deploy_over_an_adopted_pair_the_report_names_what_is_in_place() {
    let d = tempdir();
    let (doc, _) = adopted_pair_fails_deploy(d.path());
    let s = &doc["sets"][0];
    assert_eq!(s["rolled_back"], true, "{doc:#}");
    let e = s["error"].as_str().unwrap();
    let in_place = fp(&d.path().join("lb"));
    assert!(e.contains(&in_place), "{e} does not name {in_place}");
}

#[test]
fn a_failed_deploy_over_an_adopted_pair_restores_the_adopted_pair() {
    let d = tempdir();
    let (doc, adopted) = adopted_pair_fails_deploy(d.path());
    assert_eq!(fp(&d.path().join("lb")), adopted);
    let e = doc["sets"][0]["error"].as_str().unwrap();
    assert!(e.contains(&adopted), "{e}");
}

#[test]
fn two_sets_naming_one_directory_are_refused() {
    let d = tempdir();
    std::fs::create_dir(d.path().join("same")).unwrap();
    std::fs::create_dir(d.path().join("real")).unwrap();
    std::os::unix::fs::symlink("real", d.path().join("link")).unwrap();
    let set = |name: &str, dir: &str| {
        format!("[[cert]]\nname = \"{name}\"\ndns = [\"{name}.example.internal\"]\nout-dir = \"{dir}\"\n")
    };
    for (a, b) in [
        ("same", "same/../same"),
        ("same", "./same/"),
        ("real", "link"),         // one directory, one spelled through a symlink
        ("real/new", "link/new"), // not there yet: compared by real path
        ("new2", "same/../new2"), // not there yet, `..` resolved
    ] {
        let cfg = write(d.path(), "two.toml", set("first", a) + &set("second", b));
        let (code, out, err) = run(["rotate", "--config", cfg.to_str().unwrap(), "--dry-run"]);
        assert_eq!(code, 2, "{a} / {b}: {out}{err}");
        assert!(
            err.contains("\"first\"") && err.contains("\"second\""),
            "{a} / {b}: {err}"
        );
    }
    // Two different directories are fine.
    let cfg = write(
        d.path(),
        "two.toml",
        set("first", "same") + &set("second", "real"),
    );
    let (code, _, err) = run([
        "rotate",
        "--config",
        cfg.to_str().unwrap(),
        "--dry-run",
        "--at",
        AT,
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn unencodable_times_are_input_errors_with_one_json_document() {
    let d = tempdir();
    let cfg = config(d.path(), "");
    let c = cfg.to_str().unwrap();
    let ca_dir = d.path().join("ca");
    let out = d.path().join("out");
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "issue",
            "onprem",
            "--dns",
            "a.example",
            "--out-dir",
            out.to_str().unwrap(),
        ],
        vec!["ca", "init", "--dir", ca_dir.to_str().unwrap()],
        vec!["rotate", "--config", c],
        vec!["check", c],
    ];
    for at in ["0000-01-01T00:00:00Z", "1949-12-31T23:59:59Z"] {
        for args in &cases {
            let mut a = args.clone();
            a.extend(["--at", at]);
            let (code, doc, err) = run_json(&a);
            assert_no_panic(&err);
            assert_eq!(code, 2, "{a:?}: {doc:#} {err}");
            assert_eq!(doc["exit_code"], 2);
            assert!(doc["error"]["message"].as_str().unwrap().contains("--at"));
        }
    }
    // A validity that would end after 9999-12-31.
    for args in &cases[..3] {
        let mut a = args.clone();
        a.extend(["--at", "9999-12-01T00:00:00Z"]);
        let (code, doc, err) = run_json(&a);
        assert_no_panic(&err);
        assert_eq!(code, 2, "{a:?}: {doc:#} {err}");
        assert!(
            doc["error"]["message"]
                .as_str()
                .unwrap()
                .contains("9999-12-31"),
            "{doc:#}"
        );
    }
    assert!(!out.exists() && !ca_dir.exists() && !d.path().join("lb").exists());
}

#[test]
fn a_set_failing_on_a_full_disk_exits_3() {
    // A tiny tmpfs, filled up: needs root (CI runs as root); without it this test fails.
    assert!(
        unsafe_geteuid_is_root(),
        "this test mounts a tmpfs and must run as root"
    );
    let d = tempdir();
    let mnt = d.path().join("full");
    std::fs::create_dir(&mnt).unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16k,mode=0755", "tmpfs"])
        .arg(&mnt)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cannot mount a tmpfs");
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    std::fs::create_dir(mnt.join("lb")).unwrap();
    // Fill it.
    let _ = std::fs::write(mnt.join("filler"), vec![0u8; 64 * 1024]);
    let cfg = write(
        d.path(),
        "onprem.toml",
        format!(
            "[[cert]]\nname = \"lb\"\ndns = [\"lb.example.internal\"]\nout-dir = \"{}\"\n",
            mnt.join("lb").display()
        ),
    );
    let (code, doc, _) = run_json(["rotate", "--config", cfg.to_str().unwrap(), "--at", AT]);
    assert_eq!(code, 3, "{doc:#}");
    assert_eq!(doc["sets"][0]["action"], "failed");
    let e = doc["sets"][0]["error"].as_str().unwrap();
    assert!(e.contains("No space left"), "{e}");
}

fn unsafe_geteuid_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        == Some("0")
}

#[test]
fn rotate_exit_codes_for_bad_input() {
    let d = tempdir();
    let cfg = config(d.path(), "");
    let c = cfg.to_str().unwrap();
    // An unknown set name.
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT, "--only", "typo"]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(doc["error"]["message"].as_str().unwrap().contains("typo"));
    // A dry run plans a set whose directory does not exist yet, and creates nothing.
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT, "--dry-run"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["sets"][0]["action"], "would-renew");
    assert_eq!(doc["sets"][0]["reasons"], serde_json::json!(["missing"]));
    assert!(!d.path().join("lb").exists());
    // Names: none at all is a config error, found at load (a dry run too).
    let empty = write(
        d.path(),
        "empty.toml",
        "[[cert]]\nname = \"lb\"\ndns = []\nout-dir = \"lb\"\n",
    );
    let (code, _, err) = run(["rotate", "--config", empty.to_str().unwrap(), "--dry-run"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 1") || err.contains("empty"), "{err}");
    // Not UTF-8: bad input, not I/O.
    let bad = write(d.path(), "bad.toml", b"[[cert]]\nname = \"\xff\xfe\"\n");
    let (code, _, err) = run(["rotate", "--config", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_report_that_cannot_be_written_exits_3() {
    let d = tempdir();
    let cfg = config(d.path(), "");
    let c = cfg.to_str().unwrap();
    for json in [true, false] {
        let mut args = vec!["rotate", "--config", c, "--at", AT, "--dry-run"];
        if json {
            args.insert(0, "--json");
        }
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = certctl().args(&args).stdout(full).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "json={json}: {err}");
        assert!(err.contains("cannot write to stdout"), "{err}");
    }
}

#[test]
fn adding_a_format_renews_the_set() {
    let d = tempdir();
    let cfg = config(d.path(), "");
    let c = cfg.to_str().unwrap();
    assert_eq!(run(["rotate", "--config", c, "--at", AT]).0, 0);
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&cfg).unwrap() + "formats = [\"pem\", \"haproxy\"]\n",
    )
    .unwrap();
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["sets"][0]["action"], "renewed");
    assert_eq!(
        doc["sets"][0]["reasons"],
        serde_json::json!(["formats-changed"])
    );
    assert!(d.path().join("lb/haproxy.pem").exists());
    let (_, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
    assert_eq!(doc["sets"][0]["action"], "unchanged", "{doc:#}");
}

#[test]
fn quiet_runs_print_one_line_per_failure_and_nothing_when_fine() {
    let d = tempdir();
    let cfg = write(
        d.path(),
        "onprem.toml",
        "[[cert]]\nname = \"good\"\ndns = [\"good.example.internal\"]\nout-dir = \"good\"\n\
         [[cert]]\nname = \"bad\"\ndns = [\"bad.example.internal\"]\nout-dir = \"bad\"\ndeploy-hook = \"exit 5\"\n",
    );
    let c = cfg.to_str().unwrap();
    let (code, out, err) = run(["-q", "rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("set bad") && lines[0].contains("exit 5"),
        "{err}"
    );
    // Fine: silent.
    let (code, out, err) = run(["-q", "rotate", "--config", c, "--at", AT, "--only", "good"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    // An expired certificate left in place (a dry run renews nothing): one line.
    let later = "2031-07-01T00:00:00Z";
    let (code, out, err) = run([
        "-q",
        "rotate",
        "--config",
        c,
        "--at",
        later,
        "--dry-run",
        "--only",
        "good",
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "");
    assert!(err.contains("set good") && err.contains("expired"), "{err}");
    // check -q: the deny findings, one line each.
    let good_cert = d.path().join("good/cert.pem");
    let (code, out, err) = run(["-q", "check", good_cert.to_str().unwrap(), "--at", AT]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.lines().any(|l| l.contains("self-signed")), "{err}");
    // scan -q: the expired certificate is named on stderr.
    let (code, out, err) = run([
        "-q",
        "scan",
        d.path().join("good").to_str().unwrap(),
        "--at",
        later,
    ]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.contains("cert.pem") && err.contains("expired"), "{err}");
}

#[test]
fn a_failed_hook_shows_its_last_lines_redacted_in_the_human_report() {
    let d = tempdir();
    // 12 numbered lines, the private key (as a careless `cat` would print it), the error.
    let hook = "i=1; while [ $i -le 12 ]; do echo \"step $i\"; i=$((i+1)); done; cat \"$CERTCTL_KEY\"; echo 'nginx: [emerg] cannot load certificate' >&2; exit 7";
    let cfg = config(d.path(), &format!("deploy-hook = {}\n", toml_str(hook)));
    let (code, out, err) = run(["rotate", "--config", cfg.to_str().unwrap(), "--at", AT]);
    assert_eq!(code, 1, "{out}{err}");
    let shown: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("lb: hook| "))
        .collect();
    let mut want: Vec<String> = (5..=12).map(|i| format!("step {i}")).collect();
    want.push("[private key redacted]".into());
    want.push("nginx: [emerg] cannot load certificate".into());
    assert_eq!(shown, want, "{out}");
    let key = std::fs::read_to_string(d.path().join("lb/key.pem")).unwrap();
    for line in key.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!out.contains(line), "key material printed: {out}");
    }
    // A hook that succeeds: its output stays in --json only.
    let cfg = config(d.path(), "deploy-hook = \"echo all fine\"\n");
    let (code, out, err) = run(["rotate", "--config", cfg.to_str().unwrap(), "--at", AT]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("hook| "), "{out}");
}

/// `rotate -q` (cron) on a failed deploy: the error line, then the hook's last lines, each
/// redacted and inert (no terminal control from the hook, no forged line).
#[test]
fn quiet_failed_deploy_prints_the_hooks_last_lines() {
    let d = tempdir();
    let hook = "for i in $(seq 1 15); do echo step $i; done; printf 'evil\\033[2J\\n'; \
                echo 'nginx: [emerg] cannot load certificate' >&2; cat \"$CERTCTL_KEY\"; exit 1";
    let cfg = config(d.path(), &format!("deploy-hook = {}\n", toml_str(hook)));
    let c = cfg.to_str().unwrap();
    let (code, out, err) = run(["-q", "rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with("certctl rotate: set lb: failed: deploy hook failed (exit 1)"),
        "{err}"
    );
    let hook_lines = &lines[1..];
    assert_eq!(hook_lines.len(), 10, "the last 10 lines: {err}");
    assert!(
        hook_lines
            .iter()
            .all(|l| l.starts_with("certctl rotate: set lb: hook| ")),
        "{err}"
    );
    assert!(err.contains("hook| evil\\e[2J\n"), "escaped: {err}");
    assert!(
        err.contains("hook| nginx: [emerg] cannot load certificate\n"),
        "{err}"
    );
    assert!(!err.contains('\x1b'), "{err}");
    assert!(!err.contains("step 5\n"), "only the last lines: {err}");
    assert!(
        !err.contains("PRIVATE KEY-----\nM") && !err.contains("BEGIN EC PRIVATE"),
        "redacted: {err}"
    );
}

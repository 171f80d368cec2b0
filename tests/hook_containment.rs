//! A deploy hook is contained: it runs in the config's folder with a minimal environment (no
//! AWS credentials unless the config lists them), nothing it prints shows a key line or a
//! secret, SIGTERM/SIGINT/SIGHUP to certctl stop its whole process group and leave the set for
//! the next run to deploy, and the SAN list reaches it in a file whatever its length, up to
//! the stated limit.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::*;

/// The most SANs a certificate may hold (`names::MAX_SANS`, stated in the README).
const MAX_SANS: usize = 1000;

const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const AWS_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENvalue0123456789";
const AWS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const OTHER_SECRET: &str = "db-Passw0rd-Xyzzy";

/// A config with one set `lb` in `<dir>/lb`, plus `extra` lines in its table.
fn config(dir: &Path, top: &str, extra: &str) -> PathBuf {
    write(
        dir,
        "onprem.toml",
        format!(
            "{top}\n[[cert]]\nname = \"lb\"\ndns = [\"lb.onprem.example.internal\"]\nout-dir = \"lb\"\ndays = 365\n{extra}"
        ),
    )
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = write(dir, name, format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    p
}

/// certctl with AWS credentials and another secret in its own environment.
fn with_secrets(mut c: std::process::Command) -> std::process::Command {
    c.env("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        .env("AWS_SESSION_TOKEN", AWS_TOKEN)
        .env("AWS_ACCESS_KEY_ID", AWS_KEY_ID)
        .env("APP_DB_PASSWORD", OTHER_SECRET)
        .env("HIDDEN_PLAIN", "not-listed")
        .env("LISTED_PLAIN", "listed-value")
        .env("TZ", "Europe/Berlin")
        .env(
            "PATH",
            format!("/nonexistent/evil:{}", std::env::var("PATH").unwrap()),
        );
    c
}

/// The names in `env` output (`NAME=value` lines; values may span lines, names are checked
/// against a line start).
fn env_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k.to_string())
        .filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .collect()
}

fn env_value(text: &str, name: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")).map(str::to_string))
}

#[test]
fn the_hook_runs_in_the_config_folder_with_only_the_minimal_environment_and_its_allowlist() {
    let d = tempdir();
    let conf = d.path().join("conf");
    std::fs::create_dir(&conf).unwrap();
    // A relative hook: found and run in the config's folder, not the caller's.
    script(
        &conf,
        "reload.sh",
        "pwd > seen-pwd\nenv > seen-env\necho reloaded",
    );
    let cfg = config(
        &conf,
        "hook-env = [\"LISTED_PLAIN\"]",
        "deploy-hook = \"./reload.sh\"\n",
    );
    let out = with_secrets(certctl())
        .current_dir("/")
        .args([
            "--json",
            "rotate",
            "--config",
            cfg.to_str().unwrap(),
            "--at",
            AT,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["sets"][0]["hook"]["output"], "reloaded\n", "{doc:#}");
    let pwd = std::fs::read_to_string(conf.join("seen-pwd")).unwrap();
    assert_eq!(
        Path::new(pwd.trim()),
        std::fs::canonicalize(&conf).unwrap(),
        "the hook's working directory"
    );
    let env = std::fs::read_to_string(conf.join("seen-env")).unwrap();
    let mut names = env_names(&env);
    names.sort();
    // What the shell adds by itself.
    names.retain(|n| !["PWD", "OLDPWD", "SHLVL", "_"].contains(&n.as_str()));
    let mut want: Vec<&str> = vec![
        "CERTCTL_ACTION",
        "CERTCTL_CERT",
        "CERTCTL_CHAIN",
        "CERTCTL_DOMAINS",
        "CERTCTL_DOMAINS_FILE",
        "CERTCTL_FINGERPRINT",
        "CERTCTL_FULLCHAIN",
        "CERTCTL_KEY",
        "CERTCTL_NAME",
        "CERTCTL_NOT_AFTER",
        "CERTCTL_OUT_DIR",
        "LISTED_PLAIN",
        "PATH",
        "TZ",
    ];
    for n in ["HOME", "LANG", "LC_ALL"] {
        if std::env::var_os(n).is_some() {
            want.push(n);
        }
    }
    want.sort();
    assert_eq!(names, want, "{env}");
    assert_eq!(
        env_value(&env, "PATH").unwrap(),
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    );
    assert_eq!(env_value(&env, "TZ").unwrap(), "Europe/Berlin");
    assert_eq!(env_value(&env, "LISTED_PLAIN").unwrap(), "listed-value");
    for secret in [
        AWS_SECRET,
        AWS_TOKEN,
        AWS_KEY_ID,
        OTHER_SECRET,
        "not-listed",
    ] {
        assert!(!env.contains(secret), "the hook got {secret}: {env}");
    }
    // The names file holds the set's names.
    let domains = env_value(&env, "CERTCTL_DOMAINS_FILE").unwrap();
    assert_eq!(
        std::fs::read_to_string(domains).unwrap(),
        "lb.onprem.example.internal\n"
    );

    // Listed explicitly, a credential reaches the hook, and is still redacted from its output.
    let cfg = config(
        &conf,
        "hook-env = [\"AWS_SECRET_ACCESS_KEY\"]",
        "deploy-hook = \"./reload.sh; echo \\\"key=$AWS_SECRET_ACCESS_KEY\\\"\"\n",
    );
    let out = with_secrets(certctl())
        .args([
            "--json",
            "rotate",
            "--config",
            cfg.to_str().unwrap(),
            "--at",
            AT,
            "--force",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let env = std::fs::read_to_string(conf.join("seen-env")).unwrap();
    assert_eq!(
        env_value(&env, "AWS_SECRET_ACCESS_KEY").unwrap(),
        AWS_SECRET
    );
    assert!(!env.contains(AWS_TOKEN), "{env}");
    assert!(!stdout.contains(AWS_SECRET), "{stdout}");
    assert!(stdout.contains("key=[secret redacted]"), "{stdout}");
}

#[test]
fn bad_hook_env_names_are_refused_with_their_lines() {
    let d = tempdir();
    let cfg = config(
        d.path(),
        "hook-env = [\"1BAD\"]",
        "hook-env = [\"CERTCTL_P12_PASSWORD\", \"A-B\", \"GOOD_ONE\"]\n",
    );
    let (code, doc, _) = run_json(["rotate", "--config", cfg.to_str().unwrap(), "--dry-run"]);
    assert_eq!(code, 2, "{doc:#}");
    // The problems are the error's `caused by:` lines, one each.
    let msg = doc["error"].to_string();
    for bad in ["1BAD", "CERTCTL_P12_PASSWORD", "A-B"] {
        assert!(msg.contains(bad), "{bad} not named: {msg}");
    }
    assert!(!msg.contains("GOOD_ONE"), "{msg}");
}

#[test]
fn no_key_line_and_no_secret_appear_in_any_output() {
    let d = tempdir();
    let pwfile = write(d.path(), "p12pw", "p12-Pass-Wombat77\n");
    std::fs::set_permissions(&pwfile, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    // Every way a careless hook shows a key without its BEGIN line, and its whole environment.
    let hook = r#"env; echo ---; tail -n +2 "$CERTCTL_KEY"; echo ---; cat "$CERTCTL_HAPROXY"; n=$(wc -l < "$CERTCTL_KEY"); i=2; while [ $i -lt $n ]; do echo "line $i:"; sed -n "${i}p" "$CERTCTL_KEY"; i=$((i+1)); done; tr -d '\n' < "$CERTCTL_KEY"; echo; cat p12pw; echo "aws=$AWS_SECRET_ACCESS_KEY"; exit 1"#;
    let cfg = config(
        d.path(),
        "",
        &format!(
            "key = \"rsa-2048\"\nformats = [\"haproxy\", \"pkcs12\"]\np12-password-file = \"p12pw\"\ndeploy-hook = {}\n",
            toml_str(hook)
        ),
    );
    let c = cfg.to_str().unwrap();
    for json in [true, false] {
        let mut args = vec!["rotate", "--config", c, "--at", AT, "--force"];
        args.insert(0, if json { "--json" } else { "-v" });
        let out = with_secrets(certctl()).args(&args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        // The hook failed on purpose: its output is shown in full, human and JSON.
        assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
        // Every key the hook could have printed: the new one and the one rolled back to.
        let mut key_lines: Vec<String> = Vec::new();
        for v in std::fs::read_dir(d.path().join("lb/.sets")).unwrap() {
            let key = std::fs::read_to_string(v.unwrap().path().join("key.pem")).unwrap();
            key_lines.extend(
                key.lines()
                    .filter(|l| !l.starts_with("-----"))
                    .map(str::to_string),
            );
        }
        assert!(key_lines.len() > 10);
        for text in [&stdout, &stderr] {
            for line in &key_lines {
                assert!(
                    !text.contains(line.as_str()),
                    "key line {line} shown:\n{text}"
                );
            }
            for secret in [AWS_SECRET, AWS_TOKEN, OTHER_SECRET, "p12-Pass-Wombat77"] {
                assert!(!text.contains(secret), "{secret} shown:\n{text}");
            }
        }
        if json {
            let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            let output = doc["sets"][0]["hook"]["output"].as_str().unwrap();
            // `env` ran: the hook's environment is in the output, without the credentials.
            assert!(output.contains("CERTCTL_KEY="), "{output}");
            for name in [
                "AWS_SECRET_ACCESS_KEY=",
                "AWS_SESSION_TOKEN=",
                "AWS_ACCESS_KEY_ID=",
                "APP_DB_PASSWORD=",
            ] {
                assert!(!output.contains(name), "the hook got {name}: {output}");
            }
            assert!(output.contains("aws=\n"), "{output}");
            assert!(
                output.contains("line 2:\n[private key redacted]\n"),
                "{output}"
            );
            assert!(output.contains("[secret redacted]"), "{output}");
            // The certificates of haproxy.pem are shown: only the key is hidden.
            assert!(
                output.contains("-----BEGIN CERTIFICATE-----\nMII"),
                "{output}"
            );
        } else {
            assert!(
                stderr.contains("[private key redacted]")
                    || stdout.contains("[private key redacted]")
            );
        }
    }
}

#[test]
fn sigterm_sigint_and_sighup_stop_the_hooks_group_and_the_next_run_redeploys() {
    for sig in ["TERM", "INT", "HUP"] {
        let d = tempdir();
        let p = |n: &str| d.path().join(n).display().to_string();
        // Armed, the hook starts background children (one ignoring SIGTERM), records every pid
        // and waits; unarmed, it just succeeds.
        let hook = format!(
            "if [ -e {arm} ]; then echo $$ > {pids}; sleep 1000 & echo $! >> {pids}; (trap '' TERM; exec sleep 1000) & echo $! >> {pids}; touch {started}; sleep 1000; fi; echo deployed",
            arm = p("arm"),
            pids = p("pids"),
            started = p("started"),
        );
        let cfg = config(
            d.path(),
            "",
            &format!("hook-grace = \"1s\"\ndeploy-hook = {}\n", toml_str(&hook)),
        );
        let c = cfg.to_str().unwrap();
        assert_eq!(run(["rotate", "--config", c, "--at", AT]).0, 0);
        write(d.path(), "arm", "");
        let child = certctl()
            .args(["--json", "rotate", "--config", c, "--at", AT, "--force"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for(&d.path().join("started"), Duration::from_secs(30));
        let t0 = Instant::now();
        let status = std::process::Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = child.wait_with_output().unwrap();
        let took = t0.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout);
        // hook-grace (1 s) for the child that ignores SIGTERM, plus 1 s.
        assert!(
            took < Duration::from_secs(2),
            "SIG{sig}: exit took {took:?}"
        );
        assert_eq!(out.status.code(), Some(3), "SIG{sig}: {stdout}");
        let doc: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("SIG{sig}: not one JSON document ({e}): {stdout}"));
        let s = &doc["sets"][0];
        assert_eq!(s["action"], "interrupted", "{doc:#}");
        assert_eq!(s["hook"]["interrupted"], format!("SIG{sig}"), "{doc:#}");
        assert_eq!(
            s["hook"]["signals_sent"],
            serde_json::json!(["SIGTERM", "SIGKILL"]),
            "{doc:#}"
        );
        let pids = std::fs::read_to_string(d.path().join("pids")).unwrap();
        assert_eq!(pids.lines().count(), 3);
        for pid in pids.lines() {
            assert!(!alive(pid), "SIG{sig}: hook process {pid} survived");
        }
        assert!(
            d.path().join("lb/.pending").exists(),
            "SIG{sig}: the pending mark is gone"
        );
        // The next plain run deploys the pair in place again, and clears the mark.
        std::fs::remove_file(d.path().join("arm")).unwrap();
        let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
        assert_eq!(code, 0, "{doc:#}");
        let s = &doc["sets"][0];
        assert_eq!(s["action"], "redeployed", "{doc:#}");
        assert_eq!(s["reasons"], serde_json::json!(["interrupted-deploy"]));
        assert_eq!(s["hook"]["output"], "deployed\n");
        assert!(!d.path().join("lb/.pending").exists());
    }
}

#[test]
fn a_second_set_is_not_attempted_after_an_interruption() {
    let d = tempdir();
    let p = |n: &str| d.path().join(n).display().to_string();
    let cfg = write(
        d.path(),
        "onprem.toml",
        format!(
            "[[cert]]\nname = \"a\"\ndns = [\"a.example.internal\"]\nout-dir = \"a\"\ndeploy-hook = {}\n\n[[cert]]\nname = \"b\"\ndns = [\"b.example.internal\"]\nout-dir = \"b\"\ndeploy-hook = \"touch {}\"\n",
            toml_str(&format!("touch {}; sleep 1000", p("started"))),
            p("b-ran")
        ),
    );
    let child = certctl()
        .args([
            "--json",
            "rotate",
            "--config",
            cfg.to_str().unwrap(),
            "--at",
            AT,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&d.path().join("started"), Duration::from_secs(30));
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["sets"][0]["action"], "interrupted", "{doc:#}");
    assert_eq!(doc["sets"][1]["action"], "skipped", "{doc:#}");
    assert!(!d.path().join("b-ran").exists());
    assert!(!d.path().join("b").exists(), "set b was touched");
}

/// `n` distinct DNS names of the longest length a certificate allows (253 characters).
fn long_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let name = format!(
                "n{i:05}{}.{}.{}.{}",
                "a".repeat(57),
                "b".repeat(63),
                "c".repeat(63),
                "d".repeat(61)
            );
            assert_eq!(name.len(), 253);
            name
        })
        .collect()
}

fn names_toml(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!("dns = [{}]", quoted.join(",\n"))
}

#[test]
fn more_names_than_the_limit_are_refused_up_front_and_the_limit_itself_deploys() {
    let d = tempdir();
    let short: Vec<String> = (0..6000)
        .map(|i| format!("host{i}.example.internal"))
        .collect();
    let cfg = write(
        d.path(),
        "many.toml",
        format!(
            "[[cert]]\nname = \"many\"\n{}\nout-dir = \"many\"\ndeploy-hook = \"true\"\n",
            names_toml(&short)
        ),
    );
    let (code, doc, _) = run_json(["rotate", "--config", cfg.to_str().unwrap(), "--at", AT]);
    assert_eq!(code, 2, "{doc:#}");
    let msg = doc["error"].to_string();
    assert!(
        msg.contains("6000") && msg.contains(&MAX_SANS.to_string()),
        "{msg}"
    );
    assert!(!d.path().join("many").exists());
    let mut args: Vec<String> = vec!["issue".into(), "onprem".into(), "--out-dir".into()];
    args.push(d.path().join("issued").display().to_string());
    for n in &short {
        args.push("--dns".into());
        args.push(n.clone());
    }
    let (code, doc, _) = run_json(&args);
    assert_eq!(code, 2, "{doc:#}");
    let msg = doc["error"].to_string();
    assert!(
        msg.contains("6000") && msg.contains(&MAX_SANS.to_string()),
        "{msg}"
    );
    assert!(!d.path().join("issued").exists());

    // The limit itself, every name 253 characters, the largest key and every format: the
    // hook gets the whole list in CERTCTL_DOMAINS_FILE (and no CERTCTL_DOMAINS, too long).
    let names = long_names(MAX_SANS);
    let pwfile = write(d.path(), "p12pw", "p12-password\n");
    std::fs::set_permissions(&pwfile, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let cfg = write(
        d.path(),
        "limit.toml",
        format!(
            "[[cert]]\nname = \"limit\"\n{}\nout-dir = \"limit\"\nkey = \"rsa-4096\"\nformats = [\"haproxy\", \"pkcs12\"]\np12-password-file = \"p12pw\"\ndeploy-hook = {}\n",
            names_toml(&names),
            toml_str("cp \"$CERTCTL_DOMAINS_FILE\" got.txt; echo \"domains=${CERTCTL_DOMAINS-unset}\"")
        ),
    );
    let c = cfg.to_str().unwrap();
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 0, "{}", doc["sets"][0]["error"]);
    assert_eq!(doc["sets"][0]["hook"]["output"], "domains=unset\n");
    let got = std::fs::read_to_string(d.path().join("got.txt")).unwrap();
    assert_eq!(got.lines().collect::<Vec<_>>(), names);
    let mut largest = 0;
    for f in ["cert.pem", "fullchain.pem", "haproxy.pem", "cert.p12"] {
        let size = std::fs::metadata(d.path().join("limit").join(f))
            .unwrap()
            .len();
        eprintln!("{MAX_SANS} SANs of 253 characters: {f} is {size} bytes");
        largest = largest.max(size);
    }
    // Far below the 1 MiB certctl reads back.
    assert!(largest < 512 * 1024, "{largest}");
    // Read back: the next run finds the set in place and fine.
    let (code, doc, _) = run_json(["rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 0);
    assert_eq!(doc["sets"][0]["action"], "unchanged", "{doc:#}");
}

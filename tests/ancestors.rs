//! Every ancestor of every path certctl trusts, tampered by another local user: for each
//! command that writes as root or reads a file that decides what root runs (issue, issue --ca,
//! ca init, rotate with a hook, a PKCS#12 password file and a CA, scan --metrics, check
//! --fix-chain, man --dir, truststore export), every directory from the test's root down to the
//! path, and the path itself, is in turn given to a second, unprivileged user, made writable by
//! group and others, or replaced by that user's symbolic link to a faithful copy elsewhere. Each
//! must be refused with exit 2 naming the tampered component, and neither the tree nor the
//! copy the link points at may change (SHA-256 listings before and after). The set of commands
//! is checked against the binary's own help: every path-valued flag of every subcommand is
//! either covered here or listed as untrusted input with its reason.
//!
//! Then races: the other user swaps every ancestor it can while rotate runs its hook, 0 writes
//! outside and 0 foreign keys deployed. Needs root (CI runs as root); the other user is made
//! with useradd (uid 65534 when that is impossible, said on stderr).

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

const OTHER_USER: &str = "certctl-test-other";

fn require_root() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "tests/ancestors.rs needs root (it hands directories to another user); CI runs as root"
    );
}

/// The second, unprivileged user's uid (created when missing).
fn other_uid() -> u32 {
    let _ = Command::new("useradd")
        .args([
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
        ])
        .arg(OTHER_USER)
        .output();
    let out = Command::new("id").args(["-u", OTHER_USER]).output();
    match out
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
    {
        Some(uid) => uid,
        None => {
            eprintln!("useradd {OTHER_USER} failed: the other user is uid 65534 (nobody)");
            65534
        }
    }
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// What certctl does with a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// A directory it writes into (or reads a CA from): a link as its last component is refused.
    Dir,
    /// A file it writes through its parent directory.
    WriteFile,
    /// A file that decides what it runs or writes (config, password, hook).
    TrustedFile,
}

/// The paths a test world holds.
struct World {
    root: PathBuf,
    config: PathBuf,
    hook: PathBuf,
    password: PathBuf,
    ca: PathBuf,
    deployed: PathBuf,
}

/// A tree like a host's: configs under etc/, certificates under srv/, metrics under var/, and
/// the chain `check` reads outside it (untrusted input is not the subject here).
fn world(d: &Path) -> World {
    let root = d.join("w");
    for dir in [
        "etc/certctl/hooks",
        "etc/certctl/secrets",
        "srv/pki",
        "srv/tls",
        "var/lib/metrics",
        "var/lib/fix",
        "var/lib/export",
        "var/lib/bundle",
        "usr/share",
        "run/deployed",
    ] {
        fs::create_dir_all(root.join(dir)).unwrap();
    }
    let w = World {
        config: root.join("etc/certctl/rotate.toml"),
        hook: root.join("etc/certctl/hooks/reload.sh"),
        password: root.join("etc/certctl/secrets/p12.pw"),
        ca: root.join("srv/pki/ca"),
        deployed: root.join("run/deployed"),
        root,
    };
    fs::write(
        &w.hook,
        format!(
            "#!/bin/sh\ncat \"$CERTCTL_KEY\" > {}/key.pem\necho deployed\n",
            w.deployed.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&w.hook, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(&w.password, "p12-test-password\n").unwrap();
    fs::set_permissions(&w.password, fs::Permissions::from_mode(0o600)).unwrap();
    fs::write(
        &w.config,
        format!(
            r#"[[cert]]
name = "lb"
dns = ["lb.example.internal"]
out-dir = "{out}"
ca-dir = "{ca}"
formats = ["pem", "pkcs12"]
p12-password-file = "{pw}"
deploy-hook = "{hook}"
"#,
            out = w.root.join("srv/tls/lb").display(),
            ca = w.ca.display(),
            pw = w.password.display(),
            hook = w.hook.display(),
        ),
    )
    .unwrap();
    let (code, _, err) = run(["ca", "init", "--at", AT, "--dir", &s(&w.ca)]);
    assert_eq!(code, 0, "{err}");
    w
}

/// One command and the paths it trusts.
struct Case {
    name: &'static str,
    args: Vec<String>,
    paths: Vec<(PathBuf, Use)>,
}

fn cases(w: &World, input: &Path) -> Vec<Case> {
    let r = &w.root;
    let strs = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let args = |base: &[&str], more: Vec<String>| {
        let mut a = strs(base);
        a.extend(more);
        a
    };
    vec![
        Case {
            name: "issue onprem",
            args: args(
                &[
                    "issue",
                    "onprem",
                    "--dns",
                    "lb.example.internal",
                    "--at",
                    AT,
                ],
                vec!["--out-dir".into(), s(&r.join("srv/tls/issued"))],
            ),
            paths: vec![(r.join("srv/tls/issued"), Use::Dir)],
        },
        Case {
            name: "issue onprem --ca --p12-password-file",
            args: args(
                &[
                    "issue",
                    "onprem",
                    "--dns",
                    "lb.example.internal",
                    "--at",
                    AT,
                ],
                vec![
                    "--ca".into(),
                    s(&w.ca),
                    "--format".into(),
                    "pkcs12".into(),
                    "--p12-password-file".into(),
                    s(&w.password),
                    "--out-dir".into(),
                    s(&r.join("srv/tls/issued-ca")),
                ],
            ),
            paths: vec![
                (w.ca.clone(), Use::Dir),
                (w.password.clone(), Use::TrustedFile),
                (r.join("srv/tls/issued-ca"), Use::Dir),
            ],
        },
        Case {
            name: "issue client --ca",
            args: args(
                &["issue", "client", "--cn", "apigw-client", "--at", AT],
                vec![
                    "--ca".into(),
                    s(&w.ca),
                    "--out-dir".into(),
                    s(&r.join("srv/tls/client")),
                ],
            ),
            paths: vec![
                (w.ca.clone(), Use::Dir),
                (r.join("srv/tls/client"), Use::Dir),
            ],
        },
        Case {
            name: "ca init",
            args: args(
                &["ca", "init", "--at", AT],
                vec!["--dir".into(), s(&r.join("srv/pki/new-ca"))],
            ),
            paths: vec![(r.join("srv/pki/new-ca"), Use::Dir)],
        },
        Case {
            name: "ca init --force",
            args: args(
                &["ca", "init", "--force", "--at", AT],
                vec!["--dir".into(), s(&w.ca)],
            ),
            paths: vec![(w.ca.clone(), Use::Dir)],
        },
        Case {
            name: "rotate (CA, PKCS#12 password, deploy hook)",
            args: args(
                &["rotate", "--force", "--at", AT],
                vec!["--config".into(), s(&w.config)],
            ),
            paths: vec![
                (w.config.clone(), Use::TrustedFile),
                (w.hook.clone(), Use::TrustedFile),
                (w.password.clone(), Use::TrustedFile),
                (w.ca.clone(), Use::Dir),
                (r.join("srv/tls/lb"), Use::Dir),
            ],
        },
        Case {
            name: "scan --metrics",
            args: args(
                &["scan", "--at", AT],
                vec![
                    s(input),
                    "--metrics".into(),
                    s(&r.join("var/lib/metrics/certctl.prom")),
                ],
            ),
            paths: vec![(r.join("var/lib/metrics/certctl.prom"), Use::WriteFile)],
        },
        Case {
            name: "check --fix-chain",
            args: args(
                &["check", "--at", AT],
                vec![
                    s(&input.join("reversed.pem")),
                    "--hostname".into(),
                    "lb.example.internal".into(),
                    "--trust-store".into(),
                    s(&input.join("root.pem")),
                    "--fix-chain".into(),
                    s(&r.join("var/lib/fix/fixed.pem")),
                ],
            ),
            paths: vec![(r.join("var/lib/fix/fixed.pem"), Use::WriteFile)],
        },
        Case {
            name: "man --dir",
            args: vec!["man".into(), "--dir".into(), s(&r.join("usr/share/man1"))],
            paths: vec![(r.join("usr/share/man1"), Use::Dir)],
        },
        Case {
            name: "truststore bundle --for alb",
            args: vec![
                "truststore".into(),
                "bundle".into(),
                "--for".into(),
                "alb".into(),
                s(&input.join("root.pem")),
                "--out".into(),
                s(&r.join("var/lib/bundle/alb.pem")),
            ],
            paths: vec![(r.join("var/lib/bundle/alb.pem"), Use::WriteFile)],
        },
        Case {
            name: "truststore export",
            args: vec![
                "truststore".into(),
                "export".into(),
                "--out".into(),
                s(&r.join("var/lib/export/apigw.pem")),
            ],
            paths: vec![(r.join("var/lib/export/apigw.pem"), Use::WriteFile)],
        },
    ]
}

/// The chain `check` and `scan` read (outside the tree under test).
fn input(d: &Path) -> PathBuf {
    let dir = d.join("input");
    fs::create_dir(&dir).unwrap();
    let ch = chain("lb.example.internal");
    write(&dir, "leaf.pem", &ch.leaf.pem);
    write(&dir, "inter.pem", &ch.inter.pem);
    write(&dir, "root.pem", &ch.root.pem);
    // Out of order: `check --fix-chain` writes the fixed chain.
    write(
        &dir,
        "reversed.pem",
        format!("{}{}", ch.inter.pem, ch.leaf.pem),
    );
    dir
}

/// What the other user does to one component.
#[derive(Debug, Clone, Copy)]
enum Tamper {
    /// Hands it to the other user.
    Owner,
    /// Makes it writable by group and others.
    Writable,
    /// Replaces it with the other user's link to a faithful copy.
    Link,
}

/// Every component from the world's root down to `path` that exists now.
fn existing_components(root: &Path, path: &Path) -> Vec<PathBuf> {
    let rel = path.strip_prefix(root).unwrap();
    let mut out = vec![root.to_path_buf()];
    let mut cur = root.to_path_buf();
    for c in rel.components() {
        cur.push(c);
        if fs::symlink_metadata(&cur).is_ok() {
            out.push(cur.clone());
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    let m = fs::symlink_metadata(from).unwrap();
    if m.is_dir() {
        fs::create_dir(to).unwrap();
        for e in fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            copy_tree(&e.path(), &to.join(e.file_name()));
        }
    } else if m.file_type().is_symlink() {
        symlink(fs::read_link(from).unwrap(), to).unwrap();
        return;
    } else {
        fs::copy(from, to).unwrap();
    }
    fs::set_permissions(to, m.permissions()).unwrap();
}

/// Applies `t` to `at`; returns how to undo it.
fn tamper(t: Tamper, at: &Path, uid: u32, stash: &Path, victim: &Path) -> Box<dyn FnOnce()> {
    let at = at.to_path_buf();
    let m = fs::symlink_metadata(&at).unwrap();
    match t {
        Tamper::Owner => {
            std::os::unix::fs::lchown(&at, Some(uid), None).unwrap();
            let (u, g) = (m.uid(), m.gid());
            Box::new(move || std::os::unix::fs::lchown(&at, Some(u), Some(g)).unwrap())
        }
        Tamper::Writable => {
            let mode = m.mode() & 0o7777;
            fs::set_permissions(&at, fs::Permissions::from_mode(mode | 0o022)).unwrap();
            Box::new(move || fs::set_permissions(&at, fs::Permissions::from_mode(mode)).unwrap())
        }
        Tamper::Link => {
            fs::rename(&at, stash).unwrap();
            copy_tree(stash, victim);
            symlink(victim, &at).unwrap();
            std::os::unix::fs::lchown(&at, Some(uid), Some(uid)).unwrap();
            let stash = stash.to_path_buf();
            Box::new(move || {
                fs::remove_file(&at).unwrap();
                fs::rename(&stash, &at).unwrap();
            })
        }
    }
}

#[test]
fn every_ancestor_of_every_trusted_path_is_refused_when_another_user_controls_it() {
    require_root();
    let uid = other_uid();
    let d = tempdir();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let input = input(d.path());
    let mut refused = 0;
    for case_index in 0.. {
        // A fresh world per case: the untampered run must succeed in it first.
        let ok = d.path().join(format!("ok{case_index}"));
        fs::create_dir(&ok).unwrap();
        let w_ok = world(&ok);
        let all = cases(&w_ok, &input);
        let Some(case) = all.into_iter().nth(case_index) else {
            break;
        };
        let (code, out, err) = run(&case.args);
        assert_eq!(
            code, 0,
            "{}: the untampered run fails:\n{out}{err}",
            case.name
        );
        let base = d.path().join(format!("case{case_index}"));
        fs::create_dir(&base).unwrap();
        let w = world(&base);
        let case = cases(&w, &input).into_iter().nth(case_index).unwrap();
        let victims = base.join("victims");
        let stash = base.join("stash");
        fs::create_dir(&victims).unwrap();
        fs::create_dir(&stash).unwrap();
        let before = snapshot(&w.root);
        let mut n = 0;
        for (path, use_) in &case.paths {
            for at in existing_components(&w.root, path) {
                let is_end = &at == path;
                for t in [Tamper::Owner, Tamper::Writable, Tamper::Link] {
                    // A file certctl writes is replaced by rename: who owns the old one, or
                    // its mode, cannot redirect anything. A link there is refused.
                    if is_end && *use_ == Use::WriteFile && !matches!(t, Tamper::Link) {
                        continue;
                    }
                    n += 1;
                    let victim = victims.join(n.to_string());
                    let undo = tamper(t, &at, uid, &stash.join(n.to_string()), &victim);
                    let victim_before = fs::symlink_metadata(&victim).is_ok().then(|| {
                        if victim.is_dir() {
                            snapshot(&victim)
                        } else {
                            snapshot(victim.parent().unwrap())
                        }
                    });
                    let tampered = snapshot(&w.root);
                    let (code, out, err) = run(&case.args);
                    let said = format!("{out}{err}");
                    let what = format!("{}: {t:?} at {}", case.name, at.display());
                    assert_eq!(code, 2, "{what}: must be refused with exit 2:\n{said}");
                    assert!(
                        said.contains(&s(&at)),
                        "{what}: the message must name the tampered component:\n{said}"
                    );
                    assert_no_panic(&err);
                    assert_eq!(tampered, snapshot(&w.root), "{what}: the tree changed");
                    if let Some(vb) = victim_before {
                        let now = if victim.is_dir() {
                            snapshot(&victim)
                        } else {
                            snapshot(victim.parent().unwrap())
                        };
                        assert_eq!(vb, now, "{what}: the link's target changed");
                    }
                    undo();
                    assert_eq!(before, snapshot(&w.root), "{what}: not restored");
                    refused += 1;
                }
            }
        }
        assert!(n >= case.paths.len() * 3, "{}: only {n} tampers", case.name);
    }
    eprintln!("ancestors: {refused} tampered runs refused with exit 2, nothing changed");
    assert!(refused > 100, "{refused}");
}

/// The flags whose value is a path, by subcommand, from the binary's own help: every one is
/// either covered by the cases above or named here as untrusted input with the reason.
#[test]
fn every_path_flag_of_every_subcommand_is_classified() {
    fn subcommands(prefix: &[String], out: &mut Vec<Vec<String>>) {
        let mut args = prefix.to_vec();
        args.push("--help".into());
        let (_, help, _) = run(&args);
        out.push(prefix.to_vec());
        let mut in_commands = false;
        for line in help.lines() {
            if line.starts_with("Commands:") {
                in_commands = true;
                continue;
            }
            if in_commands {
                if !line.starts_with("  ") || line.trim().is_empty() {
                    if !line.starts_with("    ") {
                        in_commands = !line.trim().is_empty() && line.starts_with(' ');
                    }
                    if !in_commands {
                        continue;
                    }
                }
                if line.starts_with("  ") && !line.starts_with("    ") {
                    let name = line.split_whitespace().next().unwrap().to_string();
                    if name != "help" {
                        let mut p = prefix.to_vec();
                        p.push(name);
                        subcommands(&p, out);
                    }
                }
            }
        }
    }
    let mut all = Vec::new();
    subcommands(&[], &mut all);
    assert!(all.len() > 20, "found only {} subcommands", all.len());
    // Covered above (written as root, or trusted to decide what root runs).
    let covered: BTreeSet<&str> = [
        "issue onprem --out-dir",
        "issue onprem --ca",
        "issue onprem --p12-password-file",
        "issue client --out-dir",
        "issue client --ca",
        "ca init --dir",
        "rotate --config",
        "scan --metrics",
        "check --fix-chain",
        "man --dir",
        "truststore export --out",
        "truststore bundle --out",
    ]
    .into();
    // Written through the same fsx::write_atomic, but the command needs more than this suite
    // builds (the AWS emulator, a saved AWS page); tests/hostile_paths.rs covers the mechanism.
    let same_writer: BTreeSet<&str> = [
        "doctor --metrics",
        "acm audit --metrics",
        "truststore update --out",
    ]
    .into();
    // Read through the same safepath::open_file as the password file covered above (and
    // refused when group or others can read it, tests/acm_import.rs), but the command needs the
    // AWS emulator, which this suite does not build.
    // `mtls --client-set` reads the set (its key too) through certset's directory handle, as
    // `rotate` reads the sets it renews; the command needs the emulator (tests/mtls.rs).
    let same_reader: BTreeSet<&str> = [
        "acm import --key",
        "mtls plan --client-set",
        "mtls apply --client-set",
    ]
    .into();
    // Read as untrusted input: judged, never run or written as root.
    let untrusted: BTreeSet<&str> = [
        "acm import --cert",
        "acm import --chain",
        "check --chain",
        "check --trust-store",
        "check --policy",
        "truststore update --from",
        "doctor --trust-store",
        "truststore lint --client",
        // CA certificates (a file, or a CA directory's ca.pem through its handle): only judged
        // and uploaded as the bundle, never a key.
        "mtls plan --ca",
        "mtls apply --ca",
    ]
    .into();
    let mut unclassified = Vec::new();
    let mut seen = BTreeSet::new();
    for cmd in &all {
        let mut args = cmd.clone();
        args.push("--help".into());
        let (_, help, _) = run(&args);
        for line in help.lines() {
            let t = line.trim_start();
            let Some(flag) = t.split_whitespace().find(|w| w.starts_with("--")) else {
                continue;
            };
            let flag = flag.trim_end_matches(',');
            let value = t.split_whitespace().skip_while(|w| *w != flag).nth(1);
            let Some(value) = value else { continue };
            let is_path = value
                .trim_start_matches('<')
                .trim_end_matches(['>', '.'])
                .split('|')
                .any(|v| matches!(v, "DIR" | "FILE" | "PATH" | "OUT"));
            if !is_path {
                continue;
            }
            let key = format!("{} {flag}", cmd.join(" "));
            seen.insert(key.clone());
            if !covered.contains(key.as_str())
                && !same_writer.contains(key.as_str())
                && !untrusted.contains(key.as_str())
                && !same_reader.contains(key.as_str())
            {
                unclassified.push(key);
            }
        }
    }
    assert!(
        unclassified.is_empty(),
        "path flags no test here covers or classifies: {unclassified:?}"
    );
    for key in &covered {
        assert!(seen.contains(*key), "{key} is not a path flag any more");
    }
}

/// Starts `script` as the other user (a loop that swaps names while certctl runs).
fn as_other_user(uid: u32, script: &str) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .uid(uid)
        .gid(uid)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// A race's start: the other user, a private temp tree, and that user's own set.
struct Race {
    uid: u32,
    d: tempfile::TempDir,
    victim: PathBuf,
    foreign_key: String,
}

fn race() -> Race {
    require_root();
    let uid = other_uid();
    let d = tempdir();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let (victim, foreign_key) = attackers_set(d.path());
    std::os::unix::fs::chown(&victim, Some(uid), Some(uid)).unwrap();
    Race {
        uid,
        d,
        victim,
        foreign_key,
    }
}

/// A set made by the other user, with its own key: what a redirected run would deploy.
fn attackers_set(d: &Path) -> (PathBuf, String) {
    let v = d.join("victim");
    let (code, _, err) = run([
        "issue",
        "onprem",
        "--dns",
        "lb.example.internal",
        "--at",
        AT,
        "--out-dir",
        &s(&v.join("lb")),
    ]);
    assert_eq!(code, 0, "{err}");
    let key = fs::read_to_string(v.join("lb/key.pem")).unwrap();
    (v, key)
}

fn rotate_config(d: &Path, out: &Path, deployed: &Path) -> PathBuf {
    let hook = write(
        d,
        "reload.sh",
        format!(
            "#!/bin/sh\nsleep 0.05\ncat \"$CERTCTL_KEY\" > {}/key.pem\n",
            deployed.display()
        ),
    );
    fs::set_permissions(&hook, fs::Permissions::from_mode(0o755)).unwrap();
    write(
        d,
        "rotate.toml",
        format!(
            "[[cert]]\nname = \"lb\"\ndns = [\"lb.example.internal\"]\nout-dir = \"{}\"\ndeploy-hook = \"{}\"\n",
            out.display(),
            hook.display()
        ),
    )
}

/// The issue's case: root's out-dir lies below a directory another user owns, and that user
/// swaps the directory under it for a link to their own set, as fast as it can, while root's
/// cron job rotates. Every run is refused at the foreign ancestor, whatever the timing: 0 writes
/// outside, 0 foreign keys deployed.
#[test]
fn a_user_swapping_an_ancestor_it_owns_never_redirects_a_rotation() {
    let Race {
        uid,
        d,
        victim,
        foreign_key,
    } = race();
    let home = d.path().join("home/alice");
    fs::create_dir_all(home.join("tls")).unwrap();
    std::os::unix::fs::chown(&home, Some(uid), Some(uid)).unwrap();
    let deployed = d.path().join("deployed");
    fs::create_dir(&deployed).unwrap();
    let config = rotate_config(d.path(), &home.join("tls/lb"), &deployed);
    let victim_before = snapshot(&victim);
    let h = s(&home);
    let v = s(&victim);
    let mut swapper = as_other_user(
        uid,
        &format!(
            "while :; do mv {h}/tls {h}/tls.real && ln -s {v} {h}/tls; rm -f {h}/tls; mv {h}/tls.real {h}/tls; done"
        ),
    );
    let mut codes = BTreeSet::new();
    for _ in 0..30 {
        let (code, out, err) = run(["rotate", "--force", "--at", AT, "--config", &s(&config)]);
        assert!(
            (out.clone() + &err).contains(&h),
            "the refusal names the foreign ancestor:\n{out}{err}"
        );
        codes.insert(code);
    }
    swapper.kill().unwrap();
    swapper.wait().unwrap();
    assert_eq!(codes, BTreeSet::from([2]), "every run is refused");
    assert_eq!(
        victim_before,
        snapshot(&victim),
        "the other user's set changed"
    );
    let deployed_key = fs::read_to_string(deployed.join("key.pem")).unwrap_or_default();
    assert!(deployed_key != foreign_key, "a foreign key was deployed");
    assert!(deployed_key.is_empty(), "the hook ran for a refused set");
}

/// Root's own tree: the other user tries, in a loop, to swap every ancestor of the output
/// directory (and the directory itself) for a link to their own set while rotate writes and its
/// hook reads `$CERTCTL_KEY`. None of those names is theirs to change, so every deployed key is
/// the one certctl wrote, and their set is untouched.
#[test]
fn swapping_every_ancestor_during_rotations_and_hooks_deploys_no_foreign_key() {
    let Race {
        uid,
        d,
        victim,
        foreign_key,
    } = race();
    let out = d.path().join("srv/tls/lb");
    fs::create_dir_all(out.parent().unwrap()).unwrap();
    let deployed = d.path().join("deployed");
    fs::create_dir(&deployed).unwrap();
    let config = rotate_config(d.path(), &out, &deployed);
    let ancestors: Vec<String> = existing_components(d.path(), &out)
        .iter()
        .chain([out.clone()].iter())
        .map(|p| s(p))
        .collect();
    let v = s(&victim);
    let tries = d.path().join("tries");
    fs::write(&tries, "").unwrap();
    std::os::unix::fs::chown(&tries, Some(uid), Some(uid)).unwrap();
    let t = s(&tries);
    let victim_before = snapshot(&victim);
    let mut swapper = as_other_user(
        uid,
        &format!(
            "while :; do for a in {list}; do mv \"$a\" \"$a.x\" 2>/dev/null || echo refused >> {t}; ln -sfn {v} \"$a.l\" 2>/dev/null; mv -T \"$a.l\" \"$a\" 2>/dev/null; done; done",
            list = ancestors.join(" ")
        ),
    );
    for i in 0..25 {
        let (code, o, err) = run(["rotate", "--force", "--at", AT, "--config", &s(&config)]);
        assert_eq!(code, 0, "run {i}:\n{o}{err}");
        let deployed_key = fs::read_to_string(deployed.join("key.pem")).unwrap();
        assert_ne!(
            deployed_key, foreign_key,
            "run {i}: a foreign key was deployed"
        );
        let current = fs::read_link(out.join(".current")).unwrap();
        let written = fs::read_to_string(out.join(&current).join("key.pem")).unwrap();
        assert_eq!(
            deployed_key, written,
            "run {i}: the hook deployed another key"
        );
    }
    swapper.kill().unwrap();
    swapper.wait().unwrap();
    let refused = fs::read_to_string(&tries).unwrap().lines().count();
    assert!(
        refused > 25,
        "the other user barely tried ({refused} swaps refused)"
    );
    let _ = fs::remove_file(format!("{}.l", d.path().display()));
    assert_eq!(
        victim_before,
        snapshot(&victim),
        "the other user's set changed"
    );
}

/// Creating a directory certctl needs is I/O: on a read-only or a full file system it exits 3
/// (the check could not be made), never 2 (bad input).
#[test]
fn creating_a_directory_on_a_read_only_or_full_file_system_exits_3() {
    require_root();
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let d = tempdir();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let mut guards = Vec::new();
    for (name, opts) in [
        ("ro", "ro,size=64k,mode=0755"),
        ("full", "size=16k,nr_inodes=3,mode=0755"),
    ] {
        let mnt = d.path().join(name);
        fs::create_dir(&mnt).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(&mnt)
            .status()
            .unwrap()
            .success();
        assert!(ok, "cannot mount a tmpfs at {}", mnt.display());
        guards.push(Unmount(mnt.clone()));
        if name == "full" {
            // Use up the inodes: no directory can be made.
            for i in 0..8 {
                let _ = fs::create_dir(mnt.join(format!("f{i}")));
            }
        }
        for args in [
            vec![
                "issue".to_string(),
                "onprem".into(),
                "--dns".into(),
                "lb.example.internal".into(),
                "--at".into(),
                AT.into(),
                "--out-dir".into(),
                s(&mnt.join("new/lb")),
            ],
            vec![
                "ca".into(),
                "init".into(),
                "--at".into(),
                AT.into(),
                "--dir".into(),
                s(&mnt.join("new/ca")),
            ],
            vec!["man".into(), "--dir".into(), s(&mnt.join("new/man"))],
        ] {
            let (code, out, err) = run(&args);
            assert_eq!(code, 3, "{name}: {args:?}:\n{out}{err}");
            assert!(err.contains("cannot create"), "{name}: {err}");
        }
    }
}

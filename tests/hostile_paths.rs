//! Hostile paths: another local user plants symbolic links at every name certctl creates, reads
//! or removes in an output directory and in a CA directory, or hands it a directory it does not
//! own or that others can write. Every command that writes there must refuse (exit 2, naming the
//! planted path), and nothing outside the directory may change (a listing with the SHA-256 of
//! every file of a "victim" directory, before and after). Needs root (CI runs as root): the
//! foreign-owner cases chown to nobody.

mod support;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use support::*;

/// A directory another user points certctl at: files, and directories named like certctl's
/// versions to lure pruning.
fn victim(d: &Path) -> PathBuf {
    let v = d.join("victim");
    fs::create_dir_all(v.join("sub")).unwrap();
    fs::write(v.join("a.txt"), "precious a").unwrap();
    fs::write(v.join("sub/b.txt"), "precious b").unwrap();
    for id in [
        "20200101000000-0000000000000000",
        "20200201000000-1111111111111111",
        "0-adopted",
    ] {
        fs::create_dir(v.join(id)).unwrap();
        fs::write(v.join(id).join("cert.pem"), format!("lure {id}")).unwrap();
        fs::write(v.join(id).join("key.pem"), format!("lure key {id}")).unwrap();
    }
    v
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn require_root() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "tests/hostile_paths.rs needs root (the foreign-owner cases chown to nobody); CI runs as root"
    );
}

/// A complete output directory with a current and a previous version.
fn out_dir(d: &Path, name: &str) -> PathBuf {
    let out = d.join(name);
    for force in [false, true] {
        let mut a = vec![
            "issue",
            "onprem",
            "--dns",
            "lb.example.internal",
            "--at",
            AT,
        ];
        let o = s(&out);
        a.extend(["--out-dir", &o]);
        if force {
            a.push("--force");
        }
        let (code, _, err) = run(&a);
        assert_eq!(code, 0, "{err}");
    }
    out
}

/// A complete CA directory with a current and a previous version.
fn ca_dir(d: &Path, name: &str) -> PathBuf {
    let ca = d.join(name);
    for force in [false, true] {
        let mut a = vec!["ca", "init", "--at", AT];
        let c = s(&ca);
        a.extend(["--dir", &c]);
        if force {
            a.push("--force");
        }
        let (code, _, err) = run(&a);
        assert_eq!(code, 0, "{err}");
    }
    ca
}

fn link_id(dir: &Path, name: &str) -> String {
    let t = fs::read_link(dir.join(name)).unwrap();
    t.file_name().unwrap().to_string_lossy().into_owned()
}

/// A pid that is certainly not running (a child that has exited and been reaped).
fn dead_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

/// Every command that writes into an output directory.
fn out_writers(d: &Path, out: &Path) -> Vec<Vec<String>> {
    let cfg = write(
        d,
        &format!("{}.toml", out.file_name().unwrap().to_string_lossy()),
        format!(
            "[[cert]]\nname = \"lb\"\ndns = [\"lb.example.internal\"]\nout-dir = \"{}\"\ndays = 30\n",
            out.display()
        ),
    );
    let issue = |force: bool| {
        let mut a: Vec<String> = [
            "issue",
            "onprem",
            "--dns",
            "lb.example.internal",
            "--at",
            AT,
        ]
        .map(String::from)
        .to_vec();
        a.extend(["--out-dir".into(), s(out)]);
        if force {
            a.push("--force".into());
        }
        a
    };
    let rotate = |force: bool| {
        let mut a: Vec<String> = ["rotate", "--at", AT, "--config"]
            .map(String::from)
            .to_vec();
        a.push(s(&cfg));
        if force {
            a.push("--force".into());
        }
        a
    };
    vec![issue(false), issue(true), rotate(false), rotate(true)]
}

/// Runs `args`, which must refuse with exit 2 naming `needle`, leaving `watched` unchanged.
fn assert_refused(args: &[String], needle: &str, watched: &[&Path]) {
    let before: Vec<_> = watched.iter().map(|w| snapshot(w)).collect();
    let (code, out, err) = run(args);
    let all = format!("{out}{err}");
    assert_eq!(code, 2, "{args:?} must refuse ({needle}):\n{all}");
    assert!(
        all.contains(needle),
        "{args:?}: the message must name {needle}:\n{all}"
    );
    let after: Vec<_> = watched.iter().map(|w| snapshot(w)).collect();
    assert_eq!(
        before, after,
        "{args:?} changed something outside the directory"
    );
}

type Plant = fn(&Path, &Path) -> PathBuf;

#[test]
fn planted_links_in_an_output_directory_are_refused_and_nothing_outside_changes() {
    require_root();
    let d = tempdir();
    let victim = victim(d.path());
    let plants: Vec<(&str, Plant)> = vec![
        (".sets", |out, v| {
            fs::remove_dir_all(out.join(".sets")).unwrap();
            symlink(v, out.join(".sets")).unwrap();
            out.join(".sets")
        }),
        (".current", |out, v| {
            fs::remove_file(out.join(".current")).unwrap();
            symlink(
                v.join("20200101000000-0000000000000000"),
                out.join(".current"),
            )
            .unwrap();
            out.join(".current")
        }),
        (
            ".current (a version-shaped name that leaves .sets)",
            |out, _| {
                fs::remove_file(out.join(".current")).unwrap();
                symlink(".sets/../../victim", out.join(".current")).unwrap();
                out.join(".current")
            },
        ),
        (".previous", |out, v| {
            fs::remove_file(out.join(".previous")).unwrap();
            symlink(v, out.join(".previous")).unwrap();
            out.join(".previous")
        }),
        (".pending", |out, v| {
            symlink(v.join("pending"), out.join(".pending")).unwrap();
            out.join(".pending")
        }),
        (".lock", |out, v| {
            fs::remove_file(out.join(".lock")).unwrap();
            symlink(v.join("created-by-root"), out.join(".lock")).unwrap();
            out.join(".lock")
        }),
        ("a temp name of a dead run", |out, v| {
            let p = out.join(format!(".certctl-tmp.key.pem.{}.0", dead_pid()));
            symlink(v.join("a.txt"), &p).unwrap();
            p
        }),
        ("the current version directory", |out, v| {
            let id = link_id(out, ".current");
            let p = out.join(".sets").join(&id);
            fs::remove_dir_all(&p).unwrap();
            symlink(v.join("20200201000000-1111111111111111"), &p).unwrap();
            p
        }),
        ("the previous version directory", |out, v| {
            let id = link_id(out, ".previous");
            let p = out.join(".sets").join(&id);
            fs::remove_dir_all(&p).unwrap();
            symlink(v, &p).unwrap();
            p
        }),
        ("a file inside the current version", |out, v| {
            let id = link_id(out, ".current");
            let p = out.join(".sets").join(&id).join("key.pem");
            fs::remove_file(&p).unwrap();
            symlink(v.join("a.txt"), &p).unwrap();
            p
        }),
        ("cert.pem pointing outside", |out, v| {
            fs::remove_file(out.join("cert.pem")).unwrap();
            symlink(v.join("a.txt"), out.join("cert.pem")).unwrap();
            out.join("cert.pem")
        }),
    ];
    for (i, (what, plant)) in plants.into_iter().enumerate() {
        let out = out_dir(d.path(), &format!("out{i}"));
        let planted = plant(&out, &victim);
        for args in out_writers(d.path(), &out) {
            assert_refused(&args, &s(&planted), &[&victim]);
        }
        eprintln!("refused: {what} ({})", planted.display());
    }
    assert_eq!(fs::read(victim.join("a.txt")).unwrap(), b"precious a");
}

#[test]
fn output_directories_with_a_foreign_owner_or_open_mode_are_refused() {
    require_root();
    let d = tempdir();
    let victim = victim(d.path());
    for (i, (mode, owner, needle)) in [
        (0o1777, None, "shared directory"),
        (0o777, None, "chmod go-w"),
        (0o775, None, "chmod go-w"),
        (0o755, Some(65534), "chown"),
    ]
    .into_iter()
    .enumerate()
    {
        let out = out_dir(d.path(), &format!("shared{i}"));
        fs::set_permissions(&out, fs::Permissions::from_mode(mode)).unwrap();
        if let Some(uid) = owner {
            std::os::unix::fs::chown(&out, Some(uid), Some(uid)).unwrap();
        }
        for args in out_writers(d.path(), &out) {
            let before = snapshot(&out);
            assert_refused(&args, needle, &[&victim]);
            assert_eq!(
                before,
                snapshot(&out),
                "{args:?} wrote into {}",
                out.display()
            );
        }
    }
    // A new directory under a shared parent is created safe, and used.
    let (code, _, err) = run([
        "issue",
        "onprem",
        "--dns",
        "lb.example.internal",
        "--at",
        AT,
        "--out-dir",
        &s(&d.path().join("fresh")),
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn files_written_by_path_refuse_a_shared_or_foreign_parent() {
    require_root();
    let d = tempdir();
    let certs = d.path().join("certs");
    fs::create_dir(&certs).unwrap();
    let ch = chain("lb.example.internal");
    let leaf = write(&certs, "lb.pem", &ch.leaf.pem);
    let inter = write(d.path(), "inter.pem", &ch.inter.pem);
    let root = write(d.path(), "root.pem", &ch.root.pem);
    for (i, (mode, owner, needle)) in [
        (0o1777, None, "shared directory"),
        (0o770, None, "chmod go-w"),
        (0o755, Some(65534), "chown"),
    ]
    .into_iter()
    .enumerate()
    {
        let shared = d.path().join(format!("shared{i}"));
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(mode)).unwrap();
        if let Some(uid) = owner {
            std::os::unix::fs::chown(&shared, Some(uid), Some(uid)).unwrap();
        }
        let metrics = s(&shared.join("certctl.prom"));
        let export = s(&shared.join("apigw.pem"));
        let fixed = s(&shared.join("fixed.pem"));
        for args in [
            vec![
                "scan".to_string(),
                s(&certs),
                "--at".into(),
                AT.into(),
                "--metrics".into(),
                metrics,
            ],
            vec!["truststore".into(), "export".into(), "--out".into(), export],
            vec![
                "check".into(),
                s(&leaf),
                "--trust-store".into(),
                s(&root),
                "--chain".into(),
                s(&inter),
                "--at".into(),
                AT.into(),
                "--fix-chain".into(),
                fixed,
            ],
        ] {
            assert_refused(&args, needle, &[]);
            assert_eq!(fs::read_dir(&shared).unwrap().count(), 0, "{args:?} wrote");
        }
    }
}

#[test]
fn taking_the_lock_leaves_files_that_are_not_certctls() {
    let d = tempdir();
    let out = out_dir(d.path(), "out");
    let theirs = [
        (".backup.tmp.2024", "operator backup"),
        (".nginx.link.conf", "nginx include"),
        (".cert.pem.tmp.1.0", "old-style name, not certctl's"),
        (".certctl-tmp.cert.pem", "no pid: not certctl's format"),
    ];
    for (n, text) in theirs {
        write(&out, n, text);
    }
    // certctl's own leftover from a killed run: its exact format, a dead pid.
    let stale = out.join(format!(".certctl-tmp.cert.pem.{}.0", dead_pid()));
    fs::write(&stale, "half written").unwrap();
    // Every writer but a plain `issue` (which refuses an existing pair, after taking the lock).
    for args in out_writers(d.path(), &out).into_iter().skip(1) {
        let (code, o, e) = run(&args);
        assert_eq!(code, 0, "{args:?}: {o}{e}");
        for (n, text) in theirs {
            assert_eq!(
                fs::read_to_string(out.join(n)).unwrap_or_default(),
                text,
                "{args:?} touched {n}"
            );
        }
    }
    assert!(!stale.exists(), "certctl's stale temp file is cleaned");
}

/// A link in `.sets` that certctl did not make, at a version-shaped name that is not in use:
/// pruning leaves it (and what it points to) alone, and the run succeeds.
#[test]
fn pruning_never_follows_or_removes_a_planted_version() {
    let d = tempdir();
    let victim = victim(d.path());
    let out = out_dir(d.path(), "out");
    symlink(&victim, out.join(".sets/20190101000000-2222222222222222")).unwrap();
    fs::create_dir(out.join(".sets/20190101000000-3333333333333333")).unwrap();
    fs::write(
        out.join(".sets/20190101000000-3333333333333333/notes.txt"),
        "mine",
    )
    .unwrap();
    let before = snapshot(&victim);
    for _ in 0..4 {
        let (code, o, e) = run([
            "issue",
            "onprem",
            "--dns",
            "lb.example.internal",
            "--at",
            AT,
            "--force",
            "--out-dir",
            &s(&out),
        ]);
        assert_eq!(code, 0, "{o}{e}");
    }
    assert_eq!(before, snapshot(&victim));
    assert!(fs::symlink_metadata(out.join(".sets/20190101000000-2222222222222222")).is_ok());
    assert_eq!(
        fs::read(out.join(".sets/20190101000000-3333333333333333/notes.txt")).unwrap(),
        b"mine"
    );
    // certctl's own old versions are pruned (current, previous and one more are kept).
    let ours = fs::read_dir(out.join(".sets"))
        .unwrap()
        .filter(|e| {
            !e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("2019")
        })
        .count();
    assert_eq!(ours, 3);
}

#[test]
fn planted_links_in_a_ca_directory_are_refused_and_nothing_outside_changes() {
    require_root();
    let d = tempdir();
    let victim = victim(d.path());
    let plants: Vec<(&str, Plant)> = vec![
        ("ca.pem", |ca, v| {
            fs::remove_file(ca.join("ca.pem")).unwrap();
            symlink(v.join("a.txt"), ca.join("ca.pem")).unwrap();
            ca.join("ca.pem")
        }),
        ("ca.key", |ca, v| {
            fs::remove_file(ca.join("ca.key")).unwrap();
            symlink(v.join("a.txt"), ca.join("ca.key")).unwrap();
            ca.join("ca.key")
        }),
        (".sets", |ca, v| {
            fs::remove_dir_all(ca.join(".sets")).unwrap();
            symlink(v, ca.join(".sets")).unwrap();
            ca.join(".sets")
        }),
        (".current", |ca, v| {
            fs::remove_file(ca.join(".current")).unwrap();
            symlink(v.join("0-adopted"), ca.join(".current")).unwrap();
            ca.join(".current")
        }),
        (".previous", |ca, v| {
            fs::remove_file(ca.join(".previous")).unwrap();
            symlink(v, ca.join(".previous")).unwrap();
            ca.join(".previous")
        }),
        (".lock", |ca, v| {
            fs::remove_file(ca.join(".lock")).unwrap();
            symlink(v.join("created-by-root"), ca.join(".lock")).unwrap();
            ca.join(".lock")
        }),
        ("a temp name of a dead run", |ca, v| {
            let p = ca.join(format!(".certctl-tmp.ca.key.{}.0", dead_pid()));
            symlink(v.join("a.txt"), &p).unwrap();
            p
        }),
        ("the current version directory", |ca, v| {
            let p = ca.join(".sets").join(link_id(ca, ".current"));
            fs::remove_dir_all(&p).unwrap();
            symlink(v, &p).unwrap();
            p
        }),
        ("ca.key inside the current version", |ca, v| {
            let p = ca
                .join(".sets")
                .join(link_id(ca, ".current"))
                .join("ca.key");
            fs::remove_file(&p).unwrap();
            symlink(v.join("a.txt"), &p).unwrap();
            p
        }),
    ];
    for (i, (what, plant)) in plants.into_iter().enumerate() {
        let ca = ca_dir(d.path(), &format!("ca{i}"));
        let planted = plant(&ca, &victim);
        let init: Vec<String> = ["ca", "init", "--force", "--at", AT, "--dir"]
            .map(String::from)
            .into_iter()
            .chain([s(&ca)])
            .collect();
        assert_refused(&init, &s(&planted), &[&victim]);
        let out = d.path().join(format!("leaf{i}"));
        let issue: Vec<String> = [
            "issue",
            "onprem",
            "--dns",
            "lb.example.internal",
            "--at",
            AT,
        ]
        .map(String::from)
        .into_iter()
        .chain(["--ca".into(), s(&ca), "--out-dir".into(), s(&out)])
        .collect();
        assert_refused(&issue, &s(&planted), &[&victim]);
        assert!(!out.exists(), "{what}: issue --ca wrote a leaf");
        eprintln!("refused: {what} ({})", planted.display());
    }
}

/// The case from the field: a CA of plain files (as older versions wrote it) whose `ca.pem` is
/// a planted link. Before, `ca init --force` replaced `ca.key` and then refused `ca.pem`,
/// losing the CA key; now it refuses before writing anything.
#[test]
fn ca_init_force_checks_everything_before_writing_anything() {
    require_root();
    let d = tempdir();
    let victim = victim(d.path());
    let made = ca_dir(d.path(), "made");
    let ca = d.path().join("ca");
    fs::create_dir(&ca).unwrap();
    fs::set_permissions(&ca, fs::Permissions::from_mode(0o700)).unwrap();
    let key = fs::read(made.join("ca.key")).unwrap();
    fs::write(ca.join("ca.key"), &key).unwrap();
    fs::set_permissions(ca.join("ca.key"), fs::Permissions::from_mode(0o600)).unwrap();
    symlink(victim.join("a.txt"), ca.join("ca.pem")).unwrap();
    let before = snapshot(&ca);
    let init: Vec<String> = ["ca", "init", "--force", "--at", AT, "--dir"]
        .map(String::from)
        .into_iter()
        .chain([s(&ca)])
        .collect();
    assert_refused(&init, &s(&ca.join("ca.pem")), &[&victim]);
    assert_eq!(before, snapshot(&ca), "nothing in the CA directory changed");
    assert_eq!(
        fs::read(ca.join("ca.key")).unwrap(),
        key,
        "the CA key is intact"
    );

    // Foreign owner and open modes, for `ca init --force` and for `issue --ca`.
    for (i, (mode, owner, needle)) in [
        (0o1777, None, "shared directory"),
        (0o770, None, "chmod go-w"),
        (0o700, Some(65534), "chown"),
    ]
    .into_iter()
    .enumerate()
    {
        let ca = ca_dir(d.path(), &format!("shared-ca{i}"));
        fs::set_permissions(&ca, fs::Permissions::from_mode(mode)).unwrap();
        if let Some(uid) = owner {
            std::os::unix::fs::chown(&ca, Some(uid), Some(uid)).unwrap();
        }
        let before = snapshot(&ca);
        let init: Vec<String> = ["ca", "init", "--force", "--at", AT, "--dir"]
            .map(String::from)
            .into_iter()
            .chain([s(&ca)])
            .collect();
        assert_refused(&init, needle, &[&victim]);
        let issue: Vec<String> = [
            "issue",
            "onprem",
            "--dns",
            "lb.example.internal",
            "--at",
            AT,
        ]
        .map(String::from)
        .into_iter()
        .chain([
            "--ca".into(),
            s(&ca),
            "--out-dir".into(),
            s(&d.path().join(format!("leaf{i}"))),
        ])
        .collect();
        assert_refused(&issue, needle, &[&victim]);
        assert_eq!(before, snapshot(&ca));
    }
}

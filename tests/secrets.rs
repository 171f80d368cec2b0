//! No output of any command, in any format, at any verbosity, contains private-key bytes.

mod support;

use support::*;

/// Base64 runs of every key file under `dir` (40-character windows of each PEM body).
fn key_fragments(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            } else if path.is_file() {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                if let Some(start) = text.find("-----BEGIN PRIVATE KEY-----") {
                    let body: String = text[start..]
                        .lines()
                        .skip(1)
                        .take_while(|l| !l.starts_with("-----END"))
                        .collect();
                    out.extend(
                        body.as_bytes()
                            .chunks(40)
                            .filter(|c| c.len() == 40)
                            .map(|c| String::from_utf8_lossy(c).into_owned()),
                    );
                }
            }
        }
    }
    out
}

#[test]
fn no_command_prints_key_material() {
    let d = tempdir();
    let p = |n: &str| d.path().join(n).display().to_string();
    let pw = write(d.path(), "pw", "pw\n");
    let cfg = write(d.path(), "onprem.toml", "[[cert]]\nname = \"lb\"\ndns = [\"lb.example.internal\"]\nout-dir = \"lb\"\nformats = [\"haproxy\"]\n");
    let runs: Vec<Vec<String>> = vec![
        vec!["ca".into(), "init".into(), "--dir".into(), p("ca")],
        vec![
            "issue".into(),
            "onprem".into(),
            "--dns".into(),
            "a.example.internal".into(),
            "--ca".into(),
            p("ca"),
            "--format".into(),
            "haproxy,pkcs12".into(),
            "--p12-password-file".into(),
            pw.display().to_string(),
            "--out-dir".into(),
            p("a"),
        ],
        vec![
            "rotate".into(),
            "--config".into(),
            cfg.display().to_string(),
        ],
        vec![
            "rotate".into(),
            "--config".into(),
            cfg.display().to_string(),
            "--force".into(),
        ],
        vec![
            "rotate".into(),
            "--config".into(),
            cfg.display().to_string(),
            "--dry-run".into(),
            "--force".into(),
        ],
        vec![
            "scan".into(),
            d.path().display().to_string(),
            "--hidden".into(),
        ],
        vec!["inspect".into(), p("a/key.pem")],
        vec!["inspect".into(), p("a/haproxy.pem")],
        vec!["check".into(), p("a/haproxy.pem")],
        vec!["check".into(), p("ca/ca.key")],
        vec!["check".into(), p("a/cert.p12")],
        vec!["truststore".into(), "show".into(), "amazonrootca1".into()],
        vec!["policy".into(), "check".into()],
    ];
    let mut outputs = Vec::new();
    for args in &runs {
        for mode in [
            vec!["-v".to_string()],
            vec!["-vv".to_string(), "--json".to_string()],
        ] {
            let mut a = mode.clone();
            a.extend(args.iter().cloned());
            let out = certctl().args(&a).current_dir(d.path()).output().unwrap();
            assert!(out.status.code().is_some(), "{a:?} was killed");
            outputs.push((
                a,
                String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr),
            ));
        }
    }
    let fragments = key_fragments(d.path());
    assert!(
        fragments.len() > 20,
        "the test found the keys it made: {}",
        fragments.len()
    );
    for (args, text) in &outputs {
        assert!(
            !text.contains("PRIVATE KEY"),
            "{args:?} printed a key block:\n{text}"
        );
        for f in &fragments {
            assert!(!text.contains(f.as_str()), "{args:?} printed key bytes");
        }
    }
}

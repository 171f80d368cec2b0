//! What a rollback puts back is what was deployed: a pair of plain files copied over certctl's
//! links (while `.current` still names an older certctl version) is adopted as the rollback
//! target, and after a rollback the top-level names are exactly the files of the version in
//! place (no dangling `haproxy.pem`).

mod support;

use std::fs;
use std::path::Path;

use support::*;

fn config(d: &Path, out: &Path, formats: &str) -> String {
    let cfg = write(
        d,
        "onprem.toml",
        format!(
            "[[cert]]\nname = \"lb\"\ndns = [\"lb.example.internal\"]\nout-dir = \"{}\"\ndays = 30\n\
             formats = [{formats}]\ndeploy-hook = \"exit 1\"\n",
            out.display()
        ),
    );
    cfg.to_str().unwrap().to_string()
}

fn issue(out: &Path, force: bool) {
    let mut a = vec![
        "issue",
        "onprem",
        "--dns",
        "lb.example.internal",
        "--at",
        AT,
    ];
    let o = out.to_str().unwrap().to_string();
    a.extend(["--out-dir", &o]);
    if force {
        a.push("--force");
    }
    let (code, _, err) = run(&a);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_failed_hook_rolls_back_to_the_adopted_plain_pair() {
    let d = tempdir();
    let out = d.path().join("out");
    issue(&out, false); // a certctl version: .current points at it
                        // An operator copies another pair in place by hand, over certctl's links.
    let hand = d.path().join("hand");
    issue(&hand, false);
    for n in ["cert.pem", "key.pem"] {
        fs::remove_file(out.join(n)).unwrap();
        fs::copy(hand.join(n), out.join(n)).unwrap();
    }
    let deployed = (
        fs::read_to_string(out.join("cert.pem")).unwrap(),
        fs::read_to_string(out.join("key.pem")).unwrap(),
    );
    let cfg = config(d.path(), &out, "\"pem\"");
    let (code, doc, _) = run_json(["rotate", "--config", &cfg, "--at", AT, "--force"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["sets"][0]["rolled_back"], true, "{doc:#}");
    assert_eq!(
        fs::read_to_string(out.join("cert.pem")).unwrap(),
        deployed.0,
        "the rollback must restore the pair that was deployed (the plain files), not an older certctl version"
    );
    assert_eq!(fs::read_to_string(out.join("key.pem")).unwrap(), deployed.1);
    // chain.pem and fullchain.pem were still certctl's links: they come back as they were served.
    assert!(fs::read(out.join("fullchain.pem")).is_ok());
}

#[test]
fn after_a_rollback_every_link_resolves() {
    let d = tempdir();
    let out = d.path().join("out");
    issue(&out, false); // no haproxy.pem in this version
    let cfg = config(d.path(), &out, "\"pem\", \"haproxy\"");
    let (code, doc, _) = run_json(["rotate", "--config", &cfg, "--at", AT, "--force"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["sets"][0]["rolled_back"], true, "{doc:#}");
    assert!(
        fs::symlink_metadata(out.join("haproxy.pem")).is_err(),
        "haproxy.pem must not stay as a dangling link after the rollback"
    );
    for e in fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        assert!(fs::metadata(&p).is_ok(), "dangling {}", p.display());
    }
}

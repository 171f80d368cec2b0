//! `--at` in the future evaluates, it never deploys: `rotate` refuses to write a certificate
//! that the real clock says is not valid yet (a dry run may look ahead), and a set holding a
//! certificate that is not valid yet is renewed by the next run. `issue onprem --at` may make
//! one, and says so.

mod support;

use std::path::{Path, PathBuf};

use support::*;

fn config(dir: &Path) -> PathBuf {
    write(
        dir,
        "onprem.toml",
        "[[cert]]\nname = \"lb\"\ndns = [\"lb.onprem.example.internal\"]\nout-dir = \"lb\"\ndays = 90\ndeploy-hook = \"echo deployed >> deploys\"\n",
    )
}

/// certctl with the real clock pinned at `wall` (debug builds only).
fn at_clock(wall: i64, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = certctl()
        .env("CERTCTL_DEBUG_WALL_CLOCK", wall.to_string())
        .args(&all)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}

fn rfc3339(t: i64) -> String {
    ts(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[test]
fn rotate_refuses_a_future_at_unless_it_is_a_dry_run() {
    let d = tempdir();
    let cfg = config(d.path());
    let c = cfg.to_str().unwrap();
    let tomorrow = rfc3339(AT_UNIX + DAY);
    let (code, doc) = at_clock(AT_UNIX, &["rotate", "--config", c, "--at", &tomorrow]);
    assert_eq!(code, 2, "{doc:#}");
    let msg = doc["error"]["message"].as_str().unwrap();
    assert!(msg.contains("--at") && msg.contains("real clock"), "{msg}");
    assert!(
        doc["error"]["hint"].as_str().unwrap().contains("--dry-run"),
        "{doc:#}"
    );
    assert!(!d.path().join("lb").exists(), "something was written");
    // A dry run evaluates the future.
    let (code, doc) = at_clock(
        AT_UNIX,
        &["rotate", "--config", c, "--at", &tomorrow, "--dry-run"],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["sets"][0]["action"], "would-renew");
    // Within the 5 minutes every certificate is back-dated: accepted (clock skew).
    let (code, doc) = at_clock(
        AT_UNIX,
        &["rotate", "--config", c, "--at", &rfc3339(AT_UNIX + 240)],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["sets"][0]["action"], "renewed");
    // A dry run of the future on the set in place: renewals ahead are planned, nothing changes.
    let later = rfc3339(AT_UNIX + 80 * DAY);
    let (code, doc) = at_clock(
        AT_UNIX,
        &["rotate", "--config", c, "--at", &later, "--dry-run"],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["sets"][0]["action"], "would-renew");
    assert_eq!(
        doc["sets"][0]["reasons"],
        serde_json::json!(["renew-window"])
    );

    // Without the debug clock, the real one: a year far ahead is refused.
    let out = certctl()
        .env_remove("CERTCTL_DEBUG_WALL_CLOCK")
        .args([
            "--json",
            "rotate",
            "--config",
            c,
            "--at",
            "2999-01-01T00:00:00Z",
            "--force",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(d.path().join("deploys")).unwrap(),
        "deployed\n",
        "one deploy only"
    );
}

#[test]
fn a_certificate_that_is_not_valid_yet_is_renewed_by_the_next_run() {
    let d = tempdir();
    let cfg = config(d.path());
    let c = cfg.to_str().unwrap();
    let lb = d.path().join("lb");
    // issue may make a certificate for later (a planned cut-over): it says so.
    let future = rfc3339(AT_UNIX + 10 * DAY);
    let (code, doc) = at_clock(
        AT_UNIX,
        &[
            "issue",
            "onprem",
            "--dns",
            "lb.onprem.example.internal",
            "--days",
            "90",
            "--out-dir",
            lb.to_str().unwrap(),
            "--at",
            &future,
        ],
    );
    assert_eq!(code, 0, "{doc:#}");
    let warnings = doc["warnings"].to_string();
    assert!(warnings.contains("not valid until"), "{doc:#}");
    // Not valid at the instant evaluated: renewed, the new one valid then.
    let (code, doc) = at_clock(AT_UNIX, &["rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 0, "{doc:#}");
    let s = &doc["sets"][0];
    assert_eq!(s["action"], "renewed", "{doc:#}");
    assert_eq!(
        s["reasons"],
        serde_json::json!(["not-yet-valid"]),
        "{doc:#}"
    );
    let nb = s["new"]["not_before"].as_str().unwrap();
    assert!(nb <= AT, "{nb}");
    // And kept afterwards.
    let (code, doc) = at_clock(AT_UNIX, &["rotate", "--config", c, "--at", AT]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["sets"][0]["action"], "unchanged", "{doc:#}");
    // issue at the present says nothing of the kind.
    let (code, doc) = at_clock(
        AT_UNIX,
        &[
            "issue",
            "onprem",
            "--dns",
            "x.example.internal",
            "--out-dir",
            d.path().join("x").to_str().unwrap(),
            "--at",
            AT,
        ],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert!(
        !doc["warnings"].to_string().contains("not valid until"),
        "{doc:#}"
    );
}

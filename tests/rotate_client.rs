//! `certctl rotate` of a client set with `acm-arn` against the emulator (moto behind
//! tests/fixtures/mtls_emulator.py): the first run creates the set, `acm import` gives it an
//! ARN, a forced run re-imports to that ARN (one certificate in ACM, the new one), a plain run
//! is unchanged with no write, and a failed re-import (refused key type, a 5xx, a lost answer)
//! leaves disk and ACM agreeing. Everything is made around the real clock: the emulator refuses
//! certificates not valid now, as ACM does.

mod support;

use std::path::{Path, PathBuf};

use support::faultproxy::start_proxy;
use support::mtls::{start_mtls_emulator, MtlsEmulator};
use support::{run_aws_json, tempdir, toml_str, write, JsonRun};

/// certctl `args` with `--json` against `endpoint` (fake keys, no metadata, the real clock).
fn run(endpoint: &str, args: &[&str]) -> JsonRun {
    let mut all = vec![
        "--json",
        "--endpoint-url",
        endpoint,
        "--region",
        "eu-west-1",
        "--max-attempts",
        "1",
    ];
    all.extend(args);
    run_aws_json(&all)
}

fn config(dir: &Path, extra: &str) -> PathBuf {
    config_in(dir, "rotate.toml", extra)
}

fn config_in(dir: &Path, file: &str, extra: &str) -> PathBuf {
    write(
        dir,
        file,
        format!(
            "[[cert]]\nname = \"apigw-client\"\nkind = \"client\"\ncn = \"apigw-backend-client\"\nout-dir = \"client\"\nca-dir = \"ca\"\ndays = 90\n{extra}"
        ),
    )
}

fn rotate(endpoint: &str, cfg: &Path, extra: &[&str]) -> JsonRun {
    let mut args = vec!["rotate", "--config", cfg.to_str().unwrap()];
    args.extend(extra);
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout", "20s"]);
    }
    run(endpoint, &args)
}

/// Every certificate in the emulator's ACM: (arn, serial).
fn certificates(emu: &MtlsEmulator) -> Vec<(String, String)> {
    emu.fixture(&["certificates"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["arn"].as_str().unwrap().to_string(),
                c["serial"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn set0(r: &JsonRun) -> &serde_json::Value {
    &r.doc["sets"][0]
}

/// The set's certificate on disk (cert.pem through `.current`).
fn on_disk(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("client/cert.pem")).unwrap()
}

/// The SHA-256 ACM holds at `arn`, as the plain rotate reads it.
fn held(r: &JsonRun) -> String {
    set0(r)["acm"]["held_sha256"].as_str().unwrap().to_string()
}

/// `acm import` of the set in `dir/client` (cert, key, chain as the set holds them).
fn import_set(endpoint: &str, dir: &Path) -> JsonRun {
    let p = |f: &str| dir.join("client").join(f).display().to_string();
    let (cert, key, chain) = (p("cert.pem"), p("key.pem"), p("chain.pem"));
    let args = [
        "acm", "import", "--cert", &cert, "--key", &key, "--chain", &chain,
    ];
    run(endpoint, &args)
}

#[test]
fn a_client_set_is_reimported_to_its_arn_and_a_failed_reimport_rolls_back() {
    let emu = start_mtls_emulator("600");
    let d = tempdir();
    let ep = emu.endpoint.clone();
    let ca = d.path().join("ca");
    let (code, _, err) = support::run(["ca", "init", "--dir", ca.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");

    // First run: the set is made (no ARN yet, so no AWS at all).
    let cfg = config(d.path(), "");
    let first = rotate("http://127.0.0.1:9", &cfg, &[]);
    assert_eq!(first.code, 0, "{} {:#}", first.stderr, first.doc);
    assert_eq!(set0(&first)["action"], "renewed");
    assert!(set0(&first).get("acm").is_none());

    // Imported once by hand: that ARN goes in the config.
    let imp = import_set(&ep, d.path());
    assert_eq!(
        (imp.code, imp.doc["action"].as_str()),
        (0, Some("imported")),
        "{}",
        imp.stderr
    );
    let arn = imp.doc["arn"].as_str().unwrap().to_string();
    let hook = "deploy-hook = \"echo \\\"$CERTCTL_ACM_ARN\\\" >> hook.out\"\n";
    let cfg = config(d.path(), &format!("acm-arn = {}\n{hook}", toml_str(&arn)));

    // A plain run: ACM already holds the pair in place; nothing written anywhere.
    let plain = rotate(&ep, &cfg, &[]);
    assert_eq!(plain.code, 0, "{} {:#}", plain.stderr, plain.doc);
    assert_eq!(set0(&plain)["action"], "unchanged");
    assert_eq!(
        held(&plain),
        set0(&plain)["old"]["sha256"].as_str().unwrap()
    );
    let before = certificates(&emu);
    assert_eq!(before.len(), 1);

    // A dry run plans the re-import and writes nothing.
    let dry = rotate(&ep, &cfg, &["--force", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(set0(&dry)["acm"]["action"], "would-reimport");
    let plan = set0(&dry)["plan"].to_string();
    assert!(plan.contains(&format!("re-import it to {arn}")), "{plan}");
    assert_eq!(certificates(&emu), before);

    // Forced: a new pair, re-imported to the same ARN; one certificate in ACM, the new one.
    let old_cert = on_disk(d.path());
    let forced = rotate(&ep, &cfg, &["--force"]);
    assert_eq!(forced.code, 0, "{} {:#}", forced.stderr, forced.doc);
    assert_eq!(set0(&forced)["action"], "renewed");
    assert_eq!(set0(&forced)["acm"]["action"], "reimported");
    let after = certificates(&emu);
    assert_eq!(after.len(), 1, "one certificate in ACM: {after:?}");
    assert_eq!(after[0].0, arn);
    assert_ne!(after[0].1, before[0].1, "a new serial at the same ARN");
    assert_ne!(on_disk(d.path()), old_cert);
    let hook_out = std::fs::read_to_string(d.path().join("hook.out")).unwrap();
    assert_eq!(hook_out.trim(), arn, "the hook gets CERTCTL_ACM_ARN");
    let new_sha = set0(&forced)["new"]["sha256"].as_str().unwrap().to_string();

    // A second plain run: unchanged, ACM holds what is on disk, no write.
    let again = rotate(&ep, &cfg, &[]);
    assert_eq!(set0(&again)["action"], "unchanged", "{:#}", again.doc);
    assert_eq!(held(&again), new_sha);
    assert_eq!(certificates(&emu), after);

    // The set's key type differs from the ARN's: refused before anything is minted.
    let rsa = config_in(
        d.path(),
        "rsa.toml",
        &format!("acm-arn = {}\nkey = \"rsa-2048\"\n", toml_str(&arn)),
    );
    let disk = on_disk(d.path());
    let refused = rotate(&ep, &rsa, &["--force"]);
    assert_eq!(refused.code, 2, "{:#}", refused.doc);
    let why = set0(&refused)["error"].as_str().unwrap();
    assert!(
        why.contains("EC_prime256v1") && why.contains("rsa-2048"),
        "{why}"
    );
    assert_eq!(on_disk(d.path()), disk);
    let r = rotate(&ep, &cfg, &[]);
    assert_eq!(
        set0(&r)["acm"]["held_sha256"],
        new_sha.as_str(),
        "{:#}",
        r.doc
    );
    assert_eq!(certificates(&emu), after, "ACM untouched");

    // ImportCertificate is refused (403): the set is rolled back, ACM still holds the same
    // one, exit 3; the next run is fine.
    let proxy = start_proxy(&ep);
    proxy.faults(serde_json::json!([{"op": "ImportCertificate", "fault": "html403", "times": -1}]));
    let cert_before = on_disk(d.path());
    let failed = rotate(&proxy.endpoint, &cfg, &["--force"]);
    assert_eq!(failed.code, 3, "{:#} {}", failed.doc, failed.stderr);
    assert_eq!(set0(&failed)["action"], "failed");
    assert_eq!(set0(&failed)["rolled_back"], true, "{:#}", failed.doc);
    let error = set0(&failed)["error"].as_str().unwrap();
    assert!(
        error.contains("re-import") && error.contains("rolled back"),
        "{error}"
    );
    assert_eq!(on_disk(d.path()), cert_before, "the previous pair is back");
    assert_eq!(certificates(&emu), after, "ACM still holds it");
    proxy.faults(serde_json::json!([]));
    let next = rotate(&proxy.endpoint, &cfg, &[]);
    assert_eq!(
        (next.code, set0(&next)["action"].as_str()),
        (0, Some("unchanged")),
        "{:#}",
        next.doc
    );

    // ImportCertificate answers 5xx until the deadline passes: rolled back, but with the
    // deadline gone the run cannot confirm what ACM holds, so the pair stays marked and the
    // next run finishes the deploy (ACM already holds it: nothing written).
    proxy.faults(serde_json::json!([{"op": "ImportCertificate", "fault": "5xx", "times": -1}]));
    let slow = rotate(&proxy.endpoint, &cfg, &["--force", "--timeout", "3s"]);
    assert_eq!(slow.code, 3, "{:#} {}", slow.doc, slow.stderr);
    assert_eq!(set0(&slow)["rolled_back"], true, "{:#}", slow.doc);
    assert_eq!(on_disk(d.path()), cert_before);
    proxy.faults(serde_json::json!([]));
    let next = rotate(&proxy.endpoint, &cfg, &[]);
    assert_eq!(next.code, 0, "{:#}", next.doc);
    assert_eq!(
        set0(&next)["reasons"],
        serde_json::json!(["interrupted-deploy"])
    );
    assert_eq!(set0(&next)["acm"]["action"], "unchanged");
    assert_eq!(certificates(&emu), after);

    // The re-import lands but its answer is lost: the rollback re-imports the previous pair,
    // so disk and ACM agree again.
    proxy.faults(serde_json::json!([{"op": "ImportCertificate", "fault": "lose", "times": 1}]));
    let lost = rotate(&proxy.endpoint, &cfg, &["--force"]);
    assert_eq!(lost.code, 3, "{:#} {}", lost.doc, lost.stderr);
    assert_eq!(set0(&lost)["rolled_back"], true, "{:#}", lost.doc);
    assert_eq!(on_disk(d.path()), cert_before);
    proxy.faults(serde_json::json!([]));
    let check = rotate(&ep, &cfg, &[]);
    assert_eq!(set0(&check)["action"], "unchanged", "{:#}", check.doc);
    assert_eq!(held(&check), new_sha, "ACM holds the pair on disk again");
    assert_eq!(certificates(&emu).len(), 1);
    let forced = rotate(&ep, &cfg, &["--force"]);
    assert_eq!(forced.code, 0, "{:#}", forced.doc);
    assert_eq!(set0(&forced)["acm"]["action"], "reimported");
}

/// `acm audit` shows an imported client certificate near expiry (with the rotate hint) and a
/// generated API Gateway client certificate with their expiry, in JSON and in the metrics.
#[test]
fn audit_shows_client_certificates_and_their_expiry() {
    let emu = start_mtls_emulator("600");
    let d = tempdir();
    let ep = emu.endpoint.clone();
    let ca = d.path().join("ca");
    let (code, _, err) = support::run(["ca", "init", "--dir", ca.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // A client set valid 20 days, imported: within the audit's 30 days.
    let cfg = config(d.path(), "");
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("days = 90", "days = 20"),
    )
    .unwrap();
    assert_eq!(rotate("http://127.0.0.1:9", &cfg, &[]).code, 0);
    let imp = import_set(&ep, d.path());
    let arn = imp.doc["arn"].as_str().unwrap().to_string();
    let generated = emu.fixture(&["generate", "backend mtls"]);
    let id = generated["id"].as_str().unwrap().to_string();

    let metrics = d.path().join("acm.prom");
    let audit = run(
        &ep,
        &[
            "acm",
            "audit",
            "--no-dns",
            "--metrics",
            metrics.to_str().unwrap(),
        ],
    );
    assert_eq!(
        audit.code, 1,
        "expires-soon is deny: {:#} {}",
        audit.doc, audit.stderr
    );
    let imported = audit.doc["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["arn"] == arn.as_str())
        .unwrap();
    assert_eq!(imported["client_certificate"], true);
    // Issued for 20 days and audited a few seconds later: 19 whole days left, or 20 when both
    // fall in the same second.
    let left = imported["days_left"].as_i64().unwrap();
    assert!((19..=20).contains(&left), "{imported:#}");
    let soon = imported["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "expires-soon")
        .unwrap_or_else(|| panic!("{imported:#}"));
    assert!(soon["hint"]
        .as_str()
        .unwrap()
        .contains("certctl rotate re-imports it"));
    let g = audit.doc["apigateway_client_certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{:#}", audit.doc));
    let days = g["days_left"].as_i64().unwrap();
    assert!((363..=365).contains(&days), "{g:#}");
    assert_eq!(g["description"], "backend mtls");
    let text = std::fs::read_to_string(&metrics).unwrap();
    let line = |id: &str, kind: &str| {
        text.lines()
            .find(|l| {
                l.starts_with("certctl_client_certificate_expiry_timestamp_seconds{")
                    && l.contains(&format!("id=\"{id}\""))
                    && l.contains(&format!("kind=\"{kind}\""))
            })
            .unwrap_or_else(|| panic!("no {kind} gauge for {id}: {text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as f64;
    let imported_at = line(&arn, "imported");
    assert!(
        (imported_at - now - 20.0 * 86_400.0).abs() < 3_600.0,
        "{imported_at}"
    );
    let generated_at = line(&id, "apigateway");
    assert!((generated_at - generated["expires"].as_f64().unwrap()).abs() < 2.0);
}

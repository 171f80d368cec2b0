//! `certctl check --skip-verification`: API Gateway's rules for an integration with
//! `tlsConfig.insecureSkipVerification` (no CA list; expiry, hostname and a CA root still count),
//! on certificates generated at test time relative to a pinned `--at`.

mod support;

use support::*;

fn check(dir: &std::path::Path, name: &str, pem: &str, host: &str) -> (i32, serde_json::Value) {
    let f = write(dir, name, pem);
    let (code, doc, err) = run_json([
        "--at",
        AT,
        "check",
        f.to_str().unwrap(),
        "--hostname",
        host,
        "--skip-verification",
    ]);
    assert_no_panic(&err);
    (code, doc)
}

#[test]
fn a_complete_private_chain_passes_and_a_self_signed_leaf_fails() {
    let d = tempdir();
    let c = chain("api.example.com");
    let full = format!("{}{}{}", c.leaf.pem, c.inter.pem, c.root.pem);
    let (code, doc) = check(d.path(), "full.pem", &full, "api.example.com");
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["verdict"], "trusted");
    assert_eq!(doc["trust_store"], "skip-verification");
    assert_eq!(codes(&doc), vec!["skip-verification".to_string()]);
    assert_eq!(doc["path"].as_array().unwrap().len(), 3);
    assert_documented("check", &doc);

    // Without the root: API Gateway needs the chain to reach one.
    let partial = format!("{}{}", c.leaf.pem, c.inter.pem);
    let (code, doc) = check(d.path(), "partial.pem", &partial, "api.example.com");
    assert_eq!(code, 1);
    assert!(
        codes(&doc).contains(&"skip-verify-no-root".to_string()),
        "{doc:#}"
    );

    // A self-signed CA:FALSE leaf: refused, with the reason in the code.
    let leaf = Spec::leaf("api.example.com").self_signed();
    let (code, doc) = check(d.path(), "self.pem", &leaf.pem, "api.example.com");
    assert_eq!(code, 1);
    assert!(
        codes(&doc).contains(&"skip-verify-self-signed-leaf".to_string()),
        "{doc:#}"
    );

    // The hostname still counts.
    let (code, doc) = check(d.path(), "full2.pem", &full, "other.example.com");
    assert_eq!(code, 1);
    assert!(
        codes(&doc).contains(&"hostname-mismatch".to_string()),
        "{doc:#}"
    );

    // A root without keyCertSign is not a root API Gateway accepts.
    let mut spec = Spec::ca("No KeyCertSign Root");
    spec.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    let root = spec.self_signed();
    let leaf = Spec::leaf("api.example.com").signed_by(&root);
    let (code, doc) = check(
        d.path(),
        "badroot.pem",
        &format!("{}{}", leaf.pem, root.pem),
        "api.example.com",
    );
    assert_eq!(code, 1);
    assert!(
        codes(&doc).contains(&"skip-verify-root-not-ca".to_string()),
        "{doc:#}"
    );
}

//! Rebuilds `ca/` (the shipped API Gateway store): matches the list's SHA-256 fingerprints
//! against root certificates available offline and writes the list plus the matched PEMs.
//!
//! Usage: cargo run --example refresh_ca -- <list.tsv> <out-dir> [<dir of PEM roots>...]
//!
//! `<list.tsv>` is either the shared data file (columns alias, sha1, sha256,
//! subject_cn_or_label, not_after, ...) or certctl's own `ca/apigateway-cas.tsv`. Roots come
//! from the webpki-root-certs crate (Mozilla's program) and every *.crt/*.pem under the extra
//! directories (e.g. Debian's /usr/share/ca-certificates/mozilla).

use std::collections::BTreeMap;
use std::path::Path;

use certctl::trust::store::{ListEntry, TrustList};
use certctl::x509::Fingerprint;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn read_list(path: &Path) -> Result<TrustList, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Ok(list) = TrustList::parse(&text) {
        return Ok(list);
    }
    // The shared data format: a header naming the columns.
    let mut lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let header: Vec<&str> = lines.next().ok_or("empty list")?.split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or(format!("no column {name}"))
    };
    let (a, s1, s256, subj, na) = (
        col("alias")?,
        col("sha1")?,
        col("sha256")?,
        col("subject_cn_or_label")?,
        col("not_after")?,
    );
    let mut entries = Vec::new();
    for line in lines {
        let c: Vec<&str> = line.split('\t').collect();
        let get = |i: usize| c.get(i).copied().unwrap_or("");
        let fp = |s: &str| Fingerprint::parse_hex(s).ok_or(format!("bad fingerprint {s}"));
        let not_after = match get(na) {
            "" | "-" => None,
            d => Some(date(d).ok_or(format!("bad date {d}"))?),
        };
        entries.push(ListEntry {
            alias: get(a).to_string(),
            sha1: fp(get(s1))?,
            sha256: fp(get(s256))?,
            not_after,
            subject: get(subj).replace(['\t', '\n'], " "),
            shipped: false,
        });
    }
    Ok(TrustList { entries })
}

fn date(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt)
        .ok()
        .map(|d| d.midnight().assume_utc().unix_timestamp())
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        return Err("usage: refresh_ca <list.tsv> <out-dir> [<dir of PEM roots>...]".into());
    }
    let mut list = read_list(Path::new(&args[0]))?;
    let out = Path::new(&args[1]);
    // Candidate roots by SHA-256, with where they came from.
    let mut found: BTreeMap<Fingerprint, (Vec<u8>, &'static str)> = BTreeMap::new();
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        found
            .entry(Fingerprint::sha256(der.as_ref()))
            .or_insert((der.as_ref().to_vec(), "webpki-root-certs"));
    }
    let mut from_dirs = 0;
    for dir in &args[2..] {
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(p) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&p) else {
                continue;
            };
            for e in rd.flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let ext = path.extension().and_then(|x| x.to_str()).unwrap_or("");
                if !matches!(ext, "crt" | "pem") {
                    continue;
                }
                let Ok(bytes) = std::fs::read(&path) else {
                    continue;
                };
                let Ok(ders) = certctl::pem::decode_certificates(&bytes) else {
                    continue;
                };
                for d in ders {
                    let fp = Fingerprint::sha256(d.as_ref());
                    if let std::collections::btree_map::Entry::Vacant(v) = found.entry(fp) {
                        from_dirs += 1;
                        v.insert((d.as_ref().to_vec(), "extra directory"));
                    }
                }
            }
        }
    }
    let mut bundle = String::new();
    let mut shipped: BTreeMap<&Fingerprint, Vec<String>> = BTreeMap::new();
    for e in &mut list.entries {
        e.shipped = found.contains_key(&e.sha256);
    }
    for e in &list.entries {
        if e.shipped {
            shipped.entry(&e.sha256).or_default().push(e.alias.clone());
        }
    }
    let mut per_source: BTreeMap<&str, usize> = BTreeMap::new();
    for (fp, aliases) in &shipped {
        let (der, source) = &found[*fp];
        *per_source.entry(source).or_default() += 1;
        bundle.push_str(&format!(
            "# aliases: {}\n# sha256: {}\n",
            aliases.join(", "),
            fp
        ));
        bundle.push_str(&certctl::pem::encode_certificate(der));
        bundle.push('\n');
    }
    let comment = "API Gateway supported certificate authorities (HTTP, HTTP proxy and VPC-link integrations).\nSource: the API Gateway developer guide page \"API Gateway-supported certificate authorities for\nHTTP and HTTP proxy integrations\". Refresh: certctl truststore update --from <saved page>.";
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    std::fs::write(out.join("apigateway-cas.tsv"), list.to_tsv(comment))
        .map_err(|e| e.to_string())?;
    std::fs::write(out.join("roots.pem"), bundle).map_err(|e| e.to_string())?;
    let mut distinct: Vec<&Fingerprint> = list.entries.iter().map(|e| &e.sha256).collect();
    distinct.sort();
    distinct.dedup();
    println!(
        "{} aliases, {} distinct SHA-256; {} shipped roots ({} aliases), {} aliases fingerprint-only",
        list.entries.len(),
        distinct.len(),
        shipped.len(),
        list.entries.iter().filter(|e| e.shipped).count(),
        list.entries.iter().filter(|e| !e.shipped).count()
    );
    println!("per source: {per_source:?}; {from_dirs} certificates only in the extra directories");
    Ok(())
}

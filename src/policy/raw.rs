//! Reads TOML with spans so every config problem is reported at once, with its line number.

use toml::de::DeTable;
use toml::Spanned;

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl std::fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Walks a parsed document, collecting issues instead of stopping at the first.
pub(crate) struct Reader<'s> {
    src: &'s str,
    pub(crate) issues: Vec<ConfigIssue>,
}

pub(crate) type Table<'i> = DeTable<'i>;

/// Parses `src`; syntax errors come back as issues (all the parser could recover).
pub(crate) fn parse(src: &str) -> Result<Spanned<DeTable<'_>>, Vec<ConfigIssue>> {
    let (doc, errors) = DeTable::parse_recoverable(src);
    if errors.is_empty() {
        return Ok(doc);
    }
    Err(errors
        .iter()
        .map(|e| ConfigIssue {
            line: e.span().map(|s| line_of(src, s.start)).unwrap_or(1),
            message: e.message().trim().to_string(),
        })
        .collect())
}

fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

impl<'s> Reader<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        Reader {
            src,
            issues: Vec::new(),
        }
    }

    pub(crate) fn line<T>(&self, v: &Spanned<T>) -> usize {
        line_of(self.src, v.span().start)
    }

    /// The line of `key` in `table`, when it is there.
    pub(crate) fn line_of(&self, table: &Table<'_>, key: &str) -> Option<usize> {
        table.get(key).map(|v| self.line(v))
    }

    pub(crate) fn issue<T>(&mut self, at: &Spanned<T>, message: impl Into<String>) {
        let line = self.line(at);
        self.issues.push(ConfigIssue {
            line,
            message: message.into(),
        });
    }

    /// Records every key of `table` not in `allowed` (with the closest allowed key as a
    /// suggestion when one is close: [`suggest`]).
    pub(crate) fn deny_unknown(&mut self, table: &Table<'_>, allowed: &[&str], within: &str) {
        for key in table.keys() {
            let name: &str = key.get_ref();
            if !allowed.contains(&name) {
                let hint = suggest(name, allowed)
                    .map(|a| format!(" (did you mean `{a}`?)"))
                    .unwrap_or_default();
                let place = if within.is_empty() {
                    String::new()
                } else {
                    format!(" in {within}")
                };
                self.issue(key, format!("unknown key `{name}`{place}{hint}"));
            }
        }
    }

    pub(crate) fn string(&mut self, table: &Table<'_>, key: &str) -> Option<(String, usize)> {
        let v = table.get(key)?;
        match v.get_ref().as_str() {
            Some(s) => Some((s.to_string(), self.line(v))),
            None => {
                let t = v.get_ref().type_str();
                self.issue(v, format!("`{key}` must be a string, found {t}"));
                None
            }
        }
    }

    pub(crate) fn integer(&mut self, table: &Table<'_>, key: &str) -> Option<(i64, usize)> {
        let v = table.get(key)?;
        let parsed = v.get_ref().as_integer().and_then(|i| {
            let digits: String = i.as_str().chars().filter(|c| *c != '_').collect();
            let digits = digits
                .trim_start_matches("0x")
                .trim_start_matches("0o")
                .trim_start_matches("0b");
            i64::from_str_radix(digits, i.radix()).ok()
        });
        match parsed {
            Some(n) => Some((n, self.line(v))),
            None => {
                let t = v.get_ref().type_str();
                self.issue(v, format!("`{key}` must be an integer, found {t}"));
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, table: &Table<'_>, key: &str) -> Option<(bool, usize)> {
        let v = table.get(key)?;
        match v.get_ref().as_bool() {
            Some(b) => Some((b, self.line(v))),
            None => {
                let t = v.get_ref().type_str();
                self.issue(v, format!("`{key}` must be true or false, found {t}"));
                None
            }
        }
    }

    /// An array of strings; each element's line is returned with it.
    pub(crate) fn strings(&mut self, table: &Table<'_>, key: &str) -> Option<Vec<(String, usize)>> {
        let v = table.get(key)?;
        let Some(items) = v.get_ref().as_array() else {
            let t = v.get_ref().type_str();
            self.issue(v, format!("`{key}` must be an array of strings, found {t}"));
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref().as_str() {
                Some(s) => out.push((s.to_string(), self.line(item))),
                None => {
                    let t = item.get_ref().type_str();
                    self.issue(item, format!("`{key}` must hold strings, found {t}"));
                }
            }
        }
        Some(out)
    }

    pub(crate) fn table<'t, 'i>(
        &mut self,
        table: &'t Table<'i>,
        key: &str,
    ) -> Option<&'t Table<'i>> {
        let v = table.get(key)?;
        match v.get_ref().as_table() {
            Some(t) => Some(t),
            None => {
                let t = v.get_ref().type_str();
                self.issue(v, format!("`{key}` must be a table, found {t}"));
                None
            }
        }
    }

    /// `[[key]]` entries, each with its line.
    pub(crate) fn tables<'t, 'i>(
        &mut self,
        table: &'t Table<'i>,
        key: &str,
    ) -> Vec<(&'t Table<'i>, usize)> {
        let Some(v) = table.get(key) else {
            return Vec::new();
        };
        let Some(items) = v.get_ref().as_array() else {
            let t = v.get_ref().type_str();
            self.issue(
                v,
                format!("`{key}` must be an array of tables ([[{key}]]), found {t}"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref().as_table() {
                Some(t) => out.push((t, self.line(item))),
                None => self.issue(item, format!("each `{key}` entry must be a table")),
            }
        }
        out
    }
}

/// The allowed key closest to `name`, when it is close: at most one edit for names of up to
/// four characters, two for longer ones (an edit is an insertion, a deletion, a substitution or
/// two neighbours swapped: `dsn` → `dns`); `_` and `-` are the same.
pub(crate) fn suggest<'a>(name: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let name = name.replace('_', "-").to_ascii_lowercase();
    let limit = if name.chars().count() <= 4 { 1 } else { 2 };
    allowed
        .iter()
        .map(|a| (edit_distance(&name, a), *a))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions): the one
/// measure behind every "did you mean" (config keys here, flags in `helptext`).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_all_issues_with_lines() {
        let src = "a = 1\nbogus = 2\nmin-dayz = \"x\"\n";
        let doc = parse(src).unwrap();
        let mut r = Reader::new(src);
        r.deny_unknown(doc.get_ref(), &["a", "min-days"], "");
        assert_eq!(r.issues.len(), 2);
        assert_eq!(r.issues[0].line, 2);
        assert!(r.issues[1].message.contains("did you mean `min-days`"));
        assert_eq!(r.integer(doc.get_ref(), "a").map(|x| x.0), Some(1));
    }

    #[test]
    fn suggests_the_closest_key_like_clap() {
        let keys = [
            "dns",
            "ip",
            "out-dir",
            "renew-before",
            "deploy-hook",
            "include-root",
        ];
        for (typo, want) in [
            ("dsn", Some("dns")),
            ("dn", Some("dns")),
            ("ips", Some("ip")),
            ("outdir", Some("out-dir")),
            ("out_dir", Some("out-dir")),
            ("renew-befor", Some("renew-before")),
            ("renwe-before", Some("renew-before")),
            ("deploy_hok", Some("deploy-hook")),
            ("include_roots", Some("include-root")),
            ("hook", None),
            ("xyz", None),
            ("days", None),
        ] {
            assert_eq!(suggest(typo, &keys), want, "{typo}");
        }
    }

    #[test]
    fn syntax_errors_have_lines() {
        let issues = parse("a = 1\nb = \n").unwrap_err();
        assert_eq!(issues[0].line, 2);
    }
}

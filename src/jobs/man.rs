//! `certctl man --dir DIR`: writes every manual page (certctl.1, certctl-check.1, …) to a directory.

use std::path::Path;

use serde::Serialize;

use crate::exit::ExitStatus;
use crate::fsx::{self, FsError};

/// Why the pages could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ManError {
    #[error(transparent)]
    Write(#[from] FsError),
}

impl From<crate::safepath::PathError> for ManError {
    fn from(e: crate::safepath::PathError) -> ManError {
        ManError::Write(FsError::Path(e))
    }
}

impl crate::jobs::JobError for ManError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            ManError::Write(e) => e.exit_code(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ManError::Write(e) => e.hint(),
        }
    }
}

/// The pages written.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ManReport {
    pub(crate) schema_version: u32,
    pub(crate) dir: String,
    pub(crate) pages: Vec<String>,
}

/// Writes each `(file name, roff)` page into `dir` (created when missing), atomically.
pub(crate) fn write_pages(dir: &Path, pages: &[(String, Vec<u8>)]) -> Result<ManReport, ManError> {
    let dir = crate::safepath::open_dir(dir, Some(0o755))?;
    let mut written = Vec::with_capacity(pages.len());
    for (name, roff) in pages {
        fsx::write_atomic_in(&dir, name, roff, 0o644)?;
        written.push(dir.path().join(name).display().to_string());
    }
    Ok(ManReport {
        schema_version: 1,
        dir: dir.path().display().to_string(),
        pages: written,
    })
}

/// Gives the help's trailing text its own manual sections: clap_mangen renders it as one filled
/// paragraph under `.SH EXTRA`, which justifies example lines (a command to copy) and reflows
/// the exit-code table. Each `HEADING:` line of it becomes `.SH HEADING` (`EXAMPLES`, `EXIT
/// CODES`, …) and its lines are set without filling (`.nf` … `.fi`), as written.
pub(crate) fn sections(roff: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(roff);
    let Some(start) = text.find(".SH EXTRA\n") else {
        return roff.to_vec();
    };
    let body_start = start + ".SH EXTRA\n".len();
    let end = text[body_start..]
        .find("\n.SH ")
        .map(|i| body_start + i + 1)
        .unwrap_or(text.len());
    let mut out = text[..start].to_string();
    let mut open = false;
    for line in text[body_start..end].lines() {
        let heading = line
            .strip_suffix(':')
            .filter(|h| !h.is_empty() && !h.starts_with(' ') && h == &h.to_uppercase());
        match heading {
            Some(h) => {
                if open {
                    out.push_str(".fi\n");
                }
                out.push_str(&format!(".SH {h}\n.nf\n"));
                open = true;
            }
            None if !open => {
                out.push_str(".SH NOTES\n.nf\n");
                open = true;
                out.push_str(line);
                out.push('\n');
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if open {
        out.push_str(".fi\n");
    }
    out.push_str(&text[end..]);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trailing_text_becomes_unfilled_sections() {
        let roff = b".SH OPTIONS\nx\n.SH EXTRA\nEXAMPLES:\n  certctl rotate \\-q\n\nEXIT CODES:\n  0  ok\n.SH VERSION\nv1\n";
        let out = String::from_utf8(sections(roff)).unwrap();
        assert_eq!(
            out,
            ".SH OPTIONS\nx\n.SH EXAMPLES\n.nf\n  certctl rotate \\-q\n\n.fi\n.SH EXIT CODES\n.nf\n  0  ok\n.fi\n.SH VERSION\nv1\n"
        );
        // Nothing to do without the section.
        assert_eq!(sections(b".SH NAME\nx\n"), b".SH NAME\nx\n");
    }
}

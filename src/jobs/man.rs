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

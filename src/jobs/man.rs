//! `certctl man --dir DIR`: writes every manual page (certctl.1, certctl-check.1, …) to a directory.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::exit::ExitStatus;
use crate::fsx::{self, FsError};

/// Why the pages could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ManError {
    #[error("cannot create {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} exists and is not a directory")]
    NotDir { path: PathBuf },
    #[error(transparent)]
    Write(#[from] FsError),
}

impl crate::jobs::JobError for ManError {
    fn exit_code(&self) -> ExitStatus {
        match self {
            ManError::NotDir { .. } => ExitStatus::BadInput,
            ManError::Write(FsError::Write { .. }) | ManError::Dir { .. } => {
                ExitStatus::Operational
            }
            ManError::Write(_) => ExitStatus::BadInput,
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
    match std::fs::symlink_metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(ManError::NotDir {
                path: dir.to_path_buf(),
            })
        }
        Ok(_) => {}
        Err(_) => fsx::create_dir_durable(dir, 0o755).map_err(|source| ManError::Dir {
            path: dir.to_path_buf(),
            source,
        })?,
    }
    let mut written = Vec::with_capacity(pages.len());
    for (name, roff) in pages {
        let path = dir.join(name);
        fsx::write_atomic(&path, roff, 0o644)?;
        written.push(path.display().to_string());
    }
    Ok(ManReport {
        schema_version: 1,
        dir: dir.display().to_string(),
        pages: written,
    })
}

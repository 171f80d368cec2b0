//! File safety: atomic writes (temp + fsync + rename), modes set at open time, symlink refusal.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why a file could not be written or read safely.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("refusing to write {path}: it is a symbolic link")]
    Symlink { path: PathBuf },
    #[error("refusing to write {path}: it is a directory")]
    IsDir { path: PathBuf },
    #[error("refusing to write into {path}: the directory is writable by other users")]
    OpenDir { path: PathBuf },
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// fsyncs a directory: its entries (files created, renamed or removed in it) become durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `dir` and any missing parents with `mode`, then fsyncs the parent of every directory
/// it created: a new directory's entry is durable before anything is reported written in it
/// (otherwise a power cut can take the whole directory, files and all).
pub fn create_dir_durable(dir: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && fs::symlink_metadata(a).is_err())
        .collect();
    fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)?;
    for created in missing {
        sync_dir(&parent_of(created))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically: a reader sees the old file or the new one, never a
/// mix. The temp file is created with O_EXCL and `mode` in the target directory, fsynced,
/// renamed over `path`, and the directory is fsynced.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), FsError> {
    let err = |source| FsError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Ok(meta) = fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(FsError::Symlink {
                path: path.to_path_buf(),
            });
        }
        if meta.is_dir() {
            return Err(FsError::IsDir {
                path: path.to_path_buf(),
            });
        }
    }
    let dir = parent_of(path);
    if let Ok(meta) = fs::metadata(&dir) {
        let m = meta.permissions().mode();
        // World-writable without the sticky bit lets another user swap files under us.
        if m & 0o002 != 0 && m & 0o1000 == 0 {
            return Err(FsError::OpenDir { path: dir });
        }
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.tmp.{}.{attempt}", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1
            }
            Err(e) => return Err(err(e)),
        }
    };
    let result = (|| {
        // The umask may have narrowed the mode; widen it back to exactly `mode`.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        let _ = sync_dir(&dir);
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_dir_durable_makes_missing_parents_and_accepts_existing() {
        let d = tempfile::tempdir().unwrap();
        let deep = d.path().join("a/b/c");
        create_dir_durable(&deep, 0o700).unwrap();
        assert!(deep.is_dir());
        let mode = fs::metadata(d.path().join("a"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode & 0o077, 0, "{mode:o}");
        create_dir_durable(&deep, 0o700).unwrap(); // already there: fine
        let file = d.path().join("f");
        fs::write(&file, b"x").unwrap();
        assert!(create_dir_durable(&file.join("sub"), 0o700).is_err());
    }

    #[test]
    fn writes_with_mode_and_refuses_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.pem");
        write_atomic(&p, b"one", 0o600).unwrap();
        write_atomic(&p, b"two", 0o600).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let link = dir.path().join("link.pem");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        assert!(matches!(
            write_atomic(&link, b"x", 0o644),
            Err(FsError::Symlink { .. })
        ));
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 2);
    }
}

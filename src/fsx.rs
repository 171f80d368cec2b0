//! File safety: atomic writes (temp + fsync + rename) through a directory handle reached by
//! [`crate::safepath`], modes set at open time, symlink refusal. With `safepath` and `certset`,
//! the only module that writes files: a lint test (tests/lint.rs) refuses writes anywhere else.

use std::fs::File;
use std::io::Write;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use crate::exit::ExitStatus;
use crate::safepath::{self, PathError, SafeDir};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

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
    #[error("refusing to write {path}: it is not a regular file")]
    NotFile { path: PathBuf },
    #[error(transparent)]
    Path(#[from] PathError),
}

impl FsError {
    /// 3 when the write itself failed (I/O), 2 when the target was refused (input).
    pub(crate) fn exit_code(&self) -> ExitStatus {
        match self {
            FsError::Write { .. } => ExitStatus::Operational,
            FsError::Path(e) => e.exit_code(),
            _ => ExitStatus::BadInput,
        }
    }

    /// The fix, when there is one.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            FsError::Path(e) => e.hint(),
            _ => None,
        }
    }
}

/// Opens `name` inside `dir` as a directory handle, never following a symbolic link.
pub(crate) fn open_dir_at(dir: BorrowedFd<'_>, name: &str) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// What is at `name` inside `dir` (the entry itself, never a link's target); `None` when missing.
pub(crate) fn kind_at(
    dir: BorrowedFd<'_>,
    name: &str,
) -> rustix::io::Result<Option<(FileType, u32)>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some((FileType::from_raw_mode(st.st_mode), st.st_uid))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The target of the symbolic link `name` inside `dir`.
pub(crate) fn read_link_at(dir: BorrowedFd<'_>, name: &str) -> rustix::io::Result<String> {
    let t = rustix::fs::readlinkat(dir, name, Vec::new())?;
    Ok(t.to_string_lossy().into_owned())
}

/// The names in a directory (without `.` and `..`).
pub(crate) fn list_at(dir: BorrowedFd<'_>) -> rustix::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for e in rustix::fs::Dir::read_from(dir)? {
        let e = e?;
        let n = e.file_name().to_string_lossy().into_owned();
        if n != "." && n != ".." {
            names.push(n);
        }
    }
    Ok(names)
}

/// Prefix of every temporary name certctl creates.
pub(crate) const TMP_PREFIX: &str = ".certctl-tmp.";

/// The temp name for `name` in this process, attempt `n`: `.certctl-tmp.<name>.<pid>.<n>`.
pub(crate) fn temp_name(name: &str, n: u32) -> String {
    format!("{TMP_PREFIX}{name}.{}.{n}", std::process::id())
}

/// Parses a name made by [`temp_name`] into (name, pid, attempt).
pub(crate) fn parse_temp_name(s: &str) -> Option<(&str, u32, u32)> {
    let rest = s.strip_prefix(TMP_PREFIX)?;
    let mut parts = rest.rsplitn(3, '.');
    let n = parts.next()?;
    let pid = parts.next()?;
    let name = parts.next()?;
    let digits = |t: &str| !t.is_empty() && t.len() <= 10 && t.bytes().all(|b| b.is_ascii_digit());
    if name.is_empty() || !digits(n) || !digits(pid) {
        return None;
    }
    Some((name, pid.parse().ok()?, n.parse().ok()?))
}

/// Whether a process with this id exists (a pid we may not signal still exists).
pub(crate) fn pid_alive(pid: u32) -> bool {
    let Some(p) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    !matches!(rustix::process::test_kill_process(p), Err(Errno::SRCH))
}

/// Creates a new temp file next to `name` in `dir` (O_EXCL, never following a link), with
/// exactly `mode`. Returns its name and handle.
pub(crate) fn create_temp_at(
    dir: BorrowedFd<'_>,
    name: &str,
    mode: u32,
) -> std::io::Result<(String, File)> {
    let mut attempt = 0u32;
    loop {
        let tmp = temp_name(name, attempt);
        match rustix::fs::openat(
            dir,
            tmp.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode),
        ) {
            Ok(fd) => {
                // The umask may have narrowed the mode; set exactly `mode`.
                if let Err(e) = rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode)) {
                    let _ = rustix::fs::unlinkat(dir, tmp.as_str(), AtFlags::empty());
                    return Err(e.into());
                }
                return Ok((tmp, File::from(fd)));
            }
            Err(Errno::EXIST) if attempt < 100 => attempt += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Writes `bytes` as `name` inside the directory `dir` atomically (temp + fsync + renameat +
/// directory fsync), never following a link. The caller has checked what is at `name`.
pub(crate) fn write_atomic_at(
    dir: BorrowedFd<'_>,
    name: &str,
    bytes: &[u8],
    mode: u32,
) -> std::io::Result<()> {
    let (tmp, mut file) = create_temp_at(dir, name, mode)?;
    let result = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        rustix::fs::renameat(dir, tmp.as_str(), dir, name)?;
        rustix::fs::fsync(dir)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = rustix::fs::unlinkat(dir, tmp.as_str(), AtFlags::empty());
    }
    result
}

/// Writes `bytes` to `path` atomically: a reader sees the old file or the new one, never a
/// mix. The parent directory is reached by [`safepath::open_parent`] (every ancestor safe, the
/// directory itself owned by you or root and writable by nobody else); the temp file is created
/// there with O_EXCL and `mode`, fsynced, renamed over `path` through the handle, and the
/// directory is fsynced.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), FsError> {
    let (dir, name) = safepath::open_parent(path)?;
    write_atomic_in(&dir, &name, bytes, mode)
}

/// Writes `bytes` as `name` inside a directory reached by [`safepath`], atomically; what is at
/// `name` must be missing or a regular file.
pub(crate) fn write_atomic_in(
    dir: &SafeDir,
    name: &str,
    bytes: &[u8],
    mode: u32,
) -> Result<(), FsError> {
    let path = dir.path().join(name);
    let err = |source: std::io::Error| FsError::Write {
        path: path.clone(),
        source,
    };
    match kind_at(dir.fd(), name).map_err(|e| err(e.into()))? {
        None => {}
        Some((FileType::RegularFile, _)) => {}
        Some((FileType::Symlink, _)) => return Err(FsError::Symlink { path }),
        Some((FileType::Directory, _)) => return Err(FsError::IsDir { path }),
        Some(_) => return Err(FsError::NotFile { path }),
    }
    write_atomic_at(dir.fd(), name, bytes, mode).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

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

    #[test]
    fn refuses_a_parent_others_can_write_even_sticky() {
        let dir = tempfile::tempdir().unwrap();
        for (mode, needle) in [
            (0o1777, "shared directory"),
            (0o777, "chmod go-w"),
            (0o775, "chmod go-w"),
            (0o757, "chmod go-w"),
        ] {
            fs::set_permissions(dir.path(), fs::Permissions::from_mode(mode)).unwrap();
            let e = write_atomic(&dir.path().join("m.prom"), b"x", 0o644).unwrap_err();
            assert!(
                matches!(e, FsError::Path(PathError::Unsafe { .. })),
                "{mode:o}: {e}"
            );
            let said = format!("{e} {}", e.hint().unwrap_or_default());
            assert!(said.contains(needle), "{mode:o}: {said}");
        }
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        write_atomic(&dir.path().join("m.prom"), b"x", 0o644).unwrap();
    }

    #[test]
    fn temp_names_parse_back() {
        let t = temp_name("cert.pem", 3);
        let (name, pid, n) = parse_temp_name(&t).unwrap();
        assert_eq!((name, pid, n), ("cert.pem", std::process::id(), 3));
        for foreign in [
            ".backup.tmp.2024",
            ".nginx.link.conf",
            ".certctl-tmp.x",
            ".certctl-tmp..1.2",
        ] {
            assert!(parse_temp_name(foreign).is_none(), "{foreign}");
        }
        assert!(pid_alive(std::process::id()));
    }
}

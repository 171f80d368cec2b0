//! Bounded reads of the files a user names (certificates, policies, configs, saved pages,
//! passwords): regular files, or stdin as an explicit `-`; never a device, FIFO or socket,
//! never more than a stated cap.

use std::fmt;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::exit::ExitStatus;

/// What a file is for and how large it may be; named in the error past the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub(crate) what: &'static str,
    pub(crate) max: u64,
}

/// Certificate files (PEM bundles, DER), trust stores, chains.
pub(crate) const CERTIFICATES: Limit = Limit {
    what: "a certificate file",
    max: crate::pem::MAX_INPUT_BYTES as u64,
};
/// TOML policies and rotation configs.
pub(crate) const CONFIG: Limit = Limit {
    what: "a config or policy file",
    max: 1024 * 1024,
};
/// A saved copy of AWS's CA list page.
pub(crate) const SAVED_PAGE: Limit = Limit {
    what: "a saved trust-list page",
    max: 16 * 1024 * 1024,
};
/// A private key file (the key of a certificate to import).
pub(crate) const PRIVATE_KEY: Limit = Limit {
    what: "a private key file",
    max: 64 * 1024,
};
/// A password file (its first line is the password).
pub(crate) const PASSWORD: Limit = Limit {
    what: "a password file",
    max: 64 * 1024,
};

/// Why a named input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: no such file")]
    NotFound { path: PathBuf },
    #[error(
        "{path}: is {kind}, not a regular file (certctl reads regular files, or stdin as `-`)"
    )]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{path}: more than {}, the limit for {}", Size(.limit.max), .limit.what)]
    TooLarge { path: PathBuf, limit: Limit },
    #[error("{path}: a symbolic link stands in its path now, not where the walk found the file: not opened")]
    LinkInPath { path: PathBuf },
    #[error("{path}: replaced since it was listed (now {kind}): not read")]
    Replaced { path: PathBuf, kind: &'static str },
    #[error("{path}: not UTF-8 text")]
    NotUtf8 { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A private key file others can read.
    #[error("{path}: a private key readable by group or others (mode {mode:04o}): not read")]
    KeyExposed { path: PathBuf, mode: u32 },
    /// A file certctl trusts (config, password) reached through an unsafe path.
    #[error(transparent)]
    Path(#[from] crate::safepath::PathError),
}

impl ReadError {
    /// 3 for an I/O failure of a file that is there, 2 for everything the user can fix.
    pub(crate) fn exit_code(&self) -> ExitStatus {
        match self {
            ReadError::Io { source, .. }
                if source.kind() != std::io::ErrorKind::PermissionDenied =>
            {
                ExitStatus::Operational
            }
            ReadError::Path(e) => e.exit_code(),
            _ => ExitStatus::BadInput,
        }
    }

    /// The fix, when there is one.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            ReadError::Path(e) => e.hint(),
            ReadError::KeyExposed { path, .. } => Some(format!("chmod 600 {}", path.display())),
            _ => None,
        }
    }
}

/// A byte count in the largest binary unit that divides it (`16 MiB`, `1500 bytes`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Size(pub(crate) u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (unit, scale) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
            if n >= scale && n.is_multiple_of(scale) {
                return write!(f, "{} {unit}", n / scale);
            }
        }
        write!(f, "{n} bytes")
    }
}

/// Parses a size: bytes (`1048576`) or with a unit (`512KiB`, `1MiB`, `2 MB`, `1G`); binary
/// units for KiB/MiB/GiB and K/M/G, decimal for kB/MB/GB.
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("\"{s}\": expected a size such as 1048576, 512KiB or 1MiB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => {
            return Err(format!(
                "\"{s}\": unknown unit; use bytes, KiB, MiB or GiB (or kB, MB, GB)"
            ))
        }
    };
    match n.checked_mul(scale) {
        Some(0) => Err(format!("\"{s}\": must be more than 0")),
        Some(v) => Ok(v),
        None => Err(format!("\"{s}\": too large")),
    }
}

/// What a non-regular file is, for messages.
pub(crate) fn kind_name(ft: std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// True for the explicit stdin name.
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads `path` (or stdin for `-`), at most `limit.max` bytes.
///
/// The file is examined before it is opened, so a device or FIFO named here is refused
/// without being opened; it is then opened non-blocking and checked again (the same regular
/// file), so one swapped in between cannot block either. Whatever is read goes through
/// `take(max + 1)`: a file that grows past the cap is refused, not read to the end.
pub(crate) fn read(path: &Path, limit: Limit) -> Result<Vec<u8>, ReadError> {
    let io = |source: std::io::Error| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    if is_stdin(path) {
        return read_capped(std::io::stdin().lock(), 0, path, limit);
    }
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound {
            path: path.to_path_buf(),
        },
        _ => io(e),
    })?;
    check_regular(path, &meta, limit)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(io)?;
    let opened = file.metadata().map_err(io)?;
    check_regular(path, &opened, limit)?;
    if (opened.dev(), opened.ino()) != (meta.dev(), meta.ino()) {
        return Err(io(std::io::Error::other(
            "the file was replaced while it was opened",
        )));
    }
    read_capped(file, opened.len(), path, limit)
}

/// Opens a file certctl trusts through [`crate::safepath::open_file`] and checks it is a
/// regular file within `limit`; a missing file is [`ReadError::NotFound`].
fn open_trusted(
    path: &Path,
    limit: Limit,
) -> Result<(std::fs::File, std::fs::Metadata), ReadError> {
    let file = match crate::safepath::open_file(path) {
        Ok(f) => f,
        Err(crate::safepath::PathError::NotFound { .. }) => {
            return Err(ReadError::NotFound {
                path: path.to_path_buf(),
            })
        }
        Err(e) => return Err(e.into()),
    };
    let meta = file.metadata().map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    check_regular(path, &meta, limit)?;
    Ok((file, meta))
}

/// Reads a file certctl trusts to decide what it runs or writes as root (a rotate config, a
/// password file): reached by [`crate::safepath::open_file`] (every directory on the way and
/// the file itself owned by root or you and writable by nobody else), at most `limit.max`
/// bytes, as UTF-8 text. A missing file is [`ReadError::NotFound`].
pub(crate) fn read_trusted_text(path: &Path, limit: Limit) -> Result<String, ReadError> {
    let (file, meta) = open_trusted(path, limit)?;
    let bytes = read_capped(file, meta.len(), path, limit)?;
    String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8 {
        path: path.to_path_buf(),
    })
}

/// Reads a private key file like the other secrets certctl trusts: reached by
/// [`crate::safepath::open_file`] (no other user can redirect or replace it), a regular file
/// no one but its owner can read (mode 0600 or stricter), at most `limit.max` bytes. The bytes
/// are the key: callers keep them out of every report and log.
pub(crate) fn read_private_key(path: &Path, limit: Limit) -> Result<Vec<u8>, ReadError> {
    use std::os::unix::fs::PermissionsExt;
    let (file, meta) = open_trusted(path, limit)?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(ReadError::KeyExposed {
            path: path.to_path_buf(),
            mode,
        });
    }
    read_capped(file, meta.len(), path, limit)
}

/// Opens a file a directory walk found at `real` (its path with no symbolic link in it) and
/// saw as the regular file `expect` (device, inode); returns it with its metadata, from the
/// handle. The path is resolved with `openat2(RESOLVE_NO_SYMLINKS)` (where the kernel lacks
/// it, `O_NOFOLLOW` guards the last component), with `O_NONBLOCK|O_NOCTTY|O_CLOEXEC`; the
/// handle is then `fstat`ed: anything that is not that same regular file is refused, never
/// read, so a name swapped for a link or a device after the walk cannot redirect the read.
pub(crate) fn open_found(
    real: &Path,
    expect: (u64, u64),
) -> Result<(std::fs::File, std::fs::Metadata), ReadError> {
    use rustix::fs::{Mode, OFlags, ResolveFlags, CWD};
    let path = || real.to_path_buf();
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let opened = match rustix::fs::openat2(
        CWD,
        real,
        flags,
        Mode::empty(),
        ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
    ) {
        Err(rustix::io::Errno::NOSYS) | Err(rustix::io::Errno::PERM) => {
            rustix::fs::open(real, flags, Mode::empty())
        }
        other => other,
    };
    let fd = opened.map_err(|e| match e {
        rustix::io::Errno::LOOP | rustix::io::Errno::XDEV => ReadError::LinkInPath { path: path() },
        rustix::io::Errno::NOENT => ReadError::NotFound { path: path() },
        e => ReadError::Io {
            path: path(),
            source: e.into(),
        },
    })?;
    let file = std::fs::File::from(fd);
    let meta = file.metadata().map_err(|source| ReadError::Io {
        path: path(),
        source,
    })?;
    if !meta.file_type().is_file() || (meta.dev(), meta.ino()) != expect {
        return Err(ReadError::Replaced {
            path: path(),
            kind: if meta.file_type().is_file() {
                "another file"
            } else {
                kind_name(meta.file_type())
            },
        });
    }
    Ok((file, meta))
}

/// `read`, as UTF-8 text.
pub(crate) fn read_text(path: &Path, limit: Limit) -> Result<String, ReadError> {
    String::from_utf8(read(path, limit)?).map_err(|_| ReadError::NotUtf8 {
        path: path.to_path_buf(),
    })
}

fn check_regular(path: &Path, meta: &std::fs::Metadata, limit: Limit) -> Result<(), ReadError> {
    if !meta.file_type().is_file() {
        return Err(ReadError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_name(meta.file_type()),
        });
    }
    if meta.len() > limit.max {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(())
}

/// Reads at most `limit.max` bytes; one byte more is an error.
pub(crate) fn read_capped(
    r: impl Read,
    size_hint: u64,
    path: &Path,
    limit: Limit,
) -> Result<Vec<u8>, ReadError> {
    let mut buf = Vec::with_capacity(size_hint.min(limit.max) as usize);
    r.take(limit.max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if buf.len() as u64 > limit.max {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576").unwrap(), 1 << 20);
        assert_eq!(parse_size("1MiB").unwrap(), 1 << 20);
        assert_eq!(parse_size("512 KiB").unwrap(), 512 << 10);
        assert_eq!(parse_size("2MB").unwrap(), 2_000_000);
        assert_eq!(parse_size("1g").unwrap(), 1 << 30);
        assert!(parse_size("0").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("1 parsec").is_err());
        assert!(parse_size("99999999999999999999").is_err());
        assert_eq!(Size(16 << 20).to_string(), "16 MiB");
        assert_eq!(Size(1500).to_string(), "1500 bytes");
    }

    #[test]
    fn devices_and_fifos_are_refused_without_blocking() {
        let e = read(Path::new("/dev/zero"), CONFIG).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        assert_eq!(e.exit_code(), ExitStatus::BadInput);
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
        let e = read(&fifo, CONFIG).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        let e = read(dir.path(), CONFIG).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
    }

    #[test]
    fn a_found_file_is_opened_only_as_the_regular_file_the_walk_saw() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("cert.pem");
        std::fs::write(&f, "x").unwrap();
        let m = std::fs::metadata(&f).unwrap();
        let id = (m.dev(), m.ino());
        assert!(open_found(&f, id).is_ok());
        // Swapped for a link to a device, for a link to the same file, for another file.
        std::fs::remove_file(&f).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &f).unwrap();
        let e = open_found(&f, id).unwrap_err();
        assert!(matches!(e, ReadError::LinkInPath { .. }), "{e}");
        // A link among the parents.
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join("c.pem"), "y").unwrap();
        let m = std::fs::metadata(real.join("c.pem")).unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("via")).unwrap();
        let e = open_found(&dir.path().join("via/c.pem"), (m.dev(), m.ino())).unwrap_err();
        assert!(matches!(e, ReadError::LinkInPath { .. }), "{e}");
        std::fs::write(real.join("d.pem"), "z").unwrap();
        let e = open_found(&real.join("d.pem"), (m.dev(), m.ino())).unwrap_err();
        assert!(
            e.to_string().contains("replaced since it was listed"),
            "{e}"
        );
        let e = open_found(Path::new("/dev/null"), (m.dev(), m.ino())).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
    }

    #[test]
    fn the_cap_is_enforced_on_the_bytes_read() {
        let small = Limit {
            what: "a test",
            max: 4,
        };
        let p = Path::new("x");
        assert_eq!(read_capped(&b"abcd"[..], 0, p, small).unwrap(), b"abcd");
        let e = read_capped(&b"abcde"[..], 0, p, small).unwrap_err();
        assert_eq!(e.to_string(), "x: more than 4 bytes, the limit for a test");
        // An endless reader stops one byte past the cap.
        assert!(read_capped(std::io::repeat(0), 0, p, small).is_err());
    }
}

//! An on-prem certificate set on disk, swapped atomically: `cert.pem` etc. are symlinks through
//! `.current`, which one rename points at a complete, fsynced version under `.sets/`.
//!
//! ```text
//! out-dir/cert.pem      -> .current/cert.pem        (also key.pem, chain.pem, fullchain.pem, ...)
//! out-dir/.current      -> .sets/<id>               (one rename switches every file at once)
//! out-dir/.previous     -> .sets/<older id>         (rollback target)
//! out-dir/.sets/<id>/   complete versions; key files 0600 from creation
//! out-dir/.lock         serialises writers
//! out-dir/.pending      id of a version switched in whose deployment has not succeeded yet
//! out-dir/.domains      the names of the pair being deployed, one a line (for deploy hooks)
//! ```
//! A reader (or a crash at any instant) sees the old set or the new set, never a mix. A CA
//! directory is the same kind of set with `ca.pem` and `ca.key`.
//!
//! Every name inside the directory is reached through a handle of the directory opened without
//! following links (openat, mkdirat, renameat, unlinkat, symlinkat, readlinkat), never by path.
//! The directory must be owned by the effective user (or root) and not writable by group or
//! others. A symbolic link certctl did not make, or a link where certctl keeps a directory or a
//! regular file, is refused and named. Only entries that certctl's naming and metadata prove it
//! made are ever removed.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::exit::ExitStatus;
use crate::fsx;
use crate::safepath::{self, PathError, Unsafe};
use crate::x509::CertInfo;

/// File names an output set may hold, in the order they are written.
pub(crate) const FILES: &[&str] = &[
    "cert.pem",
    "chain.pem",
    "fullchain.pem",
    "key.pem",
    "haproxy.pem",
    "cert.p12",
];

/// File names a CA directory holds.
pub(crate) const CA_FILES: &[&str] = &["ca.pem", "ca.key"];

/// The file listing the names of the pair a deploy hook deploys, one a line.
pub(crate) const DOMAINS: &str = ".domains";

/// The id of a version made from plain files found in place (the first; later ones get `-N`).
pub(crate) const ADOPTED: &str = "0-adopted";

/// Largest file certctl reads back from a set.
const MAX_FILE: u64 = 1 << 20;

/// Why a set could not be read or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SetError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "refusing to use {path}: it is a symbolic link certctl did not make (points to {target}); move it away"
    )]
    ForeignLink { path: PathBuf, target: String },
    #[error("refusing to use {path}: {what}; certctl did not make it, move it away")]
    Planted { path: PathBuf, what: &'static str },
    #[error("refusing to use {path}: it {problem}")]
    OpenDir { path: PathBuf, problem: Unsafe },
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("another certctl holds the lock on {path} (waited {waited} s)")]
    Locked { path: PathBuf, waited: u64 },
    #[error("{path} holds a certificate pair already; pass --force to replace it (the old pair is kept for rollback)")]
    Exists { path: PathBuf },
    #[error("no previous set to roll back to in {path}")]
    NoPrevious { path: PathBuf },
}

impl SetError {
    /// 2 for what the user can fix in the input, 3 for I/O.
    pub(crate) fn exit_code(&self) -> ExitStatus {
        match self {
            SetError::Io { .. } | SetError::Locked { .. } | SetError::NoPrevious { .. } => {
                ExitStatus::Operational
            }
            SetError::Path(e) => e.exit_code(),
            _ => ExitStatus::BadInput,
        }
    }

    /// The fix for a refused directory, when there is one.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            SetError::Path(e) => e.hint(),
            _ => None,
        }
    }
}

/// One file of a new version.
pub(crate) struct NewFile {
    pub(crate) name: &'static str,
    pub(crate) bytes: Vec<u8>,
    pub(crate) mode: u32,
}

/// A held lock; released on drop.
pub(crate) struct Lock {
    _file: File,
}

/// What is at one of the set's file names in the directory itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Top {
    Missing,
    /// A regular file (from before certctl managed the directory): adopted on the next install.
    Plain,
    /// certctl's link `NAME -> .current/NAME`.
    Link,
}

/// An output (or CA) directory holding one certificate set, by handle.
#[derive(Debug, Clone)]
pub(crate) struct CertSet {
    /// The directory as the user named it (for messages and hook paths only).
    pub(crate) dir: PathBuf,
    fd: Arc<OwnedFd>,
    files: &'static [&'static str],
    dir_mode: u32,
}

/// Whether `s` is a version id certctl makes: [`version_id`]'s `<14 digits>-<16 hex>`, or
/// `0-adopted` / `0-adopted-<n>`.
pub(crate) fn is_version_id(s: &str) -> bool {
    if s == ADOPTED {
        return true;
    }
    if let Some(n) = s.strip_prefix("0-adopted-") {
        return !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit());
    }
    let Some((stamp, fp)) = s.split_once('-') else {
        return false;
    };
    stamp.len() == 14
        && stamp.bytes().all(|b| b.is_ascii_digit())
        && fp.len() == 16
        && fp.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn io_at(path: PathBuf) -> impl Fn(Errno) -> SetError {
    move |e| match e {
        Errno::LOOP => SetError::Planted {
            path: path.clone(),
            what: "it is a symbolic link",
        },
        Errno::NOTDIR => SetError::Planted {
            path: path.clone(),
            what: "it is a symbolic link or not a directory (certctl keeps a directory here)",
        },
        e => SetError::Io {
            path: path.clone(),
            source: e.into(),
        },
    }
}

/// Why `name` in `parent` could not be opened as a directory, as precisely as `lstat` tells.
fn not_a_dir(parent: BorrowedFd<'_>, name: &str, path: PathBuf, e: Errno) -> SetError {
    if !matches!(e, Errno::LOOP | Errno::NOTDIR) {
        return io_at(path)(e);
    }
    let what = match fsx::kind_at(parent, name) {
        Ok(Some((FileType::Symlink, _))) => "it is a symbolic link where certctl keeps a directory",
        _ => "it is not a directory (certctl keeps a directory here)",
    };
    SetError::Planted { path, what }
}

fn io_err(path: PathBuf) -> impl Fn(std::io::Error) -> SetError {
    move |source| SetError::Io {
        path: path.clone(),
        source,
    }
}

/// Reads at most [`MAX_FILE`] bytes.
fn read_capped(mut f: File, path: &Path) -> Result<Vec<u8>, SetError> {
    let mut buf = Vec::new();
    (&mut f)
        .take(MAX_FILE + 1)
        .read_to_end(&mut buf)
        .map_err(io_err(path.to_path_buf()))?;
    if buf.len() as u64 > MAX_FILE {
        return Err(SetError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("larger than {MAX_FILE} bytes"),
            ),
        });
    }
    Ok(buf)
}

/// A consistent view of the live set: `.current` resolved once, so every file read through it
/// comes from the same version even when another process switches meanwhile.
pub(crate) struct Reader<'a> {
    set: &'a CertSet,
    version: Option<(String, OwnedFd)>,
}

impl Reader<'_> {
    /// Opens one file of the live set (a plain file in place, or the version's through
    /// certctl's link); `None` when missing.
    pub(crate) fn open(&self, name: &str) -> Result<Option<File>, SetError> {
        let (dir, path) = match self.set.top_entry(name)? {
            Top::Missing => return Ok(None),
            Top::Plain => (self.set.top(), self.set.dir.join(name)),
            Top::Link => match &self.version {
                Some((id, v)) => (v.as_fd(), self.set.dir.join(".sets").join(id).join(name)),
                None => return Ok(None),
            },
        };
        match rustix::fs::openat(
            dir,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => {
                let st = rustix::fs::fstat(&fd).map_err(io_at(path.clone()))?;
                if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
                    return Err(SetError::Planted {
                        path,
                        what: "it is not a regular file",
                    });
                }
                Ok(Some(File::from(fd)))
            }
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(io_at(path)(e)),
        }
    }

    /// Reads one file of the live set; `None` when missing.
    pub(crate) fn read(&self, name: &str) -> Result<Option<Vec<u8>>, SetError> {
        match self.open(name)? {
            Some(f) => Ok(Some(read_capped(f, &self.set.dir.join(name))?)),
            None => Ok(None),
        }
    }
}

impl CertSet {
    /// Opens (creating when missing) an output directory; refuses a symlinked, foreign-owned or
    /// group/world-writable directory and anything planted at a name certctl uses.
    pub(crate) fn open(dir: &Path, create: bool) -> Result<CertSet, SetError> {
        CertSet::open_kind(dir, create, FILES, 0o755)
    }

    /// Opens (creating when missing, mode 0700) a CA directory: `ca.pem` and `ca.key` as a set.
    pub(crate) fn open_ca(dir: &Path, create: bool) -> Result<CertSet, SetError> {
        CertSet::open_kind(dir, create, CA_FILES, 0o700)
    }

    fn open_kind(
        dir: &Path,
        create: bool,
        files: &'static [&'static str],
        dir_mode: u32,
    ) -> Result<CertSet, SetError> {
        let (_, fd) = safepath::open_dir(dir, create.then_some(dir_mode))?.into_parts();
        let set = CertSet {
            dir: dir.to_path_buf(),
            fd: Arc::new(fd),
            files,
            dir_mode,
        };
        set.check_names()?;
        Ok(set)
    }

    fn top(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Checks every name certctl will create, read or remove, before anything is written.
    fn check_names(&self) -> Result<(), SetError> {
        for name in self.files {
            self.top_entry(name)?;
        }
        let current = self.link_id(".current")?;
        let previous = self.link_id(".previous")?;
        for name in [".pending", ".lock", DOMAINS] {
            self.plain_or_missing(name)?;
        }
        if let Some(sets) = self.sets_fd(false)? {
            for id in [current, previous].into_iter().flatten() {
                if let Some(v) = self.version_fd(&sets, &id)? {
                    self.check_version_files(&v, &id)?;
                }
            }
        }
        for name in fsx::list_at(self.top()).map_err(io_at(self.dir.clone()))? {
            if fsx::parse_temp_name(&name).is_some() {
                self.temp_kind(&name)?;
            }
        }
        Ok(())
    }

    /// `name` must be missing or a regular file.
    fn plain_or_missing(&self, name: &str) -> Result<bool, SetError> {
        match fsx::kind_at(self.top(), name).map_err(io_at(self.path(name)))? {
            None => Ok(false),
            Some((FileType::RegularFile, _)) => Ok(true),
            Some((FileType::Symlink, _)) => Err(SetError::Planted {
                path: self.path(name),
                what: "it is a symbolic link where certctl keeps a regular file",
            }),
            Some(_) => Err(SetError::Planted {
                path: self.path(name),
                what: "it is not a regular file",
            }),
        }
    }

    /// What is at one of the set's file names; a link other than `.current/NAME` is refused.
    fn top_entry(&self, name: &str) -> Result<Top, SetError> {
        let p = self.path(name);
        match fsx::kind_at(self.top(), name).map_err(io_at(p.clone()))? {
            None => Ok(Top::Missing),
            Some((FileType::RegularFile, _)) => Ok(Top::Plain),
            Some((FileType::Symlink, _)) => {
                let target = fsx::read_link_at(self.top(), name).map_err(io_at(p.clone()))?;
                if target == format!(".current/{name}") {
                    Ok(Top::Link)
                } else {
                    Err(SetError::ForeignLink { path: p, target })
                }
            }
            Some(_) => Err(SetError::Planted {
                path: p,
                what: "it is not a regular file",
            }),
        }
    }

    /// The version id `.current` or `.previous` points at; a link of another shape is refused.
    fn link_id(&self, name: &str) -> Result<Option<String>, SetError> {
        let p = self.path(name);
        match fsx::kind_at(self.top(), name).map_err(io_at(p.clone()))? {
            None => Ok(None),
            Some((FileType::Symlink, _)) => {
                let target = fsx::read_link_at(self.top(), name).map_err(io_at(p.clone()))?;
                match target.strip_prefix(".sets/") {
                    Some(id) if is_version_id(id) => Ok(Some(id.to_string())),
                    _ => Err(SetError::ForeignLink { path: p, target }),
                }
            }
            Some(_) => Err(SetError::Planted {
                path: p,
                what: "it is not a symbolic link (certctl keeps its own link here)",
            }),
        }
    }

    /// A temp name certctl could have made: a symbolic link must have one of certctl's shapes.
    /// Returns the entry's type and owner.
    fn temp_kind(&self, name: &str) -> Result<Option<(FileType, u32)>, SetError> {
        let p = self.path(name);
        let kind = fsx::kind_at(self.top(), name).map_err(io_at(p.clone()))?;
        if let Some((FileType::Symlink, _)) = kind {
            let target = fsx::read_link_at(self.top(), name).map_err(io_at(p.clone()))?;
            let ours = match target.split_once('/') {
                Some((".current", f)) => self.files.contains(&f),
                Some((".sets", id)) => is_version_id(id),
                _ => false,
            };
            if !ours {
                return Err(SetError::ForeignLink { path: p, target });
            }
        }
        Ok(kind)
    }

    /// `.sets`, a real directory that is safe (never a link); created when asked.
    fn sets_fd(&self, create: bool) -> Result<Option<OwnedFd>, SetError> {
        let p = self.path(".sets");
        let fd = match fsx::open_dir_at(self.top(), ".sets") {
            Ok(fd) => fd,
            Err(Errno::NOENT) if create => {
                rustix::fs::mkdirat(self.top(), ".sets", Mode::from_raw_mode(self.dir_mode))
                    .map_err(io_at(p.clone()))?;
                let fd = fsx::open_dir_at(self.top(), ".sets").map_err(io_at(p.clone()))?;
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(self.dir_mode))
                    .map_err(io_at(p.clone()))?;
                rustix::fs::fsync(self.top()).map_err(io_at(self.dir.clone()))?;
                fd
            }
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(not_a_dir(self.top(), ".sets", p, e)),
        };
        if let Some(problem) = safepath::check_dir_fd(fd.as_fd()).map_err(io_err(p.clone()))? {
            return Err(SetError::OpenDir { path: p, problem });
        }
        Ok(Some(fd))
    }

    /// A version directory (never a link); `None` when missing.
    fn version_fd(&self, sets: &OwnedFd, id: &str) -> Result<Option<OwnedFd>, SetError> {
        let p = self.dir.join(".sets").join(id);
        match fsx::open_dir_at(sets.as_fd(), id) {
            Ok(fd) => {
                if let Some(problem) =
                    safepath::check_dir_fd(fd.as_fd()).map_err(io_err(p.clone()))?
                {
                    return Err(SetError::OpenDir { path: p, problem });
                }
                Ok(Some(fd))
            }
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(not_a_dir(sets.as_fd(), id, p, e)),
        }
    }

    /// Every file of a version certctl reads must be a regular file, never a link.
    fn check_version_files(&self, v: &OwnedFd, id: &str) -> Result<(), SetError> {
        for name in self.files {
            let p = self.dir.join(".sets").join(id).join(name);
            match fsx::kind_at(v.as_fd(), name).map_err(io_at(p.clone()))? {
                None | Some((FileType::RegularFile, _)) => {}
                Some((FileType::Symlink, _)) => {
                    return Err(SetError::Planted {
                        path: p,
                        what: "it is a symbolic link inside a version",
                    })
                }
                Some(_) => {
                    return Err(SetError::Planted {
                        path: p,
                        what: "it is not a regular file",
                    })
                }
            }
        }
        Ok(())
    }

    /// The set's files a version holds.
    fn version_files(&self, v: &OwnedFd, id: &str) -> Result<Vec<&'static str>, SetError> {
        self.check_version_files(v, id)?;
        let mut have = Vec::new();
        for name in self.files {
            if fsx::kind_at(v.as_fd(), name)
                .map_err(io_at(self.dir.join(".sets").join(id)))?
                .is_some()
            {
                have.push(*name);
            }
        }
        Ok(have)
    }

    /// Takes the directory's lock, waiting up to `timeout`.
    pub(crate) fn lock(&self, timeout: Duration) -> Result<Lock, SetError> {
        let path = self.path(".lock");
        let fd = rustix::fs::openat(
            self.top(),
            ".lock",
            OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(io_at(path.clone()))?;
        let st = rustix::fs::fstat(&fd).map_err(io_at(path.clone()))?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(SetError::Planted {
                path,
                what: "it is not a regular file",
            });
        }
        let file = File::from(fd);
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => {
                    self.clean_stale()?;
                    return Ok(Lock { _file: file });
                }
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(SetError::Locked {
                        path,
                        waited: start.elapsed().as_secs(),
                    })
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io_err(path)(e)),
            }
        }
    }

    /// Removes temp files and links a killed run left behind: only names of certctl's exact
    /// temp format (`.certctl-tmp.<name>.<pid>.<n>`) whose process is gone, that are regular
    /// files owned by the effective user or links of certctl's shapes. Everything else stays.
    fn clean_stale(&self) -> Result<(), SetError> {
        let euid = safepath::euid();
        let mut removed = false;
        for name in fsx::list_at(self.top()).map_err(io_at(self.dir.clone()))? {
            let Some((_, pid, _)) = fsx::parse_temp_name(&name) else {
                continue;
            };
            let kind = self.temp_kind(&name)?;
            let ours = match kind {
                Some((FileType::Symlink, _)) => true, // temp_kind checked its shape
                Some((FileType::RegularFile, uid)) => uid == euid,
                _ => false,
            };
            if ours && pid != std::process::id() && !fsx::pid_alive(pid) {
                rustix::fs::unlinkat(self.top(), name.as_str(), AtFlags::empty())
                    .map_err(io_at(self.path(&name)))?;
                removed = true;
            }
        }
        if removed {
            self.sync_top()?;
        }
        Ok(())
    }

    /// A consistent reader of the live set.
    pub(crate) fn reader(&self) -> Result<Reader<'_>, SetError> {
        let version = match self.link_id(".current")? {
            Some(id) => match self.sets_fd(false)? {
                Some(sets) => self.version_fd(&sets, &id)?.map(|v| (id, v)),
                None => None,
            },
            None => None,
        };
        Ok(Reader { set: self, version })
    }

    /// Whether any file of the set is in place (a plain file or certctl's link to one).
    pub(crate) fn has_pair(&self) -> bool {
        let Ok(r) = self.reader() else {
            return true;
        };
        self.files.iter().any(|n| !matches!(r.open(n), Ok(None)))
    }

    /// Reads one file of the live set; `None` when missing.
    pub(crate) fn read(&self, name: &str) -> Result<Option<Vec<u8>>, SetError> {
        self.reader()?.read(name)
    }

    fn sync_top(&self) -> Result<(), SetError> {
        rustix::fs::fsync(self.top()).map_err(io_at(self.dir.clone()))
    }

    /// Writes a complete new version and switches to it with one rename. Returns the rollback
    /// target: the id of the version that was in place (after adopting plain files, the adopted
    /// pair), now `.previous`; `None` when nothing was in place (and `.previous` is removed).
    pub(crate) fn install(&self, id: &str, files: &[NewFile]) -> Result<Option<String>, SetError> {
        if !is_version_id(id) {
            return Err(SetError::Io {
                path: self.dir.join(".sets").join(id),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "not a version id certctl makes",
                ),
            });
        }
        self.adopt_plain_files()?;
        let sets = self
            .sets_fd(true)?
            .ok_or_else(|| io_at(self.path(".sets"))(Errno::NOENT))?;
        let vpath = self.dir.join(".sets").join(id);
        if fsx::kind_at(sets.as_fd(), id)
            .map_err(io_at(vpath.clone()))?
            .is_some()
        {
            // Left by a killed run (ids are unique per certificate): removed only when provably ours.
            let live = [self.link_id(".current")?, self.link_id(".previous")?];
            if live.iter().flatten().any(|l| l == id) || !self.remove_version(&sets, id)? {
                return Err(SetError::Planted {
                    path: vpath,
                    what: "it is in the way of a new version and certctl cannot prove it made it",
                });
            }
        }
        let v = self.make_version_dir(&sets, id)?;
        // Write every file, then flush them together: the journal commits once for all.
        let mut written = Vec::with_capacity(files.len());
        for f in files {
            written.push((vpath.join(f.name), self.write_new(&v, &vpath, f)?));
        }
        sync_batch(&written)?;
        rustix::fs::fsync(&v).map_err(io_at(vpath.clone()))?;
        rustix::fs::fsync(&sets).map_err(io_at(self.path(".sets")))?;
        let old = match self.link_id(".current")? {
            Some(old) if self.version_fd(&sets, &old)?.is_some() => Some(old),
            _ => None,
        };
        let names: Vec<&'static str> = files.iter().map(|f| f.name).collect();
        self.switch(id, &names, old.as_deref())?;
        Ok(old)
    }

    fn make_version_dir(&self, sets: &OwnedFd, id: &str) -> Result<OwnedFd, SetError> {
        let vpath = self.dir.join(".sets").join(id);
        rustix::fs::mkdirat(sets, id, Mode::from_raw_mode(self.dir_mode))
            .map_err(io_at(vpath.clone()))?;
        let v = fsx::open_dir_at(sets.as_fd(), id).map_err(io_at(vpath.clone()))?;
        rustix::fs::fchmod(&v, Mode::from_raw_mode(self.dir_mode)).map_err(io_at(vpath))?;
        Ok(v)
    }

    fn write_new(&self, v: &OwnedFd, vpath: &Path, f: &NewFile) -> Result<File, SetError> {
        let p = vpath.join(f.name);
        let fd = rustix::fs::openat(
            v,
            f.name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(f.mode),
        )
        .map_err(io_at(p.clone()))?;
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(f.mode)).map_err(io_at(p.clone()))?;
        let mut file = File::from(fd);
        file.write_all(&f.bytes).map_err(io_err(p))?;
        Ok(file)
    }

    /// Points `.current` at `id` (holding `names`) with one rename, `.previous` at `previous`
    /// (or removes it), and makes the top-level links exactly the version's files: links it
    /// needs are made before the switch (they point through `.current`, so they change nothing
    /// yet), links to files it lacks are removed after it.
    fn switch(&self, id: &str, names: &[&str], previous: Option<&str>) -> Result<(), SetError> {
        for name in names {
            match self.top_entry(name)? {
                Top::Link => {}
                Top::Missing => self.point(name, &format!(".current/{name}"))?,
                // Adopted before every install; one appearing since is not certctl's to replace.
                Top::Plain => {
                    return Err(SetError::Planted {
                        path: self.path(name),
                        what: "a plain file appeared in place of certctl's link",
                    })
                }
            }
        }
        match previous {
            Some(p) => self.point(".previous", &format!(".sets/{p}"))?,
            None => self.unlink_if_present(".previous")?,
        }
        self.point(".current", &format!(".sets/{id}"))?;
        for name in self.files {
            if !names.contains(name) && self.top_entry(name)? == Top::Link {
                self.unlink_if_present(name)?;
            }
        }
        self.sync_top()
    }

    fn unlink_if_present(&self, name: &str) -> Result<(), SetError> {
        match rustix::fs::unlinkat(self.top(), name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(io_at(self.path(name))(e)),
        }
    }

    /// Points `.current` back at `.previous` (one rename) and returns the id now in place;
    /// the top-level links then match that version's files exactly, and `.previous` is gone
    /// (there is no second step back).
    pub(crate) fn rollback(&self) -> Result<String, SetError> {
        let no_prev = || SetError::NoPrevious {
            path: self.dir.clone(),
        };
        let prev = self.link_id(".previous")?.ok_or_else(no_prev)?;
        let sets = self.sets_fd(false)?.ok_or_else(no_prev)?;
        let v = self.version_fd(&sets, &prev)?.ok_or_else(no_prev)?;
        let names = self.version_files(&v, &prev)?;
        self.switch(&prev, &names, None)?;
        Ok(prev)
    }

    /// Marks a deployment of `id` as in progress, durably (temp file fsynced, renamed through
    /// the directory handle, directory fsynced): written before the switch and cleared after
    /// the deploy hook and verification succeed, so a run killed in between leaves the mark and
    /// the next run redeploys instead of trusting a pair that was never loaded.
    pub(crate) fn mark_pending(&self, id: &str) -> Result<(), SetError> {
        self.plain_or_missing(".pending")?;
        fsx::write_atomic_at(self.top(), ".pending", id.as_bytes(), 0o600)
            .map_err(io_err(self.path(".pending")))
    }

    /// Writes [`DOMAINS`]: `names`, one a line, atomically (temp file fsynced, renamed through
    /// the directory handle); returns its path for the deploy hook. Rewritten before every hook
    /// run, so it always names the pair that hook deploys.
    pub(crate) fn write_domains(&self, names: &[String]) -> Result<PathBuf, SetError> {
        self.plain_or_missing(DOMAINS)?;
        let mut text = names.join("\n");
        text.push('\n');
        fsx::write_atomic_at(self.top(), DOMAINS, text.as_bytes(), 0o644)
            .map_err(io_err(self.path(DOMAINS)))?;
        Ok(self.path(DOMAINS))
    }

    /// Whether a previous deployment was interrupted.
    pub(crate) fn pending(&self) -> bool {
        self.pending_id().is_ok_and(|p| p.is_some())
    }

    /// The id of the version whose deployment was interrupted, if any.
    pub(crate) fn pending_id(&self) -> Result<Option<String>, SetError> {
        if !self.plain_or_missing(".pending")? {
            return Ok(None);
        }
        let p = self.path(".pending");
        match rustix::fs::openat(
            self.top(),
            ".pending",
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => {
                let bytes = read_capped(File::from(fd), &p)?;
                Ok(Some(String::from_utf8_lossy(&bytes).trim().to_string()))
            }
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(io_at(p)(e)),
        }
    }

    /// Removes the deployment mark (durably).
    pub(crate) fn clear_pending(&self) -> Result<(), SetError> {
        self.plain_or_missing(".pending")?;
        match rustix::fs::unlinkat(self.top(), ".pending", AtFlags::empty()) {
            Ok(()) => self.sync_top(),
            Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(io_at(self.path(".pending"))(e)),
        }
    }

    /// The rollback target `.previous` points at.
    #[cfg(test)]
    fn previous_id(&self) -> Option<String> {
        self.link_id(".previous").ok().flatten()
    }

    /// Removes versions beyond the newest `keep` (never the current or previous one), and
    /// versions left behind by an interrupted run. Only entries certctl provably made are
    /// touched: a version id of certctl's format, a real directory owned by the effective user
    /// holding only regular files with the set's names. Returns the removed ids.
    pub(crate) fn prune(&self, keep: usize) -> Result<Vec<String>, SetError> {
        let Some(sets) = self.sets_fd(false)? else {
            return Ok(Vec::new());
        };
        let current = self.link_id(".current")?;
        let previous = self.link_id(".previous")?;
        let mut ids: Vec<String> = fsx::list_at(sets.as_fd())
            .map_err(io_at(self.path(".sets")))?
            .into_iter()
            .filter(|id| is_version_id(id))
            .collect();
        ids.sort();
        ids.reverse(); // ids start with a sortable timestamp: newest first
        let live = |id: &String| Some(id) == current.as_ref() || Some(id) == previous.as_ref();
        let mut kept = ids.iter().filter(|id| live(id)).count();
        let mut removed = Vec::new();
        for id in ids.iter().filter(|id| !live(id)) {
            if kept < keep {
                kept += 1;
                continue;
            }
            if self.remove_version(&sets, id)? {
                removed.push(id.clone());
            }
        }
        if !removed.is_empty() {
            rustix::fs::fsync(&sets).map_err(io_at(self.path(".sets")))?;
        }
        Ok(removed)
    }

    /// Removes one version through handles when certctl provably made it; `false` (and nothing
    /// touched) otherwise.
    fn remove_version(&self, sets: &OwnedFd, id: &str) -> Result<bool, SetError> {
        let vpath = self.dir.join(".sets").join(id);
        let euid = safepath::euid();
        match fsx::kind_at(sets.as_fd(), id).map_err(io_at(vpath.clone()))? {
            Some((FileType::Directory, uid)) if uid == euid && is_version_id(id) => {}
            _ => return Ok(false),
        }
        let v = match fsx::open_dir_at(sets.as_fd(), id) {
            Ok(v) => v,
            Err(Errno::LOOP | Errno::NOTDIR | Errno::NOENT) => return Ok(false),
            Err(e) => return Err(io_at(vpath)(e)),
        };
        let names = fsx::list_at(v.as_fd()).map_err(io_at(vpath.clone()))?;
        for n in &names {
            let ok = self.files.contains(&n.as_str())
                && matches!(
                    fsx::kind_at(v.as_fd(), n).map_err(io_at(vpath.clone()))?,
                    Some((FileType::RegularFile, uid)) if uid == euid
                );
            if !ok {
                return Ok(false);
            }
        }
        for n in &names {
            rustix::fs::unlinkat(&v, n.as_str(), AtFlags::empty()).map_err(io_at(vpath.join(n)))?;
        }
        rustix::fs::unlinkat(sets, id, AtFlags::REMOVEDIR).map_err(io_at(vpath))?;
        Ok(true)
    }

    /// Converts plain files (from before certctl managed the directory, or copied in by hand)
    /// into a version holding exactly what is served now (plain files, plus the current
    /// version's files for names that are still certctl's links), and points `.current` at it:
    /// the adopted pair is what `install` then keeps as the rollback target. Content stays
    /// identical at every step.
    fn adopt_plain_files(&self) -> Result<(), SetError> {
        let mut plain = Vec::new();
        for n in self.files {
            if self.top_entry(n)? == Top::Plain {
                plain.push(*n);
            }
        }
        if plain.is_empty() {
            return Ok(());
        }
        let served = self.reader()?;
        let sets = self
            .sets_fd(true)?
            .ok_or_else(|| io_at(self.path(".sets"))(Errno::NOENT))?;
        let taken = fsx::list_at(sets.as_fd()).map_err(io_at(self.path(".sets")))?;
        let id = std::iter::once(ADOPTED.to_string())
            .chain((2..).map(|n| format!("{ADOPTED}-{n}")))
            .find(|c| !taken.contains(c))
            .unwrap_or_else(|| ADOPTED.to_string());
        let vpath = self.dir.join(".sets").join(&id);
        let v = self.make_version_dir(&sets, &id)?;
        let mut written = Vec::new();
        let mut names = Vec::new();
        for n in self.files {
            let Some(f) = served.open(n)? else {
                continue;
            };
            let st = rustix::fs::fstat(&f).map_err(io_at(self.path(n)))?;
            let bytes = read_capped(f, &self.path(n))?;
            let file = NewFile {
                name: n,
                bytes,
                mode: st.st_mode & 0o777,
            };
            written.push((vpath.join(n), self.write_new(&v, &vpath, &file)?));
            names.push(*n);
        }
        drop(served);
        sync_batch(&written)?;
        rustix::fs::fsync(&v).map_err(io_at(vpath.clone()))?;
        rustix::fs::fsync(&sets).map_err(io_at(self.path(".sets")))?;
        // Links for names served through the old version already point through .current;
        // the switch makes them resolve to identical copies, then the plain files become links,
        // and links to files nothing served are removed.
        self.point(".current", &format!(".sets/{id}"))?;
        for n in &plain {
            self.point(n, &format!(".current/{n}"))?;
        }
        for n in self.files {
            if !names.contains(n) && self.top_entry(n)? == Top::Link {
                self.unlink_if_present(n)?;
            }
        }
        self.sync_top()
    }

    /// Atomically makes `name` a symlink to `target` (temp link + renameat, in the handle).
    fn point(&self, name: &str, target: &str) -> Result<(), SetError> {
        let mut attempt = 0u32;
        let tmp = loop {
            let tmp = fsx::temp_name(name, attempt);
            match rustix::fs::symlinkat(target, self.top(), tmp.as_str()) {
                Ok(()) => break tmp,
                Err(Errno::EXIST) if attempt < 100 => attempt += 1,
                Err(e) => return Err(io_at(self.path(&tmp))(e)),
            }
        };
        rustix::fs::renameat(self.top(), tmp.as_str(), self.top(), name).map_err(|e| {
            let _ = rustix::fs::unlinkat(self.top(), tmp.as_str(), AtFlags::empty());
            io_at(self.path(name))(e)
        })
    }
}

/// fsyncs a batch: writeback of every file is started first, then each is fsynced in turn;
/// the first fsync's journal commit carries the whole batch, so the later ones find little
/// left to do (no threads needed, one commit instead of one per file).
fn sync_batch(files: &[(PathBuf, File)]) -> Result<(), SetError> {
    #[cfg(target_os = "linux")]
    for (_, f) in files {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is open for the duration of the call; the call only starts
        // writeback, and any error it hits is reported again by the fsync below.
        unsafe {
            libc::sync_file_range(f.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    for (p, f) in files {
        f.sync_all().map_err(io_err(p.clone()))?;
    }
    Ok(())
}

/// A version id: sortable UTC timestamp plus the certificate's short fingerprint.
pub(crate) fn version_id(at: i64, cert: &CertInfo) -> String {
    let stamp: String = crate::x509::rfc3339(at)
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    format!("{stamp}-{}", cert.sha256.short())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn files(tag: &str) -> Vec<NewFile> {
        vec![
            NewFile {
                name: "cert.pem",
                bytes: format!("cert {tag}").into_bytes(),
                mode: 0o644,
            },
            NewFile {
                name: "key.pem",
                bytes: format!("key {tag}").into_bytes(),
                mode: 0o600,
            },
        ]
    }

    fn id(n: u32) -> String {
        format!("203001{n:02}000000-{n:016x}")
    }

    fn sets_listing(set: &CertSet) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(set.dir.join(".sets"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn install_switch_rollback_prune() {
        let d = tempfile::tempdir().unwrap();
        let set = CertSet::open(&d.path().join("out"), true).unwrap();
        assert_eq!(set.install(&id(1), &files("a")).unwrap(), None);
        assert_eq!(set.read("cert.pem").unwrap().unwrap(), b"cert a");
        let old = set.install(&id(2), &files("b")).unwrap();
        assert_eq!(old, Some(id(1)));
        assert_eq!(set.read("key.pem").unwrap().unwrap(), b"key b");
        let mode = fs::metadata(set.path("key.pem"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(set.rollback().unwrap(), id(1));
        assert_eq!(set.read("cert.pem").unwrap().unwrap(), b"cert a");
        assert_eq!(set.previous_id(), None, "no second step back");
        set.install(&id(3), &files("c")).unwrap();
        set.install(&id(4), &files("d")).unwrap();
        set.prune(2).unwrap();
        assert_eq!(sets_listing(&set), vec![id(3), id(4)]);
        assert_eq!(set.read("cert.pem").unwrap().unwrap(), b"cert d");
    }

    #[test]
    fn adopts_plain_files_and_refuses_foreign_links() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("cert.pem"), "old cert").unwrap();
        fs::write(out.join("key.pem"), "old key").unwrap();
        let set = CertSet::open(&out, false).unwrap();
        assert_eq!(
            set.install(&id(1), &files("a")).unwrap().as_deref(),
            Some(ADOPTED)
        );
        assert_eq!(set.read("cert.pem").unwrap().unwrap(), b"cert a");
        set.rollback().unwrap();
        assert_eq!(set.read("cert.pem").unwrap().unwrap(), b"old cert");
        let out2 = d.path().join("out2");
        fs::create_dir(&out2).unwrap();
        symlink("/etc/passwd", out2.join("cert.pem")).unwrap();
        assert!(matches!(
            CertSet::open(&out2, false),
            Err(SetError::ForeignLink { .. })
        ));
        let link = d.path().join("linkdir");
        symlink(&out, &link).unwrap();
        assert!(matches!(
            CertSet::open(&link, false),
            Err(SetError::Path(PathError::Unsafe {
                reason: Unsafe::Link,
                ..
            }))
        ));
    }

    /// Plain files copied over certctl's links while `.current` still points at an older
    /// certctl version: what is served is the plain pair, so that is what a rollback restores.
    #[test]
    fn an_adopted_pair_is_the_rollback_target() {
        let d = tempfile::tempdir().unwrap();
        let set = CertSet::open(&d.path().join("out"), true).unwrap();
        set.install(&id(1), &files("certctl-old")).unwrap();
        for (n, text) in [("cert.pem", "hand cert"), ("key.pem", "hand key")] {
            fs::remove_file(set.path(n)).unwrap();
            fs::write(set.path(n), text).unwrap();
        }
        let target = set.install(&id(2), &files("new")).unwrap();
        assert_eq!(
            target.as_deref(),
            Some(ADOPTED),
            "install names the rollback target"
        );
        assert_eq!(set.previous_id().as_deref(), Some(ADOPTED));
        assert_eq!(set.read("cert.pem").unwrap().unwrap(), b"cert new");
        assert_eq!(
            set.rollback().unwrap(),
            ADOPTED,
            "rollback names what it put in place"
        );
        assert_eq!(set.read("cert.pem").unwrap().unwrap(), b"hand cert");
        assert_eq!(set.read("key.pem").unwrap().unwrap(), b"hand key");
        // A second adoption gets its own id; the first stays intact until pruned.
        fs::remove_file(set.path("cert.pem")).unwrap();
        fs::write(set.path("cert.pem"), "hand cert 2").unwrap();
        assert_eq!(
            set.install(&id(3), &files("newer")).unwrap().as_deref(),
            Some("0-adopted-2")
        );
        set.rollback().unwrap();
        assert_eq!(set.read("cert.pem").unwrap().unwrap(), b"hand cert 2");
        assert_eq!(set.read("key.pem").unwrap().unwrap(), b"hand key");
    }

    #[test]
    fn links_match_the_version_in_place_after_install_and_rollback() {
        let d = tempfile::tempdir().unwrap();
        let set = CertSet::open(&d.path().join("out"), true).unwrap();
        set.install(&id(1), &files("a")).unwrap();
        let mut with_haproxy = files("b");
        with_haproxy.push(NewFile {
            name: "haproxy.pem",
            bytes: b"combined b".to_vec(),
            mode: 0o600,
        });
        set.install(&id(2), &with_haproxy).unwrap();
        assert_eq!(set.read("haproxy.pem").unwrap().unwrap(), b"combined b");
        set.rollback().unwrap();
        assert!(
            fs::symlink_metadata(set.path("haproxy.pem")).is_err(),
            "a link to a file the version in place lacks must go"
        );
        set.install(&id(3), &with_haproxy).unwrap();
        set.install(&id(4), &files("d")).unwrap();
        assert!(fs::symlink_metadata(set.path("haproxy.pem")).is_err());
        // Only certctl's own links are removed: a plain file stays (it is adopted instead).
        for e in fs::read_dir(&set.dir).unwrap() {
            let p = e.unwrap().path();
            if fs::symlink_metadata(&p).unwrap().file_type().is_symlink() {
                assert!(fs::metadata(&p).is_ok(), "dangling link {}", p.display());
            }
        }
    }

    #[test]
    fn prune_removes_only_what_certctl_provably_made() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        fs::create_dir(&victim).unwrap();
        fs::write(victim.join("keep.txt"), "precious").unwrap();
        let set = CertSet::open(&d.path().join("out"), true).unwrap();
        for n in 1..=4 {
            set.install(&id(n), &files(&n.to_string())).unwrap();
        }
        let sets = set.dir.join(".sets");
        // Not certctl's name.
        fs::create_dir(sets.join("notes")).unwrap();
        fs::write(sets.join("notes/readme"), "mine").unwrap();
        // certctl's name, but holding a file certctl never writes.
        fs::create_dir(sets.join(id(5).replace("2030", "2029"))).unwrap();
        fs::write(
            sets.join(id(5).replace("2030", "2029")).join("evil.txt"),
            "x",
        )
        .unwrap();
        // certctl's name, but a link to a directory elsewhere.
        symlink(&victim, sets.join(id(6).replace("2030", "2028"))).unwrap();
        // certctl's name, a directory holding a link instead of a file.
        let linked = sets.join(id(7).replace("2030", "2027"));
        fs::create_dir(&linked).unwrap();
        symlink(victim.join("keep.txt"), linked.join("cert.pem")).unwrap();
        let removed = set.prune(2).unwrap();
        assert_eq!(removed, vec![id(2), id(1)]);
        assert_eq!(fs::read(victim.join("keep.txt")).unwrap(), b"precious");
        let left = sets_listing(&set);
        assert_eq!(left.len(), 6, "{left:?}");
        assert!(left.contains(&"notes".to_string()));
        assert_eq!(fs::read(sets.join("notes/readme")).unwrap(), b"mine");
        assert!(linked.join("cert.pem").exists());
    }

    #[test]
    fn planted_links_inside_the_directory_are_refused_by_name() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        fs::create_dir(&victim).unwrap();
        let out = d.path().join("out");
        let set = CertSet::open(&out, true).unwrap();
        set.install(&id(1), &files("a")).unwrap();
        type Plant<'a> = Box<dyn Fn() + 'a>;
        let cases: Vec<(&str, Plant)> = vec![
            (
                ".current",
                Box::new(|| {
                    fs::remove_file(out.join(".current")).unwrap();
                    symlink(&victim, out.join(".current")).unwrap();
                }),
            ),
            (
                ".previous",
                Box::new(|| symlink("/etc", out.join(".previous")).unwrap()),
            ),
            (
                ".pending",
                Box::new(|| symlink(victim.join("p"), out.join(".pending")).unwrap()),
            ),
            (
                ".lock",
                Box::new(|| symlink(victim.join("l"), out.join(".lock")).unwrap()),
            ),
            (
                ".certctl-tmp.cert.pem.1.0",
                Box::new(|| {
                    symlink(victim.join("t"), out.join(".certctl-tmp.cert.pem.1.0")).unwrap()
                }),
            ),
        ];
        for (name, plant) in cases {
            let backup = d.path().join("backup");
            let _ = fs::remove_dir_all(&backup);
            copy_dir(&out, &backup);
            plant();
            let e = CertSet::open(&out, false).unwrap_err();
            assert!(e.to_string().contains(name), "{name}: {e}");
            assert_eq!(e.exit_code(), ExitStatus::BadInput, "{name}: {e}");
            fs::remove_dir_all(&out).unwrap();
            fs::rename(&backup, &out).unwrap();
        }
        let sets = out.join(".sets");
        fs::rename(&sets, d.path().join("realsets")).unwrap();
        symlink(d.path().join("realsets"), &sets).unwrap();
        let e = CertSet::open(&out, false).unwrap_err();
        assert!(e.to_string().contains(".sets"), "{e}");
    }

    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir(to).unwrap();
        for e in fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let (src, dst) = (e.path(), to.join(e.file_name()));
            let m = fs::symlink_metadata(&src).unwrap();
            if m.file_type().is_symlink() {
                symlink(fs::read_link(&src).unwrap(), &dst).unwrap();
            } else if m.is_dir() {
                copy_dir(&src, &dst);
            } else {
                fs::copy(&src, &dst).unwrap();
            }
        }
        fs::set_permissions(to, fs::metadata(from).unwrap().permissions()).unwrap();
    }

    #[test]
    fn a_directory_others_can_write_is_refused_even_sticky() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("shared");
        fs::create_dir(&out).unwrap();
        for mode in [0o777, 0o1777, 0o775, 0o1775, 0o757] {
            fs::set_permissions(&out, fs::Permissions::from_mode(mode)).unwrap();
            let e = CertSet::open(&out, false).unwrap_err();
            assert!(
                matches!(e, SetError::Path(PathError::Unsafe { .. })),
                "{mode:o}: {e}"
            );
            let said = format!("{e}; {}", e.hint().unwrap_or_default());
            let needle = if mode & 0o1000 != 0 {
                "shared directory"
            } else {
                "chmod go-w"
            };
            assert!(said.contains(needle), "{said}");
        }
        fs::set_permissions(&out, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(CertSet::open(&out, false).is_ok());
    }

    #[test]
    fn the_lock_excludes_a_second_holder() {
        let d = tempfile::tempdir().unwrap();
        let set = CertSet::open(d.path(), false).unwrap();
        let held = set.lock(Duration::from_millis(10)).unwrap();
        assert!(matches!(
            set.lock(Duration::from_millis(100)),
            Err(SetError::Locked { .. })
        ));
        drop(held);
        assert!(set.lock(Duration::from_millis(10)).is_ok());
    }

    #[test]
    fn the_lock_removes_only_certctls_stale_temp_names() {
        let d = tempfile::tempdir().unwrap();
        let set = CertSet::open(d.path(), false).unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = format!(".certctl-tmp.cert.pem.{dead}.0");
        let live = format!(".certctl-tmp.cert.pem.{}.0", std::process::id());
        let foreign = [".backup.tmp.2024", ".nginx.link.conf", ".cert.pem.tmp.1.0"];
        for n in foreign
            .iter()
            .copied()
            .chain([stale.as_str(), live.as_str()])
        {
            fs::write(d.path().join(n), "x").unwrap();
        }
        drop(set.lock(Duration::from_millis(10)).unwrap());
        for n in foreign.iter().copied().chain([live.as_str()]) {
            assert!(d.path().join(n).exists(), "{n} must stay");
        }
        assert!(
            !d.path().join(&stale).exists(),
            "{stale} is certctl's and stale"
        );
    }

    #[test]
    fn the_pending_mark_is_durable_and_names_the_version() {
        let d = tempfile::tempdir().unwrap();
        let set = CertSet::open(d.path(), false).unwrap();
        assert!(!set.pending());
        set.mark_pending(&id(1)).unwrap();
        assert!(set.pending());
        assert_eq!(set.pending_id().unwrap(), Some(id(1)));
        set.clear_pending().unwrap();
        assert!(!set.pending());
        let names: Vec<_> = fs::read_dir(d.path()).unwrap().collect();
        assert!(names.is_empty(), "no temp left: {names:?}");
    }
}

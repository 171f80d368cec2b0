//! The one way certctl reaches a path it trusts (a directory it writes into as root, a rotate
//! config, a password file, a hook executable): walked from `/` one component at a time through
//! handles opened without following links, every component checked, so that no other user can
//! redirect it. Later operations use the returned handle, never the path string again.
//!
//! The rule, after OpenSSH's `safe_path()` (StrictModes), sudo's sudoers checks and systemd's
//! `chase()` unsafe-transition rule:
//! - every directory on the way, every link followed and the entry at the end are owned by root
//!   or by you (the effective user);
//! - no directory on the way is writable by group or others, except a sticky one (like `/tmp`):
//!   there only an entry's owner can rename or remove it, and the next component is yours or
//!   root's by the first rule;
//! - a directory certctl writes into (the end of [`open_dir`]) is not writable by group or
//!   others at all, sticky or not: another user could plant names certctl has not made yet;
//! - a symbolic link on the way is followed only when it passes the same test (its owner is
//!   root or you, and the directory holding it passed); at most [`MAX_LINKS`] links. The end of
//!   [`open_dir`] and [`open_parent`]'s file name are never followed: certctl works inside the
//!   directory the user named, not wherever a link there points.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::exit::ExitStatus;

/// Most symbolic links followed in one walk (as the kernel's own limit).
pub(crate) const MAX_LINKS: u32 = 40;

/// Why one component of a path is not safe to trust.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsafe {
    #[error("is owned by uid {uid}, neither you (uid {euid}) nor root, so its owner could redirect what is below it")]
    Owner { uid: u32, euid: u32 },
    #[error("is writable by group or others (mode {mode:04o}), so another user could replace what is below it")]
    Writable {
        mode: u32,
        /// Owned by the running user: with [`system_dir`] false, `chmod go-w` is then advice
        /// that changes nothing others or the system rely on.
        yours: bool,
    },
    #[error("is a shared directory (mode {mode:04o}): other users can create names in it")]
    Shared { mode: u32 },
    #[error("is a symbolic link owned by uid {uid}, neither you (uid {euid}) nor root")]
    LinkOwner { uid: u32, euid: u32 },
    #[error("is a symbolic link (certctl does not follow a link here)")]
    Link,
    #[error("leads through more than {MAX_LINKS} symbolic links")]
    TooManyLinks,
    #[error("is not a directory")]
    NotDir,
    #[error("is a directory")]
    IsDir,
    #[error("is {kind}, not a regular file")]
    NotFile { kind: &'static str },
}

impl Unsafe {
    /// What the user can do about it, naming the offending component.
    fn hint(&self, at: &Path) -> String {
        let at_path = at;
        let at = at.display();
        match self {
            Unsafe::Owner { euid, .. } => format!(
                "use a path whose every directory is owned by root or by you (uid {euid}), or `chown` {at} to one of them"
            ),
            Unsafe::Writable { yours: true, .. } if !system_dir(at_path) => format!(
                "use a path no other user can change, or run `chmod go-w {at}` (it is your directory)"
            ),
            Unsafe::Writable { .. } => format!(
                "use a path outside {at}, in a directory only you (or root) can change; leave the mode of {at} alone: other users or the system rely on it"
            ),
            Unsafe::Shared { .. } => format!(
                "do not write straight into a shared directory; make one of your own inside it first, e.g. `mkdir -m 0755 {at}/certctl`"
            ),
            Unsafe::LinkOwner { .. } => {
                format!("replace the link {at} with one owned by root or you, or name the real path")
            }
            Unsafe::Link => format!("name the real path instead of the link {at}"),
            Unsafe::TooManyLinks => "name the real path".to_string(),
            Unsafe::NotDir | Unsafe::IsDir | Unsafe::NotFile { .. } => {
                format!("check the path: {at}")
            }
        }
    }
}

/// A directory of the system's layout: `/`, a top-level directory (`/tmp`, `/var`, ...) or one
/// of the shared directories below them (`/var/tmp`, `/var/local`, `/var/mail`, `/run/lock`,
/// `/dev/shm`, `/usr/local`, ...). Their modes are the system's (a group-writable `/var/local`
/// is Debian's design), so no hint advises changing them, even to root, who owns them.
fn system_dir(at: &Path) -> bool {
    const SHARED: &[&str] = &[
        "/var/tmp",
        "/var/local",
        "/var/mail",
        "/var/spool",
        "/var/crash",
        "/var/cache",
        "/var/lib",
        "/var/log",
        "/run/lock",
        "/run/user",
        "/dev/shm",
        "/dev/mqueue",
        "/usr/local",
        "/usr/src",
    ];
    at.is_absolute() && (at.components().count() <= 2 || SHARED.iter().any(|s| at == Path::new(s)))
}

/// Why a path could not be reached safely.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// A component broke the rule: refused (exit 2), naming the component.
    #[error("refusing to use {path}: {} {reason}", display_at(.at))]
    Unsafe {
        path: PathBuf,
        at: PathBuf,
        reason: Unsafe,
    },
    #[error("{path}: no such file or directory ({} is missing)", display_at(.at))]
    NotFound { path: PathBuf, at: PathBuf },
    /// An I/O failure on the way (read-only or full file system, permission, ...): exit 3.
    #[error("cannot {op} {}: {source}", display_at(.at))]
    Io {
        op: &'static str,
        path: PathBuf,
        at: PathBuf,
        source: std::io::Error,
    },
}

fn display_at(at: &Path) -> String {
    at.display().to_string()
}

impl PathError {
    /// 2 for a refused or missing path (the input is wrong), 3 when the file system failed.
    pub(crate) fn exit_code(&self) -> ExitStatus {
        match self {
            PathError::Io { .. } => ExitStatus::Operational,
            _ => ExitStatus::BadInput,
        }
    }

    /// The fix, when there is one.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            PathError::Unsafe { at, reason, .. } => Some(reason.hint(at)),
            _ => None,
        }
    }
}

/// A directory reached by the rule, as a handle.
#[derive(Debug)]
pub(crate) struct SafeDir {
    path: PathBuf,
    fd: OwnedFd,
}

impl SafeDir {
    /// The directory as the user named it (for messages and for hooks only).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub(crate) fn into_parts(self) -> (PathBuf, OwnedFd) {
        (self.path, self.fd)
    }
}

/// The effective user id.
pub(crate) fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn trusted_owner(uid: u32) -> bool {
    uid == 0 || uid == euid()
}

/// What an entry is, in words.
pub(crate) fn kind_name(ft: FileType) -> &'static str {
    match ft {
        FileType::RegularFile => "a regular file",
        FileType::Directory => "a directory",
        FileType::Symlink => "a symbolic link",
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Unknown => "of an unknown type",
    }
}

/// The owner/mode test for a directory on the way (`last`: certctl writes into it).
fn check_dir_stat(st: &rustix::fs::Stat, last: bool) -> Option<Unsafe> {
    let euid = euid();
    if !trusted_owner(st.st_uid) {
        return Some(Unsafe::Owner {
            uid: st.st_uid,
            euid,
        });
    }
    let mode = st.st_mode & 0o7777;
    if mode & 0o022 != 0 {
        if mode & 0o1000 != 0 {
            if last {
                return Some(Unsafe::Shared { mode });
            }
        } else {
            return Some(Unsafe::Writable {
                mode,
                yours: st.st_uid == euid,
            });
        }
    }
    None
}

/// Whether a directory handle passes the rule for a directory certctl writes into.
pub(crate) fn check_dir_fd(fd: BorrowedFd<'_>) -> std::io::Result<Option<Unsafe>> {
    let st = rustix::fs::fstat(fd)?;
    Ok(check_dir_stat(&st, true))
}

/// The path's components to walk, from `/`: a relative path is taken from the working
/// directory (itself walked from `/`).
fn components(path: &Path) -> Result<VecDeque<Vec<u8>>, std::io::Error> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    Ok(split(&abs))
}

fn split(p: &Path) -> VecDeque<Vec<u8>> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.as_bytes().to_vec()),
            Component::ParentDir => Some(b"..".to_vec()),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect()
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// How the walk treats its last component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// A directory certctl writes into, created (with this mode) when asked; never a link.
    Dir { create: Option<u32> },
    /// A file certctl trusts (config, password, hook executable): regular, safe owner and mode;
    /// a link is followed by the rule.
    File,
}

/// One walk in progress.
struct Walk<'a> {
    path: &'a Path,
    /// The directory reached so far, and how it was spelled.
    cur: OwnedFd,
    cur_path: PathBuf,
    links: u32,
}

/// What the walk ended on.
enum Reached {
    Dir(OwnedFd),
    File(OwnedFd),
}

impl<'a> Walk<'a> {
    fn start(path: &'a Path) -> Result<Walk<'a>, PathError> {
        let root = Path::new("/");
        let w = Walk {
            path,
            cur: open_root().map_err(|e| io_err("open", path, root, e))?,
            cur_path: root.to_path_buf(),
            links: 0,
        };
        w.check_current(false)?;
        Ok(w)
    }

    fn refuse(&self, at: PathBuf, reason: Unsafe) -> PathError {
        PathError::Unsafe {
            path: self.path.to_path_buf(),
            at,
            reason,
        }
    }

    fn check_current(&self, last: bool) -> Result<(), PathError> {
        let st = rustix::fs::fstat(&self.cur)
            .map_err(|e| io_err("examine", self.path, &self.cur_path, e))?;
        match check_dir_stat(&st, last) {
            Some(reason) => Err(self.refuse(self.cur_path.clone(), reason)),
            None => Ok(()),
        }
    }

    fn run(mut self, mut queue: VecDeque<Vec<u8>>, end: End) -> Result<Reached, PathError> {
        if queue.is_empty() {
            return match end {
                End::Dir { .. } => {
                    self.check_current(true)?;
                    Ok(Reached::Dir(self.cur))
                }
                End::File => Err(self.refuse(self.cur_path.clone(), Unsafe::IsDir)),
            };
        }
        while let Some(name) = queue.pop_front() {
            let last = queue.is_empty();
            let name_os = OsStr::from_bytes(&name);
            if name == b".." {
                let parent = rustix::fs::openat(&self.cur, "..", DIR_FLAGS, Mode::empty())
                    .map_err(|e| io_err("open", self.path, &self.cur_path, e))?;
                self.cur = parent;
                self.cur_path = self
                    .cur_path
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from("/"));
                self.check_current(last && matches!(end, End::Dir { .. }))?;
                if last && end == End::File {
                    return Err(self.refuse(self.cur_path.clone(), Unsafe::IsDir));
                }
                continue;
            }
            let at = self.cur_path.join(name_os);
            let st = match rustix::fs::statat(&self.cur, name_os, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => Some(st),
                Err(Errno::NOENT) => None,
                Err(e) => return Err(io_err("examine", self.path, &at, e)),
            };
            let Some(st) = st else {
                match (end, last) {
                    (End::Dir { create: Some(mode) }, _) => {
                        self.cur = self.make_dir(name_os, &at, mode)?;
                        self.cur_path = at;
                        self.check_current(last)?;
                        continue;
                    }
                    _ => {
                        return Err(PathError::NotFound {
                            path: self.path.to_path_buf(),
                            at,
                        })
                    }
                }
            };
            let ft = FileType::from_raw_mode(st.st_mode);
            match ft {
                FileType::Symlink => {
                    if last && matches!(end, End::Dir { .. }) {
                        return Err(self.refuse(at, Unsafe::Link));
                    }
                    if !trusted_owner(st.st_uid) {
                        return Err(self.refuse(
                            at,
                            Unsafe::LinkOwner {
                                uid: st.st_uid,
                                euid: euid(),
                            },
                        ));
                    }
                    self.links += 1;
                    if self.links > MAX_LINKS {
                        return Err(self.refuse(at, Unsafe::TooManyLinks));
                    }
                    let target = rustix::fs::readlinkat(&self.cur, name_os, Vec::new())
                        .map_err(|e| io_err("read the link", self.path, &at, e))?;
                    let target = PathBuf::from(OsStr::from_bytes(target.as_bytes()));
                    if target.is_absolute() {
                        self.cur = open_root()
                            .map_err(|e| io_err("open", self.path, Path::new("/"), e))?;
                        self.cur_path = PathBuf::from("/");
                        self.check_current(false)?;
                    }
                    for c in split(&target).into_iter().rev() {
                        queue.push_front(c);
                    }
                    if queue.is_empty() {
                        // A link to "/" (or to "."): the directory reached so far is the end.
                        return Walk::run(self, queue, end);
                    }
                }
                FileType::Directory => {
                    if last && end == End::File {
                        return Err(self.refuse(at, Unsafe::IsDir));
                    }
                    let fd = match rustix::fs::openat(&self.cur, name_os, DIR_FLAGS, Mode::empty())
                    {
                        Ok(fd) => fd,
                        // Swapped for a link (or something else) since it was examined.
                        Err(Errno::LOOP | Errno::NOTDIR) => {
                            return Err(self.refuse(at, Unsafe::Link))
                        }
                        Err(e) => return Err(io_err("open", self.path, &at, e)),
                    };
                    self.cur = fd;
                    self.cur_path = at;
                    self.check_current(last)?;
                }
                other => {
                    if !last || end != End::File {
                        return Err(self.refuse(at, Unsafe::NotDir));
                    }
                    if other != FileType::RegularFile {
                        return Err(self.refuse(
                            at,
                            Unsafe::NotFile {
                                kind: kind_name(other),
                            },
                        ));
                    }
                    return self.open_file(name_os, at);
                }
            }
        }
        Ok(Reached::Dir(self.cur))
    }

    /// Creates `name` in the current directory with exactly `mode`, made durable (the parent
    /// fsynced) before anything is written in it.
    fn make_dir(&self, name: &OsStr, at: &Path, mode: u32) -> Result<OwnedFd, PathError> {
        match rustix::fs::mkdirat(&self.cur, name, Mode::from_raw_mode(mode)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(io_err("create", self.path, at, e)),
        }
        let fd = match rustix::fs::openat(&self.cur, name, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::LOOP | Errno::NOTDIR) => {
                return Err(self.refuse(at.to_path_buf(), Unsafe::Link))
            }
            Err(e) => return Err(io_err("open", self.path, at, e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| io_err("examine", self.path, at, e))?;
        // Ours (just made): the umask may have narrowed the mode; set exactly `mode`.
        if st.st_uid == euid() && st.st_mode & 0o7777 != mode {
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))
                .map_err(|e| io_err("set the mode of", self.path, at, e))?;
        }
        rustix::fs::fsync(&self.cur).map_err(|e| io_err("sync", self.path, &self.cur_path, e))?;
        Ok(fd)
    }

    fn open_file(&self, name: &OsStr, at: PathBuf) -> Result<Reached, PathError> {
        let fd = match rustix::fs::openat(
            &self.cur,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::LOOP) => return Err(self.refuse(at, Unsafe::Link)),
            Err(e) => return Err(io_err("open", self.path, &at, e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| io_err("examine", self.path, &at, e))?;
        let ft = FileType::from_raw_mode(st.st_mode);
        if ft != FileType::RegularFile {
            return Err(self.refuse(
                at,
                Unsafe::NotFile {
                    kind: kind_name(ft),
                },
            ));
        }
        if !trusted_owner(st.st_uid) {
            return Err(self.refuse(
                at,
                Unsafe::Owner {
                    uid: st.st_uid,
                    euid: euid(),
                },
            ));
        }
        let mode = st.st_mode & 0o7777;
        if mode & 0o022 != 0 {
            let yours = st.st_uid == euid();
            return Err(self.refuse(at, Unsafe::Writable { mode, yours }));
        }
        Ok(Reached::File(fd))
    }
}

fn open_root() -> rustix::io::Result<OwnedFd> {
    rustix::fs::open("/", DIR_FLAGS, Mode::empty())
}

fn io_err(op: &'static str, path: &Path, at: &Path, e: Errno) -> PathError {
    PathError::Io {
        op,
        path: path.to_path_buf(),
        at: at.to_path_buf(),
        source: e.into(),
    }
}

/// Opens the directory `path` for certctl to write into, creating it and any missing parents
/// with `create`'s mode when given. Every ancestor passes the rule; the directory itself is
/// owned by root or you and writable by nobody else; a link as its last component is refused.
pub(crate) fn open_dir(path: &Path, create: Option<u32>) -> Result<SafeDir, PathError> {
    let queue = components(path).map_err(|e| PathError::Io {
        op: "find the working directory for",
        path: path.to_path_buf(),
        at: path.to_path_buf(),
        source: e,
    })?;
    match Walk::start(path)?.run(queue, End::Dir { create })? {
        Reached::Dir(fd) => Ok(SafeDir {
            path: path.to_path_buf(),
            fd,
        }),
        Reached::File(_) => Err(PathError::Unsafe {
            path: path.to_path_buf(),
            at: path.to_path_buf(),
            reason: Unsafe::NotDir,
        }),
    }
}

/// For writing the file `path`: its directory reached by the rule (see [`open_dir`], never
/// created) and the file's name in it. The name itself is the caller's to check (never
/// followed: certctl writes through the directory handle).
pub(crate) fn open_parent(path: &Path) -> Result<(SafeDir, String), PathError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..");
    let Some(name) = name else {
        return Err(PathError::Unsafe {
            path: path.to_path_buf(),
            at: path.to_path_buf(),
            reason: Unsafe::IsDir,
        });
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = open_dir(&parent, None).map_err(|e| match e {
        PathError::Unsafe { at, reason, .. } => PathError::Unsafe {
            path: path.to_path_buf(),
            at,
            reason,
        },
        PathError::NotFound { at, .. } => PathError::NotFound {
            path: path.to_path_buf(),
            at,
        },
        PathError::Io { op, at, source, .. } => PathError::Io {
            op,
            path: path.to_path_buf(),
            at,
            source,
        },
    })?;
    Ok((dir, name.to_string()))
}

/// Opens a file certctl trusts (a rotate config, a password file, a hook executable): every
/// component passes the rule, links are followed only by it, and the file is a regular file
/// owned by root or you that nobody else can write. Opened non-blocking, never as a terminal.
pub(crate) fn open_file(path: &Path) -> Result<File, PathError> {
    let queue = components(path).map_err(|e| PathError::Io {
        op: "find the working directory for",
        path: path.to_path_buf(),
        at: path.to_path_buf(),
        source: e,
    })?;
    match Walk::start(path)?.run(queue, End::File)? {
        Reached::File(fd) => Ok(File::from(fd)),
        Reached::Dir(_) => Err(PathError::Unsafe {
            path: path.to_path_buf(),
            at: path.to_path_buf(),
            reason: Unsafe::IsDir,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn private_dir() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
        d
    }

    #[test]
    fn every_ancestor_is_checked_not_only_the_last() {
        let d = private_dir();
        let mid = d.path().join("a/b");
        fs::create_dir_all(mid.join("c")).unwrap();
        assert!(open_dir(&mid.join("c"), None).is_ok());
        for mode in [0o777, 0o775, 0o757] {
            fs::set_permissions(d.path().join("a"), fs::Permissions::from_mode(mode)).unwrap();
            let e = open_dir(&mid.join("c"), None).unwrap_err();
            match &e {
                PathError::Unsafe { at, reason, .. } => {
                    assert_eq!(at, &d.path().join("a"), "{e}");
                    assert!(matches!(reason, Unsafe::Writable { .. }), "{e}");
                }
                _ => panic!("{mode:o}: {e}"),
            }
            assert_eq!(e.exit_code(), ExitStatus::BadInput);
        }
        // A sticky ancestor is fine (its next component is ours); as the end it is not.
        fs::set_permissions(d.path().join("a"), fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(open_dir(&mid.join("c"), None).is_ok());
        let e = open_dir(&d.path().join("a"), None).unwrap_err();
        assert!(e.to_string().contains("shared directory"), "{e}");
        assert!(!e.hint().unwrap().contains("chmod"), "{:?}", e.hint());
    }

    /// `chmod go-w` is advised only for a directory of your own, never for someone else's or
    /// for a directory of the system's layout (not even to root, who owns those).
    #[test]
    fn chmod_is_advised_only_for_your_own_directory() {
        let at = Path::new("/srv/certs/shared");
        let mine = Unsafe::Writable {
            mode: 0o777,
            yours: true,
        }
        .hint(at);
        assert!(mine.contains("`chmod go-w /srv/certs/shared`"), "{mine}");
        let theirs = Unsafe::Writable {
            mode: 0o775,
            yours: false,
        }
        .hint(at);
        assert!(!theirs.contains("chmod"), "{theirs}");
        assert!(
            theirs.contains("use a path outside /srv/certs/shared"),
            "{theirs}"
        );
        for system in ["/var/local", "/tmp", "/", "/usr/local", "/dev/shm"] {
            let h = Unsafe::Writable {
                mode: 0o2775,
                yours: true,
            }
            .hint(Path::new(system));
            assert!(!h.contains("chmod"), "{system}: {h}");
        }
        let shared = Unsafe::Shared { mode: 0o1777 }.hint(Path::new("/tmp"));
        assert!(
            !shared.contains("chmod") && shared.contains("`mkdir -m 0755 /tmp/certctl`"),
            "{shared}"
        );
    }

    #[test]
    fn links_are_followed_only_on_the_way_and_never_as_the_end() {
        let d = private_dir();
        fs::create_dir_all(d.path().join("real/out")).unwrap();
        symlink(d.path().join("real"), d.path().join("via")).unwrap();
        symlink("real", d.path().join("rel")).unwrap();
        assert!(open_dir(&d.path().join("via/out"), None).is_ok());
        assert!(open_dir(&d.path().join("rel/out"), None).is_ok());
        symlink(d.path().join("real/out"), d.path().join("outlink")).unwrap();
        let e = open_dir(&d.path().join("outlink"), None).unwrap_err();
        assert!(
            matches!(
                e,
                PathError::Unsafe {
                    reason: Unsafe::Link,
                    ..
                }
            ),
            "{e}"
        );
        // `..` after a link goes to the link target's parent, as the kernel resolves it.
        fs::create_dir_all(d.path().join("real/sib")).unwrap();
        assert!(open_dir(&d.path().join("via/out/../sib"), None).is_ok());
        // A loop ends.
        symlink("loop2", d.path().join("loop1")).unwrap();
        symlink("loop1", d.path().join("loop2")).unwrap();
        let e = open_dir(&d.path().join("loop1/x"), None).unwrap_err();
        assert!(
            matches!(
                e,
                PathError::Unsafe {
                    reason: Unsafe::TooManyLinks,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn creating_makes_every_missing_directory_with_the_mode() {
        let d = private_dir();
        let deep = d.path().join("x/y/z");
        let dir = open_dir(&deep, Some(0o700)).unwrap();
        assert_eq!(dir.path(), deep);
        for p in [d.path().join("x"), d.path().join("x/y"), deep.clone()] {
            let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
            assert_eq!(mode, 0o700, "{}", p.display());
        }
        assert!(open_dir(&deep, Some(0o700)).is_ok());
        fs::write(d.path().join("f"), b"x").unwrap();
        let e = open_dir(&d.path().join("f/sub"), Some(0o700)).unwrap_err();
        assert!(
            matches!(
                e,
                PathError::Unsafe {
                    reason: Unsafe::NotDir,
                    ..
                }
            ),
            "{e}"
        );
        let e = open_dir(&d.path().join("missing"), None).unwrap_err();
        assert!(matches!(e, PathError::NotFound { .. }), "{e}");
    }

    #[test]
    fn trusted_files_must_be_regular_and_not_writable_by_others() {
        let d = private_dir();
        let f = d.path().join("c.toml");
        fs::write(&f, b"x").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(open_file(&f).is_ok());
        symlink("c.toml", d.path().join("l.toml")).unwrap();
        assert!(open_file(&d.path().join("l.toml")).is_ok());
        for mode in [0o666, 0o664, 0o646] {
            fs::set_permissions(&f, fs::Permissions::from_mode(mode)).unwrap();
            let e = open_file(&f).unwrap_err();
            assert!(
                matches!(
                    e,
                    PathError::Unsafe {
                        reason: Unsafe::Writable { .. },
                        ..
                    }
                ),
                "{e}"
            );
            assert!(open_file(&d.path().join("l.toml")).is_err());
        }
        let e = open_file(d.path()).unwrap_err();
        assert!(
            matches!(
                e,
                PathError::Unsafe {
                    reason: Unsafe::IsDir,
                    ..
                }
            ),
            "{e}"
        );
        let e = open_file(Path::new("/dev/null")).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
    }
}

//! An on-prem certificate set on disk, swapped atomically: `cert.pem` etc. are symlinks through
//! `.current`, which one rename points at a complete, fsynced version under `.sets/`.
//!
//! ```text
//! out-dir/cert.pem      -> .current/cert.pem        (also key.pem, chain.pem, fullchain.pem, ...)
//! out-dir/.current      -> .sets/<id>               (one rename switches every file at once)
//! out-dir/.previous     -> .sets/<older id>         (rollback target)
//! out-dir/.sets/<id>/   complete versions; key files 0600 from creation
//! out-dir/.lock         serialises writers
//! ```
//! A reader (or a crash at any instant) sees the old set or the new set, never a mix.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{symlink, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::x509::CertInfo;

/// File names a set may hold, in the order they are written.
pub const FILES: &[&str] = &[
    "cert.pem",
    "chain.pem",
    "fullchain.pem",
    "key.pem",
    "haproxy.pem",
    "cert.p12",
];

/// Why a set could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("refusing to use {path}: the output directory is a symbolic link")]
    DirSymlink { path: PathBuf },
    #[error(
        "refusing to use {path}: it is a symbolic link certctl did not make (points to {target})"
    )]
    ForeignLink { path: PathBuf, target: String },
    #[error("cannot create the output directory {path}: {source}")]
    Unwritable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("refusing to use {path}: it is writable by group or others (mode {mode:o}); run `chmod go-w {path}`")]
    OpenDir { path: PathBuf, mode: u32 },
    #[error("{path} exists and is not a directory")]
    NotDir { path: PathBuf },
    #[error("another certctl holds the lock on {path} (waited {waited} s)")]
    Locked { path: PathBuf, waited: u64 },
    #[error("{path} holds a certificate pair already; pass --force to replace it (the old pair is kept for rollback)")]
    Exists { path: PathBuf },
    #[error("no previous set to roll back to in {path}")]
    NoPrevious { path: PathBuf },
}

impl SetError {
    /// 2 for what the user can fix in the input, 3 for I/O.
    pub fn exit_code(&self) -> u8 {
        match self {
            SetError::Io { .. } | SetError::Locked { .. } | SetError::NoPrevious { .. } => 3,
            _ => 2,
        }
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> SetError + '_ {
    move |source| SetError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One file of a new version.
pub struct NewFile {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub mode: u32,
}

/// A held lock; released on drop.
pub struct Lock {
    _file: File,
}

/// An output directory holding one certificate set.
#[derive(Debug, Clone)]
pub struct CertSet {
    pub dir: PathBuf,
}

impl CertSet {
    /// Opens (creating when missing) an output directory; refuses symlinked directories and
    /// foreign symlinks in place of certctl's files.
    pub fn open(dir: &Path, create: bool) -> Result<CertSet, SetError> {
        match fs::symlink_metadata(dir) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(SetError::DirSymlink {
                    path: dir.to_path_buf(),
                })
            }
            Ok(m) if !m.is_dir() => {
                return Err(SetError::NotDir {
                    path: dir.to_path_buf(),
                })
            }
            // Another user who can write here could swap links under a root cron job.
            Ok(m)
                if m.permissions().mode() & 0o022 != 0 && m.permissions().mode() & 0o1000 == 0 =>
            {
                return Err(SetError::OpenDir {
                    path: dir.to_path_buf(),
                    mode: m.permissions().mode() & 0o7777,
                })
            }
            Ok(_) => {}
            Err(_) if create => {
                crate::fsx::create_dir_durable(dir, 0o755).map_err(|source| {
                    SetError::Unwritable {
                        path: dir.to_path_buf(),
                        source,
                    }
                })?;
            }
            Err(e) => return Err(io(dir)(e)),
        }
        let set = CertSet {
            dir: dir.to_path_buf(),
        };
        for name in FILES {
            let p = set.dir.join(name);
            if let Ok(target) = fs::read_link(&p) {
                if target != Path::new(".current").join(name) {
                    return Err(SetError::ForeignLink {
                        path: p,
                        target: target.display().to_string(),
                    });
                }
            }
        }
        Ok(set)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Takes the directory's lock, waiting up to `timeout`.
    pub fn lock(&self, timeout: Duration) -> Result<Lock, SetError> {
        let path = self.dir.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(io(&path))?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => {
                    self.clean_stale();
                    return Ok(Lock { _file: file });
                }
                Err(fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(SetError::Locked {
                        path,
                        waited: start.elapsed().as_secs(),
                    })
                }
                Err(fs::TryLockError::Error(e)) => return Err(io(&path)(e)),
            }
        }
    }

    /// Removes temp files and links a killed run left behind (only called with the lock held,
    /// so no live writer owns them).
    fn clean_stale(&self) {
        let Ok(rd) = fs::read_dir(&self.dir) else {
            return;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && (name.contains(".link.") || name.contains(".tmp.")) {
                let _ = fs::remove_file(e.path());
            }
        }
    }

    /// Whether a certificate or key is in place (as a file or certctl's link).
    pub fn has_pair(&self) -> bool {
        self.path("cert.pem").exists() || self.path("key.pem").exists()
    }

    /// Reads one file of the live set; `None` when missing.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>, SetError> {
        let p = self.path(name);
        match fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&p)(e)),
        }
    }

    /// Writes a complete new version and switches to it with one rename. Returns the id of the
    /// version it replaced, if any (the rollback target).
    pub fn install(&self, id: &str, files: &[NewFile]) -> Result<Option<String>, SetError> {
        self.adopt_plain_files()?;
        let sets = self.dir.join(".sets");
        fs::create_dir_all(&sets).map_err(io(&sets))?;
        fs::set_permissions(&sets, fs::Permissions::from_mode(0o755)).map_err(io(&sets))?;
        let vdir = sets.join(id);
        if vdir.exists() {
            fs::remove_dir_all(&vdir).map_err(io(&vdir))?;
        }
        fs::create_dir(&vdir).map_err(io(&vdir))?;
        fs::set_permissions(&vdir, fs::Permissions::from_mode(0o755)).map_err(io(&vdir))?;
        // Write every file, then flush them together: the journal commits once for all.
        let mut written = Vec::with_capacity(files.len());
        for f in files {
            let p = vdir.join(f.name);
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(f.mode)
                .open(&p)
                .map_err(io(&p))?;
            file.set_permissions(fs::Permissions::from_mode(f.mode))
                .map_err(io(&p))?;
            file.write_all(&f.bytes).map_err(io(&p))?;
            written.push((p, file));
        }
        // The directories' new entries are flushed in the same batch.
        for d in [&vdir, &sets] {
            let f = File::open(d).map_err(io(d))?;
            written.push((d.clone(), f));
        }
        sync_batch(&written)?;
        let old = self.current_id();
        // Top-level links first: they point through .current, so they change nothing yet.
        for f in files {
            self.ensure_link(f.name)?;
        }
        if let Some(old) = &old {
            self.point(".previous", &format!(".sets/{old}"))?;
        }
        self.point(".current", &format!(".sets/{id}"))?;
        sync_dir(&self.dir)?;
        Ok(old)
    }

    /// Points `.current` back at `.previous` (one rename).
    pub fn rollback(&self) -> Result<String, SetError> {
        let prev = fs::read_link(self.dir.join(".previous"))
            .ok()
            .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()))
            .ok_or_else(|| SetError::NoPrevious {
                path: self.dir.clone(),
            })?;
        self.point(".current", &format!(".sets/{prev}"))?;
        sync_dir(&self.dir)?;
        Ok(prev)
    }

    /// Marks a deployment as in progress (written before the switch, cleared after the deploy
    /// hook and verification succeed): a run killed in between leaves the mark, and the next
    /// run redeploys instead of trusting a pair that was never loaded.
    pub fn mark_pending(&self, id: &str) -> Result<(), SetError> {
        let p = self.dir.join(".pending");
        crate::fsx::write_atomic(&p, id.as_bytes(), 0o600).map_err(|e| SetError::Io {
            path: p.clone(),
            source: std::io::Error::other(e.to_string()),
        })
    }

    /// Whether a previous deployment was interrupted.
    pub fn pending(&self) -> bool {
        self.dir.join(".pending").exists()
    }

    pub fn clear_pending(&self) -> Result<(), SetError> {
        let p = self.dir.join(".pending");
        match fs::remove_file(&p) {
            Ok(()) => sync_dir(&self.dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&p)(e)),
        }
    }

    /// The version `.current` points at.
    pub fn current_id(&self) -> Option<String> {
        fs::read_link(self.dir.join(".current"))
            .ok()
            .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()))
    }

    /// Removes versions beyond the newest `keep` (never the current or previous one), and
    /// versions left behind by an interrupted run.
    pub fn prune(&self, keep: usize) -> Result<Vec<String>, SetError> {
        let sets = self.dir.join(".sets");
        let Ok(rd) = fs::read_dir(&sets) else {
            return Ok(Vec::new());
        };
        let current = self.current_id();
        let previous = fs::read_link(self.dir.join(".previous"))
            .ok()
            .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()));
        let mut ids: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
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
            let p = sets.join(id);
            fs::remove_dir_all(&p).map_err(io(&p))?;
            removed.push(id.clone());
        }
        Ok(removed)
    }

    /// Converts plain files (from before certctl managed the directory) into a version, so
    /// that every later switch is a single rename. Content stays identical at every step.
    fn adopt_plain_files(&self) -> Result<(), SetError> {
        let plain: Vec<&str> = FILES
            .iter()
            .copied()
            .filter(|n| fs::symlink_metadata(self.path(n)).is_ok_and(|m| m.file_type().is_file()))
            .collect();
        if plain.is_empty() {
            return Ok(());
        }
        let id = "0-adopted";
        let vdir = self.dir.join(".sets").join(id);
        fs::create_dir_all(&vdir).map_err(io(&vdir))?;
        for n in &plain {
            let src = self.path(n);
            let dst = vdir.join(n);
            let mode = fs::metadata(&src).map_err(io(&src))?.permissions().mode() & 0o777;
            let bytes = fs::read(&src).map_err(io(&src))?;
            let _ = fs::remove_file(&dst);
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&dst)
                .map_err(io(&dst))?;
            f.write_all(&bytes).map_err(io(&dst))?;
            f.sync_all().map_err(io(&dst))?;
        }
        sync_dir(&vdir)?;
        if self.current_id().is_none() {
            self.point(".current", &format!(".sets/{id}"))?;
        }
        for n in &plain {
            self.replace_with_link(n)?;
        }
        sync_dir(&self.dir)
    }

    fn ensure_link(&self, name: &str) -> Result<(), SetError> {
        let p = self.path(name);
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => Ok(()),
            _ => self.replace_with_link(name),
        }
    }

    fn replace_with_link(&self, name: &str) -> Result<(), SetError> {
        self.point(name, &format!(".current/{name}"))
    }

    /// Atomically makes `name` a symlink to `target` (temp link + rename).
    fn point(&self, name: &str, target: &str) -> Result<(), SetError> {
        let tmp = self
            .dir
            .join(format!(".{name}.link.{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        symlink(target, &tmp).map_err(io(&tmp))?;
        let dst = self.dir.join(name);
        fs::rename(&tmp, &dst).map_err(io(&dst))
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
        f.sync_all().map_err(io(p))?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), SetError> {
    crate::fsx::sync_dir(dir).map_err(io(dir))
}

/// A version id: sortable UTC timestamp plus the certificate's short fingerprint.
pub fn version_id(at: i64, cert: &CertInfo) -> String {
    let stamp: String = crate::x509::rfc3339(at)
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    format!("{stamp}-{}", cert.sha256.short())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn install_switch_rollback_prune() {
        let d = tempfile::tempdir().unwrap();
        let set = CertSet::open(&d.path().join("out"), true).unwrap();
        assert_eq!(set.install("20300101000000-a", &files("a")).unwrap(), None);
        assert_eq!(set.read("cert.pem").unwrap().unwrap(), b"cert a");
        let old = set.install("20300201000000-b", &files("b")).unwrap();
        assert_eq!(old.as_deref(), Some("20300101000000-a"));
        assert_eq!(set.read("key.pem").unwrap().unwrap(), b"key b");
        let mode = fs::metadata(set.path("key.pem"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        set.rollback().unwrap();
        assert_eq!(set.read("cert.pem").unwrap().unwrap(), b"cert a");
        set.install("20300301000000-c", &files("c")).unwrap();
        set.install("20300401000000-d", &files("d")).unwrap();
        set.prune(2).unwrap();
        let left: Vec<String> = fs::read_dir(set.dir.join(".sets"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
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
        set.install("20300101000000-a", &files("a")).unwrap();
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
            Err(SetError::DirSymlink { .. })
        ));
    }

    #[test]
    fn a_directory_others_can_write_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("shared");
        fs::create_dir(&out).unwrap();
        fs::set_permissions(&out, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            CertSet::open(&out, false),
            Err(SetError::OpenDir { .. })
        ));
        fs::set_permissions(&out, fs::Permissions::from_mode(0o775)).unwrap();
        assert!(matches!(
            CertSet::open(&out, false),
            Err(SetError::OpenDir { .. })
        ));
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
}

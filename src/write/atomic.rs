//! Atomic file output: a registered temp file beside the target, fsync, rename, fsync of the
//! directory; a failed or interrupted write leaves nothing behind.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// The temp files being written: what an interrupted process removes before it exits. The
/// binary keeps one for the process and passes it to every write; it is the only way this
/// crate stages a named file.
#[derive(Debug, Default)]
pub struct TempFiles(Mutex<Vec<PathBuf>>);

impl TempFiles {
    /// An empty registry.
    pub const fn new() -> TempFiles {
        TempFiles(Mutex::new(Vec::new()))
    }

    /// Removes every temp file a write in progress holds (for a Ctrl-C or SIGTERM handler).
    pub fn remove_all(&self) {
        if let Ok(list) = self.0.lock() {
            for p in list.iter() {
                let _ = std::fs::remove_file(p);
            }
        }
    }

    /// The temp files registered now.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn register(&self, p: &Path) -> Registered<'_> {
        if let Ok(mut list) = self.0.lock() {
            list.push(p.to_path_buf());
        }
        Registered {
            temps: self,
            path: p.to_path_buf(),
        }
    }
}

/// A temp file's place in its [`TempFiles`]; dropping it takes the file off the list.
#[derive(Debug)]
pub struct Registered<'a> {
    temps: &'a TempFiles,
    path: PathBuf,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        if let Ok(mut list) = self.temps.0.lock() {
            list.retain(|p| p != &self.path);
        }
    }
}

/// Temp files are named `.snapinspect-<pid>-<random>.tmp`: the process that writes them is
/// known, so that a later run can tell a killed run's leftovers from a live writer's file.
pub const TEMP_PREFIX: &str = ".snapinspect-";

/// A temp file in `dir` (mode 0600), registered in `temps` for removal on SIGINT/SIGTERM
/// while the guard lives; dropping the file removes it.
pub fn temp_file_in<'t>(
    dir: &Path,
    temps: &'t TempFiles,
) -> Result<(tempfile::NamedTempFile, Registered<'t>)> {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(format!("creating a temporary file in {}", dir.display()), e))?;
    let registered = temps.register(tmp.path());
    Ok((tmp, registered))
}

/// An unnamed temp file in `dir` (the system's temp directory for `None`): it has no name
/// from the start, so nothing is left to remove when the process dies, and it needs no
/// registry. The other way this crate stages data.
pub fn unnamed_temp_file(dir: Option<&Path>) -> std::io::Result<File> {
    match dir {
        Some(d) => tempfile::tempfile_in(d),
        None => tempfile::tempfile(),
    }
}

/// Removes the temp files in `dir` that a run which no longer exists left behind (killed
/// with SIGKILL, or by a power loss): those naming a process that is not running, and those
/// of the older unnamed form not touched for an hour. Returns what was removed.
pub fn remove_stale_temp_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix(TEMP_PREFIX)
            .and_then(|r| r.strip_suffix(".tmp"))
        else {
            continue;
        };
        if !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let stale = match rest
            .split_once('-')
            .and_then(|(p, _)| p.parse::<u32>().ok())
        {
            Some(pid) => pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists(),
            None => e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(3600)),
        };
        if stale && std::fs::remove_file(e.path()).is_ok() {
            removed.push(e.path());
        }
    }
    removed
}

/// Writes a file atomically: a temp file in the same directory, fsync, rename, fsync of the
/// directory. If `f` fails, or the process is interrupted, nothing is left behind.
pub fn write_atomic<T>(
    path: &Path,
    temps: &TempFiles,
    f: impl FnOnce(&mut File) -> Result<T>,
) -> Result<T> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    write_atomic_named(dir, temps, f, |_| path.to_path_buf()).map(|(v, _)| v)
}

/// Like [`write_atomic`] into `dir`, with the final name chosen from what `f` returned (a
/// snapshot named by its index once it is known).
pub fn write_atomic_named<T>(
    dir: &Path,
    temps: &TempFiles,
    f: impl FnOnce(&mut File) -> Result<T>,
    name: impl FnOnce(&T) -> PathBuf,
) -> Result<(T, PathBuf)> {
    let (mut tmp, _registered) = temp_file_in(dir, temps)?;
    let value = f(tmp.as_file_mut())?;
    let path = name(&value);
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(format!("syncing {}", path.display()), e))?;
    tmp.persist(&path)
        .map_err(|e| Error::io(format!("renaming into {}", path.display()), e.error))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok((value, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn atomic_write_leaves_nothing_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.snap");
        let temps = TempFiles::new();
        let r: Result<()> = write_atomic(&target, &temps, |f| {
            f.write_all(b"partial").unwrap();
            Err(Error::Usage("boom".into()))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_atomic(&target, &temps, |f| {
            f.write_all(b"whole").map_err(|e| Error::io("w", e))
        })
        .unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"whole");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_temp_files_of_dead_runs_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir
            .path()
            .join(format!("{TEMP_PREFIX}{}-abc.tmp", u32::MAX - 7));
        let live = dir
            .path()
            .join(format!("{TEMP_PREFIX}{}-abc.tmp", std::process::id()));
        let fresh_legacy = dir.path().join(format!("{TEMP_PREFIX}abcdef.tmp"));
        let other = dir.path().join("consul-x.snap");
        for p in [&dead, &live, &fresh_legacy, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        assert_eq!(remove_stale_temp_files(dir.path()), vec![dead.clone()]);
        assert!(!dead.exists() && live.exists() && fresh_legacy.exists() && other.exists());
    }

    #[test]
    fn a_temp_file_is_listed_while_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let temps = TempFiles::new();
        write_atomic(&dir.path().join("x"), &temps, |_| {
            let listed = temps.paths();
            assert_eq!(listed.len(), 1);
            assert!(listed[0].exists());
            temps.remove_all();
            assert!(!listed[0].exists());
            Err::<(), _>(Error::Usage("interrupted".into()))
        })
        .unwrap_err();
        assert!(temps.paths().is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

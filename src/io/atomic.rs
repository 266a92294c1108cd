//! The one way kaowu writes a file: whole or not at all. The bytes go to `NAME.part` beside
//! the file, are synced to disk, and the part file is renamed over `NAME`, so a reader (or
//! a crash) sees the old file or the new one, never half of one. A part file that is given
//! up (an error, a panic) is removed.
//!
//! A run of many files (admit cards, sheets) does not wait for the disk file by file: it
//! writes each with [`write_unsynced`] and makes them durable together with
//! [`Unsynced::sync`] before it records them (in its manifest). A crash in between leaves
//! files the record does not vouch for, which the next run checks by their hash and writes
//! again.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Whether an output path means standard output: `-`.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes a file's bytes on standard output, for `--out -`; refused on a terminal, where
/// a workbook's bytes would only garble the screen.
pub fn to_stdout(bytes: &[u8]) -> std::io::Result<()> {
    use std::io::IsTerminal;
    let mut out = std::io::stdout().lock();
    if out.is_terminal() {
        return Err(std::io::Error::other(
            "it is a terminal; send it to a file or a program (--out - > FILE, or | ...)",
        ));
    }
    out.write_all(bytes)?;
    out.flush()
}

/// A file that cannot be written, named as the user gave it.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {file}: {cause}")]
pub struct AtomicError {
    pub file: String,
    #[source]
    pub cause: std::io::Error,
}

/// Writes `bytes` to `path`, whole or not at all.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), AtomicError> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(|e| f.error(e))?;
    f.commit()
}

/// Writes `bytes` to `path` whole, as [`write`] does, but without waiting for the disk; the
/// caller adds `path` to an [`Unsynced`] and syncs it before it relies on the file.
pub fn write_unsynced(path: &Path, bytes: &[u8]) -> Result<(), AtomicError> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(|e| f.error(e))?;
    f.place(false)
}

/// Files written by [`write_unsynced`] and not yet synced.
pub struct Unsynced {
    /// A folder on the files' file system.
    dir: PathBuf,
    files: Vec<PathBuf>,
}

impl Unsynced {
    /// Files to be written under `dir`.
    pub fn new(dir: &Path) -> Self {
        Unsynced {
            dir: dir.to_path_buf(),
            files: Vec::new(),
        }
    }

    pub fn add(&mut self, path: PathBuf) {
        self.files.push(path);
    }

    /// Makes the files written since the last sync, and the renames that put them in place,
    /// durable. On Linux one `syncfs` of the folder's file system does it (a fsync per file
    /// cost a quarter of a card run); elsewhere each file and its folder are synced.
    pub fn sync(&mut self) -> Result<(), AtomicError> {
        if self.files.is_empty() {
            return Ok(());
        }
        let failed = |file: &Path, cause| AtomicError {
            file: file.display().to_string(),
            cause,
        };
        #[cfg(target_os = "linux")]
        {
            let dir = File::open(&self.dir).map_err(|e| failed(&self.dir, e))?;
            rustix::fs::syncfs(&dir).map_err(|e| failed(&self.dir, e.into()))?;
        }
        #[cfg(not(target_os = "linux"))]
        {
            let mut dirs = std::collections::BTreeSet::new();
            for f in &self.files {
                // Write access: Windows flushes only a handle that may write.
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(f)
                    .and_then(|h| h.sync_all())
                    .map_err(|e| failed(f, e))?;
                dirs.extend(f.parent().map(Path::to_path_buf));
            }
            for d in &dirs {
                sync_dir(d).map_err(|e| failed(d, e))?;
            }
        }
        self.files.clear();
        Ok(())
    }
}

/// Syncs a folder, so that a rename in it is durable (Unix; elsewhere a rename is not
/// synced through its folder).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// A file being written beside its place; [`AtomicFile::commit`] moves it there.
pub struct AtomicFile {
    out: Option<BufWriter<File>>,
    part: PathBuf,
    path: PathBuf,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<AtomicFile, AtomicError> {
        let part = part_path(path);
        let file = File::create(&part).map_err(|cause| AtomicError {
            file: path.display().to_string(),
            cause,
        })?;
        Ok(AtomicFile {
            out: Some(BufWriter::new(file)),
            part,
            path: path.to_path_buf(),
        })
    }

    /// The error of writing this file, naming it as the user gave it.
    pub fn error(&self, cause: std::io::Error) -> AtomicError {
        AtomicError {
            file: self.path.display().to_string(),
            cause,
        }
    }

    /// Flushes, syncs, and renames the part file over the file, durably.
    pub fn commit(self) -> Result<(), AtomicError> {
        self.place(true)
    }

    /// Renames the part file over the file, after syncing it and before syncing the folder
    /// when `durable`.
    fn place(mut self, durable: bool) -> Result<(), AtomicError> {
        let out = self.out.take().expect("committed once");
        let file = out.into_inner().map_err(|e| self.error(e.into_error()))?;
        if durable {
            file.sync_all().map_err(|e| self.error(e))?;
        }
        drop(file);
        std::fs::rename(&self.part, &self.path).map_err(|e| self.error(e))?;
        if durable && let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            sync_dir(dir).map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    fn out(&mut self) -> &mut BufWriter<File> {
        self.out.as_mut().expect("not committed")
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out().flush()
    }
}

/// The XLSX writer seeks back to finish its zip entries.
impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.out().seek(pos)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

/// The part file beside `path`: `name.xlsx` -> `name.xlsx.part`.
fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_a_given_up_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("名册.csv");
        std::fs::write(&path, "old").unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");

        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"half").unwrap();
        assert!(dir.path().join("名册.csv.part").exists());
        drop(f);
        assert_eq!(std::fs::read(&path).unwrap(), b"new", "the old file stays");
        assert!(!dir.path().join("名册.csv.part").exists());

        let e = write(&dir.path().join("missing/x.csv"), b"x").unwrap_err();
        assert!(e.to_string().starts_with("cannot write "), "{e}");
        assert!(e.to_string().contains("missing/x.csv"), "{e}");
    }

    #[test]
    fn a_run_of_files_is_written_whole_and_synced_at_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("昆明")).unwrap();
        let mut run = Unsynced::new(dir.path());
        for i in 0..3 {
            let p = dir.path().join(format!("昆明/{i}.pdf"));
            write_unsynced(&p, format!("card {i}").as_bytes()).unwrap();
            run.add(p);
        }
        run.sync().unwrap();
        run.sync().unwrap();
        for i in 0..3 {
            let p = dir.path().join(format!("昆明/{i}.pdf"));
            assert_eq!(std::fs::read(p).unwrap(), format!("card {i}").as_bytes());
        }
        let parts = std::fs::read_dir(dir.path().join("昆明"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "part")
            })
            .count();
        assert_eq!(parts, 0);
        let e = write_unsynced(&dir.path().join("missing/x.pdf"), b"x").unwrap_err();
        assert!(e.to_string().starts_with("cannot write "), "{e}");
        assert!(e.to_string().contains("missing/x.pdf"), "{e}");
    }
}

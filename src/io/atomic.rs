//! The one way kaowu writes a file: whole or not at all. The bytes go to `NAME.part` beside
//! the file, are synced to disk, and the part file is renamed over `NAME`, so a reader (or
//! a crash) sees the old file or the new one, never half of one. A part file that is given
//! up (an error, a panic) is removed.

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

    /// Flushes, syncs, and renames the part file over the file.
    pub fn commit(mut self) -> Result<(), AtomicError> {
        let out = self.out.take().expect("committed once");
        let file = out.into_inner().map_err(|e| self.error(e.into_error()))?;
        file.sync_all().map_err(|e| self.error(e))?;
        drop(file);
        std::fs::rename(&self.part, &self.path).map_err(|e| self.error(e))
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
}

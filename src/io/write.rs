//! Writing tables for offices: CSV as Excel reads it (UTF-8 with a BOM, or GB18030, CRLF),
//! through [`super::atomic`], and the size and SHA-256 of what was written. XLSX is
//! [`super::xlsx`]'s.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::XlsxError;
use sha2::{Digest, Sha256};

use super::atomic::{AtomicError, AtomicFile};
use crate::model::roster::Value;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{file}: {cause}")]
    Io { file: String, cause: std::io::Error },
    #[error("{file}: {cause}")]
    Xlsx { file: String, cause: XlsxError },
    #[error("{file}: {cause}")]
    Csv { file: String, cause: csv::Error },
    #[error(transparent)]
    Atomic(#[from] AtomicError),
}

pub type Result<T, E = WriteError> = std::result::Result<T, E>;

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> WriteError + '_ {
    move |cause| WriteError::Io {
        file: path.display().to_string(),
        cause,
    }
}

/// A file written: its size and SHA-256 (hex).
#[derive(Debug, Clone)]
pub struct Written {
    pub bytes: u64,
    pub sha256: String,
}

/// How a CSV file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// UTF-8 with a byte-order mark, which tells Excel the file is UTF-8.
    Utf8Bom,
    /// GBK (code page 936), as Excel on Chinese Windows saves and reads CSV. Holds no
    /// character outside GBK (such as 㛃, of CJK extension A): check texts with
    /// [`not_in_gbk`] first; the writer refuses one too.
    Gbk,
    /// GB18030, GBK's superset: every character survives, those outside GBK as four-byte
    /// sequences that a reader of GBK alone shows as garbage.
    Gb18030,
}

/// The first character of `text` that GBK cannot hold, if any.
pub fn not_in_gbk(text: &str) -> Option<char> {
    // ASCII and most CJK pass the fast test; only a failing text is searched.
    let (_, _, unmappable) = encoding_rs::GBK.encode(text);
    if !unmappable {
        return None;
    }
    text.chars().find(|c| {
        let mut b = [0u8; 4];
        encoding_rs::GBK.encode(c.encode_utf8(&mut b)).2
    })
}

/// A text as a CSV cell that a spreadsheet opens as text, never as a formula: one that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` in front, as
/// OWASP's advice on CSV injection says. Excel shows the `'` with the value (`'=1+1`), so
/// staff still read what the applicant wrote; a tab in front would hide the marking and
/// is lost when the cell is trimmed. A lone `-` (the centre's "no such paper") is no
/// formula to any spreadsheet and stays as it is.
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    if text != "-" && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A CSV file being written row by row, with CRLF line ends as Excel writes them.
pub struct CsvOut {
    w: csv::Writer<Transcode<Hashing<AtomicFile>>>,
    path: PathBuf,
}

impl CsvOut {
    pub fn create(path: &Path, charset: Charset, header: &[&str]) -> Result<CsvOut> {
        let mut sink = Hashing {
            inner: AtomicFile::create(path)?,
            hash: Sha256::new(),
            bytes: 0,
        };
        if charset == Charset::Utf8Bom {
            sink.write_all("\u{FEFF}".as_bytes())
                .map_err(io_err(path))?;
        }
        let w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Transcode {
                inner: sink,
                charset,
                pending: Vec::new(),
            });
        let mut out = CsvOut {
            w,
            path: path.to_path_buf(),
        };
        out.w.write_record(header).map_err(|e| out.csv_err(e))?;
        Ok(out)
    }

    fn csv_err(&self, cause: csv::Error) -> WriteError {
        WriteError::Csv {
            file: self.path.display().to_string(),
            cause,
        }
    }

    /// Writes a row; texts as [`spreadsheet_safe`] makes them (numbers, dates and money
    /// are kaowu's own and pass as they are).
    pub fn push(&mut self, cells: &[Value]) -> Result<()> {
        let r = self.w.write_record(cells.iter().map(|v| match v {
            Value::Text(t) => spreadsheet_safe(t).into_owned(),
            v => v.text().into_owned(),
        }));
        r.map_err(|e| self.csv_err(e))
    }

    /// Flushes, syncs and moves the file into place.
    pub fn finish(self) -> Result<Written> {
        let path = self.path;
        let mut t = self
            .w
            .into_inner()
            .map_err(|e| io_err(&path)(std::io::Error::other(e.to_string())))?;
        t.flush().map_err(io_err(&path))?;
        let Hashing { inner, hash, bytes } = t.inner;
        inner.commit()?;
        Ok(Written {
            bytes,
            sha256: format!("{:x}", hash.finalize()),
        })
    }
}

/// Passes UTF-8 through, or re-encodes it as GBK or GB18030; a character split between two
/// writes waits for its other bytes.
struct Transcode<W: Write> {
    inner: W,
    charset: Charset,
    pending: Vec<u8>,
}

impl<W: Write> Write for Transcode<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let encoding = match self.charset {
            Charset::Utf8Bom => return self.inner.write(buf),
            Charset::Gbk => encoding_rs::GBK,
            Charset::Gb18030 => encoding_rs::GB18030,
        };
        self.pending.extend_from_slice(buf);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(s) => s.len(),
            Err(e) if e.error_len().is_some() => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "text that is not UTF-8",
                ));
            }
            Err(e) => e.valid_up_to(),
        };
        let text = std::str::from_utf8(&self.pending[..valid]).expect("checked above");
        let (bytes, _, unmappable) = encoding.encode(text);
        if unmappable {
            // encoding_rs writes `&#13763;` for a character GBK lacks: refuse instead.
            let c = not_in_gbk(text).unwrap_or(char::REPLACEMENT_CHARACTER);
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{c} (U+{:04X}) is not in GBK", u32::from(c)),
            ));
        }
        self.inner.write_all(&bytes)?;
        self.pending.drain(..valid);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Counts and hashes what passes through.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The size and SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<Written> {
    let mut f = File::open(path).map_err(io_err(path))?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok(Written {
        bytes,
        sha256: format!("{:x}", hash.finalize()),
    })
}

/// The size and SHA-256 of bytes written elsewhere (standard output).
pub fn sha256_bytes(bytes: &[u8]) -> Written {
    Written {
        bytes: bytes.len() as u64,
        sha256: format!("{:x}", Sha256::digest(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb18030_survives_a_character_split_between_writes() {
        let mut t = Transcode {
            inner: Vec::new(),
            charset: Charset::Gb18030,
            pending: Vec::new(),
        };
        let text = "考区,丽江\r\n㛃";
        let bytes = text.as_bytes();
        for chunk in bytes.chunks(2) {
            t.write_all(chunk).unwrap();
        }
        let (back, _, bad) = encoding_rs::GB18030.decode(&t.inner);
        assert!(!bad);
        assert_eq!(back, text);
    }

    #[test]
    fn gbk_refuses_what_it_cannot_hold() {
        assert_eq!(not_in_gbk("考区,丽江,欧阳娜娜"), None);
        assert_eq!(not_in_gbk("李㛃"), Some('㛃'));
        let mut t = Transcode {
            inner: Vec::new(),
            charset: Charset::Gbk,
            pending: Vec::new(),
        };
        t.write_all("丽江".as_bytes()).unwrap();
        let e = t.write_all("李㛃".as_bytes()).unwrap_err().to_string();
        assert_eq!(e, "㛃 (U+36C3) is not in GBK");
    }

    #[test]
    fn formulas_are_marked_as_text() {
        for bad in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(spreadsheet_safe(bad), format!("'{bad}"));
        }
        for good in [
            "张三",
            "530102199001011234",
            "",
            " =1",
            "a=b",
            "'quoted",
            "-",
        ] {
            assert_eq!(spreadsheet_safe(good), good);
        }
    }
}

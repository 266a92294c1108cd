//! A file named `-` is standard input: `kaowu import sites - < sites.csv`, or a file piped
//! from another program. The readers of tables open a file twice (once to detect the
//! encoding) and pick the format by extension, so standard input is first copied to a
//! temporary file whose extension its first bytes give: a zip is XLSX (or ODS, which says so
//! in its first entry), an OLE compound file is XLS, anything else CSV.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// What messages call standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// Whether a path given on the command line means standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Standard input, copied to a temporary file that lives as long as this does.
#[derive(Debug)]
pub struct Spooled {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

/// Copies standard input to a temporary file named for its format.
pub fn spool_stdin() -> std::io::Result<Spooled> {
    let mut bytes = Vec::new();
    std::io::stdin().lock().read_to_end(&mut bytes)?;
    spool(&bytes)
}

fn spool(bytes: &[u8]) -> std::io::Result<Spooled> {
    let dir = tempfile::Builder::new().prefix("kaowu-stdin").tempdir()?;
    let path = dir.path().join(format!("stdin.{}", extension(bytes)));
    let mut f = std::fs::File::create(&path)?;
    f.write_all(bytes)?;
    Ok(Spooled { _dir: dir, path })
}

/// The extension that the readers expect of a file that starts with these bytes.
fn extension(bytes: &[u8]) -> &'static str {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    if bytes.starts_with(ZIP) {
        // An OpenDocument file stores its media type first, uncompressed (ODF 1.2, 3.3).
        let head = &bytes[..bytes.len().min(200)];
        let ods = b"application/vnd.oasis.opendocument.spreadsheet";
        if head.windows(ods.len()).any(|w| w == ods) {
            "ods"
        } else {
            "xlsx"
        }
    } else if bytes.starts_with(OLE) {
        "xls"
    } else {
        "csv"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_input_is_named_for_its_format() {
        assert_eq!(extension(b"PK\x03\x04\x14\x00\x06\x00rest"), "xlsx");
        let mut ods = b"PK\x03\x04\x0a\x00\x00\x00\x00\x00mimetype".to_vec();
        ods.extend_from_slice(b"application/vnd.oasis.opendocument.spreadsheetPK");
        assert_eq!(extension(&ods), "ods");
        assert_eq!(extension(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00"), "xls");
        assert_eq!(extension("考区,考点代码\r\n".as_bytes()), "csv");
        assert_eq!(extension(b""), "csv");
        let s = spool(b"a,b\n").unwrap();
        assert_eq!(s.path.file_name().unwrap(), "stdin.csv");
        assert_eq!(std::fs::read(&s.path).unwrap(), b"a,b\n");
        let dir = s.path.parent().unwrap().to_path_buf();
        drop(s);
        assert!(!dir.exists(), "the copy goes with it");
    }
}

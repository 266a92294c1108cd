//! Writing tables for offices: XLSX sheets in constant memory (a frozen header row with
//! filters, columns as wide as their content, real dates and money), and CSV as Excel reads
//! it (UTF-8 with a BOM, or GB18030, CRLF). Each file is written beside its place and renamed
//! into it, and comes back with its SHA-256.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, IgnoreError, Workbook, Worksheet, XlsxError,
};
use sha2::{Digest, Sha256};

use crate::model::roster::Value;
use crate::model::text::display_width;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{file}: {cause}")]
    Io { file: String, cause: std::io::Error },
    #[error("{file}: {cause}")]
    Xlsx { file: String, cause: XlsxError },
    #[error("{file}: {cause}")]
    Csv { file: String, cause: csv::Error },
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

/// Widest a column gets, in characters; longer text wraps out of view as Excel shows it.
pub const MAX_WIDTH: usize = 40;

/// Column widths measured from the cells, in Excel's character units: the longest cell of
/// each column (CJK characters count 2), plus room for the header's filter button.
#[derive(Debug, Clone)]
pub struct Widths(Vec<usize>);

impl Widths {
    pub fn new(header: &[&str]) -> Widths {
        // The filter button takes about two characters beside the header.
        Widths(header.iter().map(|h| display_width(h) + 2).collect())
    }

    pub fn measure(&mut self, cells: &[Value]) {
        for (w, v) in self.0.iter_mut().zip(cells) {
            let n = match v {
                Value::Money(f) => display_width(&money_text(f.0)),
                Value::Empty => 0,
                other => display_width(&other.text()),
            };
            *w = (*w).max(n);
        }
    }

    /// Widths with a character of padding, capped at [`MAX_WIDTH`].
    pub fn excel(&self) -> Vec<f64> {
        self.0
            .iter()
            .map(|w| (w + 1).min(MAX_WIDTH) as f64)
            .collect()
    }
}

/// `¥1,234.50`, as the money format shows it.
fn money_text(fen: i64) -> String {
    let yuan = (fen.abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in yuan.chars().enumerate() {
        if i > 0 && (yuan.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}¥{grouped}.{:02}", fen.abs() % 100)
}

/// Sheet names Excel accepts for these wishes: no `[]:*?/\`, not starting or ending with
/// `'`, at most 31 characters, and unique without regard to case (a repeat gets ` (2)`).
pub fn sheet_names(wanted: &[String]) -> Vec<String> {
    let mut used: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(wanted.len());
    for w in wanted {
        let clean: String = w
            .chars()
            .map(|c| match c {
                '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
                c if c.is_control() => '_',
                c => c,
            })
            .collect();
        let clean = clean.trim().trim_matches('\'').trim().to_string();
        let clean = if clean.is_empty() {
            "Sheet".to_string()
        } else {
            clean
        };
        let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
        let mut name = cut(&clean, 31);
        let mut k = 2;
        while used.contains(&name.to_lowercase()) {
            let suffix = format!(" ({k})");
            name = format!("{}{suffix}", cut(&clean, 31 - suffix.chars().count()));
            k += 1;
        }
        used.insert(name.to_lowercase());
        out.push(name);
    }
    out
}

struct Formats {
    header: Format,
    date: Format,
    datetime: Format,
    money: Format,
    padded: HashMap<usize, Format>,
}

/// A workbook written sheet by sheet, row by row, in constant memory: each row goes to a
/// temporary file as it is written, so 200,000 rows take a few MiB.
pub struct XlsxBook {
    wb: Workbook,
    formats: Formats,
}

impl Default for XlsxBook {
    fn default() -> Self {
        XlsxBook::new()
    }
}

impl XlsxBook {
    pub fn new() -> XlsxBook {
        let mut wb = Workbook::new();
        // Reproducible files: with SOURCE_DATE_EPOCH set, the workbook's creation time is
        // that instant, and the same data gives the same bytes.
        if let Some(t) = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .and_then(|s| ExcelDateTime::from_timestamp(s).ok())
        {
            wb.set_properties(&DocProperties::new().set_creation_datetime(&t));
        }
        XlsxBook {
            wb,
            formats: Formats {
                header: Format::new().set_bold().set_background_color("#DDEBF7"),
                date: Format::new().set_num_format("yyyy-mm-dd"),
                datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
                money: Format::new().set_num_format("\"¥\"#,##0.00"),
                padded: HashMap::new(),
            },
        }
    }

    /// Adds a sheet of `rows` data rows below `header`: columns `widths` wide, the header row
    /// (and `freeze_columns` columns) frozen, filters on the header.
    pub fn sheet(
        &mut self,
        name: &str,
        header: &[&str],
        widths: &[f64],
        rows: usize,
        freeze_columns: u16,
    ) -> Result<XlsxSheet<'_>, XlsxError> {
        let XlsxBook { wb, formats } = self;
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(name)?;
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, *w)?;
        }
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &formats.header)?;
        }
        let last_col = header.len().max(1) as u16 - 1;
        ws.set_freeze_panes(1, freeze_columns)?;
        ws.autofilter(0, 0, rows.max(1) as u32, last_col)?;
        if rows > 0 {
            // Numbers kept as text on purpose (ID numbers, admit-card numbers): no green
            // triangles in every cell.
            ws.ignore_error_range(1, 0, rows as u32, last_col, IgnoreError::NumberStoredAsText)?;
        }
        Ok(XlsxSheet {
            ws,
            formats,
            row: 0,
        })
    }

    /// Saves the workbook at `path` through a temporary file beside it.
    pub fn save(mut self, path: &Path) -> Result<Written> {
        let tmp = part_path(path);
        self.wb.save(&tmp).map_err(|cause| WriteError::Xlsx {
            file: tmp.display().to_string(),
            cause,
        })?;
        std::fs::rename(&tmp, path).map_err(io_err(path))?;
        sha256_file(path)
    }
}

/// A sheet being written, one row at a time below its header.
pub struct XlsxSheet<'a> {
    ws: &'a mut Worksheet,
    formats: &'a mut Formats,
    row: u32,
}

impl XlsxSheet<'_> {
    pub fn push(&mut self, cells: &[Value]) -> Result<(), XlsxError> {
        self.row += 1;
        let r = self.row;
        for (c, v) in cells.iter().enumerate() {
            let c = c as u16;
            match v {
                Value::Text(s) => {
                    self.ws.write_string(r, c, s.as_ref())?;
                }
                Value::Date(d) => {
                    let t = excel_date(*d)?;
                    self.ws
                        .write_datetime_with_format(r, c, &t, &self.formats.date)?;
                }
                Value::DateTime(t) => {
                    use chrono::Timelike;
                    let x = excel_date(t.date())?.and_hms(
                        t.hour() as u16,
                        t.minute() as u8,
                        t.second() as f64,
                    )?;
                    self.ws
                        .write_datetime_with_format(r, c, &x, &self.formats.datetime)?;
                }
                Value::Money(f) => {
                    // Fen to yuan: exact in a double for any amount an office sees.
                    self.ws.write_number_with_format(
                        r,
                        c,
                        f.0 as f64 / 100.0,
                        &self.formats.money,
                    )?;
                }
                Value::Padded(n, w) => {
                    let f = self
                        .formats
                        .padded
                        .entry(*w)
                        .or_insert_with(|| Format::new().set_num_format("0".repeat(*w)));
                    self.ws.write_number_with_format(r, c, *n as f64, f)?;
                }
                Value::Empty => {}
            }
        }
        Ok(())
    }
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    use chrono::Datelike;
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
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
/// is lost when the cell is trimmed.
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A CSV file being written row by row, with CRLF line ends as Excel writes them.
pub struct CsvOut {
    w: csv::Writer<Transcode<Hashing<BufWriter<File>>>>,
    tmp: PathBuf,
    path: PathBuf,
}

impl CsvOut {
    pub fn create(path: &Path, charset: Charset, header: &[&str]) -> Result<CsvOut> {
        let tmp = part_path(path);
        let file = File::create(&tmp).map_err(io_err(&tmp))?;
        let mut sink = Hashing {
            inner: BufWriter::new(file),
            hash: Sha256::new(),
            bytes: 0,
        };
        if charset == Charset::Utf8Bom {
            sink.write_all("\u{FEFF}".as_bytes())
                .map_err(io_err(&tmp))?;
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
            tmp,
            path: path.to_path_buf(),
        };
        out.w.write_record(header).map_err(|e| out.csv_err(e))?;
        Ok(out)
    }

    fn csv_err(&self, cause: csv::Error) -> WriteError {
        WriteError::Csv {
            file: self.tmp.display().to_string(),
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
        let tmp = self.tmp.clone();
        let mut t = self
            .w
            .into_inner()
            .map_err(|e| io_err(&tmp)(std::io::Error::other(e.to_string())))?;
        t.flush().map_err(io_err(&tmp))?;
        let Hashing { inner, hash, bytes } = t.inner;
        let file = inner
            .into_inner()
            .map_err(|e| io_err(&tmp)(e.into_error()))?;
        file.sync_all().map_err(io_err(&tmp))?;
        std::fs::rename(&tmp, &self.path).map_err(io_err(&self.path))?;
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

/// The temporary file beside `path`: `name.xlsx` -> `name.xlsx.part`.
fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn sheet_names_are_legal_short_and_unique() {
        let wanted: Vec<String> = [
            "丽江 001 丽江市第一中学",
            "a/b:c*d?[e]\\f",
            "丽江 001 丽江市第一中学",
            "'quoted'",
            "",
            "昆明 012 云南大学呈贡校区信息学院实验楼 11-07 第1场 003",
            "昆明 012 云南大学呈贡校区信息学院实验楼 11-07 第1场 004",
            "SHEET",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let names = sheet_names(&wanted);
        assert_eq!(names[0], "丽江 001 丽江市第一中学");
        assert_eq!(names[1], "a_b_c_d__e__f");
        assert_eq!(names[2], "丽江 001 丽江市第一中学 (2)");
        assert_eq!(names[3], "quoted");
        assert_eq!(names[4], "Sheet");
        assert_eq!(names[7], "SHEET (2)");
        let mut seen = HashSet::new();
        for n in &names {
            assert!(n.chars().count() <= 31, "{n}");
            assert!(!n.contains(['[', ']', ':', '*', '?', '/', '\\']), "{n}");
            assert!(seen.insert(n.to_lowercase()), "{n} twice");
        }
    }

    #[test]
    fn widths_count_cjk_twice_and_are_capped() {
        let mut w = Widths::new(&["姓名", "金额", "地址"]);
        w.measure(&[
            Value::Text(Cow::Borrowed("欧阳娜娜")),
            Value::Money(crate::model::money::Fen(12_345_600)),
            Value::Text(Cow::Owned("很长".repeat(40))),
        ]);
        assert_eq!(w.excel(), [9.0, 12.0, MAX_WIDTH as f64]);
        assert_eq!(money_text(12_345_678), "¥123,456.78");
        assert_eq!(money_text(5), "¥0.05");
    }

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
        for good in ["张三", "530102199001011234", "", " =1", "a=b", "'quoted"] {
            assert_eq!(spreadsheet_safe(good), good);
        }
    }
}

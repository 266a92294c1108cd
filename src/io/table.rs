//! One reader for every import: CSV (UTF-8 with or without BOM, UTF-16 as Excel's "Unicode
//! text", GBK/GB18030 as Excel on Chinese Windows saves it), XLSX (streamed cell by cell, so
//! 200,000 rows stay in a few MiB), XLS and ODS. It finds the header row among the first
//! rows (office sheets carry a title row above it), matches columns by Chinese header or
//! English alias in any order, and hands each data row to the caller with its place in the
//! file, so that every message can name the file, row and column.

use std::fmt;
use std::path::Path;

use calamine::{DataRef, Reader, SheetType, SheetVisible, Sheets};

use super::guard;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::model::date::{parse_date, parse_datetime, parse_time};
use crate::model::money::Fen;
use crate::model::text::{clean, clean_str, fold_ascii, header_key};

/// How many rows at the top of a file may precede the header row.
const HEADER_SEARCH_ROWS: usize = 20;

/// A column that an import knows: its key in code, its Chinese header, its English alias,
/// and other names seen in the field.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub also: &'static [&'static str],
    pub required: bool,
}

impl Column {
    pub const fn req(key: &'static str, zh: &'static str, en: &'static str) -> Column {
        Column {
            key,
            zh,
            en,
            also: &[],
            required: true,
        }
    }
    pub const fn opt(key: &'static str, zh: &'static str, en: &'static str) -> Column {
        Column {
            key,
            zh,
            en,
            also: &[],
            required: false,
        }
    }
    pub const fn aka(self, also: &'static [&'static str]) -> Column {
        Column { also, ..self }
    }
    fn matches(&self, key: &str) -> bool {
        header_key(self.zh) == key
            || header_key(self.en) == key
            || self.also.iter().any(|a| header_key(a) == key)
    }
}

/// The columns of one kind of file.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// What the file is, for messages: `exam plan (考试计划)`.
    pub what: &'static str,
    pub columns: &'static [Column],
}

/// Forces how a CSV file is decoded; detected when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// GBK is read as GB18030, its superset.
    #[value(name = "gbk", alias = "gb18030", alias = "gb2312")]
    Gbk,
    #[value(name = "utf-16", alias = "utf16")]
    Utf16,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Gbk => "GBK/GB18030",
            Encoding::Utf16 => "UTF-16",
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub sheet: Option<String>,
    pub encoding: Option<Encoding>,
    /// How messages name the file [default: the path as given].
    pub name: Option<String>,
}

/// A problem that stops a whole file from being read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{file}: cannot open: {cause}")]
    Open { file: String, cause: std::io::Error },
    #[error("{file}: {message}")]
    Format { file: String, message: String },
}

/// A cell's value as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    DateTime(NaiveDateTime),
    /// An Excel error such as `#N/A`, or what was wrong with a cell that could not be
    /// converted (`a date cell holding NaN, which is no date`).
    Error(String),
}

impl Value {
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(s) => clean_str(s).is_empty(),
            _ => false,
        }
    }

    /// The cell as text, trimmed: numbers without a trailing `.0`, dates as ISO dates.
    pub fn text(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(s) => clean(s),
            Value::Int(i) => i.to_string(),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => (if *b { "TRUE" } else { "FALSE" }).to_string(),
            Value::DateTime(dt) if dt.time() == NaiveTime::MIN => dt.date().to_string(),
            Value::DateTime(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
            Value::Error(e) => e.clone(),
        }
    }

    /// Shown in messages as what was found.
    pub fn shown(&self) -> String {
        match self {
            // Excel's own errors (#N/A, #DIV/0!); else what the reader found wrong.
            Value::Error(e) if e.starts_with('#') => format!("the spreadsheet error {e}"),
            Value::Error(e) => e.clone(),
            v => format!("\"{}\"", v.text()),
        }
    }
}

/// Where a table comes from, to name places in it.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file as the user gave it.
    pub file: String,
    /// The sheet, for workbooks.
    pub sheet: Option<String>,
    /// How a CSV file was decoded.
    pub encoding: Option<Encoding>,
}

/// The header row found in a table and how its columns map to the schema.
#[derive(Debug, Clone)]
pub struct Header {
    pub source: Source,
    pub schema: Schema,
    /// The header row's number.
    pub line: usize,
    /// For each schema column: its physical column and the header text as the file has it.
    cols: Vec<Option<(usize, String)>>,
    /// Header cells that no schema column matched.
    pub unknown: Vec<String>,
}

impl Header {
    fn index(&self, key: &str) -> usize {
        self.schema
            .columns
            .iter()
            .position(|c| c.key == key)
            .unwrap_or_else(|| panic!("{key} is not a column of {}", self.schema.what))
    }

    /// Whether the file has the column at all (optional columns may be absent).
    pub fn has(&self, key: &str) -> bool {
        self.cols[self.index(key)].is_some()
    }

    /// The place of a row: `sites.csv:14` or `fees.xlsx[收费标准]!7`.
    pub fn at_row(&self, line: usize) -> String {
        match &self.source.sheet {
            Some(sheet) => format!("{}[{sheet}]!{line}", self.source.file),
            None => format!("{}:{line}", self.source.file),
        }
    }

    /// The place of a cell and its column's name: `fees.xlsx[收费标准]!E7: 金额` or
    /// `sites.csv:14: 座位数`.
    pub fn at(&self, line: usize, key: &str) -> String {
        let i = self.index(key);
        let col = &self.schema.columns[i];
        match (&self.cols[i], &self.source.sheet) {
            (Some((phys, name)), Some(sheet)) => {
                format!(
                    "{}[{sheet}]!{}{line}: {name}",
                    self.source.file,
                    column_letters(*phys)
                )
            }
            (Some((_, name)), None) => format!("{}:{line}: {name}", self.source.file),
            (None, _) => format!("{}: {}", self.at_row(line), col.zh),
        }
    }
}

/// `A`, `B`, ..., `Z`, `AA`, ... for a zero-based column.
pub fn column_letters(mut col: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII")
}

/// One data row, handed to the caller of [`read`].
pub struct Row<'a> {
    pub line: usize,
    header: &'a Header,
    cells: &'a [Value],
}

static EMPTY: Value = Value::Empty;

impl<'a> Row<'a> {
    /// A row kept from an earlier read, to be parsed away from the reader (in parallel).
    pub fn new(line: usize, header: &'a Header, cells: &'a [Value]) -> Row<'a> {
        Row {
            line,
            header,
            cells,
        }
    }

    pub fn header(&self) -> &'a Header {
        self.header
    }

    pub fn cells(&self) -> &'a [Value] {
        self.cells
    }

    pub fn get(&self, key: &str) -> &Value {
        match &self.header.cols[self.header.index(key)] {
            Some((phys, _)) => self.cells.get(*phys).unwrap_or(&EMPTY),
            None => &EMPTY,
        }
    }
}

/// Collects problems with rows while a file is read, each with its place, so that a whole
/// file is checked and every problem reported at once.
#[derive(Debug, Default)]
pub struct Problems {
    /// Each problem with the number of its row.
    pub list: Vec<(usize, String)>,
}

impl Problems {
    pub fn push(&mut self, line: usize, problem: String) {
        self.list.push((line, problem));
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    pub fn len(&self) -> usize {
        self.list.len()
    }
}

/// Reads the cells of one row into typed values, recording each problem with its cell.
/// A row is good when [`Cells::ok`] says no problem was added while reading it.
pub struct Cells<'r, 'p> {
    row: &'r Row<'r>,
    problems: &'p mut Problems,
    before: usize,
}

impl<'r, 'p> Cells<'r, 'p> {
    pub fn new(row: &'r Row<'r>, problems: &'p mut Problems) -> Self {
        let before = problems.len();
        Cells {
            row,
            problems,
            before,
        }
    }

    pub fn line(&self) -> usize {
        self.row.line
    }

    /// Records a problem with a cell of this row.
    pub fn problem(&mut self, key: &str, message: impl fmt::Display) {
        let at = self.row.header.at(self.row.line, key);
        self.problems
            .push(self.row.line, format!("{at}: {message}"));
    }

    /// Whether no problem was found in this row so far.
    pub fn ok(&self) -> bool {
        self.problems.len() == self.before
    }

    /// Reads a cell with `parse`. Empty: `None`, and a problem when `required`.
    pub fn get<T>(
        &mut self,
        key: &str,
        required: bool,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        let v = self.row.get(key);
        if v.is_empty() {
            if required {
                self.problem(key, "a value is required here, found an empty cell");
            }
            return None;
        }
        match parse(v) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problem(key, e);
                None
            }
        }
    }

    /// Trimmed text, as names and addresses are kept.
    pub fn text(&mut self, key: &str, required: bool) -> Option<String> {
        self.get(key, required, text)
    }

    /// An identifier (a code, an ID, registration, order or phone number): see
    /// [`identifier`].
    pub fn code(&mut self, key: &str, required: bool) -> Option<String> {
        self.get(key, required, identifier)
    }
}

/// Parsers for [`Cells::get`]: each says what it expected and what it found.
pub fn text(v: &Value) -> Result<String, String> {
    match v {
        Value::Error(_) => Err(format!("expected text, found {}", v.shown())),
        v => Ok(v.text()),
    }
}

/// What to do about an identifier that a spreadsheet program turned into a number.
pub const AS_TEXT: &str = "format the column as text and export again from the portal";

/// An identifier: a code, or an ID, registration, admit-card, order or phone number. Text is
/// kept as written, full-width characters folded to ASCII. A number cell is never trusted
/// as it is: a spreadsheet program keeps 15 significant digits of a number, so an 18-digit
/// ID number that was saved as a number has lost its last digits, and nothing in the cell
/// says which they were. Such a cell (16 digits or more) is refused, and so is the exponent
/// form (`5.30702E+17`) that such a number becomes when the sheet is saved as CSV. A shorter
/// whole number is read as its digits (`674100`, not `674100.0`); that it may have lost
/// leading zeros is for the caller to check against the codes it knows. Dates, TRUE/FALSE,
/// fractions and negative numbers are no identifiers.
pub fn identifier(v: &Value) -> Result<String, String> {
    let lost = |shown: &str| {
        format!(
            "expected text, found the number {shown}: a spreadsheet program keeps only 15 \
             significant digits of a number, so these are not the digits that were exported; \
             {AS_TEXT}"
        )
    };
    match v {
        Value::Empty => Ok(String::new()),
        Value::Text(s) => {
            let t = fold_ascii(clean_str(s));
            if is_exponent_form(&t) {
                Err(format!(
                    "expected the digits, found {t}: a spreadsheet program wrote a long number \
                     in exponent form and dropped its last digits; {AS_TEXT}"
                ))
            } else {
                Ok(t)
            }
        }
        Value::Int(i) if *i >= 1_000_000_000_000_000 => Err(lost(&i.to_string())),
        Value::Int(i) if *i >= 0 => Ok(i.to_string()),
        Value::Float(f) if f.fract() == 0.0 && *f >= 1e15 => Err(lost(&f.to_string())),
        Value::Float(f) if f.fract() == 0.0 && *f >= 0.0 => Ok(format!("{}", *f as u64)),
        Value::Int(_) | Value::Float(_) => Err(format!(
            "expected a code or number written as text, found the number {}",
            v.text()
        )),
        Value::DateTime(_) => Err(format!(
            "expected a code or number written as text, found the date {}; {AS_TEXT}",
            v.text()
        )),
        Value::Bool(_) | Value::Error(_) => Err(format!(
            "expected a code or number written as text, found {}",
            v.shown()
        )),
    }
}

/// `5.30702E+17`, `5.30702197906235e+17`: how a spreadsheet program writes a number too long
/// for its column, and how a CSV it saved keeps it.
fn is_exponent_form(t: &str) -> bool {
    let Some((mantissa, exponent)) = t.split_once(['E', 'e']) else {
        return false;
    };
    let Some(exponent) = exponent.strip_prefix('+') else {
        return false;
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    whole.len() == 1 && digits(whole) && digits(fraction) && digits(exponent)
}

pub fn date(v: &Value) -> Result<NaiveDate, String> {
    let expected = || {
        format!(
            "expected a date like 2026-10-24, 2026/10/24 or 2026年10月24日, found {}",
            v.shown()
        )
    };
    match v {
        Value::DateTime(dt) if dt.time() == NaiveTime::MIN => Ok(dt.date()),
        // A date cell formatted as General shows Excel's serial number.
        Value::Int(_) | Value::Float(_) => {
            let n = match v {
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                _ => unreachable!(),
            };
            if n.fract() == 0.0 && (20_000.0..=80_000.0).contains(&n) {
                excel_serial(n).map(|dt| dt.date()).ok_or_else(expected)
            } else {
                parse_date(&v.text()).ok_or_else(expected)
            }
        }
        Value::Text(s) => parse_date(s).ok_or_else(expected),
        _ => Err(expected()),
    }
}

pub fn time(v: &Value) -> Result<NaiveTime, String> {
    let expected = || format!("expected a time like 08:30, found {}", v.shown());
    match v {
        Value::DateTime(dt) => Ok(dt.time()),
        Value::Float(f) if (0.0..1.0).contains(f) => {
            let secs = (f * 86_400.0).round() as u32;
            NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).ok_or_else(expected)
        }
        Value::Text(s) => parse_time(s).ok_or_else(expected),
        _ => Err(expected()),
    }
}

pub fn datetime(v: &Value) -> Result<NaiveDateTime, String> {
    let expected = || {
        format!(
            "expected a date and time like 2026-08-20 09:00, found {}",
            v.shown()
        )
    };
    match v {
        Value::DateTime(dt) => Ok(*dt),
        Value::Float(f) if (20_000.0..=80_000.0).contains(f) => {
            excel_serial(*f).ok_or_else(expected)
        }
        Value::Text(s) => parse_datetime(s).ok_or_else(expected),
        _ => Err(expected()),
    }
}

pub fn amount(v: &Value) -> Result<Fen, String> {
    let found = match v {
        Value::Int(i) => return Ok(Fen(i * 100)),
        Value::Float(f) => Fen::from_yuan_f64(*f),
        Value::Text(s) => Fen::parse_yuan(s),
        _ => None,
    };
    found.ok_or_else(|| format!("expected an amount in yuan like 57.50, found {}", v.shown()))
}

pub fn count(v: &Value) -> Result<u32, String> {
    let n = match v {
        Value::Int(i) => u32::try_from(*i).ok(),
        Value::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX) => {
            Some(*f as u32)
        }
        Value::Text(s) => fold_ascii(s).parse().ok(),
        _ => None,
    };
    n.ok_or_else(|| format!("expected a whole number like 30, found {}", v.shown()))
}

/// Excel's dates run from serial 0 (1900-01-00) to 2958465.99999 (9999-12-31 23:59:59).
const EXCEL_SERIALS: std::ops::Range<f64> = 0.0..2_958_466.0;

/// The last column Excel has (XFD), plus one.
const MAX_COLUMNS: u32 = 16_384;

fn excel_serial(n: f64) -> Option<NaiveDateTime> {
    // calamine's as_datetime panics (in chrono) on a serial far outside Excel's dates, and
    // turns NaN into 1899-12-30: only Excel's own range is handed to it.
    EXCEL_SERIALS.contains(&n).then(|| {
        calamine::ExcelDateTime::new(n, calamine::ExcelDateTimeType::DateTime, false).as_datetime()
    })?
}

/// A date cell as a date, or an error cell that says what it held, for a serial that is no
/// date Excel can show (`-1e300`, NaN): the cell's parser then says what it expected.
fn excel_datetime(dt: &calamine::ExcelDateTime) -> Value {
    let n = dt.as_f64();
    // (A 1904 workbook's serials count from 1904: the same range, 4 years later.)
    if EXCEL_SERIALS.contains(&n)
        && let Some(t) = dt.as_datetime()
    {
        return Value::DateTime(t);
    }
    // Written as a number (-1e300), not the 300 digits of its decimal form.
    let n = if n.is_finite() && n.abs() < 1e15 {
        n.to_string()
    } else {
        format!("{n:e}")
    };
    Value::Error(format!("a date cell holding {n}, which is no date"))
}

/// Reads `path` with `schema`, calling `each` for every non-empty row below the header.
/// Returns the header, which names places for messages about rows after reading.
pub fn read(
    path: &Path,
    opts: &ReadOptions,
    schema: Schema,
    mut each: impl FnMut(&Row<'_>),
) -> Result<Header, TableError> {
    read_raw(path, opts, schema, |header, line, cells| {
        each(&Row {
            line,
            header,
            cells,
        });
    })
}

/// As [`read`], handing over each row's cells, which the caller may take (`mem::take`) to
/// keep them without a copy: the applications import parses rows later, in parallel. A
/// caller may instead swap in the cells of a row it is done with: a CSV reader overwrites
/// them in place, reusing their texts' buffers.
pub fn read_raw(
    path: &Path,
    opts: &ReadOptions,
    schema: Schema,
    mut each: impl FnMut(&Header, usize, &mut Vec<Value>),
) -> Result<Header, TableError> {
    // As the user gave it (`samples/fees.xlsx`): two files of one name in two folders are
    // told apart.
    let file = opts
        .name
        .clone()
        .unwrap_or_else(|| path.display().to_string());
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let fmt_err = |message: String| TableError::Format {
        file: file.clone(),
        message,
    };
    match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => {
            if opts.encoding.is_some() {
                return Err(fmt_err("--encoding applies to CSV files only".into()));
            }
            read_workbook(path, &file, opts, schema, &mut each)
        }
        "csv" | "txt" | "tsv" | "" => {
            let open = || {
                std::fs::File::open(path).map_err(|cause| TableError::Open {
                    file: file.clone(),
                    cause,
                })
            };
            let enc = detect(&mut open()?, opts.encoding)
                .map_err(|cause| TableError::Open {
                    file: file.clone(),
                    cause,
                })?
                .map_err(fmt_err)?;
            if opts.sheet.is_some() {
                return Err(fmt_err(
                    "--sheet applies to workbooks (XLSX, XLS, ODS) only".into(),
                ));
            }
            let source = Source {
                file: file.clone(),
                sheet: None,
                encoding: Some(enc),
            };
            read_csv(Decoded::new(open()?, enc), source, schema, &mut each)
        }
        other => Err(fmt_err(format!(
            "unknown file type .{other}: expected .csv, .xlsx, .xls or .ods"
        ))),
    }
}

/// How a CSV file is encoded: UTF-8 (BOM or not) and UTF-16 (BOM) are recognised; anything
/// that is not valid UTF-8 is read as GB18030, which covers GBK and GB2312. Reads the file in
/// blocks, only as far as it needs to: a GBK file shows itself in its first line.
fn detect(
    file: &mut impl std::io::Read,
    forced: Option<Encoding>,
) -> std::io::Result<Result<Encoding, String>> {
    let mut block = vec![0u8; 1 << 16];
    let mut end = read_full(file, &mut block)?;
    let utf8_bom = block[..end].starts_with(&[0xEF, 0xBB, 0xBF]);
    match forced {
        Some(Encoding::Gbk) => return Ok(Ok(Encoding::Gbk)),
        Some(Encoding::Utf16) => return Ok(Ok(Encoding::Utf16)),
        None if !utf8_bom
            && (block[..end].starts_with(&[0xFF, 0xFE])
                || block[..end].starts_with(&[0xFE, 0xFF])) =>
        {
            return Ok(Ok(Encoding::Utf16));
        }
        _ => {}
    }
    // UTF-8 when named, or marked by a BOM, must be valid; otherwise invalid means GBK.
    let must = forced == Some(Encoding::Utf8) || utf8_bom;
    // `at`: the file offset of block[0]; `start`: where checking begins (after a BOM).
    let (mut at, mut start) = (0u64, if utf8_bom { 3 } else { 0 });
    loop {
        let last = end < block.len();
        match std::str::from_utf8(&block[start..end]) {
            Ok(_) if last => return Ok(Ok(Encoding::Utf8)),
            Ok(_) => {
                at += end as u64;
                start = 0;
                end = read_full(file, &mut block)?;
            }
            // A character cut by the block's end: carry its bytes over.
            Err(e) if e.error_len().is_none() && !last => {
                let valid = start + e.valid_up_to();
                block.copy_within(valid..end, 0);
                at += valid as u64;
                let held = end - valid;
                start = 0;
                end = held + read_full(file, &mut block[held..])?;
            }
            Err(e) if must => return Ok(Err(not_utf8(at + (start + e.valid_up_to()) as u64))),
            Err(_) => return Ok(Ok(Encoding::Gbk)),
        }
    }
}

fn not_utf8(byte: u64) -> String {
    format!(
        "not valid UTF-8 at byte {byte}; if the file came from Excel on Chinese Windows, try --encoding gbk"
    )
}

/// Reads until `buf` is full or the file ends.
fn read_full(file: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Counts lines as an editor does: a line ends at `\r\n`, `\n`, or a `\r` alone (old Mac
/// files, and some bank exports, end lines with CR only).
#[derive(Debug, Clone, Copy, Default)]
struct Lines {
    /// Line breaks counted so far.
    count: u64,
    /// The last `\r` or `\n` seen, with its offset: a `\n` right after a `\r` ends no line.
    last: Option<(u64, u8)>,
}

impl Lines {
    /// Takes the `\r` or `\n` at offset `pos`; true when it ends a line.
    fn step(&mut self, pos: u64, byte: u8) -> bool {
        let ends = byte == b'\r' || self.last != Some((pos.wrapping_sub(1), b'\r'));
        self.last = Some((pos, byte));
        self.count += u64::from(ends);
        ends
    }
}

/// Where the decoded text has line breaks, for numbering rows; shared between [`Decoded`],
/// which finds them, and [`read_csv`], which counts them off as rows pass.
#[derive(Default)]
struct Breaks {
    /// Offsets in the decoded text of `\r` and `\n` bytes not yet passed, with the byte.
    ahead: std::collections::VecDeque<(u64, u8)>,
    /// Why decoding stopped, to report instead of the CSV reader's I/O error.
    failed: Option<String>,
}

/// A CSV file decoded to UTF-8 while the CSV reader reads it, a block at a time, so that a
/// large GBK file is never in memory whole. encoding_rs_io decodes (UTF-8 passes through;
/// a UTF-16 BOM names its byte order); this wrapper notes where the line breaks are, for
/// [`read_csv`], and refuses what did not decode: encoding_rs_io always replaces a bad
/// sequence with U+FFFD, so a U+FFFD in the output of GBK or UTF-16 is taken for one (a
/// file that holds U+FFFD itself already lost a character before it came here).
/// It replaced 150 lines of our own block decoding at the same speed: an import of 200,000
/// GBK applications took the same CPU time (median ratio 0.99, 9 runs each).
struct Decoded {
    inner: std::io::BufReader<encoding_rs_io::DecodeReaderBytes<std::fs::File, Vec<u8>>>,
    encoding: Encoding,
    base: u64,
    lines: Lines,
    /// The last two bytes read, to find a U+FFFD split between two reads.
    tail: [u8; 2],
    breaks: std::rc::Rc<std::cell::RefCell<Breaks>>,
}

impl Decoded {
    fn new(file: std::fs::File, encoding: Encoding) -> Decoded {
        let enc = match encoding {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Gbk => encoding_rs::GB18030,
            Encoding::Utf16 => encoding_rs::UTF_16LE,
        };
        let d = encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(enc))
            .bom_override(true)
            .strip_bom(true)
            .utf8_passthru(true)
            .build(file);
        Decoded {
            inner: std::io::BufReader::with_capacity(1 << 16, d),
            encoding,
            base: 0,
            lines: Lines::default(),
            tail: [0; 2],
            breaks: Default::default(),
        }
    }

    fn head(&mut self) -> std::io::Result<&str> {
        use std::io::BufRead;
        let pending = self.inner.fill_buf()?;
        Ok(match std::str::from_utf8(pending) {
            Ok(t) => t,
            Err(e) => std::str::from_utf8(&pending[..e.valid_up_to()]).unwrap_or_default(),
        })
    }
}

impl std::io::Read for Decoded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let out = &buf[..n];
        if self.encoding != Encoding::Utf8 {
            let bad = (0..n).find(|&i| {
                let b = |k: usize| -> u8 {
                    if i + k >= 2 {
                        out.get(i + k - 2).copied().unwrap_or(0)
                    } else {
                        self.tail[i + k]
                    }
                };
                b(0) == 0xEF && b(1) == 0xBF && b(2) == 0xBD
            });
            if let Some(i) = bad {
                let mut lines = self.lines;
                for (j, &c) in out[..i].iter().enumerate() {
                    if c == b'\n' || c == b'\r' {
                        lines.step(self.base + j as u64, c);
                    }
                }
                let line = lines.count + 1;
                let message = match self.encoding {
                    Encoding::Utf16 => format!("not valid UTF-16 (bad bytes on line {line})"),
                    _ => format!(
                        "neither UTF-8 nor GBK/GB18030 (bad bytes on line {line}); save it from Excel as \"CSV UTF-8\" or name the encoding with --encoding"
                    ),
                };
                self.breaks.borrow_mut().failed = Some(message.clone());
                return Err(std::io::Error::other(message));
            }
        }
        let mut breaks = self.breaks.borrow_mut();
        for (i, &b) in out.iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                breaks.ahead.push_back((self.base + i as u64, b));
                self.lines.step(self.base + i as u64, b);
            }
        }
        if n >= 2 {
            self.tail = [out[n - 2], out[n - 1]];
        } else if n == 1 {
            self.tail = [self.tail[1], out[0]];
        }
        self.base += n as u64;
        Ok(n)
    }
}

/// Picks the delimiter from the first line: Excel's "Unicode text" export uses tabs, some
/// European-locale tools semicolons; commas otherwise.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |c| first.matches(c).count();
    [(b',', count(',')), (b'\t', count('\t')), (b';', count(';'))]
        .into_iter()
        .max_by_key(|&(d, n)| (n, d == b','))
        .map_or(b',', |(d, _)| d)
}

fn read_csv(
    mut input: Decoded,
    source: Source,
    schema: Schema,
    each: &mut dyn FnMut(&Header, usize, &mut Vec<Value>),
) -> Result<Header, TableError> {
    let io_err = |cause| TableError::Open {
        file: source.file.clone(),
        cause,
    };
    let breaks = std::rc::Rc::clone(&input.breaks);
    let failed = |e: &dyn fmt::Display| TableError::Format {
        file: source.file.clone(),
        message: breaks
            .borrow()
            .failed
            .clone()
            .unwrap_or_else(|| e.to_string()),
    };
    let delimiter = match input.head() {
        Ok(head) => sniff_delimiter(head),
        Err(e) if breaks.borrow().failed.is_some() => return Err(failed(&e)),
        Err(e) => return Err(io_err(e)),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(input);
    let mut finder = HeaderFinder::new(source.clone(), schema);
    let mut record = csv::StringRecord::new();
    let mut cells: Vec<Value> = Vec::new();
    let mut line = 1usize;
    let mut lines = Lines::default();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) if breaks.borrow().failed.is_some() => return Err(failed(&e)),
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return Err(TableError::Format {
                    file: source.file.clone(),
                    message: format!("line {line}: cannot read CSV: {e}"),
                });
            }
        }
        // The csv crate's line numbers skip blank lines; count newlines up to the record's
        // start, so the number is the one an editor shows.
        // A record after blank lines starts at the first of them.
        let at = record.position().map_or(0, csv::Position::byte);
        let mut b = breaks.borrow_mut();
        while let Some(&(pos, c)) = b.ahead.front() {
            if pos >= at {
                break;
            }
            line += usize::from(lines.step(pos, c));
            b.ahead.pop_front();
        }
        let mut start = at;
        while let Some(&(pos, c)) = b.ahead.front() {
            if pos != start {
                break;
            }
            line += usize::from(lines.step(pos, c));
            start += 1;
            b.ahead.pop_front();
        }
        drop(b);
        // Overwritten in place: a caller that swaps in a row it is done with (see
        // [`read_raw`]) has its texts' buffers filled again instead of allocated anew.
        for (n, s) in record.iter().enumerate() {
            let empty = s.trim().is_empty();
            match cells.get_mut(n) {
                Some(Value::Text(t)) if !empty => {
                    t.clear();
                    t.push_str(s);
                }
                Some(v) if empty => *v = Value::Empty,
                Some(v) => *v = Value::Text(s.to_string()),
                None if empty => cells.push(Value::Empty),
                None => cells.push(Value::Text(s.to_string())),
            }
        }
        cells.truncate(record.len());
        finder.feed(line, &mut cells, each)?;
    }
    finder.finish()
}

/// What a workbook reader reads from: a file, or an XLS file re-packed in memory.
trait ReadSeek: std::io::Read + std::io::Seek {}
impl<T: std::io::Read + std::io::Seek> ReadSeek for T {}

fn read_workbook(
    path: &Path,
    file: &str,
    opts: &ReadOptions,
    schema: Schema,
    each: &mut dyn FnMut(&Header, usize, &mut Vec<Value>),
) -> Result<Header, TableError> {
    let mut wb = open_workbook(path, file)?;
    let sheet = pick_sheet(&mut wb, file, opts)?;
    let source = Source {
        file: file.to_string(),
        sheet: Some(sheet.clone()),
        encoding: None,
    };
    let mut finder = HeaderFinder::new(source, schema);
    match &mut wb {
        // XLSX is streamed: a 200,000-row sheet never sits in memory whole.
        Sheets::Xlsx(x) => stream_xlsx(x, file, &sheet, &mut finder, each)?,
        other => read_range(other, file, &sheet, &mut finder, each)?,
    }
    finder.finish()
}

/// A problem with the workbook `file` as a whole.
fn workbook_error(file: &str, message: String) -> TableError {
    TableError::Format {
        file: file.to_string(),
        message,
    }
}

/// Opens a workbook by the file's extension (any case), through the guards of
/// src/io/guard.rs: an XLS file is checked and re-packed first, and a panic inside
/// calamine comes back as an error.
fn open_workbook(path: &Path, file: &str) -> Result<Sheets<Box<dyn ReadSeek>>, TableError> {
    let fmt_err = |message: String| workbook_error(file, message);
    let open_err = |cause| TableError::Open {
        file: file.to_string(),
        cause,
    };
    let cannot = |e: &dyn fmt::Display| fmt_err(format!("cannot read the workbook: {e}"));
    let damaged = |e: String| fmt_err(format!("cannot read the workbook: it is damaged ({e})"));
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext == "xls" {
        let bytes = std::fs::read(path).map_err(open_err)?;
        let packed =
            guard::xls(bytes).map_err(|e| fmt_err(format!("cannot read the workbook: {e}")))?;
        let input: Box<dyn ReadSeek> = Box::new(std::io::Cursor::new(packed));
        return Ok(Sheets::Xls(
            guard::calm(|| calamine::Xls::new(input))
                .map_err(damaged)?
                .map_err(|e| cannot(&e))?,
        ));
    }
    let input: Box<dyn ReadSeek> = Box::new(std::io::BufReader::new(
        std::fs::File::open(path).map_err(open_err)?,
    ));
    if ext != "xlsb" {
        guard::zipped(path, ext == "ods").map_err(|e| {
            fmt_err(format!(
                "cannot read the workbook: {e}; the file is damaged"
            ))
        })?;
    }
    guard::calm(|| match ext.as_str() {
        "ods" => calamine::Ods::new(input)
            .map(Sheets::Ods)
            .map_err(calamine::Error::Ods),
        "xlsb" => calamine::Xlsb::new(input)
            .map(Sheets::Xlsb)
            .map_err(calamine::Error::Xlsb),
        _ => calamine::Xlsx::new(input)
            .map(Sheets::Xlsx)
            .map_err(calamine::Error::Xlsx),
    })
    .map_err(damaged)?
    .map_err(|e| cannot(&e))
}

/// The sheet to read: the one named in the options, else the first visible worksheet.
fn pick_sheet(
    wb: &mut Sheets<Box<dyn ReadSeek>>,
    file: &str,
    opts: &ReadOptions,
) -> Result<String, TableError> {
    match &opts.sheet {
        Some(s) => {
            if !wb.sheet_names().iter().any(|n| n == s) {
                return Err(workbook_error(
                    file,
                    format!(
                        "no sheet named \"{s}\"; the workbook has: {}",
                        wb.sheet_names().join(", ")
                    ),
                ));
            }
            Ok(s.clone())
        }
        None => wb
            .sheets_metadata()
            .iter()
            .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
            .map(|s| s.name.clone())
            .ok_or_else(|| workbook_error(file, "the workbook has no visible worksheet".into())),
    }
}

/// A sheet that cannot be read: it errs, or calamine panics on it (`damaged`).
fn sheet_error(file: &str, sheet: &str, e: &dyn fmt::Display, damaged: bool) -> TableError {
    if damaged {
        workbook_error(
            file,
            format!("cannot read sheet {sheet}: the file is damaged ({e})"),
        )
    } else {
        workbook_error(file, format!("cannot read sheet {sheet}: {e}"))
    }
}

/// Feeds an XLSX sheet's rows to `finder` cell by cell, as they are read from the file.
fn stream_xlsx(
    x: &mut calamine::Xlsx<Box<dyn ReadSeek>>,
    file: &str,
    sheet: &str,
    finder: &mut HeaderFinder,
    each: &mut dyn FnMut(&Header, usize, &mut Vec<Value>),
) -> Result<(), TableError> {
    let sheet_err = |e: &dyn fmt::Display| sheet_error(file, sheet, e, false);
    let sheet_damaged = |e: String| sheet_error(file, sheet, &e, true);
    let mut reader = guard::calm(|| x.worksheet_cells_reader(sheet))
        .map_err(sheet_damaged)?
        .map_err(|e| sheet_err(&e))?;
    let mut cells: Vec<Value> = Vec::new();
    let mut current: Option<u32> = None;
    loop {
        let next = guard::calm(|| {
            reader
                .next_cell()
                .map(|c| c.map(|c| (c.get_position(), from_ref(c.get_value()))))
        })
        .map_err(sheet_damaged)?
        .map_err(|e| sheet_err(&e))?;
        let Some(((r, c), value)) = next else { break };
        if current != Some(r) {
            if let Some(prev) = current {
                finder.feed(prev as usize + 1, &mut cells, each)?;
            }
            cells.clear();
            current = Some(r);
        }
        // A cell past Excel's last column (XFD) is no cell Excel wrote: without
        // this bound, one cell at column ZZZZZZZ would make a row of 4 billion.
        if c >= MAX_COLUMNS {
            return Err(workbook_error(
                file,
                format!(
                    "[{sheet}]!{}{}: a cell beyond Excel's last column XFD; the file is damaged",
                    column_letters(c as usize),
                    u64::from(r) + 1
                ),
            ));
        }
        let c = c as usize;
        if cells.len() <= c {
            cells.resize(c + 1, Value::Empty);
        }
        cells[c] = value;
    }
    if let Some(prev) = current {
        finder.feed(prev as usize + 1, &mut cells, each)?;
    }
    Ok(())
}

/// Feeds the rows of a sheet of the other formats, read whole, to `finder`.
fn read_range(
    wb: &mut Sheets<Box<dyn ReadSeek>>,
    file: &str,
    sheet: &str,
    finder: &mut HeaderFinder,
    each: &mut dyn FnMut(&Header, usize, &mut Vec<Value>),
) -> Result<(), TableError> {
    let range = guard::calm(|| wb.worksheet_range(sheet))
        .map_err(|e| sheet_error(file, sheet, &e, true))?
        .map_err(|e| sheet_error(file, sheet, &e, false))?;
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut cells: Vec<Value> = Vec::new();
    for (i, row) in range.rows().enumerate() {
        cells.clear();
        cells.resize(left as usize, Value::Empty);
        cells.extend(row.iter().map(from_data));
        finder.feed(top as usize + i + 1, &mut cells, each)?;
    }
    Ok(())
}

fn from_data(d: &calamine::Data) -> Value {
    use calamine::Data;
    match d {
        Data::Int(i) => Value::Int(*i),
        Data::Float(f) => Value::Float(*f),
        Data::String(s) => Value::Text(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => excel_datetime(dt),
        Data::DateTimeIso(s) => iso(s),
        Data::DurationIso(s) => duration(s),
        Data::Error(e) => Value::Error(e.to_string()),
        Data::Empty => Value::Empty,
    }
}

fn from_ref(d: &DataRef<'_>) -> Value {
    match d {
        DataRef::Int(i) => Value::Int(*i),
        DataRef::Float(f) => Value::Float(*f),
        DataRef::String(s) => Value::Text(s.clone()),
        DataRef::SharedString(s) => Value::Text((*s).to_string()),
        DataRef::Bool(b) => Value::Bool(*b),
        DataRef::DateTime(dt) => excel_datetime(dt),
        DataRef::DateTimeIso(s) => iso(s),
        DataRef::DurationIso(s) => duration(s),
        DataRef::Error(e) => Value::Error(e.to_string()),
        DataRef::Empty => Value::Empty,
    }
}

/// ODS stores dates as ISO text; a time alone comes as a duration (`PT08H30M00S`).
fn iso(s: &str) -> Value {
    parse_datetime(s).map_or_else(|| Value::Text(s.to_string()), Value::DateTime)
}

fn duration(s: &str) -> Value {
    let body = s.trim_start_matches("PT");
    let mut secs = 0f64;
    let mut num = String::new();
    for c in body.chars() {
        match c {
            'H' | 'M' | 'S' => {
                let n: f64 = num.parse().unwrap_or(0.0);
                secs += n * match c {
                    'H' => 3600.0,
                    'M' => 60.0,
                    _ => 1.0,
                };
                num.clear();
            }
            c => num.push(c),
        }
    }
    NaiveTime::from_num_seconds_from_midnight_opt(secs.round() as u32, 0).map_or_else(
        || Value::Text(s.to_string()),
        |t| Value::DateTime(NaiveDate::MIN.and_time(t)),
    )
}

/// Buffers the first rows until the header is found, then passes data rows on.
struct HeaderFinder {
    source: Source,
    schema: Schema,
    header: Option<Header>,
    /// Rows seen before the header, with their numbers, kept to report a missing header.
    seen: usize,
    best: Option<(usize, Vec<String>)>,
}

impl HeaderFinder {
    fn new(source: Source, schema: Schema) -> Self {
        HeaderFinder {
            source,
            schema,
            header: None,
            seen: 0,
            best: None,
        }
    }

    fn feed(
        &mut self,
        line: usize,
        cells: &mut Vec<Value>,
        each: &mut dyn FnMut(&Header, usize, &mut Vec<Value>),
    ) -> Result<(), TableError> {
        if cells.iter().all(Value::is_empty) {
            return Ok(());
        }
        if let Some(h) = &self.header {
            each(h, line, cells);
            return Ok(());
        }
        self.seen += 1;
        let texts: Vec<String> = cells.iter().map(Value::text).collect();
        let matched = texts
            .iter()
            .filter(|t| !t.is_empty())
            .filter(|t| {
                self.schema
                    .columns
                    .iter()
                    .any(|c| c.matches(&header_key(t)))
            })
            .count();
        let needed = self.schema.columns.len().min(2);
        if matched >= needed {
            self.header = Some(self.make_header(line, &texts)?);
        } else {
            if self.best.as_ref().is_none_or(|(n, _)| matched > *n) {
                self.best = Some((matched, texts));
            }
            if self.seen >= HEADER_SEARCH_ROWS {
                return Err(self.no_header());
            }
        }
        Ok(())
    }

    fn make_header(&self, line: usize, texts: &[String]) -> Result<Header, TableError> {
        let mut cols: Vec<Option<(usize, String)>> = vec![None; self.schema.columns.len()];
        let mut unknown = Vec::new();
        for (phys, t) in texts.iter().enumerate() {
            if t.is_empty() {
                continue;
            }
            let key = header_key(t);
            match self.schema.columns.iter().position(|c| c.matches(&key)) {
                Some(i) => {
                    if let Some((prev, prev_name)) = &cols[i] {
                        return Err(TableError::Format {
                            file: self.source.file.clone(),
                            message: format!(
                                "row {line}: columns {} ({prev_name}) and {} ({t}) both mean {}; keep one",
                                column_letters(*prev),
                                column_letters(phys),
                                self.schema.columns[i].zh
                            ),
                        });
                    }
                    cols[i] = Some((phys, t.clone()));
                }
                None => unknown.push(t.clone()),
            }
        }
        let missing: Vec<String> = self
            .schema
            .columns
            .iter()
            .zip(&cols)
            .filter(|(c, found)| c.required && found.is_none())
            .map(|(c, _)| format!("{} ({})", c.zh, c.en))
            .collect();
        let header = Header {
            source: self.source.clone(),
            schema: self.schema,
            line,
            cols,
            unknown,
        };
        if !missing.is_empty() {
            return Err(TableError::Format {
                file: self.source.file.clone(),
                message: format!(
                    "{}: the header row has no column {}",
                    header.at_row(line),
                    missing.join(", ")
                ),
            });
        }
        Ok(header)
    }

    fn no_header(&self) -> TableError {
        let expected: Vec<String> = self
            .schema
            .columns
            .iter()
            .filter(|c| c.required)
            .map(|c| format!("{} ({})", c.zh, c.en))
            .collect();
        TableError::Format {
            file: self.source.file.clone(),
            message: format!(
                "no header row found in the first {HEADER_SEARCH_ROWS} rows; is this an {} file? It needs the columns {}",
                self.schema.what,
                expected.join(", ")
            ),
        }
    }

    fn finish(self) -> Result<Header, TableError> {
        match self.header {
            Some(h) => Ok(h),
            None if self.seen == 0 => Err(TableError::Format {
                file: self.source.file.clone(),
                message: "the file is empty".into(),
            }),
            None => Err(self.no_header()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[Column] = &[
        Column::req("name", "姓名", "name"),
        Column::req("amount", "金额", "amount"),
        Column::opt("date", "日期", "date"),
    ];
    const SCHEMA: Schema = Schema {
        what: "test",
        columns: COLS,
    };

    type Rows = Vec<(usize, String, String)>;

    fn read_str(bytes: &[u8]) -> Result<(Header, Rows), TableError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, bytes).unwrap();
        let mut rows = Vec::new();
        // Named as a user would have given it, not by the temporary folder.
        let opts = ReadOptions {
            name: Some("t.csv".into()),
            ..ReadOptions::default()
        };
        let h = read(&p, &opts, SCHEMA, |r| {
            rows.push((r.line, r.get("name").text(), r.get("amount").text()));
        })?;
        Ok((h, rows))
    }

    #[test]
    fn cells_swapped_back_in_are_overwritten_whole() {
        // Rows of different lengths, empty and blank cells, and a blank line: a caller that
        // swaps in the cells of an earlier row (as the applications import does) gets each
        // row exactly as a caller that takes fresh cells.
        let text = "姓名,金额,日期\n张三,1.00,2026-01-02\n李四,2.00\n,  ,\n\n王五长名字,300.00,2026-03-04,extra\n赵六\n";
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, text).unwrap();
        let mut taken = Vec::new();
        read_raw(&p, &ReadOptions::default(), SCHEMA, |_, line, cells| {
            taken.push((line, std::mem::take(cells)));
        })
        .unwrap();
        let mut spare: Vec<Vec<Value>> = Vec::new();
        let mut swapped = Vec::new();
        read_raw(&p, &ReadOptions::default(), SCHEMA, |_, line, cells| {
            // The longest row so far, with texts everywhere, comes back in each time.
            let mut row = spare
                .pop()
                .unwrap_or_else(|| vec![Value::Text("stale".repeat(20)); 6]);
            std::mem::swap(cells, &mut row);
            swapped.push((line, row.clone()));
            spare.push(row);
        })
        .unwrap();
        assert_eq!(swapped, taken);
        assert_eq!(taken.len(), 4, "{taken:?}");
        assert_eq!(
            taken[1].1,
            vec![Value::Text("李四".into()), Value::Text("2.00".into())]
        );
        assert_eq!(taken[3], (7, vec![Value::Text("赵六".into())]));
    }

    #[test]
    fn column_letters_roll_over() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn reads_gbk_with_a_title_row_and_english_aliases() {
        let text = "收费标准（2026）\n\nAmount,备注,姓名\n57.50,x,张三\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let (h, rows) = read_str(&gbk).unwrap();
        assert_eq!(h.source.encoding, Some(Encoding::Gbk));
        assert_eq!(h.line, 3);
        assert_eq!(h.unknown, vec!["备注"]);
        assert_eq!(rows, vec![(4, "张三".to_string(), "57.50".to_string())]);
        assert_eq!(h.at(4, "amount"), "t.csv:4: Amount");
        assert!(!h.has("date"));
    }

    #[test]
    fn reads_utf8_with_bom_and_tabs() {
        let (h, rows) = read_str("\u{FEFF}姓名\t金额（元）\n李四\t50\n".as_bytes()).unwrap();
        assert_eq!(h.source.encoding, Some(Encoding::Utf8));
        assert_eq!(rows[0].1, "李四");
    }

    #[test]
    fn reports_missing_columns_and_headers() {
        let e = read_str("姓名,日期\n张三,2026-01-01\n".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no column 金额 (amount)"), "{e}");
        let e = read_str("a,b\n1,2\n".as_bytes()).unwrap_err().to_string();
        assert!(e.contains("no header row found"), "{e}");
        let e = read_str(b"").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn refuses_undecodable_bytes() {
        let e = read_str(&[0x81, 0x20, 0xFF]).unwrap_err().to_string();
        assert!(
            e.contains("neither UTF-8 nor GBK") && e.contains("--encoding"),
            "{e}"
        );
        let mut text = "姓名,金额\n".repeat(30_000).into_bytes();
        text.extend([0xE5, 0xA7]);
        let mut r = read_str(&text);
        assert!(r.is_err());
        text.extend([0x93, b'\n']);
        r = read_str(&text);
        assert!(r.is_ok(), "a character cut by a block's end");
    }

    #[test]
    fn line_numbers_are_an_editors_in_every_encoding_and_line_end() {
        // A blank line 3, rows on lines 2, 4 and 5, whatever the line ends and encoding.
        let text = "姓名,金额\n张三,1\n\n李㛃,2\n\"王\n五\",3\n赵六,4\n";
        let utf16 = |le: bool, t: &str| -> Vec<u8> {
            let mut b = if le {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            for u in t.encode_utf16() {
                b.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            b
        };
        for end in ["\n", "\r\n", "\r"] {
            let t = text.replace('\n', end);
            let gb = encoding_rs::GB18030.encode(&t).0.into_owned();
            for (what, bytes) in [
                ("utf-8", t.as_bytes().to_vec()),
                ("gb18030", gb),
                ("utf-16le", utf16(true, &t)),
                ("utf-16be", utf16(false, &t)),
            ] {
                let (_, rows) = read_str(&bytes).unwrap();
                let lines: Vec<usize> = rows.iter().map(|r| r.0).collect();
                // The quoted name spans lines 5 and 6: the next row is on line 7.
                assert_eq!(lines, [2, 4, 5, 7], "{what} with {end:?}");
                assert_eq!(rows[1].1, "李㛃", "{what}");
            }
        }
        // Bad bytes are placed on their line too, with CR-only line ends.
        let mut gbk = encoding_rs::GBK
            .encode("姓名,金额\r张三,1\r\r")
            .0
            .into_owned();
        gbk.extend([0x81, 0x20, b',', b'2', b'\r']);
        let e = read_str(&gbk).unwrap_err().to_string();
        assert!(e.contains("bad bytes on line 4"), "{e}");
    }

    #[test]
    fn cell_parsers() {
        assert_eq!(
            date(&Value::Float(46319.0)),
            Ok(NaiveDate::from_ymd_opt(2026, 10, 24).unwrap())
        );
        assert_eq!(
            date(&Value::Int(20261024)),
            Ok(NaiveDate::from_ymd_opt(2026, 10, 24).unwrap())
        );
        assert!(
            date(&Value::Text("明天".into()))
                .unwrap_err()
                .contains("found \"明天\"")
        );
        assert_eq!(
            time(&Value::Float(0.354166666)),
            Ok(NaiveTime::from_hms_opt(8, 30, 0).unwrap())
        );
        assert_eq!(amount(&Value::Float(57.5)), Ok(Fen(5750)));
        assert!(
            amount(&Value::Text("五十".into()))
                .unwrap_err()
                .contains("like 57.50, found \"五十\"")
        );
        assert_eq!(count(&Value::Text("３０".into())), Ok(30));
        assert!(count(&Value::Float(2.5)).is_err());
        assert_eq!(
            duration("PT08H30M00S"),
            Value::DateTime(NaiveDate::MIN.and_hms_opt(8, 30, 0).unwrap())
        );
    }

    #[test]
    fn text_is_kept_as_written() {
        assert_eq!(identifier(&Value::Text(" 001 ".into())).unwrap(), "001");
        assert_eq!(
            identifier(&Value::Text("５３０７０２１９７９０６２３５０７３".into())).unwrap(),
            "530702197906235073"
        );
        assert_eq!(identifier(&Value::Text("LJ01".into())).unwrap(), "LJ01");
        // A code with an E that is not a number's exponent form.
        assert_eq!(identifier(&Value::Text("2E10".into())).unwrap(), "2E10");
    }

    #[test]
    fn short_numbers_are_read_as_their_digits() {
        assert_eq!(identifier(&Value::Float(674100.0)).unwrap(), "674100");
        assert_eq!(
            identifier(&Value::Float(17426188664.0)).unwrap(),
            "17426188664"
        );
        assert_eq!(identifier(&Value::Int(20260000001)).unwrap(), "20260000001");
        // 15 digits are what a spreadsheet keeps: still trusted.
        assert_eq!(
            identifier(&Value::Float(999_999_999_999_999.0)).unwrap(),
            "999999999999999"
        );
    }

    #[test]
    fn long_numbers_are_refused_with_the_fix() {
        // 530702197906235073 as LibreOffice keeps it in an XLSX file.
        let e = identifier(&Value::Float(5.30702197906235e17)).unwrap_err();
        assert!(
            e.starts_with("expected text, found the number 530702197906235000: "),
            "{e}"
        );
        assert!(e.ends_with(AS_TEXT), "{e}");
        assert!(identifier(&Value::Float(1e15)).is_err());
        assert!(identifier(&Value::Int(1_000_000_000_000_000)).is_err());
        let e = identifier(&Value::Text("5.30702E+17".into())).unwrap_err();
        assert!(
            e.starts_with("expected the digits, found 5.30702E+17: "),
            "{e}"
        );
        assert!(identifier(&Value::Text("5E+17".into())).is_err());
    }

    #[test]
    fn other_cells_are_no_identifiers() {
        for v in [
            Value::Float(12.5),
            Value::Float(-3.0),
            Value::Int(-3),
            Value::Bool(true),
            Value::Error("#N/A".into()),
            Value::DateTime(
                NaiveDate::from_ymd_opt(2026, 1, 2)
                    .unwrap()
                    .and_time(NaiveTime::MIN),
            ),
        ] {
            let e = identifier(&v).unwrap_err();
            assert!(
                e.starts_with("expected a code or number written as text, found "),
                "{v:?}: {e}"
            );
        }
    }
}

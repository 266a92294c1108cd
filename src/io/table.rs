//! One reader for every import: CSV (UTF-8 with or without BOM, UTF-16 as Excel's "Unicode
//! text", GBK/GB18030 as Excel on Chinese Windows saves it), XLSX (streamed cell by cell, so
//! 200,000 rows stay in a few MiB), XLS and ODS. It finds the header row among the first
//! rows (office sheets carry a title row above it), matches columns by Chinese header or
//! English alias in any order, and hands each data row to the caller with its place in the
//! file, so that every message can name the file, row and column.

use std::fmt;
use std::path::Path;

use calamine::{DataRef, Reader, SheetType, SheetVisible, Sheets, open_workbook_auto};
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
    /// An Excel error such as `#N/A`, or a cell calamine could not convert.
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
            Value::Error(e) => format!("the spreadsheet error {e}"),
            v => format!("\"{}\"", v.text()),
        }
    }
}

/// Where a table comes from, to name places in it.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file name as the user gave it (its last component).
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

    /// Text with full-width characters folded to ASCII, for codes and numbers.
    pub fn code(&mut self, key: &str, required: bool) -> Option<String> {
        self.get(key, required, |v| match v {
            Value::Text(s) => Ok(fold_ascii(clean_str(s))),
            v => text(v).map(|s| fold_ascii(&s)),
        })
    }
}

/// Parsers for [`Cells::get`]: each says what it expected and what it found.
pub fn text(v: &Value) -> Result<String, String> {
    match v {
        Value::Error(_) => Err(format!("expected text, found {}", v.shown())),
        v => Ok(v.text()),
    }
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
        Value::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f <= u32::MAX as f64 => {
            Some(*f as u32)
        }
        Value::Text(s) => fold_ascii(s).parse().ok(),
        _ => None,
    };
    n.ok_or_else(|| format!("expected a whole number like 30, found {}", v.shown()))
}

fn excel_serial(n: f64) -> Option<NaiveDateTime> {
    calamine::ExcelDateTime::new(n, calamine::ExcelDateTimeType::DateTime, false).as_datetime()
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
        })
    })
}

/// As [`read`], handing over each row's cells, which the caller may take (`mem::take`) to
/// keep them without a copy: the applications import parses rows later, in parallel.
pub fn read_raw(
    path: &Path,
    opts: &ReadOptions,
    schema: Schema,
    mut each: impl FnMut(&Header, usize, &mut Vec<Value>),
) -> Result<Header, TableError> {
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
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
            let bytes = std::fs::read(path).map_err(|cause| TableError::Open {
                file: file.clone(),
                cause,
            })?;
            let (text, enc) = decode(&bytes, opts.encoding).map_err(fmt_err)?;
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
            read_csv(&text, source, schema, &mut each)
        }
        other => Err(fmt_err(format!(
            "unknown file type .{other}: expected .csv, .xlsx, .xls or .ods"
        ))),
    }
}

/// Decodes a CSV file. UTF-8 (BOM or not) and UTF-16 (BOM) are recognised; anything that is
/// not valid UTF-8 is read as GB18030, which covers GBK and GB2312.
pub fn decode(bytes: &[u8], forced: Option<Encoding>) -> Result<(String, Encoding), String> {
    let enc = match forced {
        Some(e) => e,
        None if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) => Encoding::Utf8,
        None if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) => {
            Encoding::Utf16
        }
        None if std::str::from_utf8(bytes).is_ok() => Encoding::Utf8,
        None => Encoding::Gbk,
    };
    let decoded = match enc {
        Encoding::Utf8 => {
            let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
            std::str::from_utf8(body).map(str::to_string).map_err(|e| {
                format!(
                    "not valid UTF-8 at byte {}; if the file came from Excel on Chinese Windows, try --encoding gbk",
                    e.valid_up_to() + (bytes.len() - body.len())
                )
            })?
        }
        Encoding::Gbk => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                let at = text
                    .find('\u{FFFD}')
                    .map(|i| text[..i].lines().count().max(1))
                    .unwrap_or(1);
                return Err(format!(
                    "neither UTF-8 nor GBK/GB18030 (bad bytes on line {at}); save it from Excel as \"CSV UTF-8\" or name the encoding with --encoding"
                ));
            }
            text.into_owned()
        }
        Encoding::Utf16 => {
            let (text, used, had_errors) = encoding_rs::UTF_16LE.decode(bytes);
            if had_errors {
                return Err(format!("not valid {}", used.name()));
            }
            text.into_owned()
        }
    };
    Ok((decoded, enc))
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
    text: &str,
    source: Source,
    schema: Schema,
    each: &mut dyn FnMut(&Header, usize, &mut Vec<Value>),
) -> Result<Header, TableError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());
    let mut finder = HeaderFinder::new(source.clone(), schema);
    let mut record = csv::StringRecord::new();
    let mut cells: Vec<Value> = Vec::new();
    let bytes = text.as_bytes();
    let (mut line, mut counted) = (1usize, 0usize);
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(TableError::Format {
                    file: source.file.clone(),
                    message: format!("line {line}: cannot read CSV: {e}"),
                });
            }
        }
        // The csv crate's line numbers skip blank lines; count newlines up to the record's
        // start, so the number is the one an editor shows.
        // A record after blank lines starts at the first of them.
        let mut start = record.position().map_or(0, |p| p.byte() as usize);
        while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
            start += 1;
        }
        line += bytes[counted..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted = start;
        cells.clear();
        cells.extend(record.iter().map(|s| {
            if s.trim().is_empty() {
                Value::Empty
            } else {
                Value::Text(s.to_string())
            }
        }));
        finder.feed(line, &mut cells, each)?;
    }
    finder.finish()
}

fn read_workbook(
    path: &Path,
    file: &str,
    opts: &ReadOptions,
    schema: Schema,
    each: &mut dyn FnMut(&Header, usize, &mut Vec<Value>),
) -> Result<Header, TableError> {
    let fmt_err = |message: String| TableError::Format {
        file: file.to_string(),
        message,
    };
    if let Err(cause) = std::fs::metadata(path) {
        return Err(TableError::Open {
            file: file.to_string(),
            cause,
        });
    }
    let mut wb =
        open_workbook_auto(path).map_err(|e| fmt_err(format!("cannot read the workbook: {e}")))?;
    let sheet = match &opts.sheet {
        Some(s) => {
            if !wb.sheet_names().iter().any(|n| n == s) {
                return Err(fmt_err(format!(
                    "no sheet named \"{s}\"; the workbook has: {}",
                    wb.sheet_names().join(", ")
                )));
            }
            s.clone()
        }
        None => wb
            .sheets_metadata()
            .iter()
            .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
            .map(|s| s.name.clone())
            .ok_or_else(|| fmt_err("the workbook has no visible worksheet".into()))?,
    };
    let source = Source {
        file: file.to_string(),
        sheet: Some(sheet.clone()),
        encoding: None,
    };
    let mut finder = HeaderFinder::new(source, schema);
    let sheet_err = |e: &dyn fmt::Display| fmt_err(format!("cannot read sheet {sheet}: {e}"));
    match &mut wb {
        // XLSX is streamed: a 200,000-row sheet never sits in memory whole.
        Sheets::Xlsx(x) => {
            let mut reader = x
                .worksheet_cells_reader(&sheet)
                .map_err(|e| sheet_err(&e))?;
            let mut cells: Vec<Value> = Vec::new();
            let mut current: Option<u32> = None;
            while let Some(cell) = reader.next_cell().map_err(|e| sheet_err(&e))? {
                let (r, c) = cell.get_position();
                if current != Some(r) {
                    if let Some(prev) = current {
                        finder.feed(prev as usize + 1, &mut cells, each)?;
                    }
                    cells.clear();
                    current = Some(r);
                }
                let c = c as usize;
                if cells.len() <= c {
                    cells.resize(c + 1, Value::Empty);
                }
                cells[c] = from_ref(cell.get_value());
            }
            if let Some(prev) = current {
                finder.feed(prev as usize + 1, &mut cells, each)?;
            }
        }
        other => {
            let range = other.worksheet_range(&sheet).map_err(|e| sheet_err(&e))?;
            let (top, left) = range.start().unwrap_or((0, 0));
            let mut cells: Vec<Value> = Vec::new();
            for (i, row) in range.rows().enumerate() {
                cells.clear();
                cells.resize(left as usize, Value::Empty);
                cells.extend(row.iter().map(from_data));
                finder.feed(top as usize + i + 1, &mut cells, each)?;
            }
        }
    }
    finder.finish()
}

fn from_data(d: &calamine::Data) -> Value {
    use calamine::Data;
    match d {
        Data::Int(i) => Value::Int(*i),
        Data::Float(f) => Value::Float(*f),
        Data::String(s) => Value::Text(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map_or_else(|| Value::Error(format!("{dt}")), Value::DateTime),
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
        DataRef::DateTime(dt) => dt
            .as_datetime()
            .map_or_else(|| Value::Error(format!("{dt}")), Value::DateTime),
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
        let h = read(&p, &ReadOptions::default(), SCHEMA, |r| {
            rows.push((r.line, r.get("name").text(), r.get("amount").text()))
        })?;
        Ok((h, rows))
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
        let e = decode(&[0x81, 0x20, 0xFF], None).unwrap_err();
        assert!(e.contains("--encoding"), "{e}");
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
}

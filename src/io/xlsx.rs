//! The one XLSX writer: every workbook kaowu writes (rosters, the report, the
//! reconciliation, the decision sheet, the generated samples) goes through [`Book`] and
//! [`Sheet`], so they share one look and one print setup.
//!
//! A sheet is written top-down, row by row, in constant memory (200,000 rows take a few
//! MiB): title lines, then a header row (bold, shaded, frozen, with filters), data rows and
//! total rows (bold, a rule above), and charts below. Columns get as wide as their content
//! (a CJK character counts two), up to [`MAX_WIDTH`]; longer or multi-line text wraps.
//! Dates are dates and money is `¥#,##0.00`.
//!
//! What the writer learns while rows pass (widths, where the header and the data are, where
//! the charts go) is applied when the book is saved, with the print setup: A4, portrait or
//! landscape by width, fitted to the page width (or to two pages across, the frozen columns
//! repeated, when one page would shrink the text too far), the header row repeated on every
//! page, the sheet's title in the page header and page numbers in the footer, and a page
//! break before a chart that would be cut.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_xlsxwriter::{
    Chart, DataValidation, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder,
    IgnoreError, Workbook, Worksheet, XlsxError,
};

use super::atomic::{self, AtomicFile};
use super::write::{WriteError, Written, sha256_bytes, sha256_file};
use crate::model::money::Fen;
use crate::model::roster::Value;
use crate::model::text::display_width;

/// Widest a column gets, in characters; longer text wraps within it.
pub const MAX_WIDTH: usize = 40;

/// A chart's size in pixels: wide enough for a dozen labelled columns, and a third of a
/// portrait page high, so that it is never the reason a page breaks.
const CHART_WIDTH: u32 = 640;
const CHART_HEIGHT: u32 = 340;

/// A value in a cell.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Text(&'a str),
    /// A whole number shown with thousands separators.
    Count(i64),
    Money(Fen),
    /// A fraction shown as a percentage; `None` leaves the cell blank.
    Share(Option<f64>),
    /// A number shown with one decimal (hours); `None` leaves the cell blank.
    Decimal(Option<f64>),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    /// A number shown with at least this many digits (room 003, seat 07).
    Padded(i64, usize),
    Empty,
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Cell<'a> {
        Cell::Text(s)
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(s: &'a String) -> Cell<'a> {
        Cell::Text(s)
    }
}

impl<'a> From<&'a Value<'_>> for Cell<'a> {
    fn from(v: &'a Value<'_>) -> Cell<'a> {
        match v {
            Value::Text(s) => Cell::Text(s),
            Value::Date(d) => Cell::Date(*d),
            Value::DateTime(t) => Cell::DateTime(*t),
            Value::Money(f) => Cell::Money(*f),
            Value::Padded(n, w) => Cell::Padded(*n, *w),
            Value::Empty => Cell::Empty,
        }
    }
}

/// How a cell looks; with `total`, bold with a rule above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Style {
    Title,
    Header,
    Text,
    Wrapped,
    Count,
    Money,
    Share,
    Decimal,
    Date,
    DateTime,
    Padded(usize),
}

fn format_of(style: Style, total: bool) -> Format {
    // Top-aligned: beside a wrapped cell of several lines, the others start on its first.
    let f = Format::new().set_align(FormatAlign::Top);
    let f = match style {
        Style::Title => return Format::new().set_bold().set_font_size(12),
        Style::Header => {
            return Format::new()
                .set_bold()
                .set_background_color("#DDEBF7")
                .set_border_bottom(FormatBorder::Thin)
                .set_align(FormatAlign::Top);
        }
        Style::Text => f,
        Style::Wrapped => f.set_text_wrap(),
        Style::Count => f.set_num_format("#,##0"),
        Style::Money => f.set_num_format("\"¥\"#,##0.00"),
        Style::Share => f.set_num_format("0.0%"),
        Style::Decimal => f.set_num_format("#,##0.0"),
        Style::Date => f.set_num_format("yyyy-mm-dd"),
        Style::DateTime => f.set_num_format("yyyy-mm-dd hh:mm:ss"),
        Style::Padded(w) => f.set_num_format("0".repeat(w)),
    };
    if total {
        f.set_bold().set_border_top(FormatBorder::Thin)
    } else {
        f
    }
}

/// What a sheet's print setup needs to know, learnt while its rows are written.
#[derive(Clone, Default)]
struct Layout {
    /// What the sheet is, for the page header: `名册 丽江 001 丽江一中 第003考场 ...`.
    title: String,
    /// Each column's widest content, in display columns.
    widths: Vec<usize>,
    /// The next row to write.
    next_row: u32,
    header_row: Option<u32>,
    last_data_row: Option<u32>,
    freeze_columns: u16,
    filter: bool,
    /// Row and rows tall of each chart.
    charts: Vec<(u32, u32)>,
    /// Rows of wrapped text, with their lines.
    tall_rows: Vec<(u32, u32)>,
    validations: Vec<(u16, DataValidation)>,
}

/// A workbook being written, sheet by sheet.
pub struct Book {
    wb: Workbook,
    formats: HashMap<(Style, bool), Format>,
    layouts: Vec<Layout>,
}

impl Default for Book {
    fn default() -> Self {
        Book::new()
    }
}

impl Book {
    pub fn new() -> Book {
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
        Book {
            wb,
            formats: HashMap::new(),
            layouts: Vec::new(),
        }
    }

    /// Adds a sheet called `name` (see [`sheet_names`]); `title` says on every printed page
    /// what the list is.
    pub fn sheet(&mut self, name: &str, title: &str) -> Result<Sheet<'_>, XlsxError> {
        let ws = self.wb.add_worksheet_with_constant_memory()?;
        ws.set_name(name)?;
        self.layouts.push(Layout {
            title: title.to_string(),
            filter: true,
            ..Layout::default()
        });
        Ok(Sheet {
            ws,
            formats: &mut self.formats,
            layout: self.layouts.last_mut().expect("just pushed"),
        })
    }

    /// Saves the workbook at `path` (whole or not at all), or on standard output for `-`.
    pub fn save(mut self, path: &Path) -> Result<Written, WriteError> {
        let xlsx = |cause| WriteError::Xlsx {
            file: path.display().to_string(),
            cause,
        };
        self.set_up_pages().map_err(xlsx)?;
        if atomic::is_stdout(path) {
            let bytes = self.wb.save_to_buffer().map_err(xlsx)?;
            atomic::to_stdout(&bytes).map_err(|cause| WriteError::Io {
                file: "standard output".into(),
                cause,
            })?;
            return Ok(sha256_bytes(&bytes));
        }
        let mut file = AtomicFile::create(path)?;
        self.wb.save_to_writer(&mut file).map_err(xlsx)?;
        file.commit()?;
        sha256_file(path)
    }

    /// Applies what each sheet learnt: widths, frozen panes, filters and the print setup.
    fn set_up_pages(&mut self) -> Result<(), XlsxError> {
        let several = self.layouts.len() > 1;
        for (i, l) in self.layouts.iter().enumerate() {
            let ws = self.wb.worksheet_from_index(i)?;
            let widths: Vec<f64> = l.widths.iter().map(|w| column_width(*w)).collect();
            for (c, w) in widths.iter().enumerate() {
                ws.set_column_width(c as u16, *w)?;
            }
            let last_col = l.widths.len().max(1) as u16 - 1;
            if let Some(h) = l.header_row {
                ws.set_freeze_panes(h + 1, l.freeze_columns)?;
                ws.set_repeat_rows(h, h)?;
                let last = l.last_data_row.unwrap_or(h);
                if l.filter {
                    ws.autofilter(h, 0, last.max(h + 1), last_col)?;
                }
                if last > h {
                    // Numbers kept as text on purpose (ID numbers, admit-card numbers): no
                    // green triangles in every cell.
                    ws.ignore_error_range(
                        h + 1,
                        0,
                        last,
                        last_col,
                        IgnoreError::NumberStoredAsText,
                    )?;
                }
                for (col, dv) in &l.validations {
                    ws.add_data_validation(h + 1, *col, last.max(h + 1), *col, dv)?;
                }
            }
            let page = page_setup(&widths, l);
            ws.set_paper_size(A4);
            if page.landscape {
                ws.set_landscape();
            } else {
                ws.set_portrait();
            }
            ws.set_margins(0.4, 0.4, 0.7, 0.7, 0.3, 0.3);
            ws.set_print_fit_to_pages(page.pages_wide, 0);
            if page.pages_wide > 1 && l.freeze_columns > 0 {
                ws.set_repeat_columns(0, l.freeze_columns - 1)?;
            }
            if !page.breaks.is_empty() {
                ws.set_page_breaks(&page.breaks)?;
            }
            // Gridlines make a printed list easy to follow along a row; under a chart they
            // would show around it.
            ws.set_print_gridlines(l.charts.is_empty());
            // The header and footer keep their size when the sheet is shrunk to fit.
            ws.set_header_footer_scale_with_doc(false);
            ws.set_header(page_header(&l.title));
            if several {
                // Printed together, the sheets of a book (a room each) are numbered from 1
                // each; the count of pages would be the whole book's.
                ws.set_print_first_page_number(1);
                ws.set_footer("&C第 &P 页");
            } else {
                ws.set_footer("&C第 &P 页，共 &N 页");
            }
        }
        Ok(())
    }
}

/// Excel's paper size number of A4.
const A4: u8 = 9;

/// A sheet being written, one row at a time.
pub struct Sheet<'a> {
    ws: &'a mut Worksheet,
    formats: &'a mut HashMap<(Style, bool), Format>,
    layout: &'a mut Layout,
}

impl Sheet<'_> {
    /// Keeps the first `n` columns in view when scrolling right (and on every page, when a
    /// sheet prints two pages across).
    pub fn freeze_columns(&mut self, n: u16) -> &mut Self {
        self.layout.freeze_columns = n;
        self
    }

    /// No filter buttons on the header: for a list of figures rather than of records.
    pub fn no_filter(&mut self) -> &mut Self {
        self.layout.filter = false;
        self
    }

    /// Makes column `col` at least `width` wide, for a column filled in by hand.
    pub fn min_width(&mut self, col: u16, width: usize) -> &mut Self {
        self.measure(usize::from(col), width);
        self
    }

    /// A line of title above the table, in bold; it does not widen its column.
    pub fn title_line(&mut self, text: &str) -> Result<(), XlsxError> {
        let f = self.format(Style::Title, false);
        self.ws
            .write_string_with_format(self.layout.next_row, 0, text, &f)?;
        self.layout.next_row += 1;
        Ok(())
    }

    /// An empty row.
    pub fn gap(&mut self) {
        self.layout.next_row += 1;
    }

    /// The table's header row: frozen, with filters, repeated on every printed page.
    pub fn header(&mut self, names: &[&str]) -> Result<(), XlsxError> {
        let r = self.layout.next_row;
        let f = self.format(Style::Header, false);
        for (c, h) in names.iter().enumerate() {
            self.ws.write_string_with_format(r, c as u16, *h, &f)?;
            // Bold, and room for the filter's button.
            self.measure(c, display_width(h) + 2);
        }
        self.layout.header_row = Some(r);
        self.layout.next_row += 1;
        Ok(())
    }

    /// A row of data, from the first column.
    pub fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), XlsxError> {
        self.write(cells, false)?;
        if self.layout.header_row.is_some() {
            self.layout.last_data_row = Some(self.layout.next_row - 1);
        }
        Ok(())
    }

    /// A total (or subtotal) row: bold, a rule above, outside the filter.
    pub fn total(&mut self, cells: &[Cell<'_>]) -> Result<(), XlsxError> {
        self.write(cells, true)
    }

    /// A dropdown in column `col` of every data row.
    pub fn validation(&mut self, col: u16, dv: DataValidation) {
        self.layout.validations.push((col, dv));
    }

    /// A chart below what is written so far, after an empty row; it prints whole on a page.
    pub fn chart(&mut self, chart: &mut Chart) -> Result<(), XlsxError> {
        chart.set_width(CHART_WIDTH).set_height(CHART_HEIGHT);
        let row = self.layout.next_row + 1;
        self.ws.insert_chart(row, 0, chart)?;
        let rows = CHART_HEIGHT.div_ceil(ROW_PX);
        self.layout.charts.push((row, rows));
        self.layout.next_row = row + rows;
        Ok(())
    }

    fn format(&mut self, style: Style, total: bool) -> Format {
        self.formats
            .entry((style, total))
            .or_insert_with(|| format_of(style, total))
            .clone()
    }

    fn measure(&mut self, col: usize, width: usize) {
        let w = &mut self.layout.widths;
        if w.len() <= col {
            w.resize(col + 1, 0);
        }
        w[col] = w[col].max(width);
    }

    fn write(&mut self, cells: &[Cell<'_>], total: bool) -> Result<(), XlsxError> {
        let r = self.layout.next_row;
        self.layout.next_row += 1;
        // A row with wrapped text is as tall as its most lines: set here, because neither
        // Excel nor LibreOffice is sure to fit the height when it opens the file.
        let lines = cells
            .iter()
            .map(|c| match c {
                Cell::Text(s) => wrapped_lines(s),
                _ => 1,
            })
            .max()
            .unwrap_or(1);
        if lines > 1 {
            self.ws.set_row_height(r, f64::from(lines) * LINE_PT)?;
            self.layout.tall_rows.push((r, lines));
        }
        for (c, cell) in cells.iter().enumerate() {
            let col = c as u16;
            match *cell {
                Cell::Text(s) => {
                    let shown = s.lines().map(display_width).max().unwrap_or(0);
                    let style = if shown > MAX_WIDTH || s.contains('\n') {
                        Style::Wrapped
                    } else {
                        Style::Text
                    };
                    let f = self.format(style, total);
                    self.ws.write_string_with_format(r, col, s, &f)?;
                    self.measure(c, shown.min(MAX_WIDTH));
                }
                Cell::Count(n) => {
                    let f = self.format(Style::Count, total);
                    self.ws.write_number_with_format(r, col, n as f64, &f)?;
                    self.measure(c, grouped(n).len());
                }
                Cell::Money(m) => {
                    let f = self.format(Style::Money, total);
                    // Fen to yuan: exact in a double for any amount an office sees.
                    self.ws
                        .write_number_with_format(r, col, m.0 as f64 / 100.0, &f)?;
                    self.measure(c, money_text(m.0).chars().count());
                }
                Cell::Share(v) => {
                    let f = self.format(Style::Share, total);
                    match v {
                        Some(v) => self.ws.write_number_with_format(r, col, v, &f)?,
                        None => self.ws.write_blank(r, col, &f)?,
                    };
                    self.measure(c, 6);
                }
                Cell::Decimal(v) => {
                    let f = self.format(Style::Decimal, total);
                    match v {
                        Some(v) => self.ws.write_number_with_format(r, col, v, &f)?,
                        None => self.ws.write_blank(r, col, &f)?,
                    };
                    self.measure(c, grouped(v.unwrap_or(0.0) as i64).len() + 2);
                }
                Cell::Date(d) => {
                    let f = self.format(Style::Date, total);
                    self.ws
                        .write_datetime_with_format(r, col, &excel_date(d)?, &f)?;
                    self.measure(c, 10);
                }
                Cell::DateTime(t) => {
                    let f = self.format(Style::DateTime, total);
                    let x = excel_date(t.date())?.and_hms(
                        t.hour() as u16,
                        t.minute() as u8,
                        f64::from(t.second()),
                    )?;
                    self.ws.write_datetime_with_format(r, col, &x, &f)?;
                    self.measure(c, 19);
                }
                Cell::Padded(n, w) => {
                    let f = self.format(Style::Padded(w), total);
                    self.ws.write_number_with_format(r, col, n as f64, &f)?;
                    self.measure(c, w.max(n.to_string().len()));
                }
                Cell::Empty => {
                    if total {
                        let f = self.format(Style::Text, true);
                        self.ws.write_blank(r, col, &f)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Points a line of text takes, as the default row (15 pt for 11 pt text).
const LINE_PT: f64 = 15.0;

/// How many lines a text takes in a column of [`MAX_WIDTH`]: each of its lines, wrapped.
fn wrapped_lines(s: &str) -> u32 {
    s.lines()
        .map(|l| display_width(l).div_ceil(MAX_WIDTH).max(1) as u32)
        .sum::<u32>()
        .max(1)
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// A column's width in Excel's units from its widest content: a character of padding,
/// at least 4, at most [`MAX_WIDTH`].
fn column_width(content: usize) -> f64 {
    (content + 1).clamp(4, MAX_WIDTH) as f64
}

/// The page header: the title, bold, in the middle. `&` is Excel's escape; a header holds
/// at most 255 characters.
fn page_header(title: &str) -> String {
    let mut t = title.replace('&', "&&");
    while t.encode_utf16().count() > 230 {
        t.pop();
    }
    format!("&C&\"-,Bold\"{t}")
}

/// Pixels of a row of the default height (15 pt), and of a column `w` characters wide in
/// the default font (Excel: 7 px a character and 5 of padding).
const ROW_PX: u32 = 20;
fn column_px(w: f64) -> f64 {
    w * 7.0 + 5.0
}

/// The printable area of A4 inside the margins set above, in pixels at 96 per inch:
/// 8.27 x 11.69 in, 0.4 in left and right, 0.7 in top and bottom.
const A4_SHORT_PX: f64 = (8.27 - 0.8) * 96.0;
const A4_LONG_PX: f64 = (11.69 - 1.4) * 96.0;

/// Below this scale (11 pt printed as 5.5 pt) a page is hard to read: print two (or more)
/// pages across instead. A room's posted list (21 columns) still fits one page across.
const MIN_SCALE: f64 = 0.5;

/// How a sheet prints.
#[derive(Debug, Clone, PartialEq)]
struct PageSetup {
    landscape: bool,
    /// Pages across that the columns are fitted to.
    pages_wide: u16,
    /// Rows that start a new page (before a chart that would be cut).
    breaks: Vec<u32>,
}

/// Portrait when the columns fit across it with little shrinking, else landscape; fitted
/// to the width; a break before each chart that would not end on the page it starts on.
fn page_setup(widths: &[f64], l: &Layout) -> PageSetup {
    let columns: f64 = widths.iter().map(|w| column_px(*w)).sum();
    let charts = if l.charts.is_empty() {
        0.0
    } else {
        f64::from(CHART_WIDTH)
    };
    let wide = columns.max(charts);
    let landscape = wide > A4_SHORT_PX / 0.85;
    let (across, down) = if landscape {
        (A4_LONG_PX, A4_SHORT_PX)
    } else {
        (A4_SHORT_PX, A4_LONG_PX)
    };
    let pages_wide = (wide / (across / MIN_SCALE)).ceil().max(1.0);
    let scale = (pages_wide * across / wide).min(1.0);
    // Rows as the page holds them, with a tenth to spare for rows that print taller.
    let per_page = ((down * 0.9) / (f64::from(ROW_PX) * scale)).floor() as u32;
    let repeated = u32::from(l.header_row.is_some());
    // Where a row prints, in lines from the top: rows of wrapped text take more than one.
    let at = |row: u32| -> u32 {
        let extra: u32 = l
            .tall_rows
            .iter()
            .filter(|(r, _)| *r < row)
            .map(|(_, n)| n - 1)
            .sum();
        row + extra
    };
    let mut breaks = Vec::new();
    let mut page_end = per_page;
    for &(row, rows) in &l.charts {
        let top = at(row);
        while top >= page_end {
            page_end += per_page.saturating_sub(repeated).max(1);
        }
        if top + rows > page_end && rows < per_page {
            breaks.push(row);
            page_end = top + per_page.saturating_sub(repeated).max(1);
        }
    }
    PageSetup {
        landscape,
        pages_wide: pages_wide as u16,
        breaks,
    }
}

/// Sheet names Excel accepts for these wishes: no `[]:*?/\`, not starting or ending with
/// `'`, at most 31 characters, and unique without regard to case (a repeat gets ` (2)`).
pub fn sheet_names(wanted: &[String]) -> Vec<String> {
    let mut used = std::collections::HashSet::new();
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

/// `1,234,567`, as the count format shows it.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `¥1,234.50`, as the money format shows it.
fn money_text(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!(
        "{sign}¥{}.{:02}",
        grouped((fen / 100).abs()),
        fen.unsigned_abs() % 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

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
        .map(ToString::to_string)
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
    fn widths_count_cjk_twice_and_long_text_wraps_at_the_cap() {
        let mut book = Book::new();
        let mut s = book.sheet("名册", "名册").unwrap();
        s.header(&["姓名", "金额", "地址"]).unwrap();
        s.row(&[
            Cell::Text("欧阳娜娜"),
            Cell::Money(Fen(12_345_600)),
            Cell::Text(&"很长".repeat(40)),
        ])
        .unwrap();
        assert_eq!(book.layouts[0].widths, [8, 11, MAX_WIDTH]);
        let widths: Vec<f64> = book.layouts[0]
            .widths
            .iter()
            .map(|w| column_width(*w))
            .collect();
        assert_eq!(widths, [9.0, 12.0, MAX_WIDTH as f64]);
        assert_eq!(money_text(12_345_678), "¥123,456.78");
        assert_eq!(money_text(5), "¥0.05");
        assert_eq!(money_text(-150), "-¥1.50");
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(grouped(-1000), "-1,000");
        assert_eq!(grouped(999), "999");
        assert!(book.formats.contains_key(&(Style::Wrapped, false)));
    }

    fn layout(widths: usize, columns: usize, charts: Vec<(u32, u32)>) -> (Vec<f64>, Layout) {
        let l = Layout {
            header_row: Some(0),
            charts,
            ..Layout::default()
        };
        (vec![widths as f64; columns], l)
    }

    #[test]
    fn a_narrow_list_prints_portrait_a_wide_one_landscape_a_very_wide_one_across_two() {
        let (w, l) = layout(12, 5, vec![]);
        let p = page_setup(&w, &l);
        assert!(!p.landscape);
        assert_eq!(p.pages_wide, 1);
        let (w, l) = layout(12, 12, vec![]);
        let p = page_setup(&w, &l);
        assert!(p.landscape);
        assert_eq!(p.pages_wide, 1);
        let (w, l) = layout(14, 20, vec![]);
        let p = page_setup(&w, &l);
        assert!(p.landscape);
        assert_eq!(p.pages_wide, 2);
    }

    #[test]
    fn a_chart_that_would_be_cut_starts_a_page() {
        // 20 rows of data and a chart of 17 rows fit on a portrait page (44 rows) ...
        let (w, l) = layout(12, 4, vec![(21, 17)]);
        assert_eq!(page_setup(&w, &l).breaks, Vec::<u32>::new());
        // ... 10 more do not: the chart moves to the next page, whole.
        let (w, l) = layout(12, 4, vec![(31, 17)]);
        assert_eq!(page_setup(&w, &l).breaks, vec![31]);
        // A chart further down breaks where its own page would cut it: the second page
        // holds rows 44 to 86 below the repeated header.
        let (w, l) = layout(12, 4, vec![(60, 17), (80, 17)]);
        assert_eq!(page_setup(&w, &l).breaks, vec![80]);
    }

    #[test]
    fn rows_of_wrapped_text_push_a_chart_down() {
        let (w, mut l) = layout(12, 4, vec![(21, 17)]);
        assert_eq!(page_setup(&w, &l).breaks, Vec::<u32>::new());
        // Five rows of four lines each: 15 lines more, and the chart no longer fits.
        l.tall_rows = (1..=5).map(|r| (r, 4)).collect();
        assert_eq!(page_setup(&w, &l).breaks, vec![21]);
        assert_eq!(wrapped_lines("一行\n两行"), 2);
        assert_eq!(wrapped_lines(&"长".repeat(30)), 2);
        assert_eq!(wrapped_lines(""), 1);
    }

    #[test]
    fn page_headers_escape_ampersands() {
        assert_eq!(page_header("A&B"), "&C&\"-,Bold\"A&&B");
    }
}

//! Guards around calamine, which reads XLSX, XLS and ODS for us but trusts the file it is
//! given: a damaged file can make it panic (an index past a cut record, a sheet offset past
//! the end of the stream), and a file that claims a huge sheet makes it allocate that much
//! before a single row is read, which aborts the process when the memory is not there (an
//! abort cannot be caught). kaowu reads files that come from outside, so these guards turn
//! each of those into an error that names the file:
//!
//! - [`calm`] runs a call into calamine, catching a panic and keeping the default panic
//!   hook quiet about it (the user gets one `error:` line, not a backtrace hint);
//! - [`xls`] re-packs an XLS file's `Workbook` stream into a fresh compound file (calamine's
//!   own container reader grows a buffer to whatever sector number a damaged file names),
//!   after checking every sheet's declared size and the span of its cells against the size
//!   of the stream, since calamine reserves a sheet's declared rows x columns and builds a
//!   dense grid over the span of its cells.
//!
//! Hand-written because no crate does it: the container itself is read and written by the
//! `cfb` crate; only the BIFF record walk (type, length, the row and column of a cell) is
//! ours, and it reads no more of a record than those fields.

use std::cell::{Cell, RefCell};
use std::io::{Cursor, Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    /// Set while this thread runs a guarded call: its panic is reported as an error.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// What the last quiet panic said, and where.
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs, once per process, a panic hook that stays silent for panics inside [`calm`] on
/// the thread that runs it and hands every other panic to the hook that was there before.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let what = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                let place = info
                    .location()
                    .map(|l| {
                        let file = l.file().rsplit(['/', '\\']).next().unwrap_or(l.file());
                        format!(" at {file}:{}", l.line())
                    })
                    .unwrap_or_default();
                LAST.with(|l| *l.borrow_mut() = Some(format!("{what}{place}")));
            } else {
                before(info);
            }
        }));
    });
}

/// Runs `f`, a call into a reader that may panic on a damaged file; a panic comes back as
/// `Err` with what the reader said (`range end index 5000 out of range ... at xls.rs:633`).
pub fn calm<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    let was = QUIET.with(|q| q.replace(true));
    let r = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    r.map_err(|_| {
        LAST.with(|l| l.borrow_mut().take())
            .unwrap_or_else(|| "a panic".into())
    })
}

/// Checks a zipped workbook (XLSX, ODS) before calamine reads it: no part may unpack to
/// more than [`UNPACKED_PER_BYTE`] times the file's size (beyond [`FREE_UNPACKED`]), since
/// calamine holds the shared strings whole; and an ODS sheet may not claim, through its
/// repeated rows and cells, more cells than its size can hold, since calamine builds every
/// repeat (a row of 16,384 cells repeated a million times took minutes and gigabytes).
pub fn zipped(path: &std::path::Path, ods: bool) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    calm(|| {
        // A file that is no zip is left to calamine, which says so in its words.
        let Ok(mut z) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
            return Ok(());
        };
        let limit = FREE_UNPACKED.max(UNPACKED_PER_BYTE.saturating_mul(len));
        for i in 0..z.len() {
            let Ok(part) = z.by_index_raw(i) else { continue };
            if part.size() > limit {
                return Err(format!(
                    "its part {} claims {} bytes unpacked from a file of {len}",
                    part.name().unwrap_or_default(),
                    part.size()
                ));
            }
        }
        if ods && let Ok(mut content) = z.by_name("content.xml") {
            let mut xml = Vec::new();
            // A part that cannot be unpacked is calamine's to report.
            if content.read_to_end(&mut xml).is_ok() {
                let (claimed, unclosed) = ods_claims(&xml);
                // calamine reads a table, and a cell's annotation, until its end tag and
                // never stops at the end of the text: cut short inside one, it loops forever.
                if let Some(what) = unclosed {
                    return Err(format!(
                        "its content ends inside a {what} that it opened (cut short)"
                    ));
                }
                let limit = FREE_CELLS.max(CELLS_PER_BYTE * xml.len() as u64);
                if claimed > limit {
                    return Err(format!(
                        "its repeated rows and cells claim {claimed} cells, more than its {} bytes of content can hold",
                        xml.len()
                    ));
                }
            }
        }
        Ok(())
    })
    .unwrap_or_else(|e| Err(format!("the zip container is damaged ({e})")))
}

/// Most bytes a zip part may unpack to per byte of the file: text deflates about tenfold, a
/// zip bomb a thousandfold.
const UNPACKED_PER_BYTE: u64 = 100;
/// What any part may unpack to whatever the file's size.
const FREE_UNPACKED: u64 = 256 << 20;

/// The cells an ODS content.xml makes calamine build: per table row, its repeats times the
/// cells (with their repeats) up to its last one that holds a value; and the first of the
/// elements calamine needs closed (a table, an annotation) that is not. Read as bytes: only
/// the elements' names and two attributes matter.
fn ods_claims(xml: &[u8]) -> (u64, Option<&'static str>) {
    let text = String::from_utf8_lossy(xml);
    let repeat = |tag: &str, attr: &str| -> u64 {
        tag.find(attr)
            .and_then(|at| {
                let v = &tag[at + attr.len()..];
                let v = v.strip_prefix("=\"")?;
                v[..v.find('"')?].parse().ok()
            })
            .unwrap_or(1)
    };
    let (mut total, mut rows, mut width, mut filled) = (0u64, 1u64, 0u64, 0u64);
    // Open minus closed tables and annotations.
    let (mut tables, mut notes) = (0i64, 0i64);
    let named = |tag: &str, name: &str| {
        tag.strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '/', '\t', '\r', '\n']))
    };
    for piece in text.split('<').skip(1) {
        let tag = &piece[..piece.find('>').unwrap_or(piece.len())];
        let closes_itself = tag.ends_with('/');
        if named(tag, "table:table") && !closes_itself {
            tables += 1;
        } else if named(tag, "/table:table") {
            tables -= 1;
        } else if named(tag, "office:annotation") && !closes_itself {
            notes += 1;
        } else if named(tag, "/office:annotation") {
            notes -= 1;
        }
        if tag.starts_with("table:table-row ") || tag == "table:table-row" {
            (rows, width, filled) = (repeat(tag, "table:number-rows-repeated"), 0, 0);
        } else if tag.starts_with("/table:table-row") {
            total = total.saturating_add(rows.saturating_mul(filled));
        } else if tag.starts_with("table:table-cell") || tag.starts_with("table:covered-table-cell")
        {
            width = width.saturating_add(repeat(tag, "table:number-columns-repeated"));
            // A cell holds a value when it has a type or content (it is not `<... />`).
            if tag.contains("office:value-type") || !tag.ends_with('/') {
                filled = width;
            }
        }
    }
    let unclosed = if tables > 0 {
        Some("table (table:table)")
    } else if notes > 0 {
        Some("note (office:annotation)")
    } else {
        None
    };
    (total, unclosed)
}

/// Most cells a sheet may claim per byte of the workbook stream, beyond [`FREE_CELLS`]. A
/// cell record takes 10 bytes or more, so a real sheet's cells span about as many cells as
/// the stream has bytes; 16 leaves room for sparse sheets (a title far from the table).
const CELLS_PER_BYTE: u64 = 16;
/// Cells any sheet may claim whatever the file's size: 4 million, about 160 MiB in calamine.
const FREE_CELLS: u64 = 1 << 22;

/// Reads the XLS file `bytes` and returns a compound file holding only its workbook stream,
/// fit to hand to calamine, or why the file is refused.
pub fn xls(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    let stream = calm(|| workbook_stream(bytes))
        .map_err(|e| format!("the XLS container is damaged ({e})"))??;
    check_sheets(&stream)?;
    let mut out = cfb::CompoundFile::create_with_version(
        cfb::Version::V3,
        Cursor::new(Vec::with_capacity(stream.len() + 8192)),
    )
    .map_err(|e| e.to_string())?;
    {
        let mut s = out.create_stream("Workbook").map_err(|e| e.to_string())?;
        s.write_all(&stream).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(out.into_inner().into_inner())
}

/// The `Workbook` stream (`Book` in Excel 5 files), read through the `cfb` crate, which
/// checks sector chains against the file's length.
fn workbook_stream(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    let len = bytes.len() as u64;
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| format!("not a readable XLS file: {e}"))?;
    let name = ["Workbook", "Book"]
        .into_iter()
        .find(|n| file.is_stream(n))
        .ok_or("the XLS file has no workbook stream")?;
    let mut s = file.open_stream(name).map_err(|e| e.to_string())?;
    // A stream longer than the file is a damaged directory entry.
    if s.len() > len {
        return Err(format!(
            "the XLS file's workbook stream claims {} bytes in a file of {len}",
            s.len()
        ));
    }
    let mut stream = Vec::with_capacity(s.len() as usize);
    s.read_to_end(&mut stream)
        .map_err(|e| format!("the XLS workbook stream cannot be read: {e}"))?;
    Ok(stream)
}

/// BIFF records: (type, data), up to the end of the stream or a cut record.
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = stream;
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let typ = u16::from_le_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some((typ, data))
    })
}

fn u16_at(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at + 2)
        .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A BOUNDSHEET record's sheet name, for messages: BIFF8's short string (a count, a flag
/// for 16-bit characters, the characters); anything else shows what it can.
fn sheet_name(d: &[u8]) -> String {
    let (Some(&count), Some(&flags)) = (d.get(6), d.get(7)) else {
        return String::new();
    };
    let count = usize::from(count);
    let name = if flags & 1 == 1 {
        let units: Vec<u16> = d
            .get(8..)
            .unwrap_or_default()
            .chunks_exact(2)
            .take(count)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        d.get(8..)
            .unwrap_or_default()
            .iter()
            .take(count)
            .map(|&b| char::from(b))
            .collect()
    };
    name.chars().filter(|c| !c.is_control()).collect()
}

/// Checks each sheet of a workbook stream as calamine will build it: the cells its
/// DIMENSIONS record declares (calamine reserves them) and the bounding box of its cell
/// records (calamine allocates it whole), against what the stream's size can hold.
fn check_sheets(stream: &[u8]) -> Result<(), String> {
    let limit = FREE_CELLS.max(CELLS_PER_BYTE * stream.len() as u64);
    // BOUNDSHEET records in the globals: each sheet's offset in the stream and its name.
    let mut sheets: Vec<(usize, String)> = Vec::new();
    for (typ, d) in records(stream) {
        match typ {
            0x0085 => {
                let pos = u32_at(d, 0).unwrap_or(u32::MAX) as usize;
                sheets.push((pos, sheet_name(d)));
            }
            // The globals end at their EOF record.
            0x000A => break,
            _ => {}
        }
    }
    // BIFF2 to BIFF4 files hold one sheet and no BOUNDSHEET: the stream is the sheet.
    if sheets.is_empty() {
        sheets.push((0, String::new()));
    }
    for (pos, name) in sheets {
        let shown = if name.is_empty() {
            "the sheet".to_string()
        } else {
            format!("sheet {name}")
        };
        let Some(body) = stream.get(pos..) else {
            return Err(format!(
                "{shown} starts at byte {pos}, past the end of the workbook stream ({} bytes); the file is damaged",
                stream.len()
            ));
        };
        let claimed = sheet_claims(body);
        if claimed > limit {
            return Err(format!(
                "{shown} claims {claimed} cells, more than a workbook of {} bytes can hold; the file is damaged",
                stream.len()
            ));
        }
    }
    Ok(())
}

/// The most cells calamine would set aside for the sheet whose records start `body`.
fn sheet_claims(body: &[u8]) -> u64 {
    let mut declared = 0u64;
    // (row min, row max, column min, column max) of the cells and of the formulas.
    let mut cells: Option<(u32, u32, u32, u32)> = None;
    let mut grow = |row: u32, first: u32, last: u32| {
        cells = Some(match cells {
            None => (row, row, first, last),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(first), c1.max(last)),
        });
    };
    let (mut depth, mut seen_bof) = (0usize, false);
    for (typ, d) in records(body) {
        // Embedded charts are substreams between a BOF and an EOF; calamine skips them.
        match typ {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x000A if depth > 0 => depth -= 1,
            0x000A => break,
            _ if depth > 0 => {}
            0x0200 => {
                // DIMENSIONS, as calamine's parse_dimensions reads it: first row, last row
                // + 1, first column, last column + 1 (u16 rows in BIFF < 8).
                let (rf, rl, cf, cl) = if d.len() == 10 {
                    (u16_at(d, 0), u16_at(d, 2), u16_at(d, 4), u16_at(d, 6))
                } else {
                    (u32_at(d, 0), u32_at(d, 4), u16_at(d, 8), u16_at(d, 10))
                };
                if let (Some(rf), Some(rl), Some(mut cf), Some(cl)) = (rf, rl, cf, cl) {
                    if cf > 0xFF || cl < cf {
                        cf = 0;
                    }
                    if rl >= 1 && cl >= 1 {
                        let rows = u64::from((rl - 1).wrapping_sub(rf).wrapping_add(1));
                        let cols = u64::from((cl - 1).wrapping_sub(cf).wrapping_add(1));
                        declared = declared.max(rows.saturating_mul(cols));
                    }
                }
            }
            // Number, Label, RString, BoolErr, RK, LabelSst, Formula: row, column first.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                if let (Some(r), Some(c)) = (u16_at(d, 0), u16_at(d, 2)) {
                    grow(r, c, c);
                }
            }
            // MulRk: row, first column, ..., last column in its last two bytes.
            0x00BD if d.len() >= 6 => {
                if let (Some(r), Some(c0), Some(c1)) =
                    (u16_at(d, 0), u16_at(d, 2), u16_at(d, d.len() - 2))
                {
                    grow(r, c0, c1.max(c0));
                }
            }
            _ => {}
        }
    }
    let span = cells.map_or(0, |(r0, r1, c0, c1)| {
        u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1)
    });
    declared.max(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend((data.len() as u16).to_le_bytes());
        r.extend(data);
        r
    }

    #[test]
    fn a_panic_becomes_an_error_with_its_place() {
        let e = calm(|| {
            let v: Vec<u8> = Vec::new();
            v[3]
        })
        .unwrap_err();
        assert!(
            e.contains("index out of bounds") && e.contains("guard.rs"),
            "{e}"
        );
        assert_eq!(calm(|| 7), Ok(7));
    }

    #[test]
    fn huge_dimensions_and_far_apart_cells_are_refused() {
        let bof = record(0x0809, &[0; 16]);
        // DIMENSIONS: rows 0..4,000,000,000, columns 0..200.
        let mut dims = 0u32.to_le_bytes().to_vec();
        dims.extend(4_000_000_000u32.to_le_bytes());
        dims.extend([0, 0, 200, 0, 0, 0]);
        let stream = [bof.clone(), record(0x0200, &dims), record(0x000A, &[])].concat();
        let e = check_sheets(&stream).unwrap_err();
        assert!(e.contains("claims 800000000000 cells"), "{e}");
        // Two numbers at A1 and IV65536: 16.7 million cells between them.
        let number = |r: u16, c: u16| {
            let mut d = r.to_le_bytes().to_vec();
            d.extend(c.to_le_bytes());
            d.extend([0; 10]);
            record(0x0203, &d)
        };
        let stream = [
            bof.clone(),
            number(0, 0),
            number(65535, 255),
            record(0x000A, &[]),
        ]
        .concat();
        assert!(check_sheets(&stream).is_err());
        let stream = [bof, number(0, 0), number(30, 20), record(0x000A, &[])].concat();
        assert_eq!(check_sheets(&stream), Ok(()));
    }

    #[test]
    fn ods_repeats_are_counted_up_to_the_last_value() {
        let row =
            |rows: &str, cells: &str| format!("<table:table-row{rows}>{cells}</table:table-row>");
        let value = r#"<table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="3"><text:p>1</text:p></table:table-cell>"#;
        let empty = r#"<table:table-cell table:number-columns-repeated="16000"/>"#;
        let xml = [
            row("", &format!("{value}{empty}")),
            row(
                r#" table:number-rows-repeated="1000""#,
                &format!("{empty}{value}"),
            ),
            row(r#" table:number-rows-repeated="1048000""#, empty),
        ]
        .concat();
        let table = format!("<table:table table:name=\"x\">{xml}</table:table>");
        assert_eq!(ods_claims(table.as_bytes()), (3 + 1000 * 16003, None));
        let cut = &table[..table.len() - "</table:table>".len()];
        assert_eq!(ods_claims(cut.as_bytes()).1, Some("table (table:table)"));
    }

    #[test]
    fn a_sheet_past_the_stream_is_refused() {
        let mut bound = 9000u32.to_le_bytes().to_vec();
        bound.extend([0, 0, 2, 0, b'a', b'b']);
        let stream = [
            record(0x0809, &[0; 16]),
            record(0x0085, &bound),
            record(0x000A, &[]),
        ]
        .concat();
        let e = check_sheets(&stream).unwrap_err();
        assert!(e.contains("starts at byte 9000, past the end"), "{e}");
    }
}

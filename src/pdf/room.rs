//! The documents of a room and sitting: the sign-in sheet (考场签到表), one row per seat
//! with the candidate's photo, a signature box and a remarks box, and the door sticker (门贴)
//! in large type with the candidates' masked ID numbers. Laid out by
//! `templates/room_documents.json`.

use serde::{Deserialize, Serialize};

use super::{Doc, Font, LINE, Op, Page, Pt, fit, image_in, mm, rect, text, text_in, wrap};
use crate::model::id_number;

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 15.0;

#[derive(Debug, Clone, Deserialize)]
pub struct Layout {
    pub font: String,
    #[serde(default)]
    pub font_index: usize,
    /// May name {year} and {half} (上半年 / 下半年).
    pub title: String,
    pub sheet: SheetLayout,
    pub sticker: StickerLayout,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SheetLayout {
    pub heading: String,
    pub size_pt: f32,
    pub row_mm: f32,
    pub columns: Vec<Column>,
    pub note: String,
    pub expected: String,
    pub present: String,
    pub absent: String,
    pub invigilators: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StickerLayout {
    pub heading_size_pt: f32,
    pub size_pt: f32,
    pub row_mm: f32,
    pub columns: Vec<Column>,
    pub qualifications: String,
    pub subjects: String,
    pub range: String,
    pub count: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Column {
    pub label: String,
    /// seat, card_no, name, sex, id_number, masked_id, qualification, photo; anything else
    /// is an empty box.
    pub key: String,
    pub width_mm: f32,
}

/// One room in one sitting.
#[derive(Debug, Clone, Serialize)]
pub struct RoomData {
    pub year: u32,
    /// 上半年 / 下半年.
    pub half: String,
    pub exam_area: String,
    pub site_code: String,
    pub site_name: String,
    pub address: String,
    pub room: i64,
    pub sitting: String,
    pub date: String,
    pub time: String,
    pub qualifications: Vec<String>,
    pub subjects: Vec<String>,
    /// In seat order.
    pub seats: Vec<SeatLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeatLine {
    pub registration_no: String,
    pub seat_no: i64,
    pub card_no: String,
    pub name: String,
    pub sex: String,
    pub id_number: String,
    pub qualification: String,
    /// The photo's BLAKE3 from import; the bytes are checked against it.
    pub photo_hash: String,
}

impl RoomData {
    pub fn room_label(&self) -> String {
        format!("第{:03}考场", self.room)
    }
}

impl SeatLine {
    fn cell(&self, key: &str) -> String {
        match key {
            "seat" => format!("{:02}", self.seat_no),
            "card_no" => self.card_no.clone(),
            "name" => self.name.clone(),
            "sex" => self.sex.clone(),
            "id_number" => self.id_number.clone(),
            "masked_id" => id_number::mask(&self.id_number),
            "qualification" => self.qualification.clone(),
            _ => String::new(),
        }
    }
}

/// A document that could not be made, and the candidate it is about, if one.
#[derive(Debug, thiserror::Error)]
#[error("{problem}")]
pub struct RoomError {
    pub registration_no: Option<String>,
    pub problem: String,
}

fn title(t: &str, d: &RoomData) -> String {
    t.replace("{year}", &d.year.to_string())
        .replace("{half}", &d.half)
}

/// Checks every string a document prints against the font, naming the candidate whose
/// data has a character the font lacks.
fn check(font: &Font, fixed: &[&str], d: &RoomData, keys: &[&str]) -> Result<(), RoomError> {
    let missing = |what: &str, s: &str, who: Option<&str>| {
        font.missing(s).map(|ch| RoomError {
            registration_no: who.map(str::to_string),
            problem: format!(
                "the font has no glyph for '{ch}' (U+{:04X}) in {what} \"{s}\"",
                u32::from(ch)
            ),
        })
    };
    for s in fixed {
        if let Some(e) = missing("the template", s, None) {
            return Err(e);
        }
    }
    for s in [&d.site_name, &d.address, &d.sitting, &d.exam_area]
        .into_iter()
        .chain(&d.qualifications)
        .chain(&d.subjects)
    {
        if let Some(e) = missing("the room's data", s, None) {
            return Err(e);
        }
    }
    for seat in &d.seats {
        for k in keys {
            let v = seat.cell(k);
            if let Some(e) = missing(k, &v, Some(&seat.registration_no)) {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// A cell's text, fitted into its box (x, top, width, height in millimetres) and centred
/// in it: a value of one word (a number) shrinks to fit on one line, text shrinks a little
/// and wraps into as many lines as the box holds. `Err` names what does not fit.
fn cell(
    ops: &mut Vec<Op>,
    font: &Font,
    size: Pt,
    [x, top, w, h]: [f32; 4],
    s: &str,
) -> Result<(), String> {
    let room = mm(w - 2.0);
    let word = !s.contains(' ') && s.is_ascii();
    let min = Pt(size.0 * if word { 0.5 } else { 0.8 });
    // The largest size, from `size` down to `min`, at which the text wraps into no more
    // lines than the box holds at that size (one line for a word).
    let avail = mm(h - 1.0).0;
    let mut z = size.0;
    let f = loop {
        let lines = if word {
            1
        } else {
            ((avail / (z * LINE)).floor() as usize).max(1)
        };
        if let Some(f) = fit(font, s, Pt(z), Pt(z), room, lines) {
            break f;
        }
        if z <= min.0 {
            return Err(format!(
                "\"{s}\" does not fit its {w:.0} mm x {h:.0} mm box (at {:.1} pt or more)",
                min.0
            ));
        }
        z = (z - 0.25).max(min.0);
    };
    let line_h = f.size.0 * LINE;
    let block = line_h * (f.lines.len() as f32 - 1.0) + f.size.0;
    // Baseline of the first line, so that the block sits in the middle of the box.
    let mut y = mm(top - h / 2.0).0 + block / 2.0 - f.size.0 * 0.9;
    let bound = [mm(x).0, mm(top - h).0, mm(x + w).0, mm(top).0];
    for l in &f.lines {
        let lw = font.width(l, f.size).0;
        text_in(
            ops,
            f.size,
            Pt(mm(x + w / 2.0).0 - lw / 2.0),
            Pt(y),
            l,
            bound,
        );
        y -= line_h;
    }
    Ok(())
}

/// The height (millimetres) a cell of `w` mm needs for `s`: `row` when it fits there,
/// else as many lines as it wraps into at no less than 4/5 of `size` (at most four).
fn cell_height(font: &Font, size: Pt, w: f32, s: &str, row: f32) -> f32 {
    let room = mm(w - 2.0);
    let one = ((mm(row - 1.0).0 / (size.0 * LINE)).floor() as usize).max(1);
    if s.is_ascii() || fit(font, s, size, Pt(size.0 * 0.8), room, one).is_some() {
        return row;
    }
    (one + 1..=4)
        .find_map(|n| fit(font, s, size, Pt(size.0 * 0.8), room, n))
        .map_or(row, |f| {
            (f.lines.len() as f32 * f.size.0 * LINE * 25.4 / 72.0 + 1.5).max(row)
        })
}

/// Where a line of text sits across the page.
#[derive(Clone, Copy, PartialEq)]
enum Across {
    Left,
    Centre,
}

/// A line of text across the page (from the left margin, or centred), fitted into its
/// width: shrunk down to `min`, then wrapped into at most `lines` lines `step` millimetres
/// apart from `y` down. Returns the last baseline.
fn line_fit(
    ops: &mut Vec<Op>,
    font: &Font,
    (size, min): (Pt, Pt),
    (y, across): (f32, Across),
    (lines, step): (usize, f32),
    s: &str,
) -> Result<f32, String> {
    let width = PAGE_W - 2.0 * MARGIN;
    let f = fit(font, s, size, min, mm(width), lines).ok_or_else(|| {
        format!(
            "\"{s}\" does not fit across the page ({lines} line(s) at {:.0} pt or more)",
            min.0
        )
    })?;
    let step = step.max(f.size.0 * LINE * 25.4 / 72.0);
    let mut baseline = y;
    for (k, l) in f.lines.iter().enumerate() {
        baseline = y - step * k as f32;
        let x = match across {
            Across::Left => mm(MARGIN),
            Across::Centre => Pt(mm(PAGE_W / 2.0).0 - font.width(l, f.size).0 / 2.0),
        };
        text_in(
            ops,
            f.size,
            x,
            mm(baseline),
            l,
            [
                mm(MARGIN).0,
                mm(baseline).0 - f.size.0,
                mm(PAGE_W - MARGIN).0,
                mm(baseline).0 + f.size.0 * 1.2,
            ],
        );
    }
    Ok(baseline)
}

/// [`line_fit`], centred.
fn centred_fit(
    ops: &mut Vec<Op>,
    font: &Font,
    sizes: (Pt, Pt),
    y: f32,
    lines: (usize, f32),
    s: &str,
) -> Result<f32, String> {
    line_fit(ops, font, sizes, (y, Across::Centre), lines, s)
}

/// The header row of a table of `columns` whose top left is at (left, top).
fn header_row(
    ops: &mut Vec<Op>,
    font: &Font,
    size: Pt,
    columns: &[Column],
    [left, top, h]: [f32; 3],
) -> Result<(), String> {
    let mut x = left;
    for c in columns {
        rect(ops, mm(x), mm(top - h), mm(c.width_mm), mm(h), false);
        cell(ops, font, size, [x, top, c.width_mm, h], &c.label)?;
        x += c.width_mm;
    }
    Ok(())
}

/// A problem of the room's own data (no candidate to name).
fn of_room(problem: String) -> RoomError {
    RoomError {
        registration_no: None,
        problem,
    }
}

/// What the top of every page of a sign-in sheet says.
struct SheetHeading<'a> {
    title: String,
    heading: &'a str,
    /// 考区, 考点 and 考场.
    place: String,
    /// 场次, date and time.
    when: String,
    subjects: String,
}

impl<'a> SheetHeading<'a> {
    fn new(layout: &'a Layout, d: &RoomData) -> SheetHeading<'a> {
        SheetHeading {
            title: title(&layout.title, d),
            heading: &layout.sheet.heading,
            place: format!(
                "考区：{}    考点：{} {}    考场：{}",
                d.exam_area,
                d.site_code,
                d.site_name,
                d.room_label()
            ),
            when: format!("场次：{}    {} {}", d.sitting, d.date, d.time),
            subjects: format!("科目：{}", d.subjects.join("、")),
        }
    }

    /// Draws the heading. Returns where the table starts: below the heading's lines, as
    /// many as they wrap into (the same on every page).
    fn draw(&self, ops: &mut Vec<Op>, font: &Font) -> Result<f32, String> {
        let info = (Pt(10.5), Pt(8.0));
        centred_fit(
            ops,
            font,
            (Pt(14.0), Pt(10.0)),
            282.0,
            (1, 0.0),
            &self.title,
        )?;
        centred_fit(
            ops,
            font,
            (Pt(20.0), Pt(14.0)),
            272.0,
            (1, 0.0),
            self.heading,
        )?;
        let mut y = 262.0;
        for (text, lines) in [(&self.place, 2), (&self.when, 1), (&self.subjects, 3)] {
            y = line_fit(ops, font, info, (y, Across::Left), (lines, 5.0), text)? - 6.0;
        }
        Ok(y)
    }
}

/// Checks every string a sign-in sheet prints against the font.
fn check_sheet(
    font: &Font,
    layout: &Layout,
    d: &RoomData,
    heading: &SheetHeading,
) -> Result<(), RoomError> {
    let s = &layout.sheet;
    let keys: Vec<&str> = s.columns.iter().map(|c| c.key.as_str()).collect();
    let labels: Vec<&str> = s.columns.iter().map(|c| c.label.as_str()).collect();
    let mut fixed = vec![
        heading.title.as_str(),
        s.heading.as_str(),
        s.note.as_str(),
        s.expected.as_str(),
        s.present.as_str(),
        s.absent.as_str(),
        s.invigilators.as_str(),
        super::RENDERER_TEXT,
    ];
    fixed.extend(&labels);
    check(font, &fixed, d, &keys)
}

/// The rows of the seats `rows` (index, seat), from `top` down, the photo column holding
/// the seat's photo (embedded in `doc` once).
fn sheet_rows<'a, 's>(
    ops: &mut Vec<Op>,
    doc: &mut Doc<'a>,
    font: &Font,
    s: &SheetLayout,
    photos: &[&'a [u8]],
    rows: impl Iterator<Item = (usize, &'s SeatLine)>,
    (left, mut top): (f32, f32),
) -> Result<(), RoomError> {
    let size = Pt(s.size_pt);
    for (i, seat) in rows {
        let of_seat = |problem: String| RoomError {
            registration_no: Some(seat.registration_no.clone()),
            problem,
        };
        let mut x = left;
        for c in &s.columns {
            rect(
                ops,
                mm(x),
                mm(top - s.row_mm),
                mm(c.width_mm),
                mm(s.row_mm),
                false,
            );
            if c.key == "photo" {
                let jpeg = photos.get(i).ok_or_else(|| of_seat("no photo".into()))?;
                let (img, w, h) = doc.jpeg(jpeg).ok_or_else(|| {
                    of_seat("the photo is not a baseline or progressive JPEG".into())
                })?;
                image_in(
                    ops,
                    img,
                    (w, h),
                    mm(x + 1.0),
                    mm(top - s.row_mm + 1.0),
                    mm(c.width_mm - 2.0),
                    mm(s.row_mm - 2.0),
                );
            } else {
                let v = seat.cell(&c.key);
                cell(ops, font, size, [x, top, c.width_mm, s.row_mm], &v)
                    .map_err(|problem| of_seat(format!("{}: {problem}", c.label)))?;
            }
            x += c.width_mm;
        }
        top -= s.row_mm;
    }
    Ok(())
}

/// The foot of a sheet's last page: the note, the 应到 / 实到 / 缺考 boxes and two lines
/// for the invigilators' signatures.
fn sheet_footer(
    ops: &mut Vec<Op>,
    font: &Font,
    s: &SheetLayout,
    d: &RoomData,
) -> Result<(), String> {
    for (i, l) in wrap(font, &s.note, Pt(9.0), mm(PAGE_W - 2.0 * MARGIN))
        .iter()
        .enumerate()
    {
        text(ops, Pt(9.0), mm(MARGIN), mm(44.0 - 4.5 * i as f32), l);
    }
    // 应到 [30] 人   实到 [  ] 人   缺考 [  ] 人
    let mut x = MARGIN;
    for (label, value) in [
        (&s.expected, d.seats.len().to_string()),
        (&s.present, String::new()),
        (&s.absent, String::new()),
    ] {
        let l = format!("{label}：");
        text(ops, Pt(12.0), mm(x), mm(28.0), &l);
        x += font.width(&l, Pt(12.0)).0 / 72.0 * 25.4 + 1.0;
        rect(ops, mm(x), mm(25.5), mm(16.0), mm(8.0), false);
        cell(ops, font, Pt(12.0), [x, 33.5, 16.0, 8.0], &value)?;
        text(ops, Pt(12.0), mm(x + 17.0), mm(28.0), "人");
        x += 32.0;
    }
    let l = format!("{}：", s.invigilators);
    text(ops, Pt(12.0), mm(MARGIN), mm(16.0), &l);
    let x0 = MARGIN + font.width(&l, Pt(12.0)).0 / 72.0 * 25.4 + 2.0;
    for k in 0..2 {
        let x = x0 + 55.0 * k as f32;
        rect(ops, mm(x), mm(15.0), mm(45.0), mm(0.3), true);
    }
    Ok(())
}

/// "第 n 页 / 共 m 页" at the foot of a page.
fn page_number(ops: &mut Vec<Op>, font: &Font, page: usize, pages: usize) -> Result<(), String> {
    centred_fit(
        ops,
        font,
        (Pt(9.0), Pt(9.0)),
        7.0,
        (1, 0.0),
        &format!("第 {} 页 / 共 {} 页", page + 1, pages),
    )
    .map(|_| ())
}

/// The sign-in sheet: one row per seat, in seat order, as many pages as needed, each
/// with its page number; the last page has the 应到 / 实到 / 缺考 boxes and two lines for the
/// invigilators' signatures. `photos[i]` is seat i's JPEG.
pub fn render_sheet(
    font: &Font,
    layout: &Layout,
    d: &RoomData,
    photos: &[&[u8]],
    date: i64,
) -> Result<Vec<u8>, RoomError> {
    let s = &layout.sheet;
    let heading = SheetHeading::new(layout, d);
    check_sheet(font, layout, d, &heading)?;

    let mut doc = Doc::new(font, &format!("{} {}", s.heading, d.room_label()), date);
    let width: f32 = s.columns.iter().map(|c| c.width_mm).sum();
    let left = (PAGE_W - width) / 2.0;
    let table_top = heading.draw(&mut Vec::new(), font).map_err(of_room)?;
    let header_h = 8.0;
    // Below the rows: the note, the count boxes, the signatures and the page number.
    let footer = 48.0;
    let per_page = (((table_top - header_h - footer) / s.row_mm).floor() as usize).max(1);
    let pages_n = d.seats.len().div_ceil(per_page).max(1);

    let mut pages = Vec::with_capacity(pages_n);
    for page in 0..pages_n {
        let mut ops: Vec<Op> = Vec::new();
        heading.draw(&mut ops, font).map_err(of_room)?;
        header_row(
            &mut ops,
            font,
            Pt(s.size_pt),
            &s.columns,
            [left, table_top, header_h],
        )
        .map_err(of_room)?;
        let rows = d
            .seats
            .iter()
            .enumerate()
            .skip(page * per_page)
            .take(per_page);
        sheet_rows(
            &mut ops,
            &mut doc,
            font,
            s,
            photos,
            rows,
            (left, table_top - header_h),
        )?;
        if page + 1 == pages_n {
            sheet_footer(&mut ops, font, s, d).map_err(of_room)?;
        }
        page_number(&mut ops, font, page, pages_n).map_err(of_room)?;
        pages.push(Page::new(PAGE_W, PAGE_H, ops));
    }
    doc.finish(pages).map_err(of_room)
}

/// Checks every string a door sticker prints against the font.
fn check_sticker(font: &Font, layout: &Layout, d: &RoomData, head: &str) -> Result<(), RoomError> {
    let s = &layout.sticker;
    let keys: Vec<&str> = s.columns.iter().map(|c| c.key.as_str()).collect();
    let labels: Vec<&str> = s.columns.iter().map(|c| c.label.as_str()).collect();
    let mut fixed = vec![
        head,
        s.qualifications.as_str(),
        s.subjects.as_str(),
        s.range.as_str(),
        s.count.as_str(),
        super::RENDERER_TEXT,
    ];
    fixed.extend(&labels);
    check(font, &fixed, d, &keys)
}

/// The sticker's first page down to the list: the title, the room in large type, the
/// site, the sitting, the qualifications and subjects, the admit-card number range and
/// the count. Returns the last baseline.
fn sticker_heading(
    ops: &mut Vec<Op>,
    font: &Font,
    s: &StickerLayout,
    d: &RoomData,
    head: &str,
) -> Result<f32, String> {
    let big = Pt(s.heading_size_pt);
    let mut y = centred_fit(ops, font, (Pt(14.0), Pt(10.0)), 280.0, (1, 0.0), head)?;
    y = centred_fit(
        ops,
        font,
        (big, Pt(big.0 * 0.6)),
        250.0_f32.min(y - 10.0 - big.0 * 0.35),
        (1, 0.0),
        &d.room_label(),
    )?;
    y = centred_fit(
        ops,
        font,
        (Pt(20.0), Pt(14.0)),
        y - 18.0,
        (2, 8.0),
        &d.site_name,
    )?;
    y = centred_fit(
        ops,
        font,
        (Pt(16.0), Pt(11.0)),
        y - 11.0,
        (1, 0.0),
        &format!("{}  {} {}", d.sitting, d.date, d.time),
    )?;
    y -= 10.0;
    for (label, list) in [
        (&s.qualifications, &d.qualifications),
        (&s.subjects, &d.subjects),
    ] {
        let text = format!("{label}：{}", list.join("、"));
        y = centred_fit(ops, font, (Pt(13.0), Pt(10.0)), y, (4, 7.0), &text)? - 7.0;
    }
    let card_nos = || d.seats.iter().map(|s| s.card_no.as_str());
    let (first, last) = (
        card_nos().min().unwrap_or(""),
        card_nos().max().unwrap_or(""),
    );
    y = centred_fit(
        ops,
        font,
        (Pt(16.0), Pt(10.0)),
        y - 2.0,
        (1, 0.0),
        &format!("{}：{first} — {last}", s.range),
    )?;
    centred_fit(
        ops,
        font,
        (Pt(16.0), Pt(10.0)),
        y - 9.0,
        (1, 0.0),
        &format!("{}：{} 人", s.count, d.seats.len()),
    )
}

/// Each seat's row height: as tall as its tallest cell needs (a long name wraps), at
/// least row_mm.
fn sticker_row_heights(font: &Font, s: &StickerLayout, d: &RoomData) -> Vec<f32> {
    let size = Pt(s.size_pt);
    d.seats
        .iter()
        .map(|seat| {
            s.columns.iter().fold(s.row_mm, |h, c| {
                h.max(cell_height(
                    font,
                    size,
                    c.width_mm,
                    &seat.cell(&c.key),
                    s.row_mm,
                ))
            })
        })
        .collect()
}

/// How many of the rows of `heights` fit `room_for` millimetres, shared evenly between
/// `per_row` columns; at least one, so that a page always moves the list on.
fn rows_that_fit(heights: &[f32], per_row: usize, room_for: f32) -> usize {
    let fits = |take: usize| {
        let per = take.div_ceil(per_row).max(1);
        heights[..take]
            .chunks(per)
            .all(|c| c.iter().sum::<f32>() <= room_for)
    };
    let mut take = heights.len();
    while take > 1 && !fits(take) {
        take -= 1;
    }
    take
}

/// How the list of a sticker sits across the page: its columns' width, and how many
/// of them side by side from `left`, `gap` apart.
struct ListColumns {
    table_w: f32,
    gap: f32,
    per_row: usize,
    left: f32,
}

impl ListColumns {
    /// Two columns when they fit between the margins, else one; centred.
    fn new(s: &StickerLayout) -> ListColumns {
        let table_w: f32 = s.columns.iter().map(|c| c.width_mm).sum();
        let gap = 6.0;
        let two = 2.0 * table_w + gap <= PAGE_W - 2.0 * MARGIN + 0.01;
        let per_row = if two { 2 } else { 1 };
        let left = (PAGE_W - (per_row as f32 * table_w + (per_row - 1) as f32 * gap)) / 2.0;
        ListColumns {
            table_w,
            gap,
            per_row,
            left,
        }
    }
}

/// One page's part of the list, `seats` with their row `heights`, from `top` down: split
/// evenly into the columns, each with its header row.
fn sticker_list(
    ops: &mut Vec<Op>,
    font: &Font,
    s: &StickerLayout,
    across: &ListColumns,
    (seats, heights): (&[SeatLine], &[f32]),
    top: f32,
) -> Result<(), RoomError> {
    let size = Pt(s.size_pt);
    let in_first = seats.len().div_ceil(across.per_row);
    for (k, part) in seats.chunks(in_first.max(1)).enumerate() {
        let x0 = across.left + k as f32 * (across.table_w + across.gap);
        header_row(ops, font, size, &s.columns, [x0, top, 7.0]).map_err(of_room)?;
        let mut t = top - 7.0;
        for (j, seat) in part.iter().enumerate() {
            let h = heights[k * in_first + j];
            let mut x = x0;
            for c in &s.columns {
                rect(ops, mm(x), mm(t - h), mm(c.width_mm), mm(h), false);
                let v = seat.cell(&c.key);
                cell(ops, font, size, [x, t, c.width_mm, h], &v).map_err(|problem| RoomError {
                    registration_no: Some(seat.registration_no.clone()),
                    problem: format!("{}: {problem}", c.label),
                })?;
                x += c.width_mm;
            }
            t -= h;
        }
    }
    Ok(())
}

/// The door sticker: the room in large type, the site, the sitting, the qualifications and
/// subjects, the admit-card number range and the count, then the list of candidates (seat,
/// admit-card number, name, masked ID number) in two columns, continued on further pages
/// when a room is large. Long site names shrink, then wrap; nothing is drawn over.
pub fn render_sticker(
    font: &Font,
    layout: &Layout,
    d: &RoomData,
    date: i64,
) -> Result<Vec<u8>, RoomError> {
    let s = &layout.sticker;
    let head = title(&layout.title, d);
    check_sticker(font, layout, d, &head)?;

    let doc = Doc::new(font, &format!("门贴 {}", d.room_label()), date);
    let across = ListColumns::new(s);
    let mut pages = Vec::new();
    let mut ops: Vec<Op> = Vec::new();
    let mut top = sticker_heading(&mut ops, font, s, d, &head).map_err(of_room)? - 9.0;
    let heights = sticker_row_heights(font, s, d);
    let mut rest: &[SeatLine] = &d.seats;
    let mut at = 0;
    while !rest.is_empty() {
        let take = rows_that_fit(
            &heights[at..at + rest.len()],
            across.per_row,
            top - 7.0 - 15.0,
        );
        let (now, later) = rest.split_at(take);
        sticker_list(&mut ops, font, s, &across, (now, &heights[at..]), top)?;
        at += take;
        rest = later;
        if !rest.is_empty() {
            pages.push(Page::new(PAGE_W, PAGE_H, std::mem::take(&mut ops)));
            let y = centred_fit(
                &mut ops,
                font,
                (Pt(20.0), Pt(12.0)),
                278.0,
                (2, 8.0),
                &format!("{} {}（续）", d.site_name, d.room_label()),
            )
            .map_err(of_room)?;
            top = y - 10.0;
        }
    }
    pages.push(Page::new(PAGE_W, PAGE_H, ops));
    doc.finish(pages).map_err(of_room)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::testing::{page_texts, wqy};

    fn room(n: usize) -> RoomData {
        RoomData {
            year: 2026,
            half: "下半年".into(),
            exam_area: "昆明".into(),
            site_code: "001".into(),
            site_name: "云南大学呈贡校区".into(),
            address: "昆明市呈贡区".into(),
            room: 7,
            sitting: "第1场".into(),
            date: "2026-11-07".into(),
            time: "09:00-11:30".into(),
            qualifications: vec!["软件设计师".into()],
            subjects: vec!["基础知识".into()],
            seats: (1..=n as i64)
                .map(|i| SeatLine {
                    registration_no: format!("2026{i:07}"),
                    seat_no: i,
                    card_no: format!("262001001007{i:02}"),
                    name: format!("考生{i}"),
                    sex: "男".into(),
                    id_number: format!("5301021990010{i:05}"),
                    qualification: "软件设计师".into(),
                    photo_hash: String::new(),
                })
                .collect(),
        }
    }

    /// The font narrowed to the template's characters and those of `rooms`, as a run does.
    fn font_for(rooms: &[&RoomData]) -> Font {
        let fixed: String = [
            include_str!("../../templates/room_documents.json"),
            super::super::RENDERER_TEXT,
        ]
        .concat();
        let data: String = rooms
            .iter()
            .map(|d| serde_json::to_string(d).unwrap())
            .collect();
        wqy().narrowed(data.chars(), fixed.chars()).unwrap()
    }

    fn photo() -> Vec<u8> {
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 80)
            .encode(&[230u8; 30 * 42 * 3], 30, 42, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    #[test]
    fn a_full_room_runs_over_numbered_pages_with_the_counts_on_the_last() {
        let layout: Layout =
            serde_json::from_str(include_str!("../../templates/room_documents.json")).unwrap();
        let d = room(30);
        let font = font_for(&[&d, &room(70)]);
        let jpeg = photo();
        let photos: Vec<&[u8]> = vec![&jpeg; 30];
        let pages = page_texts(&render_sheet(&font, &layout, &d, &photos, 0).unwrap());
        assert!(pages.len() >= 3, "{} pages", pages.len());
        let n = pages.len();
        for (i, p) in pages.iter().enumerate() {
            assert!(p.contains(&format!("第 {} 页 / 共 {n} 页", i + 1)), "{p}");
            assert_eq!(p.contains("监考人员签名"), i + 1 == n, "{p}");
        }
        for s in &d.seats {
            assert_eq!(
                pages.iter().filter(|p| p.contains(&s.card_no)).count(),
                1,
                "{} once",
                s.card_no
            );
        }
        // A 70-seat room's sticker continues on a second page; nobody is left out.
        let big = room(70);
        let sticker = page_texts(&render_sticker(&font, &layout, &big, 0).unwrap());
        assert!(sticker.len() >= 2);
        assert!(sticker[1].contains("（续）"));
        for s in &big.seats {
            assert!(
                sticker.iter().any(|p| p.contains(&s.card_no)),
                "{}",
                s.card_no
            );
            assert!(!sticker.iter().any(|p| p.contains(&s.id_number)));
        }
    }

    #[test]
    fn a_name_the_font_cannot_draw_names_the_candidate() {
        let layout: Layout =
            serde_json::from_str(include_str!("../../templates/room_documents.json")).unwrap();
        let mut d = room(3);
        d.seats[1].name = "王𠀀".into();
        let font = font_for(&[&d]);
        let e = render_sticker(&font, &layout, &d, 0).unwrap_err();
        assert_eq!(e.registration_no.as_deref(), Some("20260000002"));
        assert!(e.problem.contains("U+20000"), "{}", e.problem);
    }
}

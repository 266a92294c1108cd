//! The admit card (准考证): an A4 page laid out by `templates/admit_card.json`, with the
//! candidate's photo embedded as its original JPEG bytes and a QR code of the admit-card
//! number. Several cards make one document (one page each) for printing a room.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::jpeg_info;
use super::{Doc, Font, Op, Page, Pt, fit, image_in, mm, rect, text_in, wrap};

/// Where things go on the card; read from the template file.
#[derive(Debug, Clone, Deserialize)]
pub struct Layout {
    pub font: String,
    #[serde(default)]
    pub font_index: usize,
    pub page_mm: [f32; 2],
    pub title: Line,
    pub subtitle: Line,
    pub label_size_pt: f32,
    pub value_size_pt: f32,
    /// How far a value too long for its box may shrink [default: 3/4 of value_size_pt].
    #[serde(default)]
    pub value_min_size_pt: Option<f32>,
    pub value_dx_mm: f32,
    pub fields: Vec<FieldSpot>,
    /// Where the candidate must go: each site with its address, below the fields. Without
    /// it (a template of before), fields keyed `site` and `address` print the first site.
    #[serde(default)]
    pub places: Option<Places>,
    pub photo: Frame,
    pub qr: Square,
    pub subjects: SubjectTable,
    pub rules: Rules,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Line {
    /// May name {year} and {half} (上半年 / 下半年).
    pub text: String,
    pub x_mm: f32,
    pub y_mm: f32,
    pub size_pt: f32,
    /// left (default) or center.
    #[serde(default)]
    pub align: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FieldSpot {
    pub label: String,
    /// card_no, name, sex, id_number, level, qualification, site, address.
    pub key: String,
    pub x_mm: f32,
    pub y_mm: f32,
    /// The value's box, from the value's start [default: up to the photo or the QR code
    /// beside it, else the right margin].
    #[serde(default)]
    pub width_mm: Option<f32>,
}

/// The sites a card sends its holder to: a line for the site and one for its address
/// each, wrapped within `width_mm` (from `x_mm`, labels included) into `max_lines` lines
/// at most. A card of one site says `site_label` and `address_label`; a card of several
/// numbers them (`{n}`: ①, ②, ...) and its subjects' rooms say which.
#[derive(Debug, Clone, Deserialize)]
pub struct Places {
    pub x_mm: f32,
    /// The first baseline.
    pub y_mm: f32,
    pub width_mm: f32,
    /// From one label's baseline to the next.
    pub line_mm: f32,
    /// From a wrapped line to its continuation.
    pub wrap_mm: f32,
    pub max_lines: usize,
    pub site_label: String,
    pub address_label: String,
    pub numbered_site_label: String,
    pub numbered_address_label: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Frame {
    pub x_mm: f32,
    pub y_mm: f32,
    pub width_mm: f32,
    pub height_mm: f32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Square {
    pub x_mm: f32,
    pub y_mm: f32,
    pub size_mm: f32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubjectTable {
    pub x_mm: f32,
    /// The table's top, or lower when the places above need the room.
    pub y_mm: f32,
    pub row_mm: f32,
    pub size_pt: f32,
    pub columns_mm: Vec<f32>,
    pub header: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Rules {
    pub title: String,
    pub x_mm: f32,
    /// The title's baseline, or lower when the table above needs the room.
    pub y_mm: f32,
    pub size_pt: f32,
    pub line_mm: f32,
    pub width_mm: f32,
    pub lines: Vec<String>,
}

/// One subject of a card: its sitting's date, time, room and seat.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectLine {
    pub subject: String,
    pub date: String,
    pub time: String,
    pub room: String,
    pub seat: String,
}

/// A site a card's holder goes to.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Place {
    pub site: String,
    pub address: String,
}

/// What a card prints. Its JSON is hashed for the incremental manifest.
#[derive(Debug, Clone, Serialize)]
pub struct CardData {
    pub registration_no: String,
    pub year: u32,
    /// 上半年 / 下半年.
    pub half: String,
    pub fields: BTreeMap<String, String>,
    /// Every site of the candidate's sittings, in the order of their first sitting: one,
    /// unless the office let the candidate sit at several.
    pub places: Vec<Place>,
    /// In exam order; a room names its site's number (①) when there are several.
    pub subjects: Vec<SubjectLine>,
    /// The photo's BLAKE3 from import; the bytes are checked against it.
    pub photo_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CardError {
    #[error("the font has no glyph for '{ch}' (U+{code:04X}) in {what} \"{text}\"")]
    Missing {
        ch: char,
        code: u32,
        what: String,
        text: String,
    },
    #[error("the photo is not a baseline or progressive JPEG with 1, 3 or 4 colour components")]
    Photo,
    #[error(
        "{what} \"{text}\" does not fit its box ({width_mm:.0} mm wide, {lines} line(s) at {min_pt} pt or more)"
    )]
    TooLong {
        what: String,
        text: String,
        width_mm: f32,
        lines: usize,
        min_pt: f32,
    },
    #[error(
        "the card's text runs below the page's bottom margin: a shorter 考生须知 or a smaller size in the template"
    )]
    Page,
    #[error("{0}")]
    Font(String),
}

fn title(l: &Line, d: &CardData) -> String {
    l.text
        .replace("{year}", &d.year.to_string())
        .replace("{half}", &d.half)
}

/// Every string a card prints, with what it is, to check against the font first.
fn strings<'a>(layout: &'a Layout, d: &'a CardData) -> Vec<(String, String)> {
    let mut out = vec![
        ("title".to_string(), title(&layout.title, d)),
        ("title".to_string(), title(&layout.subtitle, d)),
        ("rules".to_string(), layout.rules.title.clone()),
    ];
    for f in &layout.fields {
        out.push(("label".into(), f.label.clone()));
        out.push((
            f.label.replace(' ', ""),
            d.fields.get(&f.key).cloned().unwrap_or_default(),
        ));
    }
    if let Some(p) = &layout.places {
        for (i, place) in d.places.iter().enumerate() {
            let (site, address) = place_labels(p, i, d.places.len());
            out.push(("label".into(), site));
            out.push(("label".into(), address));
            out.push(("考点".into(), place.site.clone()));
            out.push(("考点地址".into(), place.address.clone()));
        }
    }
    for h in &layout.subjects.header {
        out.push(("header".into(), h.clone()));
    }
    for s in &d.subjects {
        for v in [&s.subject, &s.date, &s.time, &s.room, &s.seat] {
            out.push(("subject".into(), v.clone()));
        }
    }
    for l in &layout.rules.lines {
        out.push(("rules".into(), l.clone()));
    }
    out
}

/// Checks that the font can draw every character of the card.
pub fn check(font: &Font, layout: &Layout, d: &CardData) -> Result<(), CardError> {
    for (what, s) in strings(layout, d) {
        if let Some(ch) = font.missing(&s) {
            return Err(CardError::Missing {
                ch,
                code: u32::from(ch),
                what,
                text: s,
            });
        }
    }
    Ok(())
}

/// The number of the `i`th of `n` sites on a card: ①, ②, ... (none when there is one).
pub fn place_marker(i: usize, n: usize) -> String {
    if n < 2 {
        return String::new();
    }
    char::from_u32(0x2460 + i as u32)
        .filter(|_| i < 20)
        .map_or_else(|| format!("({})", i + 1), String::from)
}

/// The labels of the `i`th of `n` places.
fn place_labels(p: &Places, i: usize, n: usize) -> (String, String) {
    if n < 2 {
        (p.site_label.clone(), p.address_label.clone())
    } else {
        let m = place_marker(i, n);
        (
            p.numbered_site_label.replace("{n}", &m),
            p.numbered_address_label.replace("{n}", &m),
        )
    }
}

/// Millimetres of a length in points.
fn in_mm(v: Pt) -> f32 {
    v.0 * 25.4 / 72.0
}

/// A box in points from millimetres: left, bottom, right, top.
fn boxed(x0: f32, y0: f32, x1: f32, y1: f32) -> [f32; 4] {
    [mm(x0).0, mm(y0).0, mm(x1).0, mm(y1).0]
}

/// The page's side margin, for texts with no box of their own.
const MARGIN_MM: f32 = 10.0;
/// The lowest a baseline may go.
const BOTTOM_MM: f32 = 12.0;

/// Draws `value` from (x, y) on, fitted into `width_mm`: shrunk down to `min`, then wrapped
/// (at most `lines` lines, `step_mm` apart). Returns the last baseline.
fn value_in(
    ops: &mut Vec<Op>,
    font: &Font,
    (size, min): (Pt, Pt),
    (x, y, width_mm): (f32, f32, f32),
    (lines, step_mm): (usize, f32),
    what: &str,
    value: &str,
) -> Result<f32, CardError> {
    let f = fit(font, value, size, min, mm(width_mm), lines).ok_or_else(|| CardError::TooLong {
        what: what.to_string(),
        text: value.to_string(),
        width_mm,
        lines,
        min_pt: min.0,
    })?;
    // Wrapped lines at least a line's height apart, whatever the template says.
    let step = step_mm.max(in_mm(Pt(f.size.0 * super::LINE)));
    let mut baseline = y;
    for (k, line) in f.lines.iter().enumerate() {
        baseline = y - step * k as f32;
        let up = in_mm(f.size);
        text_in(
            ops,
            f.size,
            mm(x),
            mm(baseline),
            line,
            boxed(x, baseline - up / 2.0, x + width_mm, baseline + up),
        );
    }
    Ok(baseline)
}

/// The two sizes of a value: as the template asks, and the least it may shrink to.
fn value_sizes(layout: &Layout) -> (Pt, Pt) {
    let min = layout
        .value_min_size_pt
        .unwrap_or(layout.value_size_pt * 0.75);
    (Pt(layout.value_size_pt), Pt(min))
}

/// The right edge a value on baseline `y` may reach: the photo or the QR code beside it,
/// else the margin.
fn right_edge(layout: &Layout, y: f32) -> f32 {
    let (p, q) = (&layout.photo, &layout.qr);
    let mut edge = layout.page_mm[0] - MARGIN_MM;
    if y + 5.0 > p.y_mm && y - 2.0 < p.y_mm + p.height_mm {
        edge = edge.min(p.x_mm - 2.0);
    }
    if y + 5.0 > q.y_mm && y - 2.0 < q.y_mm + q.size_mm {
        edge = edge.min(q.x_mm - 2.0);
    }
    edge
}

/// The title and subtitle, each on one line across the page, shrunk to fit.
fn draw_titles(
    ops: &mut Vec<Op>,
    font: &Font,
    layout: &Layout,
    d: &CardData,
) -> Result<(), CardError> {
    let [page_w, _] = layout.page_mm;
    for l in [&layout.title, &layout.subtitle] {
        let s = title(l, d);
        let full = page_w - 2.0 * MARGIN_MM;
        let f =
            fit(font, &s, Pt(l.size_pt), Pt(l.size_pt * 0.7), mm(full), 1).ok_or_else(|| {
                CardError::TooLong {
                    what: "the title".into(),
                    text: s.clone(),
                    width_mm: full,
                    lines: 1,
                    min_pt: l.size_pt * 0.7,
                }
            })?;
        let w = in_mm(font.width(&s, f.size));
        let x = if l.align == "center" {
            l.x_mm - w / 2.0
        } else {
            l.x_mm
        };
        let up = in_mm(f.size);
        text_in(
            ops,
            f.size,
            mm(x),
            mm(l.y_mm),
            &s,
            boxed(
                MARGIN_MM,
                l.y_mm - up / 2.0,
                page_w - MARGIN_MM,
                l.y_mm + up,
            ),
        );
    }
    Ok(())
}

/// A field's label, `s：`, in the room before its value.
fn draw_label(ops: &mut Vec<Op>, layout: &Layout, x: f32, y: f32, s: &str) {
    let size = Pt(layout.label_size_pt);
    let up = in_mm(size);
    text_in(
        ops,
        size,
        mm(x),
        mm(y),
        &format!("{s}："),
        boxed(x, y - up / 2.0, x + layout.value_dx_mm, y + up),
    );
}

/// The fields, each label with its value on one line. Returns the lowest baseline drawn
/// (`f32::MAX` when there is no field).
fn draw_fields(
    ops: &mut Vec<Op>,
    font: &Font,
    layout: &Layout,
    d: &CardData,
) -> Result<f32, CardError> {
    let mut low = f32::MAX;
    for f in &layout.fields {
        draw_label(ops, layout, f.x_mm, f.y_mm, &f.label);
        let v = d.fields.get(&f.key).cloned().unwrap_or_default();
        let x = f.x_mm + layout.value_dx_mm;
        let width = f.width_mm.unwrap_or_else(|| right_edge(layout, f.y_mm) - x);
        let what = f.label.replace(' ', "");
        low = low.min(value_in(
            ops,
            font,
            value_sizes(layout),
            (x, f.y_mm, width),
            (1, 0.0),
            &what,
            &v,
        )?);
    }
    Ok(low)
}

/// Each site with its address, wrapped, below the fields. Returns the lowest baseline so
/// far, starting from `low`.
fn draw_places(
    ops: &mut Vec<Op>,
    font: &Font,
    layout: &Layout,
    d: &CardData,
    mut low: f32,
) -> Result<f32, CardError> {
    let Some(p) = &layout.places else {
        return Ok(low);
    };
    let mut y = p.y_mm;
    let x = p.x_mm + layout.value_dx_mm;
    let width = p.width_mm - layout.value_dx_mm;
    for (i, place) in d.places.iter().enumerate() {
        let (site_label, address_label) = place_labels(p, i, d.places.len());
        for (l, v) in [(site_label, &place.site), (address_label, &place.address)] {
            draw_label(ops, layout, p.x_mm, y, &l);
            let last = value_in(
                ops,
                font,
                value_sizes(layout),
                (x, y, width),
                (p.max_lines, p.wrap_mm),
                &l.replace(' ', ""),
                v,
            )?;
            low = low.min(last);
            y = last - p.line_mm;
        }
    }
    Ok(low)
}

/// The subjects below baseline `low`: a header and a row per subject, with rules between;
/// each cell's text shrinks to fit its column. Returns the table's bottom.
fn draw_subjects(
    ops: &mut Vec<Op>,
    font: &Font,
    layout: &Layout,
    d: &CardData,
    low: f32,
) -> Result<f32, CardError> {
    let t = &layout.subjects;
    let size = Pt(t.size_pt);
    let top = t.y_mm.min(low - 4.0);
    let total_w = t.columns_mm.last().copied().unwrap_or(0.0) + 30.0;
    let rows = std::iter::once(t.header.clone()).chain(d.subjects.iter().map(|s| {
        vec![
            s.subject.clone(),
            s.date.clone(),
            s.time.clone(),
            s.room.clone(),
            s.seat.clone(),
        ]
    }));
    let mut bottom = top;
    for (row, cells) in rows.enumerate() {
        let y = top - t.row_mm * row as f32;
        for (c, v) in cells.iter().enumerate() {
            let x0 = t.columns_mm.get(c).copied().unwrap_or(0.0) + t.x_mm;
            let x1 = t.columns_mm.get(c + 1).copied().unwrap_or(total_w) + t.x_mm;
            let what = t.header.get(c).cloned().unwrap_or_default();
            value_in(
                ops,
                font,
                (size, Pt(t.size_pt * 0.7)),
                (x0 + 1.5, y - t.row_mm + 2.5, x1 - x0 - 3.0),
                (1, 0.0),
                &what,
                v,
            )?;
        }
        rect(
            ops,
            mm(t.x_mm),
            mm(y - t.row_mm),
            mm(total_w),
            mm(t.row_mm),
            false,
        );
        bottom = y - t.row_mm;
    }
    Ok(bottom)
}

/// 考生须知 below the table's `bottom`, wrapped by the font's advances; fails when it runs
/// below the page's bottom margin.
fn draw_rules(
    ops: &mut Vec<Op>,
    font: &Font,
    layout: &Layout,
    bottom: f32,
) -> Result<(), CardError> {
    let r = &layout.rules;
    let rsize = Pt(r.size_pt);
    let mut y = r.y_mm.min(bottom - 7.0);
    let title_size = Pt(r.size_pt + 2.0);
    text_in(
        ops,
        title_size,
        mm(r.x_mm),
        mm(y),
        &r.title,
        boxed(
            r.x_mm,
            y - in_mm(title_size) / 2.0,
            r.x_mm + r.width_mm,
            y + in_mm(title_size),
        ),
    );
    y -= r.line_mm * 1.4;
    for l in &r.lines {
        for part in wrap(font, l, rsize, mm(r.width_mm)) {
            if y < BOTTOM_MM {
                return Err(CardError::Page);
            }
            text_in(
                ops,
                rsize,
                mm(r.x_mm),
                mm(y),
                &part,
                boxed(
                    r.x_mm,
                    y - in_mm(rsize) / 2.0,
                    r.x_mm + r.width_mm,
                    y + in_mm(rsize),
                ),
            );
            y -= r.line_mm;
        }
    }
    Ok(())
}

/// The photo's frame, and the photo in it when there is one (embedded in `doc` once).
fn draw_photo<'a>(
    ops: &mut Vec<Op>,
    doc: &mut Doc<'a>,
    layout: &Layout,
    photo: Option<&'a [u8]>,
) -> Result<(), CardError> {
    let p = &layout.photo;
    rect(
        ops,
        mm(p.x_mm),
        mm(p.y_mm),
        mm(p.width_mm),
        mm(p.height_mm),
        false,
    );
    if let Some(jpeg) = photo {
        let (id, w, h) = doc.jpeg(jpeg).ok_or(CardError::Photo)?;
        image_in(
            ops,
            id,
            (w, h),
            mm(p.x_mm),
            mm(p.y_mm),
            mm(p.width_mm),
            mm(p.height_mm),
        );
    }
    Ok(())
}

/// A QR code of the admit-card number, as merged runs of dark modules (fewer, larger
/// rectangles make a smaller file that prints the same).
fn draw_qr(ops: &mut Vec<Op>, layout: &Layout, d: &CardData) {
    let Some(no) = d.fields.get("card_no") else {
        return;
    };
    let Ok(code) = qrcode::QrCode::new(no.as_bytes()) else {
        return;
    };
    let q = &layout.qr;
    let n = code.width();
    let module = q.size_mm / n as f32;
    let colors = code.to_colors();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] == qrcode::Color::Dark {
                let start = col;
                while col < n && colors[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                rect(
                    ops,
                    mm(q.x_mm + module * start as f32),
                    mm(q.y_mm + q.size_mm - module * (row + 1) as f32),
                    mm(module * (col - start) as f32),
                    mm(module),
                    true,
                );
            } else {
                col += 1;
            }
        }
    }
}

/// One card's page: the texts top down, each block below the lowest line of the one
/// above, then the photo and the QR code.
fn card_page<'a>(
    doc: &mut Doc<'a>,
    font: &Font,
    layout: &Layout,
    d: &CardData,
    photo: Option<&'a [u8]>,
) -> Result<Page, CardError> {
    check(font, layout, d)?;
    let mut ops: Vec<Op> = Vec::new();
    draw_titles(&mut ops, font, layout, d)?;
    let low = draw_fields(&mut ops, font, layout, d)?;
    let low = draw_places(&mut ops, font, layout, d, low)?;
    let bottom = draw_subjects(&mut ops, font, layout, d, low)?;
    draw_rules(&mut ops, font, layout, bottom)?;
    draw_photo(&mut ops, doc, layout, photo)?;
    draw_qr(&mut ops, layout, d);
    Ok(Page::new(layout.page_mm[0], layout.page_mm[1], ops))
}

/// Renders cards, one page each, into one PDF. `photos[i]` is card i's JPEG, if any.
/// `date` (seconds since 1970) dates the document. Every text is fitted into its box (long
/// names and addresses shrink, then wrap); one that cannot fit fails the card with a
/// message naming it, and the layout check of [`Doc::finish`] refuses anything drawn over.
pub fn render(
    font: &Font,
    layout: &Layout,
    cards: &[(&CardData, Option<&[u8]>)],
    date: i64,
) -> Result<Vec<u8>, CardError> {
    let mut doc = Doc::new(font, "准考证", date);
    let mut pages = Vec::with_capacity(cards.len());
    for (d, photo) in cards {
        pages.push(card_page(&mut doc, font, layout, d, *photo)?);
    }
    doc.finish(pages).map_err(CardError::Font)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_headers_give_size_and_components() {
        let jpeg = crate::synth::with_comment(&jpeg_encoder_sample(), "x", 0);
        let (w, h, c) = jpeg_info(&jpeg).unwrap();
        assert_eq!((w, h, c), (16, 8, 3));
        assert!(jpeg_info(b"BM....").is_none());
    }

    fn jpeg_encoder_sample() -> Vec<u8> {
        let mut out = Vec::new();
        let enc = jpeg_encoder::Encoder::new(&mut out, 80);
        enc.encode(&[200u8; 16 * 8 * 3], 16, 8, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }
}

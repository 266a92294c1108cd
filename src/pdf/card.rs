//! The admit card (准考证): an A4 page laid out by `templates/admit_card.json`, with the
//! candidate's photo embedded as its original JPEG bytes and a QR code of the admit-card
//! number. Several cards make one document (one page each) for printing a room.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::jpeg_info;
use super::{Doc, Font, Op, Page, Pt, image_in, mm, rect, text, wrap};

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
    pub value_dx_mm: f32,
    pub fields: Vec<FieldSpot>,
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

/// What a card prints. Its JSON is hashed for the incremental manifest.
#[derive(Debug, Clone, Serialize)]
pub struct CardData {
    pub registration_no: String,
    pub year: u32,
    /// 上半年 / 下半年.
    pub half: String,
    pub fields: BTreeMap<String, String>,
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

/// Renders cards, one page each, into one PDF. `photos[i]` is card i's JPEG, if any.
/// `date` (seconds since 1970) dates the document.
pub fn render(
    font: &Font,
    layout: &Layout,
    cards: &[(&CardData, Option<&[u8]>)],
    date: i64,
) -> Result<Vec<u8>, CardError> {
    let mut doc = Doc::new(font, "准考证", date);
    let mut pages = Vec::with_capacity(cards.len());
    for (d, photo) in cards {
        check(font, layout, d)?;
        let mut ops: Vec<Op> = Vec::new();
        for l in [&layout.title, &layout.subtitle] {
            let s = title(l, d);
            let size = Pt(l.size_pt);
            let x = if l.align == "center" {
                Pt(mm(l.x_mm).0 - font.width(&s, size).0 / 2.0)
            } else {
                mm(l.x_mm)
            };
            text(&mut ops, size, x, mm(l.y_mm), &s);
        }
        for f in &layout.fields {
            let (x, y) = (mm(f.x_mm), mm(f.y_mm));
            text(
                &mut ops,
                Pt(layout.label_size_pt),
                x,
                y,
                &format!("{}：", f.label),
            );
            let v = d.fields.get(&f.key).cloned().unwrap_or_default();
            text(
                &mut ops,
                Pt(layout.value_size_pt),
                mm(f.x_mm + layout.value_dx_mm),
                y,
                &v,
            );
        }
        // The subjects: a header and a row per subject, with rules between.
        let t = &layout.subjects;
        let size = Pt(t.size_pt);
        let total_w = t.columns_mm.last().copied().unwrap_or(0.0) + 30.0;
        for (row, cells) in std::iter::once(t.header.clone())
            .chain(d.subjects.iter().map(|s| {
                vec![
                    s.subject.clone(),
                    s.date.clone(),
                    s.time.clone(),
                    s.room.clone(),
                    s.seat.clone(),
                ]
            }))
            .enumerate()
        {
            let y = t.y_mm - t.row_mm * row as f32;
            for (c, v) in cells.iter().enumerate() {
                let x = t.columns_mm.get(c).copied().unwrap_or(0.0) + t.x_mm + 1.5;
                text(&mut ops, size, mm(x), mm(y - t.row_mm + 2.5), v);
            }
            rect(
                &mut ops,
                mm(t.x_mm),
                mm(y - t.row_mm),
                mm(total_w),
                mm(t.row_mm),
                false,
            );
        }
        // 考生须知, wrapped by the font's advances.
        let r = &layout.rules;
        let rsize = Pt(r.size_pt);
        text(
            &mut ops,
            Pt(r.size_pt + 2.0),
            mm(r.x_mm),
            mm(r.y_mm),
            &r.title,
        );
        let mut y = r.y_mm - r.line_mm * 1.4;
        for l in &r.lines {
            for part in wrap(font, l, rsize, mm(r.width_mm)) {
                text(&mut ops, rsize, mm(r.x_mm), mm(y), &part);
                y -= r.line_mm;
            }
        }
        // The photo in its frame.
        let p = &layout.photo;
        rect(
            &mut ops,
            mm(p.x_mm),
            mm(p.y_mm),
            mm(p.width_mm),
            mm(p.height_mm),
            false,
        );
        if let Some(jpeg) = photo {
            let (id, w, h) = doc.jpeg(jpeg).ok_or(CardError::Photo)?;
            image_in(
                &mut ops,
                id,
                (w, h),
                mm(p.x_mm),
                mm(p.y_mm),
                mm(p.width_mm),
                mm(p.height_mm),
            );
        }
        // A QR code of the admit-card number, as merged runs of dark modules.
        if let Some(no) = d.fields.get("card_no")
            && let Ok(code) = qrcode::QrCode::new(no.as_bytes())
        {
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
                            &mut ops,
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
        pages.push(Page::new(layout.page_mm[0], layout.page_mm[1], ops));
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

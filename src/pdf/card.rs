//! The admit card (准考证): an A4 page laid out by `templates/admit_card.json`, with the
//! candidate's photo embedded as its original JPEG bytes and a QR code of the admit-card
//! number. Several cards make one document (one page each) for printing a room.

use std::collections::BTreeMap;

use printpdf::{
    Color, DictItem, ExternalStream, ExternalXObject, Mm, Op, PaintMode, PdfDocument,
    PdfFontHandle, PdfPage, PdfSaveOptions, Pt, Px, Rect, Rgb, TextItem, TextMatrix,
    XObjectTransform,
};
use serde::{Deserialize, Serialize};

use super::Font;

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
}

/// The JPEG's size and colour components, from its SOF header (no decode). Written by hand:
/// the few bytes needed here are a loop over markers.
pub fn jpeg_info(b: &[u8]) -> Option<(u32, u32, u8)> {
    if b.len() < 4 || b[0] != 0xFF || b[1] != 0xD8 {
        return None;
    }
    let mut i = 2;
    while i + 9 < b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        // SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            let h = u32::from(u16::from_be_bytes([b[i + 5], b[i + 6]]));
            let w = u32::from(u16::from_be_bytes([b[i + 7], b[i + 8]]));
            return Some((w, h, b[i + 9]));
        }
        i += 2 + len;
    }
    None
}

fn mm(v: f32) -> Pt {
    Mm(v).into_pt()
}

fn black() -> Color {
    Color::Rgb(Rgb {
        r: 0.0,
        g: 0.0,
        b: 0.0,
        icc_profile: None,
    })
}

/// Text at a point (lower left of its baseline), in its own text section.
fn text(ops: &mut Vec<Op>, font: &printpdf::FontId, size: Pt, x: Pt, y: Pt, s: &str) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont {
        font: PdfFontHandle::External(font.clone()),
        size,
    });
    ops.push(Op::SetTextMatrix {
        matrix: TextMatrix::Translate(x, y),
    });
    ops.push(Op::ShowText {
        items: vec![TextItem::Text(s.to_string())],
    });
    ops.push(Op::EndTextSection);
}

/// Splits `s` into lines no wider than `width`, by the font's advances.
fn wrap(font: &Font, s: &str, size: Pt, width: Pt) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for c in s.chars() {
        line.push(c);
        if font.width(&line, size).0 > width.0 {
            line.pop();
            out.push(std::mem::take(&mut line));
            line.push(c);
        }
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
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

/// The photo as an image XObject of its original JPEG bytes (/DCTDecode: no decode, no
/// re-encode).
fn photo_xobject(jpeg: &[u8]) -> Result<(ExternalXObject, u32, u32), CardError> {
    let (w, h, components) = jpeg_info(jpeg).ok_or(CardError::Photo)?;
    let space = match components {
        1 => "DeviceGray",
        3 => "DeviceRGB",
        4 => "DeviceCMYK",
        _ => return Err(CardError::Photo),
    };
    let name = |s: &str| DictItem::Name(s.as_bytes().to_vec());
    let mut dict = BTreeMap::new();
    dict.insert("Type".to_string(), name("XObject"));
    dict.insert("Subtype".to_string(), name("Image"));
    dict.insert("Width".to_string(), DictItem::Int(i64::from(w)));
    dict.insert("Height".to_string(), DictItem::Int(i64::from(h)));
    dict.insert("ColorSpace".to_string(), name(space));
    dict.insert("BitsPerComponent".to_string(), DictItem::Int(8));
    dict.insert("Filter".to_string(), name("DCTDecode"));
    Ok((
        ExternalXObject {
            stream: ExternalStream {
                dict,
                content: jpeg.to_vec(),
                compress: false,
            },
            width: Some(Px(w as usize)),
            height: Some(Px(h as usize)),
            dpi: Some(300.0),
        },
        w,
        h,
    ))
}

/// Renders cards, one page each, into one PDF. `photos[i]` is card i's JPEG, if any.
pub fn render(
    font: &Font,
    layout: &Layout,
    cards: &[(&CardData, Option<&[u8]>)],
) -> Result<Vec<u8>, CardError> {
    let mut doc = PdfDocument::new("准考证");
    doc.metadata.info.producer = "kaowu".into();
    doc.metadata.info.creator = "kaowu".into();
    let font_id = doc.add_font(&font.parsed);
    let mut pages = Vec::with_capacity(cards.len());
    for (d, photo) in cards {
        check(font, layout, d)?;
        let mut ops = Vec::new();
        ops.push(Op::SetFillColor { col: black() });
        for l in [&layout.title, &layout.subtitle] {
            let s = title(l, d);
            let size = Pt(l.size_pt);
            let x = if l.align == "center" {
                Pt(mm(l.x_mm).0 - font.width(&s, size).0 / 2.0)
            } else {
                mm(l.x_mm)
            };
            text(&mut ops, &font_id, size, x, mm(l.y_mm), &s);
        }
        for f in &layout.fields {
            let (x, y) = (mm(f.x_mm), mm(f.y_mm));
            text(
                &mut ops,
                &font_id,
                Pt(layout.label_size_pt),
                x,
                y,
                &format!("{}：", f.label),
            );
            let v = d.fields.get(&f.key).cloned().unwrap_or_default();
            text(
                &mut ops,
                &font_id,
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
                text(&mut ops, &font_id, size, mm(x), mm(y - t.row_mm + 2.5), v);
            }
            ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    x: mm(t.x_mm),
                    y: mm(y - t.row_mm),
                    width: mm(total_w),
                    height: mm(t.row_mm),
                    mode: Some(PaintMode::Stroke),
                    winding_order: None,
                },
            });
        }
        // 考生须知, wrapped by the font's advances.
        let r = &layout.rules;
        let rsize = Pt(r.size_pt);
        text(
            &mut ops,
            &font_id,
            Pt(r.size_pt + 2.0),
            mm(r.x_mm),
            mm(r.y_mm),
            &r.title,
        );
        let mut y = r.y_mm - r.line_mm * 1.4;
        for l in &r.lines {
            for part in wrap(font, l, rsize, mm(r.width_mm)) {
                text(&mut ops, &font_id, rsize, mm(r.x_mm), mm(y), &part);
                y -= r.line_mm;
            }
        }
        // The photo in its frame.
        let p = &layout.photo;
        ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: mm(p.x_mm),
                y: mm(p.y_mm),
                width: mm(p.width_mm),
                height: mm(p.height_mm),
                mode: Some(PaintMode::Stroke),
                winding_order: None,
            },
        });
        if let Some(jpeg) = photo {
            let (xobj, w, h) = photo_xobject(jpeg)?;
            let id = doc.add_xobject(&xobj);
            // At 300 dpi the image is w/300 inches wide; scale it into the frame.
            let natural_w = w as f32 / 300.0 * 72.0;
            let natural_h = h as f32 / 300.0 * 72.0;
            let scale = (mm(p.width_mm).0 / natural_w).min(mm(p.height_mm).0 / natural_h);
            let dx = (mm(p.width_mm).0 - natural_w * scale) / 2.0;
            let dy = (mm(p.height_mm).0 - natural_h * scale) / 2.0;
            ops.push(Op::UseXobject {
                id,
                transform: XObjectTransform {
                    translate_x: Some(Pt(mm(p.x_mm).0 + dx)),
                    translate_y: Some(Pt(mm(p.y_mm).0 + dy)),
                    scale_x: Some(scale),
                    scale_y: Some(scale),
                    dpi: Some(300.0),
                    ..Default::default()
                },
            });
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
                        ops.push(Op::DrawRectangle {
                            rectangle: Rect {
                                x: mm(q.x_mm + module * start as f32),
                                y: mm(q.y_mm + q.size_mm - module * (row + 1) as f32),
                                width: mm(module * (col - start) as f32),
                                height: mm(module),
                                mode: Some(PaintMode::Fill),
                                winding_order: None,
                            },
                        });
                    } else {
                        col += 1;
                    }
                }
            }
        }
        pages.push(PdfPage::new(
            Mm(layout.page_mm[0]),
            Mm(layout.page_mm[1]),
            ops,
        ));
    }
    let opts = PdfSaveOptions {
        subset_fonts: true,
        ..Default::default()
    };
    Ok(doc.with_pages(pages).save(&opts, &mut Vec::new()))
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

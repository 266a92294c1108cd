//! Documents for candidates and staff: admit cards (准考证), sign-in sheets (考场签到表) and
//! door stickers (门贴). Pure renderers: they take the data, the layout and the font, and
//! return PDF bytes; they never touch the database.

pub mod card;
pub mod room;

use std::collections::BTreeMap;

use printpdf::{
    Color, DictItem, ExternalStream, ExternalXObject, FontId, Mm, OffsetDateTime, Op, PaintMode,
    ParsedFont, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, Pt, Px, Rect, Rgb,
    TextItem, TextMatrix, XObject, XObjectId, XObjectTransform,
};

/// A font parsed once and shared by every renderer thread (parsing a CJK collection takes
/// 25..45 ms; per card it would make a run several times slower).
pub struct Font {
    pub parsed: ParsedFont,
    units_per_em: f32,
}

impl Font {
    /// Parses face `index` of a TrueType font or collection.
    pub fn from_bytes(bytes: &[u8], index: usize) -> Result<Font, String> {
        let parsed = ParsedFont::from_bytes(bytes, index, &mut Vec::new())
            .ok_or_else(|| "not a TrueType or OpenType font".to_string())?;
        let units_per_em = f32::from(parsed.font_metrics.units_per_em.max(1));
        Ok(Font {
            parsed,
            units_per_em,
        })
    }

    /// The font cut down to the glyphs of `chars` (those it has), for a run of documents:
    /// subsetting a CJK font of 30,000 glyphs for every PDF is most of a card's cost, while
    /// the same from a font of the run's few thousand characters is cheap. Each document is
    /// still subset to its own glyphs, numbered in the same order, so it comes out the same.
    pub fn narrowed(&self, chars: impl IntoIterator<Item = char>) -> Result<Font, String> {
        let mut keep = BTreeMap::new();
        for c in chars {
            if let Some(g) = self.parsed.lookup_glyph_index(u32::from(c))
                && g != 0
            {
                keep.insert(g, c.to_string());
            }
        }
        let subset = printpdf::subset_font(&self.parsed, &keep)?;
        Font::from_bytes(&subset.bytes, 0)
    }

    /// The first character of `text` that the font cannot draw: printpdf would silently
    /// draw an empty box for it.
    pub fn missing(&self, text: &str) -> Option<char> {
        text.chars().find(|c| {
            !c.is_whitespace()
                && self
                    .parsed
                    .lookup_glyph_index(u32::from(*c))
                    .is_none_or(|g| g == 0)
        })
    }

    /// The width of `text` at `size`, from the font's advances.
    pub fn width(&self, text: &str, size: Pt) -> Pt {
        let units: f32 = text
            .chars()
            .map(|c| {
                self.parsed
                    .lookup_glyph_index(u32::from(c))
                    .and_then(|g| self.parsed.get_glyph_width_internal(g))
                    .map_or(self.units_per_em / 2.0, |w| w as f32)
            })
            .sum();
        Pt(units / self.units_per_em * size.0)
    }
}

/// Characters the renderers add to the template's and the data's own.
pub const RENDERER_TEXT: &str = "考区考点场次科目第页共人续：（）— /0123456789-:";

/// A PDF being built whose every resource id and date is fixed, so that the same data gives
/// the same bytes on every run and machine. printpdf names fonts and images with a
/// process-wide counter and stamps the trailer's /ID at random; here they are named F1,
/// Im1, Im2, ... and the /ID is a hash of the document.
pub struct Doc {
    doc: PdfDocument,
    images: usize,
}

impl Doc {
    /// `date`: seconds since 1970 for the creation and modification dates.
    pub fn new(title: &str, date: i64) -> Doc {
        let mut doc = PdfDocument::new(title);
        doc.metadata.info.producer = "kaowu".into();
        doc.metadata.info.creator = "kaowu".into();
        let when = OffsetDateTime::from_unix_timestamp(date)
            .unwrap_or_else(|_| OffsetDateTime::from_unix_timestamp(0).expect("epoch"));
        doc.metadata.info.creation_date = when;
        doc.metadata.info.modification_date = when;
        doc.metadata.info.metadata_date = when;
        Doc { doc, images: 0 }
    }

    /// The font, once per document (subset on save).
    pub fn font(&mut self, font: &Font) -> FontId {
        let id = FontId("F1".into());
        self.doc
            .resources
            .fonts
            .map
            .insert(id.clone(), PdfFont::new(font.parsed.clone()));
        id
    }

    /// An image of its original JPEG bytes (/DCTDecode: no decode, no re-encode), with its
    /// width and height in pixels.
    pub fn jpeg(&mut self, jpeg: &[u8]) -> Option<(XObjectId, u32, u32)> {
        let (w, h, components) = jpeg_info(jpeg)?;
        let space = match components {
            1 => "DeviceGray",
            3 => "DeviceRGB",
            4 => "DeviceCMYK",
            _ => return None,
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
        let xobject = ExternalXObject {
            stream: ExternalStream {
                dict,
                content: jpeg.to_vec(),
                compress: false,
            },
            width: Some(Px(w as usize)),
            height: Some(Px(h as usize)),
            dpi: Some(300.0),
        };
        self.images += 1;
        let id = XObjectId(format!("Im{}", self.images));
        self.doc
            .resources
            .xobjects
            .map
            .insert(id.clone(), XObject::External(xobject));
        Some((id, w, h))
    }

    /// The PDF's bytes, fonts subset.
    pub fn finish(mut self, pages: Vec<PdfPage>) -> Vec<u8> {
        let opts = PdfSaveOptions {
            subset_fonts: true,
            ..Default::default()
        };
        let mut bytes = self.doc.with_pages(pages).save(&opts, &mut Vec::new());
        fix_trailer_id(&mut bytes);
        bytes
    }
}

/// Replaces the trailer's two random /ID strings by a hash of everything before the
/// trailer, keeping their length so that no offset moves.
fn fix_trailer_id(bytes: &mut [u8]) {
    const KEY: &[u8] = b"/ID[(";
    let Some(at) = bytes.windows(KEY.len()).rposition(|w| w == KEY) else {
        return;
    };
    let hash = blake3::hash(&bytes[..at]).to_hex();
    let hex = hash.as_bytes();
    let first = at + KEY.len();
    // (32 chars)(32 chars)
    let second = first + 32 + 2;
    if bytes.len() >= second + 32 && bytes[first + 32] == b')' && bytes[second - 1] == b'(' {
        bytes[first..first + 32].copy_from_slice(&hex[..32]);
        bytes[second..second + 32].copy_from_slice(&hex[..32]);
    }
}

/// The seconds since 1970 that documents are dated with: `SOURCE_DATE_EPOCH` when set (as
/// reproducible builds use it), else the given time (the session's creation).
pub fn document_date(fallback: i64) -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(fallback)
}

pub fn mm(v: f32) -> Pt {
    Mm(v).into_pt()
}

pub fn black() -> Color {
    Color::Rgb(Rgb {
        r: 0.0,
        g: 0.0,
        b: 0.0,
        icc_profile: None,
    })
}

/// Text at a point (lower left of its baseline), in its own text section.
pub fn text(ops: &mut Vec<Op>, font: &FontId, size: Pt, x: Pt, y: Pt, s: &str) {
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

/// Text centred on `x`.
pub fn centred(ops: &mut Vec<Op>, font: &Font, id: &FontId, size: Pt, x: Pt, y: Pt, s: &str) {
    let w = font.width(s, size).0;
    text(ops, id, size, Pt(x.0 - w / 2.0), y, s);
}

/// A rectangle's outline, or a filled one.
pub fn rect(ops: &mut Vec<Op>, x: Pt, y: Pt, width: Pt, height: Pt, fill: bool) {
    ops.push(Op::DrawRectangle {
        rectangle: Rect {
            x,
            y,
            width,
            height,
            mode: Some(if fill {
                PaintMode::Fill
            } else {
                PaintMode::Stroke
            }),
            winding_order: None,
        },
    });
}

/// Draws an image at (x, y), scaled to fit a frame of `fw` x `fh` points and centred in it.
pub fn image_in(
    ops: &mut Vec<Op>,
    id: XObjectId,
    (w, h): (u32, u32),
    x: Pt,
    y: Pt,
    fw: Pt,
    fh: Pt,
) {
    // At 300 dpi the image is w/300 inches wide.
    let natural_w = w as f32 / 300.0 * 72.0;
    let natural_h = h as f32 / 300.0 * 72.0;
    let scale = (fw.0 / natural_w).min(fh.0 / natural_h);
    let dx = (fw.0 - natural_w * scale) / 2.0;
    let dy = (fh.0 - natural_h * scale) / 2.0;
    ops.push(Op::UseXobject {
        id,
        transform: XObjectTransform {
            translate_x: Some(Pt(x.0 + dx)),
            translate_y: Some(Pt(y.0 + dy)),
            scale_x: Some(scale),
            scale_y: Some(scale),
            dpi: Some(300.0),
            ..Default::default()
        },
    });
}

/// Splits `s` into lines no wider than `width`, by the font's advances.
pub fn wrap(font: &Font, s: &str, size: Pt, width: Pt) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    let mut used = 0.0;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let w = font.width(c.encode_utf8(&mut buf), size).0;
        if used + w > width.0 && !line.is_empty() {
            out.push(std::mem::take(&mut line));
            used = 0.0;
        }
        line.push(c);
        used += w;
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrowed_font_draws_and_measures_its_characters_as_the_whole_font() {
        let font =
            Font::from_bytes(include_bytes!("../../templates/fonts/wqy-zenhei.ttc"), 0).unwrap();
        let text = "准考证号：530102********123X 孙㛃";
        let small = font.narrowed(text.chars()).unwrap();
        assert_eq!(small.missing(text), None);
        assert_eq!(small.missing("考场"), Some('场'));
        let size = Pt(10.0);
        assert!((small.width(text, size).0 - font.width(text, size).0).abs() < 0.01);
    }
}

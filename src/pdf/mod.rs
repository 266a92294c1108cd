//! Documents for candidates and staff: admit cards (准考证), sign-in sheets (考场签到表),
//! door stickers (门贴), a violation case's record, notice and decision (违纪违规记录单, 告知书,
//! 决定书), the sign sheets (the certificate hand-out sheet 证书发放签收表 and a site's staff
//! arrangement 监考安排表) and the staff badges (工作证). Pure renderers: they take the data,
//! the layout and the font, and return PDF bytes; they never touch the database.

pub mod badge;
pub mod card;
pub mod room;
pub mod sheet;
pub mod violation;

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

/// A length in PDF points (1/72 inch).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Pt(pub f32);

/// A font file as read: a TrueType or OpenType font, or a face of a collection. Documents
/// draw with a [`Font`] narrowed from it.
pub struct FontSource {
    bytes: Cow<'static, [u8]>,
    index: u32,
}

impl FontSource {
    /// Face `index` of the font or collection in `bytes`; an error when it cannot be read.
    pub fn new(bytes: Cow<'static, [u8]>, index: usize) -> Result<FontSource, String> {
        let index = u32::try_from(index).map_err(|_| "no such face".to_string())?;
        ttf_parser::Face::parse(&bytes, index)
            .map_err(|e| format!("not a TrueType or OpenType font (face {index}): {e}"))?;
        Ok(FontSource { bytes, index })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The font cut down to the glyphs of `chars` (those it has), for a run of documents.
    /// `fixed` are the characters nearly every document prints (the template's and the
    /// renderer's own): their glyphs are subset, compressed and described once, and every
    /// document embeds that part as it is; the rest (names, addresses) is subset per
    /// document. Subsetting a CJK font of 30,000 glyphs per PDF would cost more than the
    /// rest of a card; cutting it down first lets the whole font go.
    pub fn narrowed(
        &self,
        chars: impl IntoIterator<Item = char>,
        fixed: impl IntoIterator<Item = char>,
    ) -> Result<Font, String> {
        let face = ttf_parser::Face::parse(&self.bytes, self.index).map_err(|e| e.to_string())?;
        let mut chars: Vec<char> = chars.into_iter().collect();
        let fixed: Vec<char> = fixed.into_iter().collect();
        chars.extend(&fixed);
        chars.push(' ');
        chars.sort_unstable();
        chars.dedup();
        let mut remapper = GlyphRemapper::new();
        let mut glyphs = HashMap::new();
        for c in chars {
            if let Some(g) = face.glyph_index(c)
                && g.0 != 0
            {
                glyphs.insert(c, remapper.remap(g.0));
            }
        }
        let program = subsetter::subset(&self.bytes, self.index, &remapper)
            .map_err(|e| format!("cannot subset the font: {e}"))?;
        let advances = remapper
            .remapped_gids()
            .map(|g| face.glyph_hor_advance(ttf_parser::GlyphId(g)).unwrap_or(0))
            .collect();
        let upem = f32::from(face.units_per_em().max(1));
        let scale = |v: i16| f32::from(v) * 1000.0 / upem;
        let b = face.global_bounding_box();
        // The PostScript name, in Unicode or (older fonts) Mac Roman, which for such a
        // name is ASCII.
        let name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| {
                n.to_string().or_else(|| {
                    (n.platform_id == ttf_parser::PlatformId::Macintosh)
                        .then(|| String::from_utf8_lossy(n.name).into_owned())
                })
            })
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "KaowuFont".into())
            .chars()
            .filter(|c| c.is_ascii_graphic() && !"()<>[]{}/%#".contains(*c))
            .collect();
        let mut font = Font {
            program,
            glyphs,
            advances,
            upem,
            face: FaceInfo {
                name,
                cff: face.tables().cff.is_some(),
                ascent: scale(face.ascender()),
                descent: scale(face.descender()),
                cap_height: scale(face.capital_height().unwrap_or(face.ascender())),
                bbox: [
                    scale(b.x_min),
                    scale(b.y_min),
                    scale(b.x_max),
                    scale(b.y_max),
                ],
            },
            fixed: Embedded::default(),
            fixed_cid: Vec::new(),
        };
        // The shared part: its glyph ids are the CIDs the documents' text uses.
        let mut shared = GlyphRemapper::new();
        let mut cid_of = vec![0u16; font.advances.len()];
        let mut unicode = Vec::new();
        for c in fixed {
            if let Some(&g) = font.glyphs.get(&c)
                && cid_of[usize::from(g)] == 0
            {
                let cid = shared.remap(g);
                cid_of[usize::from(g)] = cid;
                unicode.push((cid, c));
            }
        }
        font.fixed = font.embed(&shared, &unicode, 9)?;
        font.fixed_cid = cid_of;
        Ok(font)
    }
}

/// What a font descriptor says of the face, in thousandths of an em.
struct FaceInfo {
    name: String,
    cff: bool,
    ascent: f32,
    descent: f32,
    cap_height: f32,
    bbox: [f32; 4],
}

/// A subset of a font ready to embed: its program and ToUnicode map deflated, its widths.
#[derive(Default)]
struct Embedded {
    base_font: String,
    program: Vec<u8>,
    to_unicode: Vec<u8>,
    widths: Vec<f32>,
}

/// A font narrowed to a run's characters (see [`FontSource::narrowed`]), shared by every
/// renderer thread.
pub struct Font {
    /// The narrowed font program; glyph ids below are its own.
    program: Vec<u8>,
    glyphs: HashMap<char, u16>,
    advances: Vec<u16>,
    upem: f32,
    face: FaceInfo,
    /// The fixed characters' part, embedded as it is in every document.
    fixed: Embedded,
    /// By glyph: its CID in the fixed part, 0 when it is not there.
    fixed_cid: Vec<u16>,
}

impl Font {
    /// The first character of `text` that the font cannot draw (a PDF would show an empty
    /// box or nothing for it).
    pub fn missing(&self, text: &str) -> Option<char> {
        text.chars()
            .find(|c| !c.is_whitespace() && !self.glyphs.contains_key(c))
    }

    /// The width of `text` at `size`, from the font's advances.
    pub fn width(&self, text: &str, size: Pt) -> Pt {
        let units: f32 = text
            .chars()
            .map(|c| match self.glyph(c) {
                Some(g) => f32::from(self.advances[usize::from(g)]),
                None => 0.0,
            })
            .sum();
        Pt(units / self.upem * size.0)
    }

    /// The glyph drawn for `c`: its own, a space for a blank the font lacks, else none.
    fn glyph(&self, c: char) -> Option<u16> {
        self.glyphs.get(&c).copied().or_else(|| {
            if c.is_whitespace() {
                self.glyphs.get(&' ').copied()
            } else {
                None
            }
        })
    }

    /// The subset of the glyphs `remapper` lists (in its order: glyph i is CID i), with
    /// `unicode` (CID, character) for text extraction, deflated at `level`.
    fn embed(
        &self,
        remapper: &GlyphRemapper,
        unicode: &[(u16, char)],
        level: u32,
    ) -> Result<Embedded, String> {
        let program = subsetter::subset(&self.program, 0, remapper)
            .map_err(|e| format!("cannot subset the font: {e}"))?;
        let program = without_tables(&program, &[*b"name", *b"post"]);
        let widths = remapper
            .remapped_gids()
            .map(|g| f32::from(self.advances[usize::from(g)]) * 1000.0 / self.upem)
            .collect();
        let mut cmap = UnicodeCmap::new(
            Name(b"Custom"),
            SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"UCS"),
                supplement: 0,
            },
        );
        for &(cid, c) in unicode {
            cmap.pair(cid, c);
        }
        // A subset's name is prefixed with six capitals of its own (ISO 32000, 9.6.4).
        let hash = blake3::hash(&program);
        let tag: String = hash.as_bytes()[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        Ok(Embedded {
            base_font: format!("{tag}+{}", self.face.name),
            program: deflate(&program, level),
            to_unicode: deflate(&cmap.finish(), level),
            widths,
        })
    }
}

/// The font program without the tables named: a PDF's embedded TrueType needs neither its
/// names nor its PostScript glyph names (the `name` and `post` tables, a tenth of a card's
/// font; Acrobat's own subsets leave them out too). Written by hand: subsetter keeps them
/// and a font-writing crate would be far more than this rewrite of the table directory.
/// A program that is not a plain sfnt is returned as it is.
fn without_tables(font: &[u8], drop: &[[u8; 4]]) -> Vec<u8> {
    let u16_at = |i: usize| font.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let u32_at = |i: usize| {
        font.get(i..i + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let Some(n) = u16_at(4) else {
        return font.to_vec();
    };
    let mut keep = Vec::new();
    for k in 0..usize::from(n) {
        let at = 12 + 16 * k;
        let (Some(tag), Some(sum), Some(off), Some(len)) = (
            font.get(at..at + 4),
            u32_at(at + 4),
            u32_at(at + 8),
            u32_at(at + 12),
        ) else {
            return font.to_vec();
        };
        let (off, len) = (off as usize, len as usize);
        if font.len() < off + len {
            return font.to_vec();
        }
        if !drop.iter().any(|d| d == tag) {
            keep.push((tag, sum, &font[off..off + len]));
        }
    }
    let n = keep.len() as u16;
    let pow = if n == 0 {
        0
    } else {
        15 - n.leading_zeros() as u16
    };
    let search = 16u16 << pow;
    let mut out = Vec::with_capacity(font.len());
    out.extend(&font[..4]);
    for v in [n, search, pow, n * 16 - search] {
        out.extend(v.to_be_bytes());
    }
    let mut offset = 12 + 16 * keep.len();
    for (tag, sum, data) in &keep {
        out.extend(*tag);
        out.extend(sum.to_be_bytes());
        out.extend((offset as u32).to_be_bytes());
        out.extend((data.len() as u32).to_be_bytes());
        offset += data.len().next_multiple_of(4);
    }
    for (_, _, data) in &keep {
        out.extend(*data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    out
}

/// Zlib (/FlateDecode) of `data`.
fn deflate(data: &[u8], level: u32) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(data.len() / 2 + 64),
        flate2::Compression::new(level),
    );
    z.write_all(data).expect("writing to memory");
    z.finish().expect("writing to memory")
}

/// Characters the renderers add to the template's and the data's own.
pub const RENDERER_TEXT: &str = "考区考点场次科目第页共人续：（）— /0123456789-:*、";

/// What a page draws, in points from its lower left corner. Text is turned into glyphs
/// when the document is finished, once it is known which glyphs the document needs.
pub enum Op {
    /// Text from a point on its baseline, that must stay inside `bound` (x0, y0, x1, y1; the
    /// page when none).
    Text {
        size: f32,
        x: f32,
        y: f32,
        s: String,
        bound: Option<[f32; 4]>,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: bool,
    },
    /// The document's image `id` (see [`Doc::jpeg`]) stretched over a box.
    Image {
        id: usize,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// A page: its size in millimetres and what it draws.
pub struct Page {
    width: Pt,
    height: Pt,
    ops: Vec<Op>,
}

impl Page {
    pub fn new(width_mm: f32, height_mm: f32, ops: Vec<Op>) -> Page {
        Page {
            width: mm(width_mm),
            height: mm(height_mm),
            ops,
        }
    }
}

/// A JPEG of a document, by its index (named Im1, Im2, ... in the PDF).
#[derive(Debug, Clone, Copy)]
pub struct ImageId(usize);

/// A PDF being built. Written by hand on pdf-writer (no crate lays out CJK documents with
/// fixed positions as cheaply): one font in two parts, the run's shared part (F1) and the
/// document's own glyphs (F2), both CID-keyed (Identity-H) with ToUnicode maps so that the
/// text can be searched and extracted; images are the original JPEG bytes. Every object
/// number, name and date is fixed, so the same data gives the same bytes on every run and
/// machine; the file /ID is a hash of the document.
pub struct Doc<'a> {
    font: &'a Font,
    title: String,
    date: i64,
    images: Vec<(&'a [u8], u32, u32, u8)>,
}

impl<'a> Doc<'a> {
    /// `date`: seconds since 1970 for the creation and modification dates.
    pub fn new(font: &'a Font, title: &str, date: i64) -> Doc<'a> {
        Doc {
            font,
            title: title.to_string(),
            date,
            images: Vec::new(),
        }
    }

    /// An image of its original JPEG bytes (/DCTDecode: no decode, no re-encode), with its
    /// width and height in pixels.
    pub fn jpeg(&mut self, jpeg: &'a [u8]) -> Option<(ImageId, u32, u32)> {
        let (w, h, components) = jpeg_info(jpeg)?;
        if ![1, 3, 4].contains(&components) {
            return None;
        }
        self.images.push((jpeg, w, h, components));
        Some((ImageId(self.images.len() - 1), w, h))
    }

    /// The PDF's bytes; an error when a text runs out of its box or over another text or
    /// an image (see [`layout_problems`]): nothing is ever drawn over.
    pub fn finish(self, pages: Vec<Page>) -> Result<Vec<u8>, String> {
        let font = self.font;
        check_pages(font, &pages)?;
        let mut next = 0;
        let mut alloc = || {
            next += 1;
            Ref::new(next)
        };
        let (catalog, tree, info) = (alloc(), alloc(), alloc());
        let fixed_refs: [Ref; 5] = std::array::from_fn(|_| alloc());
        let own_refs: [Ref; 5] = std::array::from_fn(|_| alloc());
        let image_refs: Vec<Ref> = self.images.iter().map(|_| alloc()).collect();
        let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();

        // The pages' content first: which glyphs the document's own part needs is known
        // once all its text is encoded.
        let mut own = OwnGlyphs {
            remapper: GlyphRemapper::new(),
            unicode: Vec::new(),
        };
        let contents: Vec<_> = pages
            .iter()
            .map(|page| page_content(font, page, &mut own))
            .collect();
        let uses_own = !own.unicode.is_empty();

        let mut pdf = Pdf::new();
        let mut id = blake3::Hasher::new();
        for ((page, (stream, used_images)), &(page_ref, content_ref)) in
            pages.iter().zip(&contents).zip(&page_refs)
        {
            id.update(stream);
            pdf.stream(content_ref, stream).filter(Filter::FlateDecode);
            let fonts = (fixed_refs[0], uses_own.then_some(own_refs[0]));
            write_page(
                &mut pdf,
                (page_ref, content_ref, tree),
                page,
                fonts,
                used_images,
                &image_refs,
            );
        }
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_refs.iter().map(|p| p.0))
            .count(pages.len() as i32);
        write_font(&mut pdf, &mut id, &font.face, &font.fixed, fixed_refs);
        if uses_own {
            let own_part = font.embed(&own.remapper, &own.unicode, 6)?;
            write_font(&mut pdf, &mut id, &font.face, &own_part, own_refs);
        }
        write_images(&mut pdf, &mut id, &self.images, &image_refs);
        let date = pdf_date(self.date);
        id.update(self.title.as_bytes());
        id.update(&self.date.to_le_bytes());
        pdf.document_info(info)
            .title(TextStr(&self.title))
            .producer(TextStr("kaowu"))
            .creator(TextStr("kaowu"))
            .creation_date(date)
            .modified_date(date);
        let hash = id.finalize();
        let file_id = hash.as_bytes()[..16].to_vec();
        pdf.set_file_id((file_id.clone(), file_id));
        Ok(pdf.finish())
    }
}

/// Refuses pages where something is drawn over (see [`layout_problems`]), naming the first
/// three problems of the first such page.
fn check_pages(font: &Font, pages: &[Page]) -> Result<(), String> {
    for (i, page) in pages.iter().enumerate() {
        let problems = layout_problems(font, page);
        if !problems.is_empty() {
            let more = if problems.len() > 3 {
                format!(" (and {} more)", problems.len() - 3)
            } else {
                String::new()
            };
            return Err(format!(
                "{} on page {}{more}",
                problems[..problems.len().min(3)].join("; "),
                i + 1
            ));
        }
    }
    Ok(())
}

/// The glyphs of a document's own part (F2), numbered as they are first used, and the
/// character each stands for (its ToUnicode map).
struct OwnGlyphs {
    remapper: GlyphRemapper,
    unicode: Vec<(u16, char)>,
}

/// A page's content stream, deflated, and the images it uses in their first use's order.
fn page_content(font: &Font, page: &Page, own: &mut OwnGlyphs) -> (Vec<u8>, Vec<usize>) {
    let mut content = Content::new();
    let mut used_images = Vec::new();
    let mut filling = false;
    for op in &page.ops {
        if filling && !matches!(op, Op::Rect { fill: true, .. }) {
            content.fill_nonzero();
            filling = false;
        }
        match op {
            Op::Text { size, x, y, s, .. } => {
                content.begin_text();
                content.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *y]);
                for (is_own, bytes) in &glyph_runs(font, s, own) {
                    content.set_font(Name(if *is_own { b"F2" } else { b"F1" }), *size);
                    content.show(Str(bytes));
                }
                content.end_text();
            }
            Op::Rect { x, y, w, h, fill } => {
                content.rect(*x, *y, *w, *h);
                if *fill {
                    // Consecutive filled rectangles (a QR code's modules) are one path.
                    filling = true;
                } else {
                    content.stroke();
                }
            }
            Op::Image { id: i, x, y, w, h } => {
                content.save_state();
                content.transform([*w, 0.0, 0.0, *h, *x, *y]);
                content.x_object(Name(format!("Im{}", i + 1).as_bytes()));
                content.restore_state();
                if !used_images.contains(i) {
                    used_images.push(*i);
                }
            }
        }
    }
    if filling {
        content.fill_nonzero();
    }
    (deflate(&content.finish(), 6), used_images)
}

/// The text `s` as runs of glyphs of one part: (the document's own part, CIDs
/// big-endian). A glyph the shared part lacks joins the own part on first use.
fn glyph_runs(font: &Font, s: &str, own: &mut OwnGlyphs) -> Vec<(bool, Vec<u8>)> {
    let mut runs: Vec<(bool, Vec<u8>)> = Vec::new();
    for c in s.chars() {
        let Some(g) = font.glyph(c) else { continue };
        let shared = font.fixed_cid[usize::from(g)];
        let (is_own, cid) = if shared != 0 {
            (false, shared)
        } else {
            let cid = own.remapper.get(g).unwrap_or_else(|| {
                let cid = own.remapper.remap(g);
                own.unicode.push((cid, c));
                cid
            });
            (true, cid)
        };
        match runs.last_mut() {
            Some((o, bytes)) if *o == is_own => bytes.extend(cid.to_be_bytes()),
            _ => runs.push((is_own, cid.to_be_bytes().to_vec())),
        }
    }
    runs
}

/// A page object: its size, its content, and its resources: the shared font part (F1),
/// the own part (F2) when the document has one, and the images the page uses.
fn write_page(
    pdf: &mut Pdf,
    (page_ref, content_ref, tree): (Ref, Ref, Ref),
    page: &Page,
    (fixed_font, own_font): (Ref, Option<Ref>),
    used_images: &[usize],
    image_refs: &[Ref],
) {
    let mut p = pdf.page(page_ref);
    p.parent(tree)
        .media_box(Rect::new(0.0, 0.0, page.width.0, page.height.0))
        .contents(content_ref);
    let mut resources = p.resources();
    let mut fonts = resources.fonts();
    fonts.pair(Name(b"F1"), fixed_font);
    if let Some(own) = own_font {
        fonts.pair(Name(b"F2"), own);
    }
    fonts.finish();
    if !used_images.is_empty() {
        let mut x = resources.x_objects();
        for &i in used_images {
            x.pair(Name(format!("Im{}", i + 1).as_bytes()), image_refs[i]);
        }
    }
    resources.finish();
    p.finish();
}

/// The images as XObjects of their original JPEG bytes, each hashed into the file /ID.
fn write_images(
    pdf: &mut Pdf,
    id: &mut blake3::Hasher,
    images: &[(&[u8], u32, u32, u8)],
    image_refs: &[Ref],
) {
    for (&(jpeg, w, h, components), &r) in images.iter().zip(image_refs) {
        id.update(jpeg);
        let mut image = pdf.image_xobject(r, jpeg);
        image.filter(Filter::DctDecode);
        image.width(w as i32).height(h as i32).bits_per_component(8);
        let space = image.color_space();
        match components {
            1 => space.device_gray(),
            4 => space.device_cmyk(),
            _ => space.device_rgb(),
        }
    }
}

/// A Type0 font (Identity-H) over a CID font of `part`: refs are the Type0 font, the CID
/// font, its descriptor, the font program and the ToUnicode map.
fn write_font(
    pdf: &mut Pdf,
    id: &mut blake3::Hasher,
    face: &FaceInfo,
    part: &Embedded,
    [type0, cid, descriptor, program, to_unicode]: [Ref; 5],
) {
    let name = Name(part.base_font.as_bytes());
    pdf.type0_font(type0)
        .base_font(name)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(to_unicode);
    let mut c = pdf.cid_font(cid);
    c.subtype(if face.cff {
        CidFontType::Type0
    } else {
        CidFontType::Type2
    })
    .base_font(name)
    .system_info(SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    })
    .font_descriptor(descriptor)
    .default_width(0.0);
    if !face.cff {
        c.cid_to_gid_map_predefined(Name(b"Identity"));
    }
    c.widths().consecutive(0, part.widths.iter().copied());
    c.finish();
    let [x0, y0, x1, y1] = face.bbox;
    let mut d = pdf.font_descriptor(descriptor);
    d.name(name)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(x0, y0, x1, y1))
        .italic_angle(0.0)
        .ascent(face.ascent)
        .descent(face.descent)
        .cap_height(face.cap_height)
        .stem_v(80.0);
    if face.cff {
        d.font_file3(program);
    } else {
        d.font_file2(program);
    }
    d.finish();
    id.update(&part.program);
    let mut s = pdf.stream(program, &part.program);
    s.filter(Filter::FlateDecode);
    if face.cff {
        s.pair(Name(b"Subtype"), Name(b"OpenType"));
    }
    s.finish();
    pdf.stream(to_unicode, &part.to_unicode)
        .filter(Filter::FlateDecode);
}

/// A PDF date (UTC) of seconds since 1970.
fn pdf_date(secs: i64) -> pdf_writer::Date {
    use chrono::{Datelike, Timelike};
    let t = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    pdf_writer::Date::new(t.year().clamp(0, 9999) as u16)
        .month(t.month() as u8)
        .day(t.day() as u8)
        .hour(t.hour() as u8)
        .minute(t.minute() as u8)
        .second(t.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
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
    Pt(v * 72.0 / 25.4)
}

/// Text at a point (lower left of its baseline), anywhere on the page.
pub fn text(ops: &mut Vec<Op>, size: Pt, x: Pt, y: Pt, s: &str) {
    ops.push(Op::Text {
        size: size.0,
        x: x.0,
        y: y.0,
        s: s.to_string(),
        bound: None,
    });
}

/// Text at a point that must stay inside `bound` (x0, y0, x1, y1 in points).
pub fn text_in(ops: &mut Vec<Op>, size: Pt, x: Pt, y: Pt, s: &str, bound: [f32; 4]) {
    ops.push(Op::Text {
        size: size.0,
        x: x.0,
        y: y.0,
        s: s.to_string(),
        bound: Some(bound),
    });
}

/// A text fitted into a width: its size and its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub size: Pt,
    pub lines: Vec<String>,
}

/// The distance from one baseline to the next, as a share of the size: more than the
/// font's ascent plus descent (1.26 em for WenQuanYi), so that wrapped lines never touch.
pub const LINE: f32 = 1.3;

/// Fits `s` into `width`: one line at `size`, shrunk as far as `min` if need be; else, when
/// `max_lines` allows, wrapped into two lines (then three, ...), again shrunk as far as
/// `min`. None when it fits no way: the caller fails the document rather than draw out of
/// the box.
pub fn fit(font: &Font, s: &str, size: Pt, min: Pt, width: Pt, max_lines: usize) -> Option<Fitted> {
    // Sizes from `size` down to `min` in quarter points, `min` last.
    let mut sizes = Vec::new();
    let mut z = size.0;
    while z > min.0 {
        sizes.push(z);
        z -= 0.25;
    }
    sizes.push(min.0.min(size.0));
    for n in 1..=max_lines.max(1) {
        for &z in &sizes {
            let lines = if n == 1 {
                vec![s.to_string()]
            } else {
                wrap(font, s, Pt(z), width)
            };
            if lines.len() <= n && lines.iter().all(|l| font.width(l, Pt(z)).0 <= width.0) {
                return Some(Fitted { size: Pt(z), lines });
            }
        }
    }
    None
}

/// The box a text's glyphs take: its advance across, the font's ascent and descent up and
/// down from the baseline.
fn ink(font: &Font, size: f32, x: f32, y: f32, s: &str) -> [f32; 4] {
    let w = font.width(s, Pt(size)).0;
    [
        x,
        y + font.face.descent / 1000.0 * size,
        x + w,
        y + font.face.ascent / 1000.0 * size,
    ]
}

/// What a page draws over or out of place: a text out of its box or the page, a text over
/// another text, an image or a filled shape (a QR code, a signature line). Each text is
/// measured by the font's advances and its ascent and descent; touching is allowed.
pub fn layout_problems(font: &Font, page: &Page) -> Vec<String> {
    const SLACK: f32 = 0.05;
    let over = |a: &[f32; 4], b: &[f32; 4]| {
        a[0] < b[2] - SLACK && b[0] < a[2] - SLACK && a[1] < b[3] - SLACK && b[1] < a[3] - SLACK
    };
    let inside = |a: &[f32; 4], b: &[f32; 4]| {
        a[0] >= b[0] - SLACK && a[1] >= b[1] - SLACK && a[2] <= b[2] + SLACK && a[3] <= b[3] + SLACK
    };
    let whole = [0.0, 0.0, page.width.0, page.height.0];
    let mut problems = Vec::new();
    // (box, text or None for a shape)
    let mut things: Vec<([f32; 4], Option<&str>)> = Vec::new();
    for op in &page.ops {
        match op {
            Op::Text {
                size,
                x,
                y,
                s,
                bound,
            } => {
                if s.trim().is_empty() {
                    continue;
                }
                let b = ink(font, *size, *x, *y, s);
                if !inside(&b, &whole) {
                    problems.push(format!("\"{s}\" runs off the page"));
                } else if let Some(bound) = bound
                    && !inside(&b, bound)
                {
                    problems.push(format!(
                        "\"{s}\" at {size:.1} pt is {:.1} mm wide and runs out of its box ({:.1} mm)",
                        (b[2] - b[0]) * 25.4 / 72.0,
                        (bound[2] - bound[0]) * 25.4 / 72.0
                    ));
                }
                things.push((b, Some(s)));
            }
            Op::Image { x, y, w, h, .. } => things.push(([*x, *y, x + w, y + h], None)),
            Op::Rect {
                x,
                y,
                w,
                h,
                fill: true,
            } => things.push(([*x, *y, x + w, y + h], None)),
            Op::Rect { .. } => {}
        }
    }
    // A sweep from left to right: each thing against those still open.
    things.sort_by(|a, b| a.0[0].total_cmp(&b.0[0]));
    let mut open: Vec<usize> = Vec::new();
    for i in 0..things.len() {
        let (b, t) = things[i];
        open.retain(|&j| things[j].0[2] > b[0] + SLACK);
        for &j in &open {
            let (c, u) = things[j];
            if (t.is_some() || u.is_some()) && over(&b, &c) {
                problems.push(match (t, u) {
                    (Some(t), Some(u)) => format!("\"{t}\" is drawn over \"{u}\""),
                    (Some(t), None) | (None, Some(t)) => {
                        format!("\"{t}\" is drawn over an image or a shape")
                    }
                    (None, None) => unreachable!(),
                });
            }
        }
        open.push(i);
    }
    problems
}

/// Text centred on `x`.
pub fn centred(ops: &mut Vec<Op>, font: &Font, size: Pt, x: Pt, y: Pt, s: &str) {
    let w = font.width(s, size).0;
    text(ops, size, Pt(x.0 - w / 2.0), y, s);
}

/// A rectangle's outline, or a filled one.
pub fn rect(ops: &mut Vec<Op>, x: Pt, y: Pt, width: Pt, height: Pt, fill: bool) {
    ops.push(Op::Rect {
        x: x.0,
        y: y.0,
        w: width.0,
        h: height.0,
        fill,
    });
}

/// Draws an image at (x, y), scaled to fit a frame of `fw` x `fh` points and centred in it.
pub fn image_in(ops: &mut Vec<Op>, id: ImageId, (w, h): (u32, u32), x: Pt, y: Pt, fw: Pt, fh: Pt) {
    let (w, h) = (w.max(1) as f32, h.max(1) as f32);
    let scale = (fw.0 / w).min(fh.0 / h);
    let (dw, dh) = (w * scale, h * scale);
    ops.push(Op::Image {
        id: id.0,
        x: x.0 + (fw.0 - dw) / 2.0,
        y: y.0 + (fh.0 - dh) / 2.0,
        w: dw,
        h: dh,
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

/// What the renderers' tests share: the built-in font and a PDF's text read back.
#[cfg(test)]
pub(crate) mod testing {
    use super::FontSource;

    pub fn wqy() -> FontSource {
        FontSource::new(
            include_bytes!("../../templates/fonts/wqy-zenhei.ttc")
                .as_slice()
                .into(),
            0,
        )
        .unwrap()
    }

    /// The text of each page as a PDF reader extracts it, its pieces joined by `|`.
    pub fn page_texts(pdf: &[u8]) -> Vec<String> {
        let doc = printpdf::PdfDocument::parse(
            pdf,
            &printpdf::PdfParseOptions::default(),
            &mut Vec::new(),
        )
        .unwrap();
        doc.extract_text()
            .into_iter()
            .map(|p| p.join("|"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{page_texts, wqy};
    use super::*;

    #[test]
    fn a_narrowed_font_draws_and_measures_its_characters_as_the_whole_font() {
        let text = "准考证号：530102********123X 孙㛃";
        let small = wqy().narrowed(text.chars(), "准考证号：".chars()).unwrap();
        assert_eq!(small.missing(text), None);
        assert_eq!(small.missing("考场"), Some('场'));
        // 10 pt: a CJK character is 10 pt wide, a digit half that in this font.
        assert!((small.width("准考", Pt(10.0)).0 - 20.0).abs() < 0.5);
        assert!((small.width("12", Pt(10.0)).0 - 10.0).abs() < 2.0);
    }

    #[test]
    fn a_subset_keeps_every_table_a_pdf_needs_but_names() {
        let font = wqy().narrowed("孙㛃".chars(), "准考".chars()).unwrap();
        let program =
            subsetter::subset(&font.program, 0, &GlyphRemapper::new_from_glyphs(&[1, 2])).unwrap();
        let small = without_tables(&program, &[*b"name", *b"post"]);
        let face = ttf_parser::Face::parse(&small, 0).unwrap();
        assert_eq!(face.number_of_glyphs(), 3);
        let tables = face.raw_face();
        for tag in [b"glyf", b"loca", b"head", b"hhea", b"hmtx", b"maxp"] {
            assert_eq!(
                tables.table(ttf_parser::Tag::from_bytes(tag)),
                ttf_parser::Face::parse(&program, 0)
                    .unwrap()
                    .raw_face()
                    .table(ttf_parser::Tag::from_bytes(tag)),
                "{}",
                String::from_utf8_lossy(tag)
            );
        }
        for tag in [b"name", b"post"] {
            assert!(tables.table(ttf_parser::Tag::from_bytes(tag)).is_none());
        }
        assert!(small.len() < program.len());
    }

    #[test]
    fn text_of_both_parts_of_the_font_reads_back() {
        let font = wqy()
            .narrowed("准考证号：孙㛃 A1".chars(), "准考证号：".chars())
            .unwrap();
        let mut ops = Vec::new();
        text(&mut ops, Pt(12.0), mm(20.0), mm(200.0), "准考证号：孙㛃 A1");
        let pdf = Doc::new(&font, "t", 0)
            .finish(vec![Page::new(210.0, 297.0, ops)])
            .unwrap();
        let text = page_texts(&pdf).concat();
        assert!(text.contains("准考证号：孙㛃 A1"), "{text}");
    }
}

// ---------------------------------------------------------------------------------------
// template texts, shared by the template-driven documents

/// A template text filled in.
pub(crate) struct Filled {
    pub text: String,
    /// Placeholders the code does not know (left as they are).
    pub unknown: Vec<String>,
    /// How many placeholders the text has, and how many of them came out empty.
    pub placeholders: usize,
    pub empty: usize,
}

/// Sizes from `from` down to `to` in quarter points, `to` last: the sizes a text tries,
/// largest first, to fit its box.
pub(crate) fn sizes(from: f32, to: f32) -> Vec<f32> {
    let mut out = Vec::new();
    let mut z = from;
    while z > to {
        out.push(z);
        z -= 0.25;
    }
    out.push(to.min(from));
    out
}

/// `t` with its placeholders ({name}) replaced in one pass, so that a value is never read
/// as a template.
pub(crate) fn fill(t: &str, values: &[(&str, String)]) -> Filled {
    let mut f = Filled {
        text: String::with_capacity(t.len()),
        unknown: Vec::new(),
        placeholders: 0,
        empty: 0,
    };
    let mut rest = t;
    while let Some(i) = rest.find('{') {
        f.text.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let name = after
            .find('}')
            .map(|j| &after[..j])
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        let Some(n) = name else {
            f.text.push('{');
            rest = after;
            continue;
        };
        f.placeholders += 1;
        if let Some((_, v)) = values.iter().find(|(k, _)| *k == n) {
            f.text.push_str(v);
            if v.trim().is_empty() {
                f.empty += 1;
            }
        } else {
            f.unknown.push(n.to_string());
            f.text.push_str(&rest[i..i + n.len() + 2]);
        }
        rest = &after[n.len() + 1..];
    }
    f.text.push_str(rest);
    f
}

/// Refuses a text with a character the font lacks (it would print as a blank).
pub(crate) fn check_glyphs(font: &Font, ops: &[Op]) -> Result<(), String> {
    for op in ops {
        if let Op::Text { s, .. } = op
            && let Some(ch) = font.missing(s)
        {
            return Err(format!(
                "the font has no glyph for '{ch}' (U+{:04X}) in \"{s}\"",
                u32::from(ch)
            ));
        }
    }
    Ok(())
}

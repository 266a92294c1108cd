//! The staff work badge (工作证) of invigilators, chief examiners and the other staff of a
//! sitting: cut-out cards, several to an A4 page, each in a cut frame with the exam's title,
//! the heading, the photo (or an empty box to paste one in), labelled fields beside it (姓名,
//! 编号, 角色, 单位, 考点), the duties (工作安排) and the issuer at the foot. A pure renderer
//! laid out by `templates/staff_badge.json`: every label and line is a template text with
//! placeholders, so that an office rewords them there. Every badge has the same layout; a
//! long value shrinks, then wraps, and one that still does not fit is an error naming the
//! badge and the field rather than text over its neighbour.

use serde::{Deserialize, Serialize};

use super::{
    Doc, Fitted, Font, LINE, Op, Page, Pt, check_glyphs, fill, image_in, mm, rect, sizes, text_in,
};

/// The built-in layout, for the caller's `load_template`.
pub const TEMPLATE: &str = include_str!("../../templates/staff_badge.json");

/// Never at the start of a line (closing punctuation, the dot of a name), never at its end
/// (opening punctuation).
const NO_START: &str = "，。、；：？！）》」』】〕”’…—%,.;:?!)·・•";
const NO_END: &str = "（《「『【〔“‘(";

/// Between two columns of duties (mm).
const COLUMN_GAP_MM: f32 = 1.5;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Layout {
    pub font: String,
    #[serde(default)]
    pub font_index: usize,
    pub page_mm: [f32; 2],
    /// One badge's width and height: its cut frame.
    pub card_mm: [f32; 2],
    /// Badges a page: `columns` across, `rows` down.
    pub columns: usize,
    pub rows: usize,
    /// Between two badges across and down; 0 when neighbours share a cut line.
    pub gap_mm: [f32; 2],
    /// From the cut frame to anything inside it; also between the photo and the fields.
    pub padding_mm: f32,
    /// Below the heading, above the duties and above the footer.
    pub spacing_mm: f32,
    pub title: Line,
    pub heading: Line,
    pub photo: Photo,
    /// The fields' labels and values; a value shrinks as far as `min_size_pt`.
    pub size_pt: f32,
    pub min_size_pt: f32,
    /// Beside the photo, top down.
    pub fields: Vec<Field>,
    pub duties: Duties,
    pub footer: Line,
}

/// A line across the badge.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Line {
    pub text: String,
    pub size_pt: f32,
    pub min_size_pt: f32,
    /// left, center or right.
    pub align: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Photo {
    pub width_mm: f32,
    pub height_mm: f32,
    /// In the empty box of a badge without a photo.
    pub label: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Field {
    pub label: String,
    pub text: String,
    /// The most lines the text wraps into.
    pub lines: usize,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Duties {
    pub label: String,
    /// The duties a badge holds: `columns` of `rows` each, right of the label.
    pub columns: usize,
    pub rows: usize,
    pub size_pt: f32,
    pub min_size_pt: f32,
}

/// One person's badge, every value prepared by the caller as printed.
#[derive(Debug, Clone, Default)]
pub struct Badge {
    pub title: String,       // "2026年下半年计算机技术与软件专业技术资格（水平）考试"
    pub name: String,        // up to 15 characters, with · in 少数民族 names, or rare ones
    pub staff_no: String,    // "0001"
    pub role: String,        // "监考" | "主考、监考"
    pub employer: String,    // up to ~40 characters: "云南省昆明市第一中学"
    pub site: String,        // "昆明 530101 云南大学呈贡校区", several joined with "；"
    pub duties: Vec<String>, // a line each: "11月8日上午 第001考场 监考"; at most columns x rows
    pub issuer: String,      // "云南省人事考试院"
    pub photo: Option<Vec<u8>>, // a JPEG (baseline or progressive); None: an empty box
}

impl Badge {
    /// The badge as an error names it.
    fn who(&self) -> String {
        format!("badge {} ({})", self.staff_no, self.name)
    }
}

/// The badges, `columns` x `rows` to a page in the template's grid (left to right, then top
/// down), each in its cut frame. An error names a template placeholder the code does not
/// know, a template whose texts do not fit its badge, or the badge (编号 and 姓名) and the
/// field of a value with a character the font lacks or too long for its box even at the
/// least size; nothing is drawn out of its box or over other text (`Doc::finish` refuses
/// it). No badges is an error: a document of nothing to cut out is a mistake upstream.
pub fn render(
    font: &Font,
    layout: &Layout,
    badges: &[Badge],
    date: i64,
) -> Result<Vec<u8>, String> {
    let heading = badges
        .first()
        .map(|b| fill(&layout.heading.text, &values(b)).text)
        .unwrap_or_default();
    let title: String = heading.chars().filter(|c| !c.is_whitespace()).collect();
    let mut doc = Doc::new(font, &title, date);
    let pages = pages(&mut doc, font, layout, badges)?;
    doc.finish(pages)
}

/// Every character the badges may draw: the template's texts filled in, the badges' values
/// and duties, for narrowing the font ([`super::FontSource::narrowed`]).
pub fn texts(layout: &Layout, badges: &[Badge]) -> String {
    // A filled text is the template's own characters and the values': the template's
    // texts filled with nothing, then each badge's values, hold every one of them.
    let blank = values(&Badge::default());
    let mut out = String::new();
    for t in template_texts(layout) {
        out.push_str(&fill(t, &blank).text);
    }
    for b in badges {
        for (_, v) in values(b) {
            out.push_str(&v);
        }
        for d in &b.duties {
            out.push_str(d);
        }
    }
    out.push_str(super::RENDERER_TEXT);
    out
}

/// The pages, not yet written out (so that tests can look at their layout); the photos are
/// added to `doc`.
fn pages<'a>(
    doc: &mut Doc<'a>,
    font: &Font,
    layout: &Layout,
    badges: &'a [Badge],
) -> Result<Vec<Page>, String> {
    if badges.is_empty() {
        return Err("there are no badges to print".into());
    }
    check_placeholders(layout)?;
    let c = Ctx {
        font,
        layout,
        g: Geom::new(font, layout)?,
    };
    let mut pages = Vec::new();
    for chunk in badges.chunks(layout.columns * layout.rows) {
        let mut ops = Vec::new();
        for (i, b) in chunk.iter().enumerate() {
            let at = c.g.origin(layout, i);
            c.badge(&mut ops, doc, b, at)
                .map_err(|e| format!("{}, {e}", b.who()))?;
        }
        check_glyphs(font, &ops)?;
        pages.push(Page::new(layout.page_mm[0], layout.page_mm[1], ops));
    }
    Ok(pages)
}

/// The placeholders' values for `b`.
fn values(b: &Badge) -> Vec<(&'static str, String)> {
    vec![
        ("title", b.title.clone()),
        ("name", b.name.clone()),
        ("staff_no", b.staff_no.clone()),
        ("role", b.role.clone()),
        ("employer", b.employer.clone()),
        ("site", b.site.clone()),
        ("issuer", b.issuer.clone()),
    ]
}

/// Every text of the template.
fn template_texts(layout: &Layout) -> Vec<&str> {
    let mut out = vec![
        layout.title.text.as_str(),
        &layout.heading.text,
        &layout.photo.label,
        &layout.duties.label,
        &layout.footer.text,
    ];
    for f in &layout.fields {
        out.extend([f.label.as_str(), &f.text]);
    }
    out
}

/// Refuses a template naming a placeholder the code does not fill (a typo would else be
/// printed on every badge).
fn check_placeholders(layout: &Layout) -> Result<(), String> {
    let known = values(&Badge::default());
    for t in template_texts(layout) {
        if let Some(n) = fill(t, &known).unknown.first() {
            return Err(format!(
                "the template names {{{n}}} in \"{t}\", which is not a field of a badge"
            ));
        }
    }
    Ok(())
}

/// What an error calls a field: its label without blanks and colon ("单位").
fn field_name(label: &str) -> String {
    label
        .chars()
        .filter(|c| !c.is_whitespace() && !"：:".contains(*c))
        .collect()
}

/// Millimetres of a length in points.
fn in_mm(v: f32) -> f32 {
    v * 25.4 / 72.0
}

/// Whether a line may end between `a` and `b`: not within a word of letters and digits (a
/// site's code, a room number), nor before closing punctuation or after opening.
fn may_break(a: char, b: char) -> bool {
    let word = a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric();
    !(word || NO_START.contains(b) || NO_END.contains(a))
}

/// How well a break between `a` and `b` reads: 2 after the end of a clause (the "；" between
/// two sites), 1 after a blank or before an opening bracket, else 0.
fn natural_break(a: char, b: char) -> u8 {
    if "；，、。".contains(a) {
        2
    } else {
        u8::from(a.is_whitespace() || NO_END.contains(b))
    }
}

/// Splits `s` into lines no wider than `width` at `size`: each as full as it can be, ended
/// where a line may end ([`may_break`]), else where the width runs out; blanks at a break
/// are dropped. `natural`: a line gives up as much as a third of itself to the next to end
/// at a break that reads well ([`natural_break`], the best there), so that a site's name
/// stays whole.
fn wrap_lines(font: &Font, s: &str, size: f32, width: f32, natural: bool) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut buf = [0u8; 4];
    let mut w = |c: char| font.width(c.encode_utf8(&mut buf), Pt(size)).0;
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let mut end = start;
        let mut used = 0.0;
        while end < chars.len() {
            let cw = w(chars[end]);
            if used + cw > width && end > start {
                break;
            }
            used += cw;
            end += 1;
        }
        if end < chars.len() {
            let least = start + (end - start) * 2 / 3;
            let good = [2, 1].into_iter().find_map(|rank| {
                (least.max(start + 1)..=end)
                    .rev()
                    .find(|&i| natural && natural_break(chars[i - 1], chars[i]) >= rank)
            });
            let allowed = || {
                (start + 1..=end)
                    .rev()
                    .find(|&i| may_break(chars[i - 1], chars[i]))
            };
            if let Some(b) = good.or_else(allowed) {
                end = b;
            }
        }
        out.push(
            chars[start..end]
                .iter()
                .collect::<String>()
                .trim_end()
                .into(),
        );
        start = end;
        while start < chars.len() && chars[start].is_whitespace() {
            start += 1;
        }
    }
    out
}

/// `s` fitted into `width`: on one line, shrunk a little (all the way for a text of one
/// line); else wrapped into at most `max_lines` lines, shrunk as far as `min`, at the
/// largest size it fits. None when it fits no way.
fn fit_text(
    font: &Font,
    s: &str,
    (size, min): (f32, f32),
    width: f32,
    max_lines: usize,
) -> Option<Fitted> {
    let min = min.min(size);
    let one_min = if max_lines > 1 {
        min.max(size * 0.85)
    } else {
        min
    };
    let one = sizes(size, one_min)
        .into_iter()
        .find(|&z| font.width(s, Pt(z)).0 <= width);
    if let Some(z) = one {
        return Some(Fitted {
            size: Pt(z),
            lines: vec![s.to_string()],
        });
    }
    if max_lines < 2 {
        return None;
    }
    // At each size the lines that read well if they fit, else any that fit.
    sizes(size, min).into_iter().find_map(|z| {
        [true, false].into_iter().find_map(|natural| {
            let lines = wrap_lines(font, s, z, width, natural);
            (lines.len() <= max_lines && lines.iter().all(|l| font.width(l, Pt(z)).0 <= width))
                .then_some(Fitted { size: Pt(z), lines })
        })
    })
}

/// Where things go on a badge, in points from its lower left corner.
struct Geom {
    card_w: f32,
    card_h: f32,
    /// The first badge's lower left corner on the page, and from one badge to the next.
    first: (f32, f32),
    pitch: (f32, f32),
    /// Inside the padding, left and right.
    x0: f32,
    x1: f32,
    /// The tops of the title's, the heading's and the footer's slots and of the duties'
    /// first row.
    title_top: f32,
    heading_top: f32,
    footer_top: f32,
    duties_top: f32,
    /// The top of the photo and the fields (the room between the heading and the duties,
    /// less what they take, is shared out above and below them).
    block_top: f32,
    /// The fields' labels, their values, and the duties' first column.
    label_x: f32,
    value_x: f32,
    duty_x: f32,
    duty_w: f32,
    /// The font's ascent and descent (below zero), in ems.
    asc: f32,
    desc: f32,
}

impl Geom {
    /// The layout of `layout`'s badges; an error when the grid is larger than the page or
    /// the texts and the photo need more room than a badge has.
    fn new(font: &Font, l: &Layout) -> Result<Geom, String> {
        let [page_w, page_h] = l.page_mm;
        let [card_w, card_h] = l.card_mm;
        let (cols, rows) = (l.columns as f32, l.rows as f32);
        let grid_w = cols * card_w + (cols - 1.0) * l.gap_mm[0];
        let grid_h = rows * card_h + (rows - 1.0) * l.gap_mm[1];
        if l.columns == 0 || l.rows == 0 || grid_w > page_w || grid_h > page_h {
            return Err(format!(
                "the template's grid of {} x {} badges of {card_w} x {card_h} mm is {grid_w:.0} x \
                 {grid_h:.0} mm: it must hold a badge and fit the page ({page_w} x {page_h} mm)",
                l.columns, l.rows
            ));
        }
        let mut g = Geom {
            card_w: mm(card_w).0,
            card_h: mm(card_h).0,
            first: (
                mm((page_w - grid_w) / 2.0).0,
                mm(page_h - (page_h - grid_h) / 2.0 - card_h).0,
            ),
            pitch: (mm(card_w + l.gap_mm[0]).0, mm(card_h + l.gap_mm[1]).0),
            x0: mm(l.padding_mm).0,
            x1: mm(card_w - l.padding_mm).0,
            title_top: 0.0,
            heading_top: 0.0,
            footer_top: 0.0,
            duties_top: 0.0,
            block_top: 0.0,
            label_x: 0.0,
            value_x: 0.0,
            duty_x: 0.0,
            duty_w: 0.0,
            asc: font.face.ascent / 1000.0,
            desc: font.face.descent / 1000.0,
        };
        let (pad, gap) = (mm(l.padding_mm).0, mm(l.spacing_mm).0);
        g.title_top = g.card_h - pad;
        g.heading_top = g.title_top - g.step(l.title.size_pt);
        g.footer_top = pad + g.step(l.footer.size_pt);
        g.duties_top = g.footer_top + gap + l.duties.rows as f32 * g.step(l.duties.size_pt);
        let room = g.heading_top - g.step(l.heading.size_pt) - gap - (g.duties_top + gap);
        let fields: f32 = l.fields.iter().map(|f| f.lines.max(1) as f32).sum();
        let need = mm(l.photo.height_mm).0.max(fields * g.step(l.size_pt));
        if need > room + 0.01 {
            return Err(format!(
                "the template's badge is too short: the photo or the fields' {fields} lines need \
                 {:.1} mm between the heading and the duties, which leave {:.1} mm",
                in_mm(need),
                in_mm(room)
            ));
        }
        g.block_top = g.duties_top + gap + f32::midpoint(room, need);
        g.label_x = g.x0 + mm(l.photo.width_mm + l.padding_mm).0;
        let label_w = l
            .fields
            .iter()
            .map(|f| font.width(&f.label, Pt(l.size_pt)).0)
            .fold(0.0, f32::max);
        g.value_x = g.label_x + label_w;
        g.duty_x = g.x0 + font.width(&l.duties.label, Pt(l.duties.size_pt)).0;
        g.duty_w = (g.x1 - g.duty_x) / l.duties.columns.max(1) as f32;
        if g.x1 - g.value_x < mm(10.0).0 || g.duty_w < mm(10.0).0 {
            return Err(
                "the template's photo and labels leave less than 10 mm across for a value".into(),
            );
        }
        Ok(g)
    }

    /// The lower left corner of the `i`th badge of a page.
    fn origin(&self, l: &Layout, i: usize) -> (f32, f32) {
        let (col, row) = ((i % l.columns) as f32, (i / l.columns) as f32);
        (
            self.first.0 + col * self.pitch.0,
            self.first.1 - row * self.pitch.1,
        )
    }

    /// Baseline to baseline at `size`: at least the font's height, so lines never touch.
    fn step(&self, size: f32) -> f32 {
        size * LINE.max(self.asc - self.desc)
    }

    /// The baseline of a line at `size` whose glyphs' height is centred in a slot
    /// `slot` tall from `top`.
    fn baseline(&self, top: f32, slot: f32, size: f32) -> f32 {
        top - (slot - (self.asc - self.desc) * size) / 2.0 - self.asc * size
    }
}

/// What the badges are made with.
struct Ctx<'a> {
    font: &'a Font,
    layout: &'a Layout,
    g: Geom,
}

impl Ctx<'_> {
    /// One badge with its lower left corner at `at`. An error says which field.
    fn badge<'a>(
        &self,
        ops: &mut Vec<Op>,
        doc: &mut Doc<'a>,
        b: &'a Badge,
        at: (f32, f32),
    ) -> Result<(), String> {
        let (g, l) = (&self.g, self.layout);
        let v = values(b);
        rect(ops, Pt(at.0), Pt(at.1), Pt(g.card_w), Pt(g.card_h), false);
        self.across(
            ops,
            &l.title,
            &fill(&l.title.text, &v).text,
            g.title_top,
            at,
        )
        .map_err(|e| format!("the title: {e}"))?;
        self.across(
            ops,
            &l.heading,
            &fill(&l.heading.text, &v).text,
            g.heading_top,
            at,
        )
        .map_err(|e| format!("the heading: {e}"))?;
        self.photo(ops, doc, b.photo.as_deref(), at)?;
        let mut top = g.block_top;
        for f in &l.fields {
            top = self
                .field(ops, f, &v, top, at)
                .map_err(|e| format!("{}: {e}", field_name(&f.label)))?;
        }
        self.duties(ops, &b.duties, at)?;
        self.across(
            ops,
            &l.footer,
            &fill(&l.footer.text, &v).text,
            g.footer_top,
            at,
        )
        .map_err(|e| format!("the footer: {e}"))
    }

    /// `s` fitted into `width` after a check that the font has every character of it.
    fn fitted(
        &self,
        s: &str,
        sizes: (f32, f32),
        width: f32,
        lines: usize,
    ) -> Result<Fitted, String> {
        if let Some(ch) = self.font.missing(s) {
            return Err(format!(
                "the font has no glyph for '{ch}' (U+{:04X}) in \"{s}\"",
                u32::from(ch)
            ));
        }
        fit_text(self.font, s, sizes, width, lines).ok_or_else(|| {
            let on = if lines > 1 {
                format!(" on {lines} lines")
            } else {
                String::new()
            };
            format!(
                "\"{s}\" does not fit its {:.0} mm line{on}, even at {} pt",
                in_mm(width),
                sizes.1.min(sizes.0)
            )
        })
    }

    /// A line across the badge in its slot from `top`, shrunk to fit; nothing when blank.
    fn across(
        &self,
        ops: &mut Vec<Op>,
        line: &Line,
        s: &str,
        top: f32,
        at: (f32, f32),
    ) -> Result<(), String> {
        if s.trim().is_empty() {
            return Ok(());
        }
        let g = &self.g;
        let f = self.fitted(s, (line.size_pt, line.min_size_pt), g.x1 - g.x0, 1)?;
        let w = self.font.width(s, f.size).0;
        let x = match line.align.as_str() {
            "left" => g.x0,
            "right" => g.x1 - w,
            "center" => f32::midpoint(g.x0, g.x1) - w / 2.0,
            other => return Err(format!("align is left, center or right, not \"{other}\"")),
        };
        let slot = g.step(line.size_pt);
        text_in(
            ops,
            f.size,
            Pt(at.0 + x),
            Pt(at.1 + g.baseline(top, slot, f.size.0)),
            s,
            [at.0 + g.x0, at.1 + top - slot, at.0 + g.x1, at.1 + top],
        );
        Ok(())
    }

    /// The photo's frame at the left of the fields, with the photo in it, else its label.
    fn photo<'a>(
        &self,
        ops: &mut Vec<Op>,
        doc: &mut Doc<'a>,
        photo: Option<&'a [u8]>,
        at: (f32, f32),
    ) -> Result<(), String> {
        let (g, p) = (&self.g, &self.layout.photo);
        let (w, h) = (mm(p.width_mm).0, mm(p.height_mm).0);
        let (x, y) = (at.0 + g.x0, at.1 + g.block_top - h);
        if let Some(jpeg) = photo {
            let (id, pw, ph) = doc.jpeg(jpeg).ok_or(
                "the photo is not a baseline or progressive JPEG with 1, 3 or 4 colour components",
            )?;
            image_in(ops, id, (pw, ph), Pt(x), Pt(y), Pt(w), Pt(h));
        } else if !p.label.trim().is_empty() {
            let size = self.layout.size_pt;
            let f = self
                .fitted(&p.label, (size, size * 0.5), w - mm(1.0).0, 1)
                .map_err(|e| format!("the photo's label: {e}"))?;
            let lw = self.font.width(&p.label, f.size).0;
            let base = y + h / 2.0 - (g.asc + g.desc) * f.size.0 / 2.0;
            text_in(
                ops,
                f.size,
                Pt(x + (w - lw) / 2.0),
                Pt(base),
                &p.label,
                [x, y, x + w, y + h],
            );
        }
        rect(ops, Pt(x), Pt(y), Pt(w), Pt(h), false);
        Ok(())
    }

    /// A field from `top`: its label, and its text on as many lines as it needs, the first
    /// on the label's baseline. Returns the next field's top.
    fn field(
        &self,
        ops: &mut Vec<Op>,
        f: &Field,
        values: &[(&str, String)],
        top: f32,
        at: (f32, f32),
    ) -> Result<f32, String> {
        let (g, l) = (&self.g, self.layout);
        let size = l.size_pt;
        let slot = g.step(size);
        let base = g.baseline(top, slot, size);
        let label = fill(&f.label, values).text;
        if let Some(ch) = self.font.missing(&label) {
            return Err(format!(
                "the font has no glyph for '{ch}' (U+{:04X}) in the label \"{label}\"",
                u32::from(ch)
            ));
        }
        text_in(
            ops,
            Pt(size),
            Pt(at.0 + g.label_x),
            Pt(at.1 + base),
            &label,
            [
                at.0 + g.label_x,
                at.1 + top - slot,
                at.0 + g.value_x,
                at.1 + top,
            ],
        );
        let s = fill(&f.text, values).text;
        if s.trim().is_empty() {
            return Ok(top - slot);
        }
        let fitted = self.fitted(&s, (size, l.min_size_pt), g.x1 - g.value_x, f.lines)?;
        let step = g.step(fitted.size.0);
        let bottom = top - slot - step * (fitted.lines.len() - 1) as f32;
        for (k, line) in fitted.lines.iter().enumerate() {
            text_in(
                ops,
                fitted.size,
                Pt(at.0 + g.value_x),
                Pt(at.1 + base - step * k as f32),
                line,
                [at.0 + g.value_x, at.1 + bottom, at.0 + g.x1, at.1 + top],
            );
        }
        Ok(bottom)
    }

    /// The duties' label and the duties in columns right of it, top down, then the next
    /// column; an error when there are more than the badge holds.
    fn duties(&self, ops: &mut Vec<Op>, duties: &[String], at: (f32, f32)) -> Result<(), String> {
        let (g, d) = (&self.g, &self.layout.duties);
        let name = field_name(&d.label);
        let holds = d.columns * d.rows;
        if duties.len() > holds {
            return Err(format!(
                "{name}: {} lines, a badge holds {holds} ({} columns of {})",
                duties.len(),
                d.columns,
                d.rows
            ));
        }
        let slot = g.step(d.size_pt);
        if !d.label.trim().is_empty() {
            let f = self
                .fitted(&d.label, (d.size_pt, d.size_pt), g.duty_x - g.x0, 1)
                .map_err(|e| format!("{name}: {e}"))?;
            text_in(
                ops,
                f.size,
                Pt(at.0 + g.x0),
                Pt(at.1 + g.baseline(g.duties_top, slot, f.size.0)),
                &d.label,
                [
                    at.0 + g.x0,
                    at.1 + g.duties_top - slot,
                    at.0 + g.duty_x,
                    at.1 + g.duties_top,
                ],
            );
        }
        let width = g.duty_w - mm(COLUMN_GAP_MM).0;
        for (i, s) in duties.iter().enumerate() {
            if s.trim().is_empty() {
                continue;
            }
            let f = self
                .fitted(s, (d.size_pt, d.min_size_pt), width, 1)
                .map_err(|e| format!("{name} line {}: {e}", i + 1))?;
            let top = g.duties_top - slot * (i % d.rows) as f32;
            let x = g.duty_x + g.duty_w * (i / d.rows) as f32;
            text_in(
                ops,
                f.size,
                Pt(at.0 + x),
                Pt(at.1 + g.baseline(top, slot, f.size.0)),
                s,
                [at.0 + x, at.1 + top - slot, at.0 + x + width, at.1 + top],
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::layout_problems;
    use crate::pdf::testing::{page_texts, wqy};

    const PHOTO: &[u8] = include_bytes!("../../samples/photos/20260000001.jpg");

    fn layout() -> Layout {
        serde_json::from_str(TEMPLATE).unwrap()
    }

    /// Badge `i` of an ordinary sitting: an invigilator (every fifth a chief examiner too)
    /// with two duties.
    fn badge(i: usize) -> Badge {
        let names = ["张伟", "李秀英", "王晓明", "赵丽"];
        Badge {
            title: "2026年下半年计算机技术与软件专业技术资格（水平）考试".into(),
            name: names[(i + 3) % 4].into(),
            staff_no: format!("{i:04}"),
            role: if i.is_multiple_of(5) {
                "主考、监考"
            } else {
                "监考"
            }
            .into(),
            employer: "云南省昆明市第一中学".into(),
            site: "昆明 530101 云南大学呈贡校区".into(),
            duties: vec![
                format!("11月8日上午 第{i:03}考场 监考"),
                "11月8日下午 考点 巡视".into(),
            ],
            issuer: "云南省人事考试院".into(),
            photo: None,
        }
    }

    /// The longest values a badge holds: a 15-character name with its dots, a 40-character
    /// employer, three long sites, eight duties.
    fn long_badge() -> Badge {
        let mut b = badge(1);
        b.name = "阿依古丽·买买提依明·阿不都拉".into();
        assert_eq!(b.name.chars().count(), 15);
        b.role = "主考、副主考、监考、巡视".into();
        b.employer =
            "西双版纳傣族自治州景洪市勐罕镇中心学校（橄榄坝农场第一中学分校区）教务处考务中心"
                .into();
        assert_eq!(b.employer.chars().count(), 40);
        b.site = "昆明 530102002 昆明理工大学莲华校区；丽江 LJ01 云南大学旅游文化学院考点（丽江校区）；大理 DL01 大理大学古城校区".into();
        b.duties = (0..8)
            .map(|k| {
                let day = 7 + k / 4;
                let half = ["上午", "下午"][k / 2 % 2];
                format!("11月{day}日{half} 第{:03}考场 主考、监考", 101 + k)
            })
            .collect();
        b
    }

    /// The font narrowed to what `texts` lists and nothing else, so that a character it
    /// leaves out fails the test.
    fn font_for(badges: &[Badge]) -> Font {
        wqy()
            .narrowed(texts(&layout(), badges).chars(), std::iter::empty())
            .unwrap()
    }

    fn made(font: &Font, badges: &[Badge]) -> Result<Vec<Page>, String> {
        pages(&mut Doc::new(font, "t", 0), font, &layout(), badges)
    }

    #[test]
    fn lines_break_between_sites_and_never_within_a_number() {
        let font = font_for(&[badge(1)]);
        let s = "昆明 530101 云南大学呈贡校区；大理 DL01 大理大学古城校区";
        let width = |t: &str| font.width(t, Pt(7.0)).0 + 0.1;
        let w = width("昆明 530101 云南大学呈贡校区；大理");
        assert_eq!(
            wrap_lines(&font, s, 7.0, w, true),
            [
                "昆明 530101 云南大学呈贡校区；",
                "大理 DL01 大理大学古城校区"
            ]
        );
        assert_eq!(
            wrap_lines(&font, s, 7.0, w, false),
            [
                "昆明 530101 云南大学呈贡校区；大理",
                "DL01 大理大学古城校区"
            ]
        );
        let narrow = wrap_lines(&font, s, 7.0, width("昆明 5301"), false);
        assert!(narrow.iter().any(|l| l == "530101"), "{narrow:?}");
        assert!(narrow.iter().all(|l| !l.starts_with('；')), "{narrow:?}");
        assert_eq!(narrow.concat().replace(' ', ""), s.replace(' ', ""));
    }

    #[test]
    fn one_badge_makes_one_page() {
        let b = [badge(1)];
        let font = font_for(&b);
        let pages = page_texts(&render(&font, &layout(), &b, 0).unwrap());
        assert_eq!(pages.len(), 1);
        let p = &pages[0];
        for want in [
            "2026年下半年计算机技术与软件专业技术资格（水平）考试",
            "工 作 证",
            "姓名：",
            "张伟",
            "编号：",
            "0001",
            "角色：",
            "监考",
            "单位：",
            "云南省昆明市第一中学",
            "考点：",
            "昆明 530101 云南大学呈贡校区",
            "工作安排：",
            "11月8日上午 第001考场 监考",
            "11月8日下午 考点 巡视",
            "云南省人事考试院（盖章）",
            "照片",
        ] {
            assert!(p.contains(want), "lacks {want}: {p}");
        }
    }

    #[test]
    fn nine_badges_make_two_pages_of_eight_and_one() {
        let badges: Vec<Badge> = (1..=9).map(badge).collect();
        let font = font_for(&badges);
        let pages = page_texts(&render(&font, &layout(), &badges, 0).unwrap());
        assert_eq!(pages.len(), 2);
        for b in &badges {
            let on: Vec<usize> = (0..2)
                .filter(|&i| pages[i].contains(&format!("第{}考场", &b.staff_no[1..])))
                .collect();
            let page = usize::from(b.staff_no.as_str() == "0009");
            assert_eq!(on, [page], "{}", b.staff_no);
        }
    }

    #[test]
    fn the_longest_values_fit_their_boxes_without_overlap() {
        let mut b = vec![long_badge(), badge(2), long_badge()];
        b[2].photo = Some(PHOTO.to_vec());
        let font = font_for(&b);
        let pages = made(&font, &b).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(layout_problems(&font, &pages[0]), Vec::<String>::new());
        let text: String = page_texts(&render(&font, &layout(), &b, 0).unwrap())
            .concat()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '|')
            .collect();
        let l = &b[0];
        for want in [&l.name, &l.role, &l.employer, &l.site]
            .into_iter()
            .chain(&l.duties)
        {
            let want: String = want.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(text.contains(&want), "lacks {want}: {text}");
        }
    }

    #[test]
    fn a_value_too_long_for_its_box_names_the_badge_and_the_field() {
        let mut b = vec![badge(1), badge(2)];
        b[1].employer = "云南省昆明市第一中学".repeat(6);
        let font = font_for(&b);
        let e = render(&font, &layout(), &b, 0).unwrap_err();
        assert!(e.starts_with("badge 0002 (李秀英), 单位: "), "{e}");

        let mut b = vec![badge(3)];
        b[0].duties[1] = "11月8日下午 考点 巡视、监督、保密室值守、试卷交接".into();
        let font = font_for(&b);
        let e = render(&font, &layout(), &b, 0).unwrap_err();
        assert!(
            e.starts_with("badge 0003 (王晓明), 工作安排 line 2: "),
            "{e}"
        );

        b[0].duties = vec!["11月8日上午 考点 巡视".into(); 9];
        let e = render(&font, &layout(), &b, 0).unwrap_err();
        assert!(e.contains("9 lines, a badge holds 8"), "{e}");
    }

    #[test]
    fn a_character_the_font_lacks_is_named() {
        let mut b = vec![badge(1)];
        b[0].name = "王\u{10FFFD}".into();
        let font = font_for(&b);
        let e = render(&font, &layout(), &b, 0).unwrap_err();
        assert!(e.starts_with("badge 0001 (王\u{10FFFD}), 姓名: "), "{e}");
        assert!(e.contains("U+10FFFD"), "{e}");

        let mut b = vec![badge(1)];
        b[0].issuer = "云南省😀考试院".into();
        let font = font_for(&b);
        let e = render(&font, &layout(), &b, 0).unwrap_err();
        assert!(e.contains("the footer") && e.contains("U+1F600"), "{e}");
    }

    #[test]
    fn an_unknown_placeholder_is_refused() {
        let b = [badge(1)];
        let font = font_for(&b);
        let mut bad = layout();
        bad.fields.push(Field {
            label: "电话：".into(),
            text: "{phone}".into(),
            lines: 1,
        });
        let e = render(&font, &bad, &b, 0).unwrap_err();
        assert!(e.contains("{phone}"), "{e}");
    }

    #[test]
    fn a_template_too_tall_for_its_badge_is_refused() {
        let b = [badge(1)];
        let font = font_for(&b);
        let mut bad = layout();
        bad.fields[4].lines = 6;
        let e = render(&font, &bad, &b, 0).unwrap_err();
        assert!(e.contains("too short"), "{e}");
    }

    #[test]
    fn no_badges_is_an_error() {
        let font = font_for(&[]);
        let e = render(&font, &layout(), &[], 0).unwrap_err();
        assert!(e.contains("no badges"), "{e}");
    }

    #[test]
    fn the_same_badges_give_the_same_bytes() {
        let mut b: Vec<Badge> = (1..=12).map(badge).collect();
        b[3].photo = Some(PHOTO.to_vec());
        let font = font_for(&b);
        let a = render(&font, &layout(), &b, 1_790_000_000).unwrap();
        let c = render(&font, &layout(), &b, 1_790_000_000).unwrap();
        assert!(a == c);
    }

    #[test]
    fn a_photo_is_embedded_as_its_jpeg_and_a_badge_without_one_says_where_it_goes() {
        let mut b = vec![badge(1), badge(2)];
        b[0].photo = Some(PHOTO.to_vec());
        let font = font_for(&b);
        let pdf = render(&font, &layout(), &b, 0).unwrap();
        assert!(pdf.windows(PHOTO.len()).any(|w| w == PHOTO));
        let p = page_texts(&pdf).concat();
        assert_eq!(p.matches("照片").count(), 1, "{p}");

        b[1].photo = Some(b"not a jpeg".to_vec());
        let e = render(&font, &layout(), &b, 0).unwrap_err();
        assert!(
            e.starts_with("badge 0002 (李秀英), the photo is not"),
            "{e}"
        );
    }

    /// Writes a sample page to look at: `cargo test --lib pdf::badge -- --ignored`, then
    /// `pdftoppm -r 80 -png /tmp/badge/sample.pdf /tmp/badge/p`.
    #[test]
    #[ignore = "writes /tmp/badge/sample.pdf to look at"]
    fn sample() {
        let mut b: Vec<Badge> = (1..=9).map(badge).collect();
        b[1] = long_badge();
        b[2].photo = Some(PHOTO.to_vec());
        b[3].photo = Some(PHOTO.to_vec());
        b[3].duties.truncate(1);
        let font = font_for(&b);
        let pdf = render(&font, &layout(), &b, 0).unwrap();
        std::fs::create_dir_all("/tmp/badge").unwrap();
        std::fs::write("/tmp/badge/sample.pdf", pdf).unwrap();
    }
}

//! A sign sheet: a table with one row per person, the heading and the header row repeated
//! on every numbered page, the count and signature lines below the last row. It draws the
//! certificate hand-out sheet (证书发放签收表) of an exam area (考区), one row per
//! certificate with a box for the receiver to sign in (`templates/certificate_handout.json`),
//! and the staff arrangement (监考安排表) of an exam site, one row per post
//! (`templates/staff_arrangement.json`). A pure renderer laid out by its template: every
//! label and line is a template text with placeholders, so that an office rewords them there.
//! Every row has the same height; a long value shrinks, then wraps to two lines, and one
//! that still does not fit is an error rather than text over its neighbour.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::{
    Doc, Fitted, Font, LINE, Op, Page, Pt, check_glyphs, fill, fit, mm, rect, sizes, text_in,
};

/// The built-in layouts, for the caller's `load_template`: the certificate hand-out sign
/// sheet (证书发放签收表) and a site's staff arrangement (监考安排表).
pub const HANDOUT: &str = include_str!("../../templates/certificate_handout.json");
pub const STAFF: &str = include_str!("../../templates/staff_arrangement.json");

/// A4 landscape: a certificate's data in nine columns and a box wide enough to sign in
/// need more than the 180 mm across a portrait page.
const PAGE_W: f32 = 297.0;
const PAGE_H: f32 = 210.0;

/// Characters the renderer adds to the template's and the sheet's: row numbers, the count
/// and page numbers.
const OWN_TEXT: &str = "0123456789 ";

/// Never at the start of a line (closing punctuation, the dot of a name), never at its end
/// (opening punctuation).
const NO_START: &str = "，。、；：？！）》」』】〕”’…—%,.;:?!)·・•";
const NO_END: &str = "（《「『【〔“‘(";

/// Between a cell's text and its left and right lines (mm).
const PAD_MM: f32 = 1.0;
/// Between the count and the first signature line, and between two signature lines (mm).
const SIGN_GAP_MM: f32 = 8.0;
/// The closing line's height: room above the signature lines to sign on them (mm).
const CLOSING_MM: f32 = 10.0;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Layout {
    pub font: String,
    #[serde(default)]
    pub font_index: usize,
    pub margin_mm: Margins,
    pub title_size_pt: f32,
    pub heading_size_pt: f32,
    /// The info lines and the closing line (count and signatures).
    pub info_size_pt: f32,
    pub note_size_pt: f32,
    /// The table's text: it shrinks as far as `min_size_pt` (and wraps to two lines) to fit
    /// a cell.
    pub size_pt: f32,
    pub min_size_pt: f32,
    pub footer_size_pt: f32,
    /// Below the heading and the notes, above the closing line.
    pub gap_mm: f32,
    pub header_mm: f32,
    /// Every row's height: the signature box is as tall.
    pub row_mm: f32,
    pub title: String,
    pub heading: String,
    /// Lines from the left below the heading (考区, 领取地点, 领取时间).
    pub info: Vec<String>,
    /// Smaller lines below the info (what the receiver must show).
    pub notes: Vec<String>,
    pub columns: Vec<Column>,
    /// Below the last row, at the left.
    pub count: String,
    /// Labels of the signature lines at the right of the count (发放人, 日期).
    pub sign: Vec<String>,
    pub sign_line_mm: f32,
    /// At the foot of every page, at the left.
    pub footer: String,
    /// At the foot of every page, centred; may name {page} and {pages}.
    pub page_number: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Margins {
    pub top: f32,
    pub bottom: f32,
    pub left: f32,
    pub right: f32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Column {
    pub label: String,
    /// no, name, masked_id, qualification, cert_no, method, pickup_day, receiver,
    /// issued_on; anything else is an empty box (a signature).
    pub key: String,
    pub width_mm: f32,
}

/// One row, every value prepared by the caller as printed, by the column key that shows
/// it. A column whose key no cell names is an empty box to fill in by hand (a signature).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    pub cells: Vec<(&'static str, String)>,
}

impl Row {
    /// The value of column `key`; empty for a box to fill in by hand.
    fn cell(&self, key: &str) -> &str {
        self.cells
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// How an error names the row: its 序号 (`no`) where it has one.
    fn label(&self, index: usize) -> String {
        match self.cell("no") {
            "" => (index + 1).to_string(),
            no => no.to_string(),
        }
    }
}

/// One sheet: the values of the template's placeholders ({count} and the footer's {page}
/// and {pages} are the renderer's own) and the rows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sheet {
    pub values: Vec<(&'static str, String)>,
    pub rows: Vec<Row>,
}

/// The sheet, A4 landscape: the rows over as many numbered pages as they need, the heading
/// and the header row on each, the count and the issuer's signature lines below the last
/// row. An error names a template placeholder the code does not know, a character the
/// font lacks, or a value (with its row) that does not fit its box even at the smallest
/// size; nothing is drawn out of its box or over other text (`Doc::finish` refuses it).
pub fn render(font: &Font, layout: &Layout, sheet: &Sheet, date: i64) -> Result<Vec<u8>, String> {
    let values = values(sheet);
    let heading = line(&layout.heading, &values).unwrap_or_default();
    // The document's title names the sheet's place: its site, else its exam area.
    let place = ["site", "exam_area"]
        .iter()
        .find_map(|k| sheet.values.iter().find(|(n, v)| n == k && !v.is_empty()))
        .map_or("", |(_, v)| v.as_str());
    let title = format!("{heading} {place}");
    Doc::new(font, title.trim(), date).finish(pages(font, layout, sheet)?)
}

/// Every character the sheet may draw: the template's texts filled in, the sheet's values,
/// the renderer's own digits, for narrowing the font ([`super::FontSource::narrowed`]).
pub fn texts(layout: &Layout, sheet: &Sheet) -> String {
    let values = values(sheet);
    let mut out = String::new();
    for t in fixed_texts(layout) {
        out.push_str(&fill(t, &values).text);
    }
    let mut with_pages = values.clone();
    with_pages.extend([("page", String::new()), ("pages", String::new())]);
    for t in [&layout.footer, &layout.page_number] {
        out.push_str(&fill(t, &with_pages).text);
    }
    for (_, v) in &values {
        out.push_str(v);
    }
    for r in &sheet.rows {
        for (_, v) in &r.cells {
            out.push_str(v);
        }
    }
    out.push_str(OWN_TEXT);
    out.push_str(super::RENDERER_TEXT);
    out
}

/// The sheet's pages, not yet written out (so that tests can look at their layout).
fn pages(font: &Font, layout: &Layout, sheet: &Sheet) -> Result<Vec<Page>, String> {
    let values = values(sheet);
    check_placeholders(layout, &values)?;
    check_rows(font, layout, sheet)?;
    let c = Ctx {
        font,
        layout,
        g: Geom::new(font, layout)?,
        values,
    };
    let table_top = c.heading(&mut Vec::new())?;
    let parts = split_rows(sheet.rows.len(), c.rows_per_page(table_top)?);
    let n = parts.len();
    let mut pages = Vec::with_capacity(n);
    for (i, part) in parts.into_iter().enumerate() {
        let mut ops = Vec::new();
        c.heading(&mut ops)?;
        let mut top = c.header_row(&mut ops, table_top)?;
        for (j, r) in sheet.rows[part.clone()].iter().enumerate() {
            top = c.row(&mut ops, r, part.start + j, top)?;
        }
        if i + 1 == n {
            c.closing(&mut ops, top)?;
        }
        c.footer(&mut ops, (i + 1, n))?;
        check_glyphs(font, &ops)?;
        pages.push(Page::new(PAGE_W, PAGE_H, ops));
    }
    Ok(pages)
}

/// The rows of each page, `full` a page and at most `last` on the last (which has the
/// closing line too; `1 <= last <= full`), on as few pages as that allows. The last page
/// always has a row: a closing line alone on a page could be torn off the sheet.
fn split_rows(n: usize, (full, last): (usize, usize)) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while n - at > last {
        let take = full.min(n - at - 1);
        out.push(at..at + take);
        at += take;
    }
    out.push(at..n);
    out
}

/// The placeholders' values for `sheet` ({page} and {pages} are the footer's own).
fn values(s: &Sheet) -> Vec<(&'static str, String)> {
    let mut v = s.values.clone();
    v.push(("count", s.rows.len().to_string()));
    v
}

/// A template line filled in; None when it comes out blank, or when it has placeholders
/// and all of them are empty ("领取地点：" for certificates sent by post says nothing).
fn line(t: &str, values: &[(&str, String)]) -> Option<String> {
    let f = fill(t, values);
    let vacant = f.placeholders > 0 && f.empty == f.placeholders;
    (!vacant && !f.text.trim().is_empty()).then_some(f.text)
}

/// The template's texts but the footer's two (which may also name {page} and {pages}).
fn fixed_texts(layout: &Layout) -> Vec<&str> {
    let mut out = vec![layout.title.as_str(), &layout.heading, &layout.count];
    out.extend(layout.info.iter().map(String::as_str));
    out.extend(layout.notes.iter().map(String::as_str));
    out.extend(layout.columns.iter().map(|c| c.label.as_str()));
    out.extend(layout.sign.iter().map(String::as_str));
    out
}

/// Refuses a template naming a placeholder the code does not fill (a typo would else be
/// printed on every page).
fn check_placeholders(layout: &Layout, values: &[(&'static str, String)]) -> Result<(), String> {
    let mut with_pages = values.to_vec();
    with_pages.extend([("page", String::new()), ("pages", String::new())]);
    let footers = [layout.footer.as_str(), &layout.page_number];
    let all = fixed_texts(layout)
        .into_iter()
        .map(|t| (t, values))
        .chain(footers.into_iter().map(|t| (t, with_pages.as_slice())));
    for (t, known) in all {
        if let Some(n) = fill(t, known).unknown.first() {
            return Err(format!(
                "the template names {{{n}}} in \"{t}\", which is not a field of this sheet"
            ));
        }
    }
    Ok(())
}

/// Refuses a row with a character the font lacks, naming the row and the column, before
/// anything is laid out.
fn check_rows(font: &Font, layout: &Layout, sheet: &Sheet) -> Result<(), String> {
    for (i, r) in sheet.rows.iter().enumerate() {
        for c in &layout.columns {
            let v = r.cell(&c.key);
            if let Some(ch) = font.missing(v) {
                return Err(format!(
                    "row {} ({}): the font has no glyph for '{ch}' (U+{:04X}) in \"{v}\"",
                    r.label(i),
                    c.label,
                    u32::from(ch)
                ));
            }
        }
    }
    Ok(())
}

/// Where things go on a page, in points.
struct Geom {
    /// The table's left and right; the heading and the footer keep within them too.
    x0: f32,
    x1: f32,
    /// Below the top margin, and the bottom margin (the footer is in it).
    top: f32,
    bottom: f32,
    /// The font's ascent and descent (below zero), in ems.
    asc: f32,
    desc: f32,
}

impl Geom {
    /// The table centred between the margins; an error when its columns are wider.
    fn new(font: &Font, layout: &Layout) -> Result<Geom, String> {
        let m = &layout.margin_mm;
        let width: f32 = layout.columns.iter().map(|c| c.width_mm).sum();
        let room = PAGE_W - m.left - m.right;
        if layout.columns.is_empty() || width > room + 0.01 {
            return Err(format!(
                "the template's columns are {width:.0} mm wide together: they must be more \
                 than 0 and at most {room:.0} mm (the page less its margins)"
            ));
        }
        let x0 = m.left + (room - width) / 2.0;
        Ok(Geom {
            x0: mm(x0).0,
            x1: mm(x0 + width).0,
            top: mm(PAGE_H - m.top).0,
            bottom: mm(m.bottom).0,
            asc: font.face.ascent / 1000.0,
            desc: font.face.descent / 1000.0,
        })
    }

    /// Baseline to baseline at `size`: at least the font's height, so lines never touch.
    fn step(&self, size: f32) -> f32 {
        size * LINE.max(self.asc - self.desc)
    }

    /// The baseline of a line whose slot (one step tall) starts at `top`: its glyphs'
    /// height centred in the slot.
    fn baseline(&self, top: f32, size: f32) -> f32 {
        top - (self.step(size) - (self.asc - self.desc) * size) / 2.0 - self.asc * size
    }
}

/// `s` split into two lines no wider than `width`: at a break that is natural (after
/// punctuation or the dot of a name, before an opening bracket, at a space, where letters
/// and digits meet other script) if one fits, else the most even one. Never within a word
/// of letters and digits, nor before closing punctuation or after opening, unless nothing
/// else fits.
fn two_lines(font: &Font, s: &str, size: Pt, width: Pt) -> Option<Vec<String>> {
    let chars: Vec<char> = s.chars().collect();
    for strict in [true, false] {
        // (natural, the wider line's width, the lines)
        let mut best: Option<(bool, f32, [String; 2])> = None;
        for i in 1..chars.len() {
            let (a, b) = (chars[i - 1], chars[i]);
            let word = a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric();
            if strict && (word || NO_START.contains(b) || NO_END.contains(a)) {
                continue;
            }
            let first: String = chars[..i].iter().collect();
            let second: String = chars[i..].iter().collect();
            let (first, second) = (first.trim_end(), second.trim_start());
            if first.is_empty() || second.is_empty() {
                continue;
            }
            let wider = font.width(first, size).0.max(font.width(second, size).0);
            if wider > width.0 {
                continue;
            }
            let natural = NO_START.contains(a)
                || NO_END.contains(b)
                || a.is_whitespace()
                || b.is_whitespace()
                || a.is_ascii_alphanumeric() != b.is_ascii_alphanumeric();
            let better = best
                .as_ref()
                .is_none_or(|(n, w, _)| (natural && !n) || (natural == *n && wider < *w));
            if better {
                best = Some((natural, wider, [first.to_string(), second.to_string()]));
            }
        }
        if let Some((_, _, lines)) = best {
            return Some(lines.into());
        }
    }
    None
}

/// What the pages are made with.
struct Ctx<'a> {
    font: &'a Font,
    layout: &'a Layout,
    g: Geom,
    values: Vec<(&'static str, String)>,
}

impl Ctx<'_> {
    /// The title, the heading, the info lines and the notes, from the top margin down.
    /// Returns where the table starts (the same on every page).
    fn heading(&self, ops: &mut Vec<Op>) -> Result<f32, String> {
        let l = self.layout;
        let gap = mm(l.gap_mm).0;
        let mut y = self.g.top;
        y = self.across(ops, &l.title, l.title_size_pt, true, y)?;
        y = self.across(ops, &l.heading, l.heading_size_pt, true, y)? - gap;
        for t in &l.info {
            y = self.across(ops, t, l.info_size_pt, false, y)?;
        }
        for t in &l.notes {
            y = self.across(ops, t, l.note_size_pt, false, y)?;
        }
        Ok(y - gap)
    }

    /// A template line across the table's width, centred or from its left: shrunk as far
    /// as 3/4 of `size`, else wrapped into two lines; left out when it says nothing.
    /// Returns the top of what follows.
    fn across(
        &self,
        ops: &mut Vec<Op>,
        t: &str,
        size: f32,
        centre: bool,
        top: f32,
    ) -> Result<f32, String> {
        let Some(s) = line(t, &self.values) else {
            return Ok(top);
        };
        let (g, font) = (&self.g, self.font);
        let min = size * 0.75;
        let f = fit(font, &s, Pt(size), Pt(min), Pt(g.x1 - g.x0), 2).ok_or_else(|| {
            format!("\"{s}\" does not fit across the page on two lines at {min:.1} pt")
        })?;
        let step = g.step(f.size.0);
        for (i, l) in f.lines.iter().enumerate() {
            let t = top - i as f32 * step;
            let x = if centre {
                f32::midpoint(g.x0, g.x1) - font.width(l, f.size).0 / 2.0
            } else {
                g.x0
            };
            let bound = [g.x0, t - step, g.x1, t];
            text_in(ops, f.size, Pt(x), Pt(g.baseline(t, f.size.0)), l, bound);
        }
        Ok(top - f.lines.len() as f32 * step)
    }

    /// Rows on a full page and on the last (which has the closing line below them), the
    /// table starting at `table_top`.
    fn rows_per_page(&self, table_top: f32) -> Result<(usize, usize), String> {
        let l = self.layout;
        let row = mm(l.row_mm).0;
        let room = table_top - mm(l.header_mm).0 - self.g.bottom;
        let closing = mm(l.gap_mm + CLOSING_MM).0;
        let rows = |room: f32| ((room + 0.01) / row).floor().max(0.0) as usize;
        let (full, last) = (rows(room), rows(room - closing));
        if last == 0 {
            return Err(format!(
                "the heading leaves no room on a page for a row of {} mm and the closing line",
                l.row_mm
            ));
        }
        Ok((full, last))
    }

    /// The header row from `top`; returns its bottom.
    fn header_row(&self, ops: &mut Vec<Op>, top: f32) -> Result<f32, String> {
        let h = mm(self.layout.header_mm).0;
        let mut x = self.g.x0;
        for c in &self.layout.columns {
            let w = mm(c.width_mm).0;
            rect(ops, Pt(x), Pt(top - h), Pt(w), Pt(h), false);
            let label = line(&c.label, &self.values).unwrap_or_default();
            self.cell(ops, &label, [x, top, w, h])
                .map_err(|e| format!("the column \"{}\": {e}", c.label))?;
            x += w;
        }
        Ok(top - h)
    }

    /// A certificate's row from `top`; returns its bottom.
    fn row(&self, ops: &mut Vec<Op>, r: &Row, index: usize, top: f32) -> Result<f32, String> {
        let h = mm(self.layout.row_mm).0;
        let mut x = self.g.x0;
        for c in &self.layout.columns {
            let w = mm(c.width_mm).0;
            rect(ops, Pt(x), Pt(top - h), Pt(w), Pt(h), false);
            self.cell(ops, r.cell(&c.key), [x, top, w, h])
                .map_err(|e| format!("row {} ({}): {e}", r.label(index), c.label))?;
            x += w;
        }
        Ok(top - h)
    }

    /// A cell's text (x, top, width, height in points), fitted and centred in it both ways.
    fn cell(&self, ops: &mut Vec<Op>, s: &str, [x, top, w, h]: [f32; 4]) -> Result<(), String> {
        if s.trim().is_empty() {
            return Ok(());
        }
        let Some(f) = self.fit_cell(s, w - 2.0 * mm(PAD_MM).0, h) else {
            return Err(format!(
                "\"{s}\" does not fit its {:.0} mm x {:.0} mm box, even on two lines at {} pt",
                w * 25.4 / 72.0,
                h * 25.4 / 72.0,
                self.layout.min_size_pt
            ));
        };
        let step = self.g.step(f.size.0);
        let block_top = top - (h - f.lines.len() as f32 * step) / 2.0;
        let bound = [x, top - h, x + w, top];
        for (i, l) in f.lines.iter().enumerate() {
            let t = block_top - i as f32 * step;
            let lx = x + (w - self.font.width(l, f.size).0) / 2.0;
            text_in(
                ops,
                f.size,
                Pt(lx),
                Pt(self.g.baseline(t, f.size.0)),
                l,
                bound,
            );
        }
        Ok(())
    }

    /// `s` in a cell `width` across (inside its padding) and `height` tall: on one line,
    /// shrunk a little; else on two lines, shrunk as far as the least size (a certificate
    /// number broken in two reads better than one in 7 pt type). None when neither fits.
    fn fit_cell(&self, s: &str, width: f32, height: f32) -> Option<Fitted> {
        let (font, l) = (self.font, self.layout);
        let min = l.min_size_pt.min(l.size_pt);
        let one_min = min.max(l.size_pt * 0.85);
        let lines_at = |z: f32| ((height + 0.01) / self.g.step(z)).floor() as usize;
        for z in sizes(l.size_pt, one_min) {
            if lines_at(z) >= 1 && font.width(s, Pt(z)).0 <= width {
                return Some(Fitted {
                    size: Pt(z),
                    lines: vec![s.to_string()],
                });
            }
        }
        sizes(l.size_pt, min)
            .into_iter()
            .filter(|&z| lines_at(z) >= 2)
            .find_map(|z| {
                two_lines(font, s, Pt(z), Pt(width)).map(|lines| Fitted { size: Pt(z), lines })
            })
    }

    /// Below the last row (whose bottom is `top`): the count at the left, the signature
    /// lines at the right, on one line.
    fn closing(&self, ops: &mut Vec<Op>, top: f32) -> Result<(), String> {
        let (g, font, l) = (&self.g, self.font, self.layout);
        let size = Pt(l.info_size_pt);
        let slot_top = top - mm(l.gap_mm).0;
        let slot_bottom = slot_top - mm(CLOSING_MM).0;
        // The glyphs' lowest just above the slot's bottom; the space above is to sign in.
        let base = slot_bottom - g.desc * size.0 + mm(1.0).0;
        let bound = |x0: f32, x1: f32| [x0, slot_bottom, x1, slot_top];
        let mut count_end = g.x0;
        if let Some(s) = line(&l.count, &self.values) {
            count_end += font.width(&s, size).0;
            text_in(ops, size, Pt(g.x0), Pt(base), &s, bound(g.x0, count_end));
        }
        let (gap, rule) = (mm(SIGN_GAP_MM).0, mm(l.sign_line_mm).0);
        let labels: Vec<String> = l
            .sign
            .iter()
            .filter_map(|t| line(t, &self.values))
            .collect();
        let total: f32 = labels
            .iter()
            .map(|s| font.width(s, size).0 + mm(1.0).0 + rule + gap)
            .sum::<f32>()
            - gap;
        let mut x = g.x1 - total;
        if !labels.is_empty() && x < count_end + gap {
            return Err(format!(
                "the count and the signature lines ({}) are wider than the table",
                labels.join(" ")
            ));
        }
        for s in &labels {
            let w = font.width(s, size).0;
            text_in(ops, size, Pt(x), Pt(base), s, bound(x, x + w));
            x += w + mm(1.0).0;
            rect(ops, Pt(x), Pt(base - 1.5), Pt(rule), Pt(0.6), true);
            x += rule + gap;
        }
        Ok(())
    }

    /// The footer at the left and the page number centred, in the bottom margin.
    fn footer(&self, ops: &mut Vec<Op>, (page, pages): (usize, usize)) -> Result<(), String> {
        let (g, font, l) = (&self.g, self.font, self.layout);
        let size = Pt(l.footer_size_pt);
        let step = g.step(size.0);
        // The slot of a line centred in the bottom margin.
        let t = f32::midpoint(g.bottom, step);
        let mut values = self.values.clone();
        values.extend([("page", page.to_string()), ("pages", pages.to_string())]);
        let mut left_of_number = g.x1;
        if let Some(s) = line(&l.page_number, &values) {
            let w = font.width(&s, size).0;
            let x = f32::midpoint(g.x0, g.x1) - w / 2.0;
            text_in(
                ops,
                size,
                Pt(x),
                Pt(g.baseline(t, size.0)),
                &s,
                [g.x0, t - step, g.x1, t],
            );
            left_of_number = x;
        }
        if let Some(s) = line(&l.footer, &values) {
            let room = left_of_number - mm(SIGN_GAP_MM).0 - g.x0;
            let f = fit(font, &s, size, Pt(size.0 * 0.75), Pt(room), 1).ok_or_else(|| {
                format!("the footer \"{s}\" does not fit left of the page number")
            })?;
            let bound = [g.x0, t - step, g.x0 + room, t];
            text_in(
                ops,
                f.size,
                Pt(g.x0),
                Pt(g.baseline(t, f.size.0)),
                &s,
                bound,
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

    fn layout() -> Layout {
        serde_json::from_str(HANDOUT).unwrap()
    }

    /// Sets the value of `key` in a sheet's values or a row's cells.
    fn put(to: &mut [(&'static str, String)], key: &str, v: impl Into<String>) {
        to.iter_mut().find(|(k, _)| *k == key).unwrap().1 = v.into();
    }

    /// `n` certificates, handed out in each of the three ways, some already handed out.
    fn sheet(n: usize) -> Sheet {
        let rows = (1..=n)
            .map(|i| {
                let (method, pickup_day, receiver) = match i % 3 {
                    0 => ("邮寄", "", "SF1403928475612"),
                    1 => ("现场领取", "2027年3月2日", "本人"),
                    _ => ("代领", "2027年3月3日", "李春华"),
                };
                let handed = i % 4 == 0;
                let when_handed = |v: &str| if handed { v.into() } else { String::new() };
                Row {
                    cells: vec![
                        ("no", i.to_string()),
                        ("name", format!("张{}", ["伟", "秀英", "晓明", "丽"][i % 4])),
                        ("masked_id", format!("530102********{:04}", 1000 + i)),
                        (
                            "qualification",
                            ["信息系统项目管理师（高级）", "软件设计师（中级）"][i % 2].into(),
                        ),
                        ("cert_no", format!("2026H2530100{i:03}")),
                        ("method", method.into()),
                        ("pickup_day", pickup_day.into()),
                        ("receiver", when_handed(receiver)),
                        ("issued_on", when_handed("2027年3月2日")),
                    ],
                }
            })
            .collect();
        Sheet {
            values: vec![
                (
                    "title",
                    "2026年下半年计算机技术与软件专业技术资格（水平）考试".into(),
                ),
                ("exam_area", "昆明".into()),
                ("issuer", "云南省人事考试院".into()),
                (
                    "place",
                    "昆明市五华区学府路3号云南省人事考试院一楼服务大厅".into(),
                ),
                (
                    "days",
                    "2027年3月2日至2027年3月6日（按证书编号分日领取）".into(),
                ),
            ],
            rows,
        }
    }

    /// The longest values a sheet holds: a 15-character name with its dots, a 24-character
    /// certificate number, a long qualification, waybill and proxy, a long area and place.
    fn long_sheet() -> Sheet {
        let mut s = sheet(3);
        put(&mut s.values, "exam_area", "西双版纳傣族自治州");
        put(
            &mut s.values,
            "issuer",
            "西双版纳傣族自治州人力资源和社会保障局人事考试中心",
        );
        put(
            &mut s.values,
            "place",
            "西双版纳傣族自治州景洪市宣慰大道与勐泐大道交叉口东北侧州人力资源和社会保障局综合服务大楼一楼人事考试窗口（请由东门进入）",
        );
        assert!(s.values[3].1.chars().count() >= 55);
        put(
            &mut s.values,
            "days",
            "2027年3月2日至2027年3月6日，每日上午9:00—11:30、下午14:30—17:00（按证书编号分日领取，节假日不办理）",
        );
        let r = &mut s.rows[0];
        put(&mut r.cells, "name", "阿依古丽·买买提依明·阿不都拉");
        assert_eq!(r.cell("name").chars().count(), 15);
        put(&mut r.cells, "cert_no", "RK2026H25301000012345678");
        assert_eq!(r.cell("cert_no").len(), 24);
        put(
            &mut r.cells,
            "qualification",
            "计算机辅助设计师与信息系统管理工程师（中级）",
        );
        put(&mut r.cells, "receiver", "欧阳买买提·阿不都热合曼");
        put(&mut r.cells, "issued_on", "2027年12月28日");
        put(&mut r.cells, "pickup_day", "2027年12月28日");
        put(&mut s.rows[2].cells, "receiver", "YT7788990011223344");
        s
    }

    /// The font narrowed to what `texts` lists and nothing else, so that a character it
    /// leaves out fails the test.
    fn font_for(sheets: &[&Sheet]) -> Font {
        let layout = layout();
        let data: String = sheets.iter().map(|s| texts(&layout, s)).collect();
        wqy().narrowed(data.chars(), std::iter::empty()).unwrap()
    }

    #[test]
    fn one_row_makes_one_page_with_the_closing_line() {
        let (layout, s) = (layout(), sheet(1));
        let font = font_for(&[&s]);
        let pages = page_texts(&render(&font, &layout, &s, 0).unwrap());
        assert_eq!(pages.len(), 1);
        let p = &pages[0];
        for want in [
            "证书发放签收表",
            "考区：昆明",
            "领取地点：",
            "证书编号",
            "领取人签名",
            "2026H2530100001",
            "本表共 1 人",
            "发放人：",
            "发放单位：云南省人事考试院",
            "第 1 页 共 1 页",
        ] {
            assert!(p.contains(want), "lacks {want}: {p}");
        }
    }

    #[test]
    fn ninety_five_rows_run_over_numbered_pages_each_with_the_header_row() {
        let (layout, s) = (layout(), sheet(95));
        let font = font_for(&[&s]);
        let pages = page_texts(&render(&font, &layout, &s, 0).unwrap());
        // The template's heading leaves room for 11 rows of 12 mm on a landscape page, and
        // for 10 above the closing line on the last: 95 rows take 9 pages.
        let n = pages.len();
        assert_eq!(n, 9);
        for (i, p) in pages.iter().enumerate() {
            for want in [
                "证书发放签收表",
                "考区：昆明",
                "序号",
                "证书编号",
                "领取人签名",
            ] {
                assert!(p.contains(want), "page {}: lacks {want}: {p}", i + 1);
            }
            assert!(p.contains(&format!("第 {} 页 共 {n} 页", i + 1)), "{p}");
            assert_eq!(p.contains("本表共 95 人"), i + 1 == n, "{p}");
            assert!(p.contains("2026H2530100"), "page {} has no row", i + 1);
        }
        for r in &s.rows {
            let on = pages
                .iter()
                .filter(|p| p.contains(r.cell("cert_no")))
                .count();
            assert_eq!(on, 1, "{} on {on} pages", r.cell("cert_no"));
        }
    }

    #[test]
    fn rows_fill_pages_and_leave_the_last_one_a_row_and_the_closing_line() {
        // Rows on each page, 10 on a full page and at most 9 on the last.
        let per_page = |n| {
            let parts = split_rows(n, (10, 9));
            assert_eq!(parts.last().map(|r| r.end), Some(n), "every row, in order");
            parts.iter().map(ExactSizeIterator::len).collect::<Vec<_>>()
        };
        assert_eq!(per_page(0), [0]);
        assert_eq!(per_page(9), [9]);
        // Ten fill a page, but not with the closing line below them.
        assert_eq!(per_page(10), [9, 1]);
        assert_eq!(per_page(20), [10, 9, 1]);
        assert_eq!(per_page(95), [10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
    }

    #[test]
    fn the_longest_values_fit_their_boxes_without_overlap() {
        let (layout, s) = (layout(), long_sheet());
        let font = font_for(&[&s]);
        let made = pages(&font, &layout, &s).unwrap();
        assert_eq!(made.len(), 1);
        for p in &made {
            assert_eq!(layout_problems(&font, p), Vec::<String>::new());
        }
        let text: String = page_texts(&render(&font, &layout, &s, 0).unwrap())
            .concat()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '|')
            .collect();
        let r = &s.rows[0];
        for want in [
            r.cell("name"),
            r.cell("cert_no"),
            r.cell("qualification"),
            r.cell("receiver"),
            &s.values[1].1,
            &s.values[3].1,
            s.rows[2].cell("receiver"),
        ] {
            let want: String = want.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(text.contains(&want), "lacks {want}: {text}");
        }
    }

    #[test]
    fn a_value_too_long_for_its_box_names_its_row_and_column() {
        let layout = layout();
        let mut s = sheet(3);
        put(
            &mut s.rows[1].cells,
            "qualification",
            "信息系统项目管理师".repeat(6),
        );
        let font = font_for(&[&s]);
        let e = render(&font, &layout, &s, 0).unwrap_err();
        assert!(e.starts_with("row 2 (资格名称): "), "{e}");
    }

    #[test]
    fn a_character_the_font_lacks_is_named() {
        let layout = layout();
        let mut s = sheet(3);
        put(&mut s.rows[2].cells, "name", "王\u{10FFFD}");
        let font = font_for(&[&s]);
        let e = render(&font, &layout, &s, 0).unwrap_err();
        assert!(e.contains("row 3 (姓名)") && e.contains("U+10FFFD"), "{e}");

        let mut s = sheet(3);
        put(&mut s.values, "place", "景洪市😀大厅");
        let font = font_for(&[&s]);
        let e = render(&font, &layout, &s, 0).unwrap_err();
        assert!(e.contains("U+1F600"), "{e}");
    }

    #[test]
    fn an_unknown_placeholder_is_refused() {
        let s = sheet(1);
        let font = font_for(&[&s]);
        let mut bad = layout();
        bad.info.push("咨询电话：{phone}".into());
        let e = render(&font, &bad, &s, 0).unwrap_err();
        assert!(e.contains("{phone}"), "{e}");
        // The page number is the footer's own.
        let mut bad = layout();
        bad.heading = "证书发放签收表（第{page}页）".into();
        let e = render(&font, &bad, &s, 0).unwrap_err();
        assert!(e.contains("{page}"), "{e}");
    }

    #[test]
    fn a_line_about_nothing_is_left_out() {
        let layout = layout();
        let mut s = sheet(2);
        put(&mut s.values, "place", String::new());
        put(&mut s.values, "days", String::new());
        let font = font_for(&[&s]);
        let p = page_texts(&render(&font, &layout, &s, 0).unwrap()).concat();
        assert!(p.contains("考区：昆明"), "{p}");
        assert!(!p.contains("领取地点") && !p.contains("领取时间"), "{p}");
    }

    #[test]
    fn the_same_sheet_gives_the_same_bytes() {
        let (layout, s) = (layout(), sheet(40));
        let font = font_for(&[&s]);
        let a = render(&font, &layout, &s, 1_790_000_000).unwrap();
        let b = render(&font, &layout, &s, 1_790_000_000).unwrap();
        assert!(a == b);
    }
}

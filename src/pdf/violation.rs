//! The three documents of a violation case under 《专业技术人员资格考试违纪违规行为处理规定》
//! (人社部令第31号): the record made in the exam room (违纪违规行为记录单), the notice of the
//! proposed decision with the right to state a case and defend it (处理告知书), and the
//! decision (处理决定书). A pure renderer laid out by `templates/violation_documents.json`:
//! every heading, label and paragraph is a template text with placeholders, so that an
//! office rewords them there. The text flows down the page; a long record runs on to a
//! second page rather than over its boxes.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{Doc, Font, Op, Page, Pt, check_glyphs, fill, fit, mm, rect, text_in};

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;

/// Characters the renderer adds to the template's and the case's: page numbers, the
/// evidence's numbers and the indent of a paragraph.
const OWN_TEXT: &str = "0123456789、\u{3000}";

/// A paragraph's first line is indented by two ideographic spaces, as Chinese documents are.
const INDENT: &str = "\u{3000}\u{3000}";

/// The fewest lines of a block left at the foot of a page or carried to the next.
const ORPHAN: usize = 2;

/// Never at the start of a line (closing punctuation), never at its end (opening).
const NO_START: &str = "，。、；：？！）》」』】〕”’…—%,.;:?!)";
const NO_END: &str = "（《「『【〔“‘(";

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Layout {
    pub font: String,
    #[serde(default)]
    pub font_index: usize,
    pub margin_mm: Margins,
    /// Body text: it shrinks as far as `min_size_pt` to keep a document on one page; a
    /// document that still does not fit runs on over pages at `size_pt`.
    pub size_pt: f32,
    pub min_size_pt: f32,
    pub title_size_pt: f32,
    pub heading_size_pt: f32,
    pub footer_size_pt: f32,
    /// Baseline to baseline, in sizes; never less than the font's own height.
    pub line_spacing: f32,
    /// Below a heading, a table, a paragraph block.
    pub gap_mm: f32,
    /// Printed for a date not yet known (notice_date, decision_date), to fill in by hand.
    pub blank_date: String,
    /// Under the label of a row of the record continued from the page before.
    pub continued: String,
    /// At the foot of every page; may also name {page} and {pages}.
    pub footer: String,
    pub record: RecordLayout,
    pub notice: LetterLayout,
    pub decision: LetterLayout,
    /// Days the notice gives to state a case (the caller puts it in [`Case::statement_days`]).
    pub statement_days: u32,
    /// How and by when to appeal a decision (the caller puts it in [`Case::appeal`]).
    pub appeal: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Margins {
    pub top: f32,
    pub bottom: f32,
    pub left: f32,
    pub right: f32,
}

/// The record: a table of label and value rows, then the signatures.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RecordLayout {
    pub title: String,
    pub heading: String,
    pub number: String,
    /// The labels' column; the values take the rest of the width.
    pub label_mm: f32,
    /// A row's least height.
    pub row_mm: f32,
    pub fields: Vec<Field>,
    /// Between the table and the signatures; empty for none.
    pub note: String,
    /// The least height of a signature's row.
    pub sign_mm: f32,
    pub candidate: String,
    /// In the candidate's signature box when the candidate did not sign, above `witnesses`.
    pub refused: String,
    pub witnesses: String,
    pub invigilators: String,
    pub chief: String,
    pub date: String,
    pub date_value: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Field {
    pub label: String,
    pub value: String,
}

/// The notice and the decision: a letter to the candidate.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LetterLayout {
    /// Above the heading, centred (the issuer).
    pub title: String,
    pub heading: String,
    /// Below the heading, at the right.
    pub number: String,
    /// Lines to or about the candidate, from the left margin.
    pub to: Vec<String>,
    /// Indented paragraphs; one that comes out empty is left out.
    pub paragraphs: Vec<String>,
    /// At the right, below the paragraphs: the issuer and the date.
    pub sign: Vec<String>,
    /// From the left margin, below the sign-off (a receipt to sign).
    pub after: Vec<String>,
}

/// A violation case, every value prepared by the caller as the documents print it.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub case_no: String, // e.g. "2026A-0003"
    pub title: String,   // e.g. "2026年上半年计算机技术与软件专业技术资格（水平）考试"
    pub name: String,
    pub id_number: String,
    pub card_no: String,
    pub qualification: String, // e.g. "信息系统项目管理师（高级）"
    pub exam_area: String,
    pub site_name: String, // may be long: "云南大学旅游文化学院考点（丽江校区）"
    pub site_address: String, // may be long
    pub room: String,      // "第03考场"
    pub seat: String,      // "12"
    pub sitting: String,   // "2026年5月23日 上午 08:30—11:00"
    pub subject: String,   // "综合知识"
    pub occurred_at: String, // "2026年5月23日 10:15"
    pub found_by: String,  // "现场发现" | "视频监控发现" | "试卷雷同甄别"
    pub facts: String,     // up to ~600 characters
    pub evidence: Vec<String>, // each line e.g. "照片 IMG_0012.jpg（SHA-256 3f2a9c0d…）"
    pub clause: String,    // "第六条第（三）项"
    pub consequence: String, // "当次该科目考试成绩无效"
    pub signed: bool,
    pub witnesses: Vec<String>, // two names when !signed
    pub issuer: String,         // "云南省人事考试院"
    pub notice_date: String,    // "" when not yet notified
    pub statement_days: u32,    // days to state a case, e.g. 3
    pub statement: String,      // "应试人员未提出陈述申辩。" or a summary
    pub decision_date: String,  // "" when not yet decided
    pub appeal: String,         // appeal text
}

/// Which of a case's documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    Record,
    Notice,
    Decision,
}

impl DocKind {
    pub const ALL: [DocKind; 3] = [DocKind::Record, DocKind::Notice, DocKind::Decision];

    /// The end of the document's file name, after the case number.
    pub fn file_stem(self) -> &'static str {
        match self {
            DocKind::Record => "记录单",
            DocKind::Notice => "告知书",
            DocKind::Decision => "决定书",
        }
    }

    /// The PDF's title (with the case number), as the regulation names the document.
    pub fn title(self) -> &'static str {
        match self {
            DocKind::Record => "违纪违规行为记录单",
            DocKind::Notice => "违纪违规行为处理告知书",
            DocKind::Decision => "违纪违规行为处理决定书",
        }
    }
}

/// The document `kind` of `case`, A4 portrait. Body text shrinks (to `min_size_pt`) for it
/// to fit one page, else it runs on over numbered pages; nothing is drawn out of its box
/// or over other text (`Doc::finish` refuses it). An error names a template placeholder
/// the code does not know, a character the font lacks, or a block taller than a page.
pub fn render(
    font: &Font,
    layout: &Layout,
    case: &Case,
    kind: DocKind,
    date: i64,
) -> Result<Vec<u8>, String> {
    let values = values(layout, case);
    check_placeholders(layout, &values)?;
    let g = Geom::new(font, layout);
    let build = |size: f32| {
        let c = Ctx {
            font,
            layout,
            case,
            values: &values,
            g: &g,
            size,
        };
        match kind {
            DocKind::Record => record(&c),
            DocKind::Notice => letter(&c, &layout.notice),
            DocKind::Decision => letter(&c, &layout.decision),
        }
    };
    // The largest size, in half points, at which the document fits one page.
    let mut size = layout.size_pt;
    let pages = loop {
        let pages = paginate(build(size), &g)?;
        if pages.len() == 1 {
            break pages;
        }
        if size <= layout.min_size_pt {
            break paginate(build(layout.size_pt), &g)?;
        }
        size = (size - 0.5).max(layout.min_size_pt);
    };
    let n = pages.len();
    let mut out = Vec::with_capacity(n);
    for (i, placed) in pages.iter().enumerate() {
        let mut ops = Vec::new();
        // The footer first, so that a text running on from one page to the next reads on.
        footer(&mut ops, font, layout, &g, &values, (i + 1, n));
        for (top, b) in placed {
            draw(&mut ops, font, &g, *top, b);
        }
        check_glyphs(font, &ops)?;
        out.push(Page::new(PAGE_W, PAGE_H, ops));
    }
    Doc::new(font, &format!("{} {}", kind.title(), case.case_no), date).finish(out)
}

/// Every character any of the case's three documents may draw: the template's texts
/// filled in, the case's own, and the renderer's, for narrowing the font
/// ([`super::FontSource::narrowed`]).
pub fn texts(layout: &Layout, case: &Case) -> String {
    let values = values(layout, case);
    let mut out = String::new();
    for s in template_strings(layout) {
        out.push_str(&fill(&s, &values).text);
    }
    for (_, v) in &values {
        out.push_str(v);
    }
    out.push_str(OWN_TEXT);
    out.push_str(super::RENDERER_TEXT);
    out
}

/// The placeholders' values for `case`.
fn values(layout: &Layout, c: &Case) -> Vec<(&'static str, String)> {
    let or_blank = |d: &str| {
        if d.trim().is_empty() {
            layout.blank_date.clone()
        } else {
            d.to_string()
        }
    };
    let evidence: Vec<String> = c
        .evidence
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{}、{e}", i + 1))
        .collect();
    vec![
        ("case_no", c.case_no.clone()),
        ("title", c.title.clone()),
        ("name", c.name.clone()),
        ("id_number", c.id_number.clone()),
        ("card_no", c.card_no.clone()),
        ("qualification", c.qualification.clone()),
        ("exam_area", c.exam_area.clone()),
        ("site_name", c.site_name.clone()),
        ("site_address", c.site_address.clone()),
        ("room", c.room.clone()),
        ("seat", c.seat.clone()),
        ("sitting", c.sitting.clone()),
        ("subject", c.subject.clone()),
        ("occurred_at", c.occurred_at.clone()),
        ("found_by", c.found_by.clone()),
        ("facts", c.facts.clone()),
        ("evidence", evidence.join("\n")),
        ("clause", c.clause.clone()),
        // The templates end the sentence themselves.
        (
            "consequence",
            c.consequence.trim_end_matches('。').to_string(),
        ),
        ("witnesses", c.witnesses.join("、")),
        ("issuer", c.issuer.clone()),
        ("notice_date", or_blank(&c.notice_date)),
        ("days", c.statement_days.to_string()),
        ("statement", c.statement.clone()),
        ("decision_date", or_blank(&c.decision_date)),
        ("appeal", c.appeal.clone()),
        ("blank_date", layout.blank_date.clone()),
    ]
}

/// Every text of the template (but its font's file name).
fn template_strings(layout: &Layout) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            serde_json::Value::Object(o) => o
                .iter()
                .filter(|(k, _)| k.as_str() != "font")
                .for_each(|(_, v)| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::to_value(layout) {
        walk(&v, &mut out);
    }
    out
}

/// Refuses a template naming a placeholder the code does not fill (a typo would else be
/// printed on a legal document).
fn check_placeholders(layout: &Layout, values: &[(&'static str, String)]) -> Result<(), String> {
    let mut known = values.to_vec();
    known.extend([("page", String::new()), ("pages", String::new())]);
    for s in template_strings(layout) {
        if let Some(n) = fill(&s, &known).unknown.first() {
            return Err(format!(
                "the template names {{{n}}} in \"{s}\", which is not a field of a case"
            ));
        }
    }
    Ok(())
}

/// Splits `s` into lines no wider than `width`, by the font's advances, keeping closing
/// punctuation off the start of a line and opening punctuation off its end (a line gives
/// up as many as two characters to the next for it).
fn wrap_lines(font: &Font, s: &str, size: Pt, width: Pt) -> Vec<String> {
    let mut out = Vec::new();
    let mut line: Vec<char> = Vec::new();
    let mut used = 0.0;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let w = font.width(c.encode_utf8(&mut buf), size).0;
        if used + w > width.0 && !line.is_empty() {
            let first_of_next = |cut: usize, line: &[char]| line.get(cut).copied().unwrap_or(c);
            let mut cut = line.len();
            while cut > 1
                && line.len() - cut < 2
                && (NO_START.contains(first_of_next(cut, &line)) || NO_END.contains(line[cut - 1]))
            {
                cut -= 1;
            }
            let next = line.split_off(cut);
            out.push(line.into_iter().collect());
            line = next;
            used = font.width(&line.iter().collect::<String>(), size).0;
        }
        line.push(c);
        used += w;
    }
    if !line.is_empty() {
        out.push(line.into_iter().collect());
    }
    out
}

/// Where the text goes on a page, in points, and how tall a line is.
struct Geom {
    /// The text's column, left and right.
    x0: f32,
    x1: f32,
    /// The content's top and bottom; the footer is below the bottom.
    top: f32,
    bottom: f32,
    /// The record's label column.
    label_w: f32,
    /// Inside a table's cell, on every side.
    pad: f32,
    /// The font's ascent and descent (below zero), in ems.
    asc: f32,
    desc: f32,
    spacing: f32,
    continued: String,
}

impl Geom {
    fn new(font: &Font, layout: &Layout) -> Geom {
        let m = &layout.margin_mm;
        Geom {
            x0: mm(m.left).0,
            x1: mm(PAGE_W - m.right).0,
            top: mm(PAGE_H - m.top).0,
            bottom: mm(m.bottom).0,
            label_w: mm(layout.record.label_mm).0,
            pad: mm(1.5).0,
            asc: font.face.ascent / 1000.0,
            desc: font.face.descent / 1000.0,
            spacing: layout.line_spacing,
            continued: layout.continued.clone(),
        }
    }

    /// Baseline to baseline at `size`: at least the font's height, so lines never touch.
    fn step(&self, size: f32) -> f32 {
        size * self.spacing.max(self.asc - self.desc)
    }

    /// The baseline of a line whose slot (one step tall) starts at `top`: its glyphs'
    /// height centred in the slot.
    fn baseline(&self, top: f32, size: f32) -> f32 {
        top - (self.step(size) - (self.asc - self.desc) * size) / 2.0 - self.asc * size
    }
}

/// A row of the record: its label's and value's lines, at least `min` points tall.
struct Row {
    label: Vec<String>,
    value: Vec<String>,
    min: f32,
}

impl Row {
    fn height(&self, step: f32, pad: f32) -> f32 {
        (self.label.len().max(self.value.len()) as f32 * step + 2.0 * pad).max(self.min)
    }
}

enum Body {
    /// Lines centred across the column.
    Centre(Vec<String>),
    /// Lines from the left of the column; a page may end between them.
    Left(Vec<String>),
    /// Lines ending at the right of the column, kept together.
    Right(Vec<String>),
    /// Rows of the record's table: a single row may be split between its lines, several
    /// (the signatures) are kept together.
    Rows(Vec<Row>),
}

/// Lines measured at one size (points), before they are placed on pages, and the space
/// below them.
struct Block {
    size: f32,
    body: Body,
    after: f32,
}

impl Block {
    fn height(&self, g: &Geom) -> f32 {
        let step = g.step(self.size);
        match &self.body {
            Body::Centre(l) | Body::Left(l) | Body::Right(l) => l.len() as f32 * step,
            Body::Rows(rows) => rows.iter().map(|r| r.height(step, g.pad)).sum(),
        }
    }

    /// The part of the block that fits `room` points and the rest, each of at least
    /// [`ORPHAN`] lines; the block as it is when it cannot be split so.
    fn split(self, room: f32, g: &Geom) -> Result<(Block, Block), Block> {
        let step = g.step(self.size);
        let (size, after) = (self.size, self.after);
        match self.body {
            Body::Left(mut lines) => {
                let k = ((room / step).floor() as usize).min(lines.len().saturating_sub(ORPHAN));
                if k < ORPHAN {
                    return Err(Block {
                        size,
                        body: Body::Left(lines),
                        after,
                    });
                }
                let rest = lines.split_off(k);
                let first = Block {
                    size,
                    body: Body::Left(lines),
                    after: 0.0,
                };
                let rest = Block {
                    size,
                    body: Body::Left(rest),
                    after,
                };
                Ok((first, rest))
            }
            Body::Rows(mut rows) if rows.len() == 1 => {
                let r = &mut rows[0];
                let k = (((room - 2.0 * g.pad) / step).floor().max(0.0) as usize)
                    .min(r.value.len().saturating_sub(ORPHAN));
                if k < ORPHAN.max(r.label.len()) {
                    return Err(Block {
                        size,
                        body: Body::Rows(rows),
                        after,
                    });
                }
                let mut label = r.label.clone();
                if label.last() != Some(&g.continued) {
                    label.push(g.continued.clone());
                }
                let rest = Row {
                    label,
                    value: r.value.split_off(k),
                    min: r.min,
                };
                r.min = 0.0;
                let first = Block {
                    size,
                    body: Body::Rows(rows),
                    after: 0.0,
                };
                let rest = Block {
                    size,
                    body: Body::Rows(vec![rest]),
                    after,
                };
                Ok((first, rest))
            }
            body => Err(Block { size, body, after }),
        }
    }

    fn first_line(&self) -> &str {
        let first = match &self.body {
            Body::Centre(l) | Body::Left(l) | Body::Right(l) => l.first(),
            Body::Rows(rows) => rows.first().and_then(|r| r.label.first()),
        };
        first.map_or("", String::as_str)
    }
}

/// The blocks on pages, each with its top: a block that does not fit the rest of a page
/// is split there when it can be, else moved to the next page.
fn paginate(blocks: Vec<Block>, g: &Geom) -> Result<Vec<Vec<(f32, Block)>>, String> {
    let mut pages = Vec::new();
    let mut page: Vec<(f32, Block)> = Vec::new();
    let mut y = g.top;
    let mut queue: VecDeque<Block> = blocks.into();
    while let Some(b) = queue.pop_front() {
        let h = b.height(g);
        if y - h >= g.bottom - 0.01 {
            let after = b.after;
            page.push((y, b));
            y -= h + after;
            continue;
        }
        let fresh = page.is_empty();
        match b.split(y - g.bottom, g) {
            Ok((first, rest)) => {
                page.push((y, first));
                queue.push_front(rest);
            }
            Err(b) if fresh => {
                return Err(format!(
                    "\"{}\" and what goes with it is taller than a page",
                    b.first_line()
                ));
            }
            Err(b) => queue.push_front(b),
        }
        pages.push(std::mem::take(&mut page));
        y = g.top;
    }
    pages.push(page);
    Ok(pages)
}

/// Draws a block whose top is at `top`.
fn draw(ops: &mut Vec<Op>, font: &Font, g: &Geom, top: f32, b: &Block) {
    let step = g.step(b.size);
    let size = Pt(b.size);
    match &b.body {
        Body::Centre(lines) | Body::Left(lines) | Body::Right(lines) => {
            for (i, l) in lines.iter().enumerate() {
                let t = top - i as f32 * step;
                let w = font.width(l, size).0;
                let x = match b.body {
                    Body::Centre(_) => f32::midpoint(g.x0, g.x1) - w / 2.0,
                    Body::Right(_) => g.x1 - w,
                    _ => g.x0,
                };
                let bound = [g.x0, t - step, g.x1, t];
                text_in(ops, size, Pt(x), Pt(g.baseline(t, b.size)), l, bound);
            }
        }
        Body::Rows(rows) => {
            let mut t = top;
            let xl = g.x0 + g.label_w;
            for r in rows {
                let h = r.height(step, g.pad);
                rect(ops, Pt(g.x0), Pt(t - h), Pt(g.label_w), Pt(h), false);
                rect(ops, Pt(xl), Pt(t - h), Pt(g.x1 - xl), Pt(h), false);
                cell_lines(ops, font, g, size, [g.x0, t - h, xl, t], &r.label, true);
                cell_lines(ops, font, g, size, [xl, t - h, g.x1, t], &r.value, false);
                t -= h;
            }
        }
    }
}

/// A cell's lines, the block of them centred from top to bottom in the cell (x0, y0, x1,
/// y1), each line centred across it or from its left.
fn cell_lines(
    ops: &mut Vec<Op>,
    font: &Font,
    g: &Geom,
    size: Pt,
    cell: [f32; 4],
    lines: &[String],
    centre: bool,
) {
    let step = g.step(size.0);
    let top = cell[3] - ((cell[3] - cell[1]) - lines.len() as f32 * step) / 2.0;
    for (i, l) in lines.iter().enumerate() {
        let t = top - i as f32 * step;
        let x = if centre {
            f32::midpoint(cell[0], cell[2]) - font.width(l, size).0 / 2.0
        } else {
            cell[0] + g.pad
        };
        text_in(ops, size, Pt(x), Pt(g.baseline(t, size.0)), l, cell);
    }
}

/// The footer, centred in the bottom margin.
fn footer(
    ops: &mut Vec<Op>,
    font: &Font,
    layout: &Layout,
    g: &Geom,
    values: &[(&'static str, String)],
    (page, pages): (usize, usize),
) {
    let mut values = values.to_vec();
    values.extend([("page", page.to_string()), ("pages", pages.to_string())]);
    let s = fill(&layout.footer, &values).text;
    if s.trim().is_empty() {
        return;
    }
    let size = Pt(layout.footer_size_pt);
    let step = g.step(size.0);
    let t = f32::midpoint(g.bottom, step);
    let x = f32::midpoint(g.x0, g.x1) - font.width(&s, size).0 / 2.0;
    let bound = [g.x0, t - step, g.x1, t];
    text_in(ops, size, Pt(x), Pt(g.baseline(t, size.0)), &s, bound);
}

/// What a document's blocks are made with: the case, the template, and the body's size.
struct Ctx<'a> {
    font: &'a Font,
    layout: &'a Layout,
    case: &'a Case,
    values: &'a [(&'static str, String)],
    g: &'a Geom,
    size: f32,
}

impl Ctx<'_> {
    fn fill(&self, t: &str) -> String {
        fill(t, self.values).text
    }

    /// `s`'s lines (a line break starts a new one, indented when `indent`) wrapped into
    /// `width` points at `size`; blank lines are left out.
    fn lines(&self, s: &str, size: f32, width: f32, indent: bool) -> Vec<String> {
        s.split('\n')
            .map(|p| p.trim_end_matches('\r'))
            .filter(|p| !p.trim().is_empty())
            .flat_map(|p| {
                let p = if indent {
                    format!("{INDENT}{}", p.trim_start())
                } else {
                    p.to_string()
                };
                wrap_lines(self.font, &p, Pt(size), Pt(width))
            })
            .collect()
    }

    /// A heading, centred: on one line, shrunk as far as 3/4 of `size`, else on two (more
    /// only when even two will not do).
    fn centre(&self, t: &str, size: f32, after: f32) -> Option<Block> {
        let s = self.fill(t);
        if s.trim().is_empty() {
            return None;
        }
        let (width, min) = (self.g.x1 - self.g.x0, size * 0.75);
        let (size, lines) = match fit(self.font, &s, Pt(size), Pt(min), Pt(width), 2) {
            Some(f) => (f.size.0, f.lines),
            None => (min, self.lines(&s, min, width, false)),
        };
        Some(Block {
            size,
            body: Body::Centre(lines),
            after,
        })
    }

    /// Text from the left margin at the body's size; None when it comes out empty.
    fn left(&self, t: &str, indent: bool, after: f32) -> Option<Block> {
        let lines = self.lines(&self.fill(t), self.size, self.g.x1 - self.g.x0, indent);
        (!lines.is_empty()).then_some(Block {
            size: self.size,
            body: Body::Left(lines),
            after,
        })
    }

    /// Lines at the right margin, kept together.
    fn right(&self, ts: &[String], after: f32) -> Option<Block> {
        let width = self.g.x1 - self.g.x0;
        let lines: Vec<String> = ts
            .iter()
            .flat_map(|t| self.lines(&self.fill(t), self.size, width, false))
            .collect();
        (!lines.is_empty()).then_some(Block {
            size: self.size,
            body: Body::Right(lines),
            after,
        })
    }

    fn row(&self, label: &str, value: &str, min_mm: f32) -> Row {
        let g = self.g;
        let value_w = g.x1 - g.x0 - g.label_w - 2.0 * g.pad;
        Row {
            label: self.lines(&self.fill(label), self.size, g.label_w - 2.0 * g.pad, false),
            value: self.lines(&self.fill(value), self.size, value_w, false),
            min: mm(min_mm).0,
        }
    }

    /// A block of rows at the body's size.
    fn rows(&self, rows: Vec<Row>, after: f32) -> Block {
        Block {
            size: self.size,
            body: Body::Rows(rows),
            after,
        }
    }
}

/// The record: title, heading and number, one row per field, the note, and the
/// signatures (the candidate's box says so, with the witnesses, when the candidate
/// refused to sign), kept together.
fn record(c: &Ctx) -> Vec<Block> {
    let (l, r) = (c.layout, &c.layout.record);
    let gap = mm(l.gap_mm).0;
    let mut blocks: Vec<Block> = [
        c.centre(&r.title, l.title_size_pt, gap),
        c.centre(&r.heading, l.heading_size_pt, gap),
        c.right(std::slice::from_ref(&r.number), gap / 2.0),
    ]
    .into_iter()
    .flatten()
    .collect();
    for f in &r.fields {
        blocks.push(c.rows(vec![c.row(&f.label, &f.value, r.row_mm)], 0.0));
    }
    if let Some(last) = blocks.last_mut() {
        last.after = gap;
    }
    blocks.extend(c.left(&r.note, false, gap));
    let candidate = if c.case.signed {
        String::new()
    } else {
        format!("{}\n{}", r.refused, r.witnesses)
    };
    let signatures = vec![
        c.row(&r.candidate, &candidate, r.sign_mm),
        c.row(&r.invigilators, "", r.sign_mm),
        c.row(&r.chief, "", r.sign_mm),
        c.row(&r.date, &r.date_value, r.row_mm),
    ];
    blocks.push(c.rows(signatures, 0.0));
    blocks
}

/// The notice or the decision: title, heading and number, the lines to the candidate,
/// the paragraphs, the issuer and date at the right, and what follows (a receipt).
fn letter(c: &Ctx, d: &LetterLayout) -> Vec<Block> {
    let l = c.layout;
    let gap = mm(l.gap_mm).0;
    let mut blocks: Vec<Block> = [
        c.centre(&d.title, l.title_size_pt, gap),
        c.centre(&d.heading, l.heading_size_pt, gap),
        c.right(std::slice::from_ref(&d.number), gap),
    ]
    .into_iter()
    .flatten()
    .collect();
    blocks.extend(d.to.iter().filter_map(|t| c.left(t, false, 0.0)));
    if let Some(b) = blocks.last_mut() {
        b.after = gap;
    }
    blocks.extend(d.paragraphs.iter().filter_map(|p| c.left(p, true, 0.0)));
    if let Some(b) = blocks.last_mut() {
        b.after = 3.0 * gap;
    }
    blocks.extend(c.right(&d.sign, 3.0 * gap));
    blocks.extend(d.after.iter().filter_map(|t| c.left(t, false, gap)));
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::testing::{page_texts, wqy};

    const TEMPLATE: &str = include_str!("../../templates/violation_documents.json");

    fn layout() -> Layout {
        serde_json::from_str(TEMPLATE).unwrap()
    }

    /// A case with long values: a long site name and address, a rare character in the
    /// name, 600 characters of facts, three pieces of evidence, a refused signature.
    fn long_case() -> Case {
        let facts: String = [
            "监考人员在巡视考场时发现，该应试人员在考试开始约一小时四十五分钟后，多次低头查看放置于大腿上的物品，",
            "且左手始终遮挡于桌面下方。监考人员当即上前查看，发现其持有一部处于开机状态的智能手机，屏幕显示内容为与本科目",
            "考试相关的复习资料照片及即时通讯软件聊天界面，聊天记录中有考试开始后收到的若干张含试题内容的图片。监考人员依规",
            "当场收缴该手机，责令其停止答题，并在考场记录表上如实记载；随后报告考点主考，考点主考到场核实后，会同两名监考",
            "人员对该手机的屏幕内容进行了拍照固定。该应试人员当场承认上述物品为本人所有，但拒绝在本记录单上签字确认。",
            "考点视频监控录像显示，该应试人员自十时零二分起即有反复低头、左手置于桌下的动作，与监考人员现场发现的情况一致。",
            "经查阅考场座次表及准考证信息，确认该应试人员身份无误，其座位周边其他应试人员未发现异常。考点已将收缴的手机",
            "封存并贴封条，由两名监考人员及考点负责人签字后随考试材料一并移交考试机构，现将有关情况如实记录如下，以备查处。",
            "此外，监考人员在考试结束后清点该考场试卷及答题卡时，未发现缺页、错装或其他异常情况，该应试人员的答题卡已单独装袋。",
            "考点负责人随即组织对该考场全部应试人员的考试用品进行了复查，未发现其他电子设备；该应试人员在被收缴手机后情绪激动，经监考人员劝导后离开考场，离场时间为十时三十二分，离场过程有视频监控录像为证，考场秩序未受到明显影响，考试正常进行。",
        ]
        .concat()
        .chars()
        .take(600)
        .collect();
        assert_eq!(facts.chars().count(), 600);
        Case {
            case_no: "2026A-0003".into(),
            title: "2026年上半年计算机技术与软件专业技术资格（水平）考试".into(),
            name: "欧阳㛃瑶".into(),
            id_number: "53070219900101234X".into(),
            card_no: "262530700103012".into(),
            qualification: "信息系统项目管理师（高级）".into(),
            exam_area: "丽江考区".into(),
            site_name: "云南大学旅游文化学院考点（丽江校区）第二教学楼及实验实训综合楼".into(),
            site_address: "云南省丽江市古城区金山白族乡文化路与玉龙雪山大道交叉口东北侧云南大学旅游文化学院丽江校区内".into(),
            room: "第03考场".into(),
            seat: "12".into(),
            sitting: "2026年5月23日 上午 08:30—11:00".into(),
            subject: "综合知识".into(),
            occurred_at: "2026年5月23日 10:15".into(),
            found_by: "现场发现".into(),
            facts,
            evidence: vec![
                "照片 IMG_0012.jpg（SHA-256 3f2a9c0d41be77e0a5c2d9f1b8e46a3c0d2e9f7a1b5c8d3e6f0a4b7c2d9e1f3a）".into(),
                "考场视频监控录像片段 第03考场_1002-1020.mp4（SHA-256 9b1e04c7d2a8f3e6b5c0d9a7e1f4b2c8d6a3e0f7b9c1d5e2a8f6b3c0d7e4a1f9）".into(),
                "收缴的手机一部（已封存，封条编号 LJ-2026-0312）".into(),
            ],
            clause: "第六条第（三）项".into(),
            consequence: "当次全部科目考试成绩无效，并记入专业技术人员资格考试诚信档案库，记录期限为五年".into(),
            signed: false,
            witnesses: vec!["和丽娟".into(), "木春林".into()],
            issuer: "云南省人事考试院".into(),
            notice_date: "2026年5月28日".into(),
            statement_days: 3,
            statement: "应试人员于2026年5月30日提交书面陈述，称手机系忘记上交，未用于作答；经复核，其陈述与现场记录及监控录像不符，不予采纳。".into(),
            decision_date: "2026年6月8日".into(),
            appeal: "如对本决定不服，可自收到本决定书之日起六十日内向云南省人力资源和社会保障厅申请行政复议，或者自收到本决定书之日起六个月内向昆明市五华区人民法院提起行政诉讼。".into(),
        }
    }

    /// The font narrowed to the template's characters and those of `cases`, as a run does.
    fn font_for(cases: &[&Case]) -> Font {
        let layout = layout();
        let data: String = cases.iter().map(|c| texts(&layout, c)).collect();
        wqy().narrowed(data.chars(), TEMPLATE.chars()).unwrap()
    }

    fn squash(s: &str) -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '|')
            .collect()
    }

    /// The documents' text, pages in order, without the footers (so that a text running
    /// on to the next page reads on), without `|` and blanks.
    fn read(pdf: &[u8]) -> (usize, String) {
        let pages = page_texts(pdf);
        let text = pages
            .iter()
            .map(|p| {
                p.split('|')
                    .filter(|piece| !piece.contains("页 / 共"))
                    .collect::<String>()
            })
            .collect::<String>();
        (pages.len(), squash(&text))
    }

    fn expect_all(kind: DocKind, text: &str, wanted: &[&str]) {
        for w in wanted {
            assert!(text.contains(&squash(w)), "{kind:?} lacks \"{w}\":\n{text}");
        }
    }

    #[test]
    fn every_document_prints_every_field_of_a_long_case() {
        let (layout, c) = (layout(), long_case());
        let font = font_for(&[&c]);
        let mut common = vec![
            c.name.as_str(),
            &c.id_number,
            &c.card_no,
            &c.facts,
            &c.clause,
            &c.consequence,
            &c.case_no,
        ];
        let mut record = common.clone();
        record.extend([
            c.title.as_str(),
            &c.qualification,
            &c.exam_area,
            &c.site_name,
            &c.site_address,
            &c.room,
            &c.sitting,
            &c.subject,
            &c.occurred_at,
            &c.found_by,
            "应试人员拒绝签字",
            "见证人：和丽娟、木春林",
            "监考人员签名",
            "考点负责人签名",
            "12号座位",
        ]);
        record.extend(c.evidence.iter().map(String::as_str));
        let (pages, text) = read(&render(&font, &layout, &c, DocKind::Record, 0).unwrap());
        // A row that runs on to the next page names itself again there.
        let text = text.replace(&format!("证据{}", layout.continued), "");
        expect_all(DocKind::Record, &text, &record);
        // 600 characters of facts do not fit one page even at 9 pt: the record runs on.
        assert_eq!(pages, 2);

        common.extend([c.issuer.as_str(), &c.site_name, &c.occurred_at, &c.subject]);
        let mut notice = common.clone();
        notice.extend([c.notice_date.as_str(), "陈述和申辩的权利", "3日内"]);
        let (_, text) = read(&render(&font, &layout, &c, DocKind::Notice, 0).unwrap());
        expect_all(DocKind::Notice, &text, &notice);

        let mut decision = common;
        decision.extend([
            c.qualification.as_str(),
            &c.statement,
            &c.appeal,
            &c.decision_date,
            &c.notice_date,
        ]);
        decision.extend(c.evidence.iter().map(String::as_str));
        let (_, text) = read(&render(&font, &layout, &c, DocKind::Decision, 0).unwrap());
        expect_all(DocKind::Decision, &text, &decision);
        assert!(!text.contains("拒绝签字"));
    }

    #[test]
    fn a_signed_record_has_an_empty_box_for_the_signature() {
        let layout = layout();
        let mut c = long_case();
        c.signed = true;
        let font = font_for(&[&c]);
        let (_, text) = read(&render(&font, &layout, &c, DocKind::Record, 0).unwrap());
        // The candidate's box is empty: the next label follows at once.
        assert!(text.contains("应试人员签名监考人员签名"), "{text}");
        assert!(!text.contains("拒绝签字"), "{text}");
        assert!(!text.contains("见证人："), "{text}");
        assert!(!text.contains("和丽娟"), "{text}");
    }

    #[test]
    fn the_same_case_gives_the_same_bytes() {
        let (layout, c) = (layout(), long_case());
        let font = font_for(&[&c]);
        for kind in DocKind::ALL {
            let a = render(&font, &layout, &c, kind, 1_780_000_000).unwrap();
            let b = render(&font, &layout, &c, kind, 1_780_000_000).unwrap();
            assert!(a == b, "{kind:?}");
        }
    }

    #[test]
    fn a_short_case_fits_one_page_and_undated_documents_leave_the_date_blank() {
        let layout = layout();
        let mut c = long_case();
        c.facts = "考试开始后，该应试人员将手机放置于桌面抽屉内，经监考人员现场发现并收缴。".into();
        c.notice_date.clear();
        let font = font_for(&[&c]);
        for kind in DocKind::ALL {
            let (pages, text) = read(&render(&font, &layout, &c, kind, 0).unwrap());
            assert_eq!(pages, 1, "{kind:?}");
            if kind == DocKind::Notice {
                assert!(text.contains("云南省人事考试院年月日"), "{text}");
            }
        }
    }

    #[test]
    fn an_unknown_placeholder_or_a_missing_glyph_is_refused() {
        let c = long_case();
        let font = font_for(&[&c]);
        let mut bad = layout();
        bad.notice.paragraphs.push("请于{dayz}日内提出。".into());
        let e = render(&font, &bad, &c, DocKind::Decision, 0).unwrap_err();
        assert!(e.contains("{dayz}"), "{e}");

        let mut c = long_case();
        c.name = "王𠀀".into();
        let font = font_for(&[&c]);
        let e = render(&font, &layout(), &c, DocKind::Notice, 0).unwrap_err();
        assert!(e.contains("U+20000"), "{e}");
    }

    #[test]
    fn facts_longer_than_a_page_run_on_under_their_label_continued() {
        let layout = layout();
        let mut c = long_case();
        c.facts = c.facts.repeat(5);
        let font = font_for(&[&c]);
        let (pages, text) = read(&render(&font, &layout, &c, DocKind::Record, 0).unwrap());
        assert!(pages >= 3, "{pages} pages");
        let label = format!("违纪违规事实{}", layout.continued);
        assert!(text.contains(&label), "{text}");
        let text = text.replace(&label, "");
        expect_all(DocKind::Record, &text, &[&c.facts, "考点负责人签名"]);
    }

    #[test]
    fn lines_keep_closing_punctuation_off_their_start() {
        let font = wqy()
            .narrowed("一二三四五六七八九十，".chars(), std::iter::empty())
            .unwrap();
        // Ten characters a line: the comma would start the second.
        let lines = wrap_lines(&font, "一二三四五六七八九十，一二三", Pt(10.0), Pt(100.0));
        assert_eq!(lines, ["一二三四五六七八九", "十，一二三"]);
        assert!(lines.iter().all(|l| font.width(l, Pt(10.0)).0 <= 100.0));
    }
}

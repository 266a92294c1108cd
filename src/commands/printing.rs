//! What the document commands (cards, sheets, stickers) share of what they print: the
//! built-in font, a template with its font, the characters a run prints (to cut the font
//! down once), the subjects of each sitting, the year and half of a session, and groups of
//! whole rooms.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use super::Rejected;
use crate::model::session::SessionCode;
use crate::pdf::{Font, FontSource};

/// The font built into kaowu (WenQuanYi Zen Hei), so that documents look the same on every
/// machine.
pub const FONT: &[u8] = include_bytes!("../../templates/fonts/wqy-zenhei.ttc");

/// Groups seats (room, candidate), sorted by room, into runs of whole rooms of about
/// `size` seats: for each, its candidates and its first and last room.
pub fn room_groups(seats: &[(i64, i64)], size: usize) -> Vec<(Vec<i64>, (i64, i64))> {
    let mut groups = Vec::new();
    let mut start = 0;
    while start < seats.len() {
        let mut end = (start + size).min(seats.len());
        // A room is never split: its file needs all its seats.
        while end < seats.len() && seats[end].0 == seats[end - 1].0 {
            end += 1;
        }
        let group = &seats[start..end];
        let mut apps: Vec<i64> = group.iter().map(|(_, app)| *app).collect();
        apps.sort_unstable();
        apps.dedup();
        groups.push((apps, (group[0].0, group[group.len() - 1].0)));
        start = end;
    }
    groups
}

/// The characters a run prints: the template's and the renderer's own (printed by nearly
/// every document: see [`FontSource::narrowed`]), and its data's. The font is cut down to
/// them once, before rendering, so that the whole font is let go while the files are made.
pub struct Chars {
    fixed: BTreeSet<char>,
    data: BTreeSet<char>,
}

impl Chars {
    pub fn new(layout_text: &str) -> Chars {
        let mut fixed = BTreeSet::new();
        if let Ok(layout) = serde_json::from_str(layout_text) {
            printed(&layout, &mut fixed);
        }
        fixed.extend(crate::pdf::RENDERER_TEXT.chars());
        Chars {
            fixed,
            data: BTreeSet::new(),
        }
    }

    pub fn add<T: Serialize>(&mut self, data: impl Iterator<Item = T>) -> Result<()> {
        for d in data {
            self.data.extend(serde_json::to_string(&d)?.chars());
        }
        Ok(())
    }

    /// The font narrowed to these characters. Each PDF subsets it again to its own glyphs
    /// in their order, so a file's bytes do not depend on what else the run prints.
    pub fn narrow(self, font: &FontSource) -> Result<Font> {
        font.narrowed(self.data, self.fixed)
            .map_err(|e| anyhow::anyhow!("the template's font: {e}"))
    }
}

/// The characters of a template's texts: its strings but its comments, font file and the
/// names of fields and alignments, which are not printed.
fn printed(v: &serde_json::Value, out: &mut BTreeSet<char>) {
    match v {
        serde_json::Value::String(s) => out.extend(s.chars()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| printed(v, out)),
        serde_json::Value::Object(o) => {
            for (k, v) in o {
                if !["comment", "font", "key", "align"].contains(&k.as_str()) {
                    printed(v, out);
                }
            }
        }
        _ => {}
    }
}

/// The year and half (上半年 / 下半年) a session code such as 2026H2 names.
pub fn year_half(code: &str) -> (u32, &'static str) {
    match SessionCode::parse(code) {
        Ok(c) => (
            u32::from(c.year),
            if c.half == 1 {
                "上半年"
            } else {
                "下半年"
            },
        ),
        Err(_) => (0, "下半年"),
    }
}

/// A document layout with its JSON text and its font.
pub type Template<L> = (L, String, FontSource);

/// The layout (built in, or the JSON file given) with its text and its font (`font_of`:
/// the layout's font file, relative to a template file, and face).
pub fn load_template<L: serde::de::DeserializeOwned>(
    builtin: &str,
    file: Option<&Path>,
    font_of: impl Fn(&L) -> (&str, usize),
) -> Result<Template<L>> {
    let (layout, text, bytes): (L, String, std::borrow::Cow<'static, [u8]>) = match file {
        None => {
            let layout: L =
                serde_json::from_str(builtin).context("the built-in template is not valid")?;
            (layout, builtin.to_string(), FONT.into())
        }
        Some(t) => {
            let text = std::fs::read_to_string(t)
                .with_context(|| format!("cannot read the template {}", t.display()))?;
            let layout: L = serde_json::from_str(&text)
                .map_err(|e| Rejected::one(t.display().to_string(), format!("{e}")))?;
            let font_path = t
                .parent()
                .unwrap_or(Path::new("."))
                .join(font_of(&layout).0);
            let bytes = std::fs::read(&font_path)
                .with_context(|| format!("cannot read the font {}", font_path.display()))?;
            (layout, text, bytes.into())
        }
    };
    let font = FontSource::new(bytes, font_of(&layout).1)
        .map_err(|e| anyhow::anyhow!("the template's font: {e}"))?;
    Ok((layout, text, font))
}

/// The subjects of each qualification written in each sitting, from the plan.
pub struct SittingSubjects<'a>(HashMap<&'a str, HashMap<i64, Vec<&'a str>>>);

impl<'a> SittingSubjects<'a> {
    pub fn new(plan: &'a [crate::db::seating::SubjectSitting]) -> Self {
        let mut map: HashMap<&str, HashMap<i64, Vec<&str>>> = HashMap::new();
        for p in plan {
            map.entry(p.qualification.as_str())
                .or_default()
                .entry(p.sitting_id)
                .or_default()
                .push(p.subject.as_str());
        }
        SittingSubjects(map)
    }

    /// The subjects a candidate of `qualification` who chose `chosen` (their comma-separated
    /// subjects) writes in `sitting`, in plan order.
    pub fn taken<'s>(
        &'s self,
        qualification: &str,
        sitting: i64,
        chosen: &'s str,
    ) -> impl Iterator<Item = &'a str> + 's {
        self.0
            .get(qualification)
            .and_then(|by_sitting| by_sitting.get(&sitting))
            .into_iter()
            .flatten()
            .copied()
            .filter(move |s| chosen.split(',').any(|c| c == *s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_groups_never_split_a_room() {
        let seats = [(1, 10), (1, 11), (2, 10), (2, 12), (2, 13), (3, 14)];
        let groups = room_groups(&seats, 3);
        assert_eq!(
            groups,
            vec![(vec![10, 11, 12, 13], (1, 2)), (vec![14], (3, 3))]
        );
    }
}

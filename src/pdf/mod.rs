//! Documents for candidates and staff: admit cards (准考证). Pure renderers: they take the
//! data, the layout and the font, and return PDF bytes; they never touch the database.

pub mod card;

use printpdf::{ParsedFont, Pt};

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

//! The admit-card number (准考证号): fixed-width fields of the session's template, made from
//! the seat of a candidate's first sitting; and, when a template cannot hold what was
//! imported, one template that can.

use std::collections::BTreeMap;

use crate::model::session::{CardTemplate, TemplatePart};

/// What an admit-card number is made of.
#[derive(Debug, Clone)]
pub struct CardFields<'a> {
    pub year: u32,
    pub half: u8,
    /// The exam area's number (1-based, in the order of the areas' names).
    pub area: u32,
    pub site_code: &'a str,
    /// The site's number within its exam area (1-based, in the order of the site codes).
    pub site_no: u32,
    pub room: u32,
    pub seat: u32,
    pub sitting: u32,
    pub level: u8,
    pub seq: u32,
}

impl CardFields<'_> {
    fn value(&self, name: &str) -> Option<String> {
        Some(match name {
            "yyyy" => self.year.to_string(),
            "yy" => format!("{:02}", self.year % 100),
            "half" => self.half.to_string(),
            "area" => self.area.to_string(),
            "site" => self.site_code.to_string(),
            "siteno" => self.site_no.to_string(),
            "room" => self.room.to_string(),
            "seat" => self.seat.to_string(),
            "sitting" => self.sitting.to_string(),
            "level" => self.level.to_string(),
            "seq" => self.seq.to_string(),
            _ => return None,
        })
    }
}

/// Renders an admit-card number; `Err` when a value does not fit its field's width.
pub fn card_number(t: &CardTemplate, f: &CardFields<'_>) -> Result<String, String> {
    let mut out = String::with_capacity(t.width());
    for p in &t.parts {
        match p {
            TemplatePart::Literal(l) => out.push_str(l),
            TemplatePart::Field { name, width } => {
                let value = f
                    .value(name)
                    .ok_or_else(|| format!("unknown field {{{name}}}"))?;
                if value.len() > *width || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(format!(
                        "{{{name}{width}}}: {value} does not fit {width} characters"
                    ));
                }
                out.push_str(&format!("{value:0>width$}"));
            }
        }
    }
    Ok(out)
}

/// A field of a template that some numbers do not fit: how many, the widest value, and
/// the width it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    pub field: &'static str,
    pub width: usize,
    pub needed: usize,
    pub example: String,
    /// How many numbers it spoils.
    pub numbers: usize,
}

/// The fields of `t` that the values of `all` do not fit (in template order), and a
/// template that fits them all: each such field made as wide as its widest value, and a
/// site code with letters or wider than its field replaced by the site's number within its
/// exam area (`{sitenoN}`), which is digits only and as wide as the most sites of an area
/// need. `None` when every number fits.
pub fn fit_template<'a>(
    t: &CardTemplate,
    all: impl IntoIterator<Item = CardFields<'a>>,
) -> Option<(Vec<Misfit>, CardTemplate)> {
    // Per field: (numbers spoilt, widest value).
    let mut wide: BTreeMap<&'static str, (usize, String)> = BTreeMap::new();
    let mut max_site_no = 0;
    for f in all {
        max_site_no = max_site_no.max(f.site_no);
        for p in &t.parts {
            if let TemplatePart::Field { name, width } = p {
                let v = f.value(name).unwrap_or_default();
                let e = wide.entry(name).or_insert((0, String::new()));
                if v.len() > *width || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    e.0 += 1;
                }
                if v.len() > e.1.len() {
                    e.1 = v;
                }
            }
        }
    }
    let mut misfits = Vec::new();
    let mut parts = Vec::with_capacity(t.parts.len());
    for p in &t.parts {
        let TemplatePart::Field { name, width } = p else {
            parts.push(p.clone());
            continue;
        };
        let (spoilt, widest) = wide.get(name).cloned().unwrap_or_default();
        if spoilt == 0 {
            parts.push(p.clone());
            continue;
        }
        misfits.push(Misfit {
            field: name,
            width: *width,
            needed: widest.len(),
            example: widest.clone(),
            numbers: spoilt,
        });
        let field = if *name == "site" {
            let digits = max_site_no.max(1).to_string().len();
            TemplatePart::Field {
                name: "siteno",
                width: digits.max((*width).min(3)),
            }
        } else {
            TemplatePart::Field {
                name,
                width: widest.len().min(9),
            }
        };
        parts.push(field);
    }
    (!misfits.is_empty()).then_some((misfits, CardTemplate { parts }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(site_code: &str, site_no: u32, room: u32) -> CardFields<'_> {
        CardFields {
            year: 2026,
            half: 2,
            area: 3,
            site_code,
            site_no,
            room,
            seat: 5,
            sitting: 1,
            level: 2,
            seq: 1,
        }
    }

    #[test]
    fn card_numbers_are_fixed_width() {
        let t = CardTemplate::parse("{yy}{half}{area2}{site3}{room3}{seat2}").unwrap();
        let f = fields("1", 1, 7);
        assert_eq!(card_number(&t, &f).unwrap(), "2620300100705");
        let too_big = CardFields { room: 1234, ..f };
        assert!(card_number(&t, &too_big).unwrap_err().contains("1234"));
        let t = CardTemplate::parse("{yy}{half}{area2}{siteno3}{room3}{seat2}").unwrap();
        assert_eq!(
            card_number(&t, &fields("LJ01", 2, 7)).unwrap(),
            "2620300200705"
        );
    }

    #[test]
    fn a_template_that_does_not_fit_gets_one_that_does() {
        let t = CardTemplate::parse("{yy}{half}{area2}{sitting1}{site3}{room3}{seat2}").unwrap();
        let all = vec![
            fields("LJ01", 1, 7),
            fields("LJ02", 2, 12),
            fields("001", 1, 1024),
        ];
        let (misfits, fit) = fit_template(&t, all.clone()).unwrap();
        assert_eq!(
            misfits
                .iter()
                .map(|m| (m.field, m.needed, m.numbers))
                .collect::<Vec<_>>(),
            vec![("site", 4, 2), ("room", 4, 1)]
        );
        assert_eq!(
            fit.to_string(),
            "{yy}{half}{area2}{sitting1}{siteno3}{room4}{seat2}"
        );
        for f in &all {
            assert!(card_number(&fit, f).is_ok());
        }
        let ok = CardTemplate::parse("{yy}{site4}{room4}{seat2}").unwrap();
        assert_eq!(fit_template(&ok, all), None);
    }
}

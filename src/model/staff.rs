//! Exam staff (考务人员): their roles, when they can work, the posts a seated session needs
//! (from the session's rules), the rules an assignment must keep, and the pay sheet's tax.
//! The assignment itself is in [`super::staff_assign`].

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::date::parse_date;
use super::money::Fen;
use super::text::fold_ascii;

/// What a person does at a sitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Role {
    /// 主考: one per site and sitting, in charge of it.
    Chief,
    /// 技术: keeps a site's computer rooms running.
    Tech,
    /// 巡视: walks the corridors of a site.
    Patrol,
    /// 监考: in a room, with the candidates.
    Invigilator,
    /// 备用: stands by at a site to step in.
    Spare,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Chief,
        Role::Tech,
        Role::Patrol,
        Role::Invigilator,
        Role::Spare,
    ];

    pub fn zh(self) -> &'static str {
        match self {
            Role::Chief => "主考",
            Role::Tech => "技术",
            Role::Patrol => "巡视",
            Role::Invigilator => "监考",
            Role::Spare => "备用",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        let s = fold_ascii(s).trim().to_lowercase();
        Some(match s.as_str() {
            "主考" | "主考官" | "chief" => Role::Chief,
            "技术" | "技术支持" | "技术人员" | "tech" | "technician" => Role::Tech,
            "巡视" | "巡考" | "patrol" => Role::Patrol,
            "监考" | "监考员" | "invigilator" => Role::Invigilator,
            "备用" | "机动" | "spare" => Role::Spare,
            _ => return None,
        })
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The roles a person may take, as a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Roles(u8);

impl Roles {
    pub fn has(self, r: Role) -> bool {
        self.0 & r.bit() != 0
    }

    pub fn insert(&mut self, r: Role) {
        self.0 |= r.bit();
    }

    /// Who may hold a post of role `post`: its own role; a spare post also takes an
    /// invigilator (a spare steps into a room).
    pub fn may_hold(self, post: Role) -> bool {
        self.has(post) || (post == Role::Spare && self.has(Role::Invigilator))
    }

    /// `监考、备用`, or empty.
    pub fn text(self) -> String {
        Role::ALL
            .iter()
            .filter(|r| self.has(**r))
            .map(|r| r.zh())
            .collect::<Vec<_>>()
            .join("、")
    }

    /// Parses `监考、备用`, `监考,巡视` or `invigilator spare`; an unknown role is an error.
    pub fn parse(text: &str) -> Result<Roles, String> {
        let mut out = Roles::default();
        for part in split_list(text) {
            let r = Role::parse(part).ok_or_else(|| {
                format!("expected roles among 监考, 主考, 巡视, 技术, 备用, found \"{part}\"")
            })?;
            out.insert(r);
        }
        if out.0 == 0 {
            return Err("expected at least one role (监考, 主考, 巡视, 技术, 备用)".into());
        }
        Ok(out)
    }
}

/// Splits a list written with commas, 、, semicolons or spaces.
pub fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| {
        matches!(c, ',' | '，' | '、' | ';' | '；' | '/' | '|') || c.is_whitespace()
    })
    .map(str::trim)
    .filter(|p| !p.is_empty())
}

/// The items of a list of sites: like [`split_list`] but keeping the `/` of `考区/代码`.
pub fn split_sites(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| matches!(c, ',' | '，' | '、' | ';' | '；' | '|') || c.is_whitespace())
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// Half of an exam day: a sitting starting before noon is the morning's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct HalfDay {
    pub date: NaiveDate,
    pub afternoon: bool,
}

impl HalfDay {
    /// `2026-11-08上午`.
    pub fn text(self) -> String {
        format!(
            "{}{}",
            self.date.format("%Y-%m-%d"),
            if self.afternoon { "下午" } else { "上午" }
        )
    }
}

/// When a person can work: every half-day, or those listed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Availability(pub Option<Vec<HalfDay>>);

impl Availability {
    pub fn allows(&self, h: HalfDay) -> bool {
        self.0.as_ref().is_none_or(|list| list.contains(&h))
    }

    /// Parses `2026-11-08上午,2026-11-08下午`, `2026-11-08全天`, `11月8日上午` (the year of
    /// `year`), `2026-11-08 AM`; empty means any time. Sorted, without duplicates.
    pub fn parse(text: &str, year: i32) -> Result<Availability, String> {
        let text = fold_ascii(text);
        let mut out = Vec::new();
        let items = text.replace(['，', '、', ';', '；'], ",");
        for item in items.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let bad = || {
                format!(
                    "expected half-days like 2026-11-08上午, 2026-11-08下午 or 2026-11-08全天, found \"{item}\""
                )
            };
            let lower = item.to_lowercase();
            let (date, halves): (&str, &[bool]) =
                if let Some(d) = strip_any(&lower, &["上午", "am"]) {
                    (d, &[false])
                } else if let Some(d) = strip_any(&lower, &["下午", "pm"]) {
                    (d, &[true])
                } else if let Some(d) = strip_any(&lower, &["全天", "all day", "day"]) {
                    (d, &[false, true])
                } else {
                    return Err(bad());
                };
            let date = date.trim();
            let date = parse_date(date)
                .or_else(|| parse_date(&format!("{year}年{date}")))
                .ok_or_else(bad)?;
            for &afternoon in halves {
                out.push(HalfDay { date, afternoon });
            }
        }
        if out.is_empty() {
            return Ok(Availability(None));
        }
        out.sort_unstable();
        out.dedup();
        Ok(Availability(Some(out)))
    }

    /// The stored text: empty for any time.
    pub fn text(&self) -> String {
        self.0.as_ref().map_or_else(String::new, |l| {
            l.iter().map(|h| h.text()).collect::<Vec<_>>().join(",")
        })
    }
}

fn strip_any<'a>(s: &'a str, suffixes: &[&str]) -> Option<&'a str> {
    suffixes.iter().find_map(|x| s.strip_suffix(x))
}

/// An employer's name as compared for 交叉监考: full-width folded, without spaces,
/// brackets and punctuation, and without its legal form (有限公司, 股份有限公司, 公司), so
/// that `云南XX科技有限公司`, `云南 XX 科技（有限公司）` and `云南XX科技公司` are one employer.
/// Empty when nothing is left.
pub fn employer_key(name: &str) -> String {
    let mut s: String = fold_ascii(name)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    for form in [
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "集团公司",
        "公司",
        "coltd",
        "ltd",
    ] {
        if let Some(rest) = s.strip_suffix(form) {
            s = rest.to_string();
            break;
        }
    }
    s
}

/// The session's staffing rules and pay, each with the default an office would use;
/// `kaowu session set --staff KEY=VALUE` changes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rules {
    /// Invigilators of an ordinary room: `room_base` up to `room_up_to` candidates, one
    /// more per `room_step` more.
    pub room_base: u32,
    pub room_up_to: u32,
    pub room_step: u32,
    /// The same for a computer room (机房).
    pub computer_base: u32,
    pub computer_up_to: u32,
    pub computer_step: u32,
    /// One patrol per this many rooms in use at a site and sitting (at least one).
    pub patrol_rooms: u32,
    /// One technician per this many computer rooms in use (none without them).
    pub tech_rooms: u32,
    /// Spares per site and sitting.
    pub spares: u32,
    /// Duties a person takes at most in a day and in the session, unless their row says.
    pub cap_day: u32,
    pub cap_total: u32,
    /// Pay per duty (one post at one sitting), by role.
    pub rates: BTreeMap<Role, Fen>,
    /// How tax is withheld from the pay: 劳务报酬 (the labour-income withholding table) or
    /// none.
    pub tax: Tax,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Tax {
    /// 劳务报酬所得 withheld by the payer: nothing up to 800 yuan, 20% of what exceeds
    /// 800 up to 4,000, then 20% of 80% of the income (30% and 40% above 20,000 and 50,000,
    /// less the quick deductions 2,000 and 7,000).
    Labour,
    None,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            room_base: 2,
            room_up_to: 30,
            room_step: 30,
            computer_base: 2,
            computer_up_to: 40,
            computer_step: 40,
            patrol_rooms: 10,
            tech_rooms: 5,
            spares: 1,
            cap_day: 2,
            cap_total: 4,
            rates: [
                (Role::Chief, Fen(30_000)),
                (Role::Tech, Fen(25_000)),
                (Role::Patrol, Fen(20_000)),
                (Role::Invigilator, Fen(20_000)),
                (Role::Spare, Fen(10_000)),
            ]
            .into_iter()
            .collect(),
            tax: Tax::Labour,
        }
    }
}

impl Rules {
    /// The keys `session set --staff` takes, with what each means.
    pub const KEYS: &'static [(&'static str, &'static str)] = &[
        (
            "room.base",
            "invigilators of an ordinary room up to room.up_to candidates",
        ),
        (
            "room.up_to",
            "candidates the base number of invigilators watch",
        ),
        (
            "room.step",
            "one more invigilator per this many candidates more",
        ),
        (
            "computer.base",
            "invigilators of a computer room (机房) up to computer.up_to",
        ),
        (
            "computer.up_to",
            "candidates of a computer room the base number watch",
        ),
        (
            "computer.step",
            "one more invigilator per this many more in a computer room",
        ),
        (
            "patrol.rooms",
            "one patrol (巡视) per this many rooms in use at a site",
        ),
        (
            "tech.rooms",
            "one technician (技术) per this many computer rooms in use",
        ),
        ("spares", "spares (备用) per site and sitting"),
        (
            "cap.day",
            "duties a person takes at most in a day (unless their row says)",
        ),
        (
            "cap.total",
            "duties a person takes at most in the session (unless their row says)",
        ),
        (
            "rate.主考",
            "pay per duty in yuan; also rate.监考, rate.巡视, rate.技术, rate.备用",
        ),
        ("tax", "labour (劳务报酬 withholding) or none"),
    ];

    /// The rules with the stored `(key, value)` pairs applied; a bad pair is an error.
    pub fn with(pairs: &[(String, String)]) -> Result<Rules, String> {
        let mut r = Rules::default();
        for (k, v) in pairs {
            r.set(k, v)?;
        }
        Ok(r)
    }

    /// Sets one key; the error says what was expected.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let key = fold_ascii(key).trim().to_lowercase();
        let value = fold_ascii(value).trim().to_string();
        let count = |min: u32| {
            value
                .parse::<u32>()
                .ok()
                .filter(|&n| n >= min && n <= 1000)
                .ok_or_else(|| {
                    format!("{key}: expected a whole number from {min} to 1000, found \"{value}\"")
                })
        };
        match key.as_str() {
            "room.base" => self.room_base = count(1)?,
            "room.up_to" => self.room_up_to = count(1)?,
            "room.step" => self.room_step = count(1)?,
            "computer.base" => self.computer_base = count(1)?,
            "computer.up_to" => self.computer_up_to = count(1)?,
            "computer.step" => self.computer_step = count(1)?,
            "patrol.rooms" => self.patrol_rooms = count(1)?,
            "tech.rooms" => self.tech_rooms = count(1)?,
            "spares" => self.spares = count(0)?,
            "cap.day" => self.cap_day = count(1)?,
            "cap.total" => self.cap_total = count(1)?,
            "tax" => {
                self.tax = match value.to_lowercase().as_str() {
                    "labour" | "labor" | "劳务报酬" => Tax::Labour,
                    "none" | "不扣税" | "无" => Tax::None,
                    _ => {
                        return Err(format!(
                            "tax: expected labour (劳务报酬) or none, found \"{value}\""
                        ));
                    }
                }
            }
            k if k.starts_with("rate.") => {
                let role = Role::parse(&k["rate.".len()..]).ok_or_else(|| {
                    format!("{k}: expected rate.主考, rate.监考, rate.巡视, rate.技术 or rate.备用")
                })?;
                let fen = Fen::parse_yuan(&value)
                    .filter(|f| f.0 >= 0)
                    .ok_or_else(|| {
                        format!(
                            "{k}: expected an amount in yuan like 200 or 150.50, found \"{value}\""
                        )
                    })?;
                self.rates.insert(role, fen);
            }
            _ => {
                return Err(format!(
                    "unknown staff rule \"{key}\"; the rules are {}",
                    Rules::KEYS
                        .iter()
                        .map(|(k, _)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        Ok(())
    }

    /// The key as stored: folded, lower case, with the role of a rate in Chinese.
    pub fn stored_key(key: &str) -> String {
        let key = fold_ascii(key).trim().to_lowercase();
        match key.strip_prefix("rate.").and_then(Role::parse) {
            Some(role) => format!("rate.{}", role.zh()),
            None => key,
        }
    }

    /// Invigilators a room needs for `seated` candidates.
    pub fn invigilators(&self, seated: u32, computer: bool) -> u32 {
        let (base, up_to, step) = if computer {
            (self.computer_base, self.computer_up_to, self.computer_step)
        } else {
            (self.room_base, self.room_up_to, self.room_step)
        };
        if seated == 0 {
            return 0;
        }
        base + seated.saturating_sub(up_to).div_ceil(step)
    }

    pub fn rate(&self, role: Role) -> Fen {
        self.rates.get(&role).copied().unwrap_or(Fen(0))
    }
}

/// The tax withheld from one person's pay for the session.
pub fn tax(rule: Tax, gross: Fen) -> Fen {
    let g = gross.0;
    Fen(match rule {
        Tax::None => 0,
        Tax::Labour if g <= 80_000 => 0,
        Tax::Labour if g <= 400_000 => (g - 80_000) * 20 / 100,
        Tax::Labour => {
            // 应纳税所得额 = 80% of the income; the withholding table's rates and deductions.
            let taxable = g * 80 / 100;
            if taxable <= 2_000_000 {
                taxable * 20 / 100
            } else if taxable <= 5_000_000 {
                taxable * 30 / 100 - 200_000
            } else {
                taxable * 40 / 100 - 700_000
            }
        }
    })
}

/// One room of one sitting with candidates in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomLoad {
    pub sitting: usize,
    pub site: usize,
    pub room: usize,
    pub computer: bool,
    pub seated: u32,
}

/// A post to fill: a role at a site (and a room for invigilators) in a sitting; `slot`
/// numbers the posts of one kind there from 1.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Post {
    pub sitting: usize,
    pub site: usize,
    pub room: Option<usize>,
    pub role: Role,
    pub slot: u32,
}

/// The posts the rooms in use need, ordered by sitting, site, role, room and slot: per
/// site and sitting one chief, a patrol per `patrol_rooms` rooms, a technician per
/// `tech_rooms` computer rooms, the spares, and each room's invigilators.
pub fn posts(loads: &[RoomLoad], rules: &Rules) -> Vec<Post> {
    let mut by_site: BTreeMap<(usize, usize), Vec<&RoomLoad>> = BTreeMap::new();
    for l in loads.iter().filter(|l| l.seated > 0) {
        by_site.entry((l.sitting, l.site)).or_default().push(l);
    }
    let mut out = Vec::new();
    for ((sitting, site), rooms) in by_site {
        let site_post = |role, n: u32, out: &mut Vec<Post>| {
            out.extend((1..=n).map(|slot| Post {
                sitting,
                site,
                room: None,
                role,
                slot,
            }));
        };
        let computer = rooms.iter().filter(|r| r.computer).count() as u32;
        site_post(Role::Chief, 1, &mut out);
        site_post(Role::Tech, computer.div_ceil(rules.tech_rooms), &mut out);
        site_post(
            Role::Patrol,
            (rooms.len() as u32).div_ceil(rules.patrol_rooms),
            &mut out,
        );
        let mut rooms = rooms;
        rooms.sort_by_key(|r| r.room);
        for r in rooms {
            out.extend(
                (1..=rules.invigilators(r.seated, r.computer)).map(|slot| Post {
                    sitting,
                    site,
                    room: Some(r.room),
                    role: Role::Invigilator,
                    slot,
                }),
            );
        }
        site_post(Role::Spare, rules.spares, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_sites_keeps_area_and_code_together() {
        let sites: Vec<&str> = split_sites("玉溪/001，曲靖/001、 LJ02;530102001").collect();
        assert_eq!(sites, ["玉溪/001", "曲靖/001", "LJ02", "530102001"]);
        // Other lists split on / too (监考/备用).
        let roles: Vec<&str> = split_list("监考/备用").collect();
        assert_eq!(roles, ["监考", "备用"]);
    }

    #[test]
    fn invigilators_two_up_to_thirty_then_one_per_thirty() {
        let r = Rules::default();
        assert_eq!(r.invigilators(0, false), 0);
        assert_eq!(r.invigilators(1, false), 2);
        assert_eq!(r.invigilators(30, false), 2);
        assert_eq!(r.invigilators(31, false), 3);
        assert_eq!(r.invigilators(60, false), 3);
        assert_eq!(r.invigilators(61, false), 4);
        assert_eq!(r.invigilators(40, true), 2);
        assert_eq!(r.invigilators(41, true), 3);
    }

    #[test]
    fn posts_per_site_and_sitting() {
        let r = Rules::default();
        let mut loads: Vec<RoomLoad> = (0..11)
            .map(|room| RoomLoad {
                sitting: 0,
                site: 0,
                room,
                computer: room < 6,
                seated: 30,
            })
            .collect();
        loads[10].seated = 45;
        loads.push(RoomLoad {
            sitting: 0,
            site: 1,
            room: 20,
            computer: false,
            seated: 0,
        });
        let p = posts(&loads, &r);
        let count = |role| p.iter().filter(|x| x.role == role).count();
        assert_eq!(count(Role::Chief), 1);
        assert_eq!(count(Role::Tech), 2, "6 computer rooms, one per 5");
        assert_eq!(count(Role::Patrol), 2, "11 rooms, one per 10");
        assert_eq!(count(Role::Invigilator), 23);
        assert_eq!(count(Role::Spare), 1);
        assert!(p.iter().all(|x| x.site == 0), "an empty room needs nobody");
    }

    #[test]
    fn labour_tax_follows_the_withholding_table() {
        assert_eq!(tax(Tax::Labour, Fen(80_000)), Fen(0));
        assert_eq!(tax(Tax::Labour, Fen(100_000)), Fen(4_000));
        assert_eq!(tax(Tax::Labour, Fen(400_000)), Fen(64_000));
        assert_eq!(tax(Tax::Labour, Fen(500_000)), Fen(80_000));
        // 30,000 yuan: 24,000 taxable at 30% less 2,000.
        assert_eq!(tax(Tax::Labour, Fen(3_000_000)), Fen(520_000));
        assert_eq!(tax(Tax::None, Fen(500_000)), Fen(0));
    }

    #[test]
    fn employers_compare_without_legal_form_and_punctuation() {
        assert_eq!(
            employer_key("云南XX科技有限公司"),
            employer_key("云南 ＸＸ 科技（有限公司）")
        );
        assert_eq!(
            employer_key("云南XX科技公司"),
            employer_key("云南XX科技有限公司")
        );
        assert_ne!(employer_key("云南大学"), employer_key("云南财经大学"));
    }

    #[test]
    fn availability_forms() {
        let a = Availability::parse("2026-11-08上午，11月8日下午、2026-11-09全天", 2026).unwrap();
        let d = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert_eq!(a.0.as_ref().unwrap().len(), 4);
        assert!(a.allows(HalfDay {
            date: d(8),
            afternoon: true
        }));
        assert!(!a.allows(HalfDay {
            date: d(10),
            afternoon: false
        }));
        assert_eq!(Availability::parse("", 2026).unwrap(), Availability(None));
        assert!(Availability::parse("周六", 2026).is_err());
        assert_eq!(
            Availability::parse(&a.text(), 2000).unwrap(),
            a,
            "the stored text reads back"
        );
    }

    #[test]
    fn roles_parse_and_spares_take_invigilators() {
        let r = Roles::parse("监考、巡视").unwrap();
        assert!(r.may_hold(Role::Spare) && r.may_hold(Role::Patrol) && !r.may_hold(Role::Chief));
        assert!(Roles::parse("校长").is_err());
        assert!(Roles::parse("").is_err());
        assert_eq!(r.text(), "巡视、监考");
    }

    #[test]
    fn rules_keys_and_errors() {
        let mut r = Rules::default();
        r.set("rate.invigilator", "250").unwrap();
        assert_eq!(r.rate(Role::Invigilator), Fen(25_000));
        assert_eq!(Rules::stored_key("rate.invigilator"), "rate.监考");
        assert!(r.set("room.base", "0").is_err());
        assert!(r.set("rooms.base", "2").unwrap_err().contains("room.base"));
        r.set("tax", "none").unwrap();
        assert_eq!(r.tax, Tax::None);
    }
}

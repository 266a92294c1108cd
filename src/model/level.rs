//! Levels (级别) and the subjects (科目) each level's qualifications are examined in.

use std::fmt;

use serde::Serialize;

use super::text::fold_ascii;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum Level {
    Junior,
    Intermediate,
    Senior,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Junior, Level::Intermediate, Level::Senior];

    /// The Chinese name, which is also what the database stores.
    pub fn zh(self) -> &'static str {
        match self {
            Level::Junior => "初级",
            Level::Intermediate => "中级",
            Level::Senior => "高级",
        }
    }

    /// Accepts 初级/中级/高级, the English words, and the short forms offices use
    /// (`初`, `中`, `高`, `初级资格`).
    pub fn parse(s: &str) -> Option<Level> {
        let s = fold_ascii(s).to_ascii_lowercase();
        let s = s.trim_end_matches("资格");
        match s {
            "初级" | "初" | "junior" | "primary" => Some(Level::Junior),
            "中级" | "中" | "intermediate" | "middle" => Some(Level::Intermediate),
            "高级" | "高" | "senior" | "advanced" => Some(Level::Senior),
            _ => None,
        }
    }

    /// The subjects every qualification of this level is examined in, in exam order.
    pub fn subjects(self) -> &'static [&'static str] {
        match self {
            Level::Junior | Level::Intermediate => &["基础知识", "应用技术"],
            Level::Senior => &["综合知识", "案例分析", "论文"],
        }
    }

    /// Subjects that are taken back to back and so must share one sitting. 高级's 论文 has
    /// a sitting of its own since the exam went computer-based.
    pub fn back_to_back(self) -> &'static [&'static str] {
        match self {
            Level::Junior | Level::Intermediate => &["基础知识", "应用技术"],
            Level::Senior => &["综合知识", "案例分析"],
        }
    }

    /// The canonical subject name for `s`, accepting English aliases.
    pub fn subject(self, s: &str) -> Option<&'static str> {
        let key = fold_ascii(s).to_ascii_lowercase();
        let alias = match key.as_str() {
            "basic knowledge" | "basics" | "fundamentals" => "基础知识",
            "applied technology" | "application technology" | "applications" => "应用技术",
            "comprehensive knowledge" | "general knowledge" => "综合知识",
            "case analysis" | "case study" | "cases" => "案例分析",
            "essay" | "thesis" | "paper" => "论文",
            other => other,
        };
        self.subjects().iter().copied().find(|&name| name == alias)
    }

    /// Reads 报考科目 (`基础知识, 应用技术`; commas, 、, semicolons, slashes or spaces between)
    /// against the subjects `offered` for a qualification of this level: the stored form,
    /// in exam order, or what is not offered.
    pub fn subject_list(self, text: &str, offered: &[&'static str]) -> Result<String, String> {
        let mut picked: Vec<&'static str> = Vec::new();
        let mut bad = Vec::new();
        for part in text
            .split([',', '，', '、', ';', '；', '/', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match self.subject(part).filter(|s| offered.contains(s)) {
                Some(s) if !picked.contains(&s) => picked.push(s),
                Some(_) => {}
                None => bad.push(part.to_string()),
            }
        }
        if !bad.is_empty() || picked.is_empty() {
            return Err(if bad.is_empty() {
                text.to_string()
            } else {
                bad.join(", ")
            });
        }
        let ordered: Vec<&str> = self
            .subjects()
            .iter()
            .copied()
            .filter(|s| picked.contains(s))
            .collect();
        Ok(ordered.join(","))
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.zh())
    }
}

impl From<Level> for &'static str {
    fn from(l: Level) -> &'static str {
        l.zh()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chinese_and_english_levels() {
        assert_eq!(Level::parse("中级"), Some(Level::Intermediate));
        assert_eq!(Level::parse(" Senior "), Some(Level::Senior));
        assert_eq!(Level::parse("初级资格"), Some(Level::Junior));
        assert_eq!(Level::parse("特级"), None);
    }

    #[test]
    fn subjects_belong_to_levels() {
        assert_eq!(Level::Senior.subject("论文"), Some("论文"));
        assert_eq!(Level::Senior.subject("Case Analysis"), Some("案例分析"));
        assert_eq!(Level::Intermediate.subject("论文"), None);
        assert_eq!(Level::Junior.subject("应用技术"), Some("应用技术"));
    }
}

//! Reading a file for a change: what an import changes by natural key ([`Diff`]), the
//! fingerprint of the file read ([`FileDigest`]) and its record in the store, and turning a
//! file's problems into one refusal that names every place ([`reject_if_any`]). Shared by
//! every import and by the commands that read a file to change data (decision sheets,
//! corrections, payments).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Rejected, now};
use crate::cli::ImportArgs;
use crate::db::Tx;
use crate::db::imports::ImportRecord;
use crate::io::table::{self, Cells, Column, Header, Problems, Schema};
use crate::model::RowProblem;
use crate::model::level::Level;

/// What an import changes, by natural key.
#[derive(Debug, Default, Serialize)]
pub struct Diff {
    pub added: Vec<String>,
    /// Added beyond those that `added` lists: an applications import lists the first
    /// [`Diff::LISTED`] of what may be 200,000.
    #[serde(skip_serializing_if = "is_zero")]
    pub added_not_listed: usize,
    pub changed: Vec<Changed>,
    pub unchanged: usize,
    /// Stored rows that the file does not name; they are kept.
    pub kept: usize,
}

#[derive(Debug, Serialize)]
pub struct Changed {
    pub key: String,
    pub fields: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Diff {
    /// How many added keys [`Diff::add_listed`] keeps.
    pub const LISTED: usize = 20;

    /// Counts an added row, keeping its key only among the first [`Diff::LISTED`].
    pub fn add_listed(&mut self, key: &str) {
        if self.added.len() < Self::LISTED {
            self.added.push(key.to_string());
        } else {
            self.added_not_listed += 1;
        }
    }

    pub fn added_count(&self) -> usize {
        self.added.len() + self.added_not_listed
    }

    /// Compares one incoming row with the stored one, if any.
    pub fn row(&mut self, key: String, fields: Option<Vec<String>>) {
        match fields {
            None => self.added.push(key),
            Some(f) if f.is_empty() => self.unchanged += 1,
            Some(fields) => self.changed.push(Changed { key, fields }),
        }
    }
}

/// The SHA-256 of an imported file, worked out on a thread of its own while the import
/// reads and writes, and streamed rather than read whole. (For 200,000 applications the
/// file is 56 MB: read into memory and hashed after the rows, it added 0.1 s.)
pub struct FileDigest {
    /// The file as the user gave it (`<stdin>` for standard input).
    shown: String,
    hashing: std::thread::JoinHandle<std::io::Result<String>>,
}

impl FileDigest {
    /// Hashes `file`, which the record names `shown`.
    pub fn start(file: &Path, shown: String) -> FileDigest {
        let path = file.to_path_buf();
        let hashing = std::thread::spawn(move || {
            let mut hasher = Sha256::new();
            std::io::copy(&mut std::fs::File::open(&path)?, &mut hasher)?;
            Ok(format!("{:x}", hasher.finalize()))
        });
        FileDigest { shown, hashing }
    }

    pub fn finish(self) -> Result<String> {
        let hashed = self
            .hashing
            .join()
            .map_err(|_| anyhow::anyhow!("the thread hashing {} panicked", self.shown))?;
        hashed.with_context(|| format!("cannot read {}", self.shown))
    }
}

/// Records an import that changed the database: the file, its SHA-256, who, and the counts.
pub async fn record_import(
    tx: &mut Tx,
    session_id: i64,
    kind: &str,
    file: FileDigest,
    operator: &str,
    diff: &Diff,
) -> Result<()> {
    let shown = file.shown.clone();
    let sha256 = file.finish()?;
    tx.record_import(&ImportRecord {
        session_id,
        kind,
        file: &shown,
        sha256: &sha256,
        operator,
        at: now(),
        added: diff.added_count(),
        changed: diff.changed.len(),
        unchanged: diff.unchanged,
    })
    .await?;
    Ok(())
}

/// The fields whose text differs between `old` and `new`: (name, old, new).
pub fn field_changes(
    old: &[(&'static str, String)],
    new: &[(&'static str, String)],
) -> Vec<(&'static str, String, String)> {
    old.iter()
        .zip(new)
        .filter(|((_, o), (_, n))| o != n)
        .map(|((name, o), (_, n))| (*name, o.clone(), n.clone()))
        .collect()
}

/// A file that cannot be read at all: a missing file is a system error (exit 2), a file
/// that is not what it should be is rejected input (exit 1).
pub fn rejected_from(e: table::TableError) -> anyhow::Error {
    match e {
        table::TableError::Open { .. } => anyhow::Error::new(e),
        table::TableError::Format { file, message } => Rejected::one(file, message).into(),
    }
}

/// Fails with every problem found, each with its place, when there are any.
pub fn reject_if_any(
    header: &Header,
    problems: Problems,
    rules: Vec<(usize, RowProblem)>,
) -> Result<()> {
    // In file order: the problems of each row together, as a user fixes them.
    let mut list = problems.list;
    list.extend(rules.into_iter().map(|(line, p)| {
        (
            line,
            format!("{}: {}", header.at(line, p.column), p.message),
        )
    }));
    list.sort_by_key(|(line, _)| *line);
    let list: Vec<String> = list.into_iter().map(|(_, p)| p).collect();
    if list.is_empty() {
        Ok(())
    } else {
        Err(Rejected {
            what: header.source.file.clone(),
            problems: list,
        }
        .into())
    }
}

/// The columns of an applications file, the portal's export (and of a corrections file).
pub const APPLICATIONS: Schema = Schema {
    what: "applications (报名信息)",
    columns: &[
        Column::req("registration_no", "报名序号", "registration_no").aka(&["报名号"]),
        Column::req("name", "姓名", "name").aka(&["考生姓名"]),
        Column::req("id_type", "证件类型", "id_type"),
        Column::req("id_number", "证件号码", "id_number").aka(&["身份证号", "身份证号码"]),
        Column::opt("gender", "性别", "gender").aka(&["sex"]),
        Column::opt("birth_date", "出生日期", "birth_date"),
        Column::opt("level", "报考级别", "level").aka(&["级别"]),
        Column::req("qualification", "报考资格", "qualification").aka(&["资格名称"]),
        Column::req("subjects", "报考科目", "subjects").aka(&["科目"]),
        Column::req("exam_area", "考区", "exam_area").aka(&["考试考区"]),
        Column::opt("title", "现有职称", "title"),
        Column::opt("employer", "工作单位", "employer"),
        Column::opt("school", "所在学校", "school"),
        Column::opt("major", "所学专业", "major"),
        Column::opt("education", "学历", "education"),
        Column::opt("degree", "学位", "degree"),
        Column::opt("graduation_date", "毕业时间", "graduation_date"),
        Column::opt("address", "通信地址", "address"),
        Column::opt("mobile", "手机号码", "mobile").aka(&["手机"]),
        Column::opt("email", "Email", "email").aka(&["电子邮箱", "邮箱"]),
        Column::opt("postcode", "邮政编码", "postcode"),
        Column::opt("phone", "固定电话", "phone"),
        Column::opt("photo", "照片", "photo").aka(&["照片文件"]),
        Column::opt("submitted_at", "提交时间", "submitted_at"),
    ],
};

/// A qualification as the plan offers it.
pub(crate) struct Offered {
    pub id: i64,
    pub level: Level,
    pub subjects: Vec<&'static str>,
}

/// The qualifications the session's plan offers, by name, with their subjects.
pub(crate) async fn offered(
    tx: &mut crate::db::Tx,
    session_id: i64,
) -> Result<HashMap<String, Offered>> {
    let mut plan: HashMap<String, Offered> = HashMap::new();
    let quals = tx.qualification_ids(session_id).await?;
    for e in tx.plan(session_id).await? {
        let Some(level) = Level::parse(&e.level) else {
            continue;
        };
        let entry = plan
            .entry(e.qualification.clone())
            .or_insert_with(|| Offered {
                id: quals.get(&e.qualification).copied().unwrap_or_default(),
                level,
                subjects: Vec::new(),
            });
        if let Some(s) = level.subject(&e.subject) {
            entry.subjects.push(s);
        }
    }
    Ok(plan)
}

/// Reads a file, turning each row into a `T` with `parse`; rows with problems are left out
/// and their problems collected. Stops with [`Rejected`] when the file cannot be read.
pub fn read_rows<T>(
    path: &Path,
    args: &ImportArgs,
    schema: Schema,
    mut parse: impl FnMut(&mut Cells<'_, '_>) -> Option<T>,
) -> Result<(Header, Vec<T>, Problems)> {
    let mut rows = Vec::new();
    let mut problems = Problems::default();
    let header = table::read(path, &args.read_options(), schema, |row| {
        let mut cells = Cells::new(row, &mut problems);
        if let Some(t) = parse(&mut cells)
            && cells.ok()
        {
            rows.push(t);
        }
    })
    .map_err(rejected_from)?;
    Ok((header, rows, problems))
}

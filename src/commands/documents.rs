//! Writing documents (admit cards, sign-in sheets, door stickers) into a folder: rendered in
//! parallel with rayon, each file written atomically, and incrementally: DIR/manifest.json
//! records each file's content hash (what it was made from) and file hash, so a second run
//! renders only what changed and removes files that are no longer wanted.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::io::atomic::{AtomicFile, Unsynced, write_unsynced};

/// Files are rendered in chunks, and the manifest saved after a chunk when it was last
/// saved some seconds ago, so that a run killed half-way resumes from there. Saving after
/// every chunk rewrote a 50 MB manifest hundreds of times in a run of 170,000 cards.
const CHUNK: usize = 500;
const SAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// How many candidates (or seats) a run loads and renders at a time: the rows of a whole
/// session of 200,000 took 400 MB, a group of 5,000 a few. `KAOWU_DOCUMENT_GROUP` sets
/// another size (tests use tiny groups to cross their edges).
pub fn group_size() -> usize {
    std::env::var("KAOWU_DOCUMENT_GROUP")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(5_000)
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    /// What the folder holds ("admit cards", "room documents"); one kind per folder, so that
    /// one kind's run never removes another's files. Empty in manifests written before the
    /// field existed, which held admit cards.
    #[serde(default)]
    kind: String,
    /// What every file depends on besides its own data: the layout, the font, the date.
    base: String,
    files: BTreeMap<Box<str>, Entry>,
}

/// A file of the manifest. The hashes are kept as their 32 bytes (as hex strings they took
/// four times the memory in a manifest of 170,000 files) and written as hex as before.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "EntryText")]
struct Entry {
    content_hash: blake3::Hash,
    file_hash: blake3::Hash,
    /// The admit-card numbers in the file.
    contents: Box<[Box<str>]>,
}

/// An entry as the manifest file spells it.
#[derive(Deserialize)]
struct EntryText {
    content_hash: String,
    file_hash: String,
    #[serde(alias = "cards")]
    contents: Vec<String>,
}

impl TryFrom<EntryText> for Entry {
    type Error = blake3::HexError;
    fn try_from(e: EntryText) -> Result<Entry, Self::Error> {
        Ok(Entry {
            content_hash: blake3::Hash::from_hex(&e.content_hash)?,
            file_hash: blake3::Hash::from_hex(&e.file_hash)?,
            contents: e.contents.into_iter().map(String::into_boxed_str).collect(),
        })
    }
}

impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut e = s.serialize_struct("Entry", 3)?;
        e.serialize_field("content_hash", self.content_hash.to_hex().as_str())?;
        e.serialize_field("file_hash", self.file_hash.to_hex().as_str())?;
        e.serialize_field("contents", &self.contents)?;
        e.end()
    }
}

/// One output file: its path under the folder and what it is made from.
pub struct Job<T> {
    pub path: String,
    /// A hash of `base` and the file's data: equal hashes, equal files.
    pub content_hash: blake3::Hash,
    /// The admit-card numbers in the file, for the manifest.
    pub contents: Vec<String>,
    pub data: T,
}

impl<T: Serialize> Job<T> {
    pub fn new(path: String, base: &str, contents: Vec<String>, data: T) -> Job<T> {
        let mut h = blake3::Hasher::new();
        h.update(base.as_bytes());
        // The data's JSON, streamed into the hash rather than built as a string first.
        serde_json::to_writer(&mut h, &data).expect("plain data");
        Job {
            path,
            content_hash: h.finalize(),
            contents,
            data,
        }
    }
}

/// A file that could not be made, and the candidate it is about (empty when none).
#[derive(Debug, Serialize)]
pub struct Failure {
    pub file: String,
    pub registration_no: String,
    pub problem: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub files: usize,
    pub rendered: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub failed: Vec<Failure>,
    pub bytes_written: u64,
}

pub struct Batch<'a> {
    pub out: &'a Path,
    pub kind: &'a str,
    pub base: &'a str,
    /// Remove the files of the manifest that no job makes (off when only some are asked).
    pub prune: bool,
    /// Rendering threads; None: one per core.
    pub threads: Option<usize>,
}

/// A file safe to use as one path component, on Windows too (where `* ? " < > |` are not
/// allowed in a name either).
pub fn safe(s: &str) -> String {
    s.replace(['/', '\\', ':', '*', '?', '"', '<', '>', '|'], "_")
}

/// A date as printed on documents: `2026年11月8日`.
pub fn chinese_date(d: chrono::NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

/// The same of a stored `2026-11-08`; text that is no such date is printed as it is.
pub fn chinese_date_text(d: &str) -> String {
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_or_else(|_| d.to_string(), chinese_date)
}

/// The stable base of a set of documents: their layout, their font, their date, and the
/// kaowu version that draws them.
pub fn base_hash(layout: &str, font: &[u8], date: i64) -> String {
    let mut h = blake3::Hasher::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(layout.as_bytes());
    h.update(blake3::hash(font).as_bytes());
    h.update(&date.to_le_bytes());
    h.finalize().to_hex().to_string()
}

/// A run of a [`Batch`] under way: jobs come in groups ([`Writer::write`]), and
/// [`Writer::finish`] removes what no group made and saves the manifest.
pub struct Writer<'a> {
    batch: &'a Batch<'a>,
    manifest: Manifest,
    manifest_path: PathBuf,
    /// The paths of every job so far, as 16 bytes of their hash: what pruning keeps,
    /// without holding 170,000 paths.
    wanted: HashSet<[u8; 16]>,
    outcome: Outcome,
    pool: rayon::ThreadPool,
    bar: indicatif::ProgressBar,
    saved: std::time::Instant,
    /// Files written since the manifest was last saved.
    unsynced: Unsynced,
}

fn path_key(path: &str) -> [u8; 16] {
    let h = blake3::hash(path.as_bytes());
    let mut k = [0; 16];
    k.copy_from_slice(&h.as_bytes()[..16]);
    k
}

impl<'a> Batch<'a> {
    /// Reads the folder's manifest and checks that it holds this kind of documents.
    pub fn start(&'a self) -> Result<Writer<'a>> {
        let out = self.out;
        std::fs::create_dir_all(out)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
        let manifest_path = out.join("manifest.json");
        // Read as a stream: the text of a large manifest would double what it takes.
        let mut manifest: Manifest = std::fs::File::open(&manifest_path)
            .ok()
            .and_then(|f| serde_json::from_reader(std::io::BufReader::new(f)).ok())
            .unwrap_or_default();
        let held = if manifest.kind.is_empty() && !manifest.files.is_empty() {
            "admit cards"
        } else {
            manifest.kind.as_str()
        };
        if !held.is_empty() && held != self.kind {
            bail!(
                "{} holds {held} (see its manifest.json); write {} into another folder",
                out.display(),
                self.kind
            );
        }
        manifest.kind = self.kind.to_string();
        manifest.base = self.base.to_string();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads.unwrap_or(0))
            .build()?;
        let bar = crate::progress::bar(0, &format!("rendering {}", self.kind));
        Ok(Writer {
            batch: self,
            manifest,
            manifest_path,
            wanted: HashSet::new(),
            outcome: Outcome::default(),
            pool,
            bar,
            saved: std::time::Instant::now(),
            unsynced: Unsynced::new(out),
        })
    }
}

impl Writer<'_> {
    /// Renders the jobs whose file is missing or out of date, writes them, and keeps the
    /// manifest in step. `render` returns a file's bytes.
    pub fn write<T: Sync>(
        &mut self,
        jobs: &[Job<T>],
        render: impl Fn(&Job<T>) -> Result<Vec<u8>, Failure> + Sync,
    ) -> Result<()> {
        let out = self.batch.out;
        let unchanged = |j: &Job<T>, m: &Manifest| {
            m.files.get(j.path.as_str()).is_some_and(|e| {
                e.content_hash == j.content_hash
                    && std::fs::read(out.join(&j.path))
                        .is_ok_and(|b| blake3::hash(&b) == e.file_hash)
            })
        };
        let todo: Vec<&Job<T>> = jobs
            .iter()
            .filter(|j| !unchanged(j, &self.manifest))
            .collect();
        self.wanted.extend(jobs.iter().map(|j| path_key(&j.path)));
        self.outcome.files += jobs.len();
        self.outcome.unchanged += jobs.len() - todo.len();

        let bar = &self.bar.clone();
        bar.inc_length(todo.len() as u64);
        for chunk in todo.chunks(CHUNK) {
            let results: Vec<Result<(blake3::Hash, u64), Failure>> = self.pool.install(|| {
                chunk
                    .par_iter()
                    .map(|j| {
                        let r = render(j).and_then(|pdf| {
                            let path = out.join(&j.path);
                            let fail = |e: String| Failure {
                                file: j.path.clone(),
                                registration_no: String::new(),
                                problem: e,
                            };
                            if let Some(dir) = path.parent() {
                                std::fs::create_dir_all(dir)
                                    .map_err(|e| fail(format!("{}: {e}", dir.display())))?;
                            }
                            write_unsynced(&path, &pdf).map_err(|e| fail(format!("{e:#}")))?;
                            Ok((blake3::hash(&pdf), pdf.len() as u64))
                        });
                        bar.inc(1);
                        r
                    })
                    .collect()
            });
            for (j, r) in chunk.iter().zip(results) {
                match r {
                    Ok((hash, bytes)) => {
                        self.unsynced.add(out.join(&j.path));
                        self.outcome.bytes_written += bytes;
                        self.outcome.rendered += 1;
                        self.manifest.files.insert(
                            j.path.as_str().into(),
                            Entry {
                                content_hash: j.content_hash,
                                file_hash: hash,
                                contents: j.contents.iter().map(|c| c.as_str().into()).collect(),
                            },
                        );
                    }
                    Err(f) => {
                        // An older file in its place would be out of date: it goes too.
                        if self.manifest.files.remove(j.path.as_str()).is_some() {
                            let _ = std::fs::remove_file(out.join(&j.path));
                        }
                        self.outcome.failed.push(f);
                    }
                }
            }
            if self.saved.elapsed() >= SAVE_EVERY {
                self.save()?;
            }
        }
        Ok(())
    }

    /// Removes the files of the manifest that no job made (when pruning), saves the
    /// manifest, and tells what was done.
    pub fn finish(mut self) -> Result<Outcome> {
        self.bar.finish_and_clear();
        if self.batch.prune {
            let wanted = &self.wanted;
            let stale: Vec<Box<str>> = self
                .manifest
                .files
                .keys()
                .filter(|p| !wanted.contains(&path_key(p)))
                .cloned()
                .collect();
            for p in &stale {
                let _ = std::fs::remove_file(self.batch.out.join(&**p));
                self.manifest.files.remove(p);
            }
            self.outcome.removed = stale.len();
        }
        self.save()?;
        // In the order of their files, as one run over every file sorted them.
        self.outcome.failed.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(self.outcome)
    }

    /// Saves the manifest, after syncing the files written since the last save: a file the
    /// manifest lists is on disk.
    fn save(&mut self) -> Result<()> {
        self.unsynced.sync()?;
        save_manifest(&self.manifest_path, &self.manifest)?;
        self.saved = std::time::Instant::now();
        Ok(())
    }
}

/// Writes the manifest atomically as it is serialised, never holding its whole text.
fn save_manifest(path: &Path, m: &Manifest) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    serde_json::to_writer_pretty(&mut f, m)?;
    f.commit()?;
    Ok(())
}

/// Reads a photo and checks it against its fingerprint from import.
pub fn read_photo(path: &str, hash: &str) -> Result<Vec<u8>, String> {
    let bytes = crate::io::photos::read(path.as_ref()).map_err(|e| format!("photo {path}: {e}"))?;
    if blake3::hash(&bytes).to_hex().as_str() != hash {
        return Err(format!(
            "photo {path} changed since it was imported: replace it with kaowu applications photo"
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_of_older_runs_are_read_and_written_back_in_their_format() {
        // No kind yet, and the file's numbers under their old name `cards`.
        let old = r#"{"base": "b", "files": {"a/1.pdf": {"content_hash": "%C", "file_hash": "%F", "cards": ["1"]}}}"#
            .replace("%C", &blake3::hash(b"c").to_hex())
            .replace("%F", &blake3::hash(b"f").to_hex());
        let m: Manifest = serde_json::from_str(&old).unwrap();
        let e = &m.files["a/1.pdf"];
        assert_eq!(e.content_hash, blake3::hash(b"c"));
        assert_eq!(e.file_hash, blake3::hash(b"f"));
        assert_eq!(&*e.contents, &["1".into()] as &[Box<str>]);
        let text = serde_json::to_value(&m).unwrap();
        assert_eq!(
            text["files"]["a/1.pdf"],
            serde_json::json!({
                "content_hash": blake3::hash(b"c").to_hex().as_str(),
                "file_hash": blake3::hash(b"f").to_hex().as_str(),
                "contents": ["1"],
            })
        );
        // A hash that is not one makes the manifest unreadable, as any damage does: the
        // run then renders every file again.
        let damaged = old.replacen(&blake3::hash(b"c").to_hex().to_string(), "zz", 1);
        assert!(serde_json::from_str::<Manifest>(&damaged).is_err());
    }
}

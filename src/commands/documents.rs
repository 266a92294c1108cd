//! Writing documents (admit cards, sign-in sheets, door stickers) into a folder: rendered in
//! parallel with rayon, each file written atomically, and incrementally: DIR/manifest.json
//! records each file's content hash (what it was made from) and file hash, so a second run
//! renders only what changed and removes files that are no longer wanted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Result, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::samples::write_atomic;

/// Files are rendered in chunks, and the manifest saved after a chunk when it was last
/// saved some seconds ago, so that a run killed half-way resumes from there. Saving after
/// every chunk rewrote a 50 MB manifest hundreds of times in a run of 170,000 cards.
const CHUNK: usize = 500;
const SAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    /// What the folder holds ("admit cards", "room documents"); one kind per folder, so that
    /// one kind's run never removes another's files. Empty in manifests written before the
    /// field existed, which held admit cards.
    #[serde(default)]
    kind: String,
    /// What every file depends on besides its own data: the layout, the font, the date.
    base: String,
    files: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    content_hash: String,
    file_hash: String,
    /// The admit-card numbers in the file.
    #[serde(alias = "cards")]
    contents: Vec<String>,
}

/// One output file: its path under the folder and what it is made from.
pub struct Job<T> {
    pub path: String,
    /// A hash of `base` and the file's data: equal hashes, equal files.
    pub content_hash: String,
    /// The admit-card numbers in the file, for the manifest.
    pub contents: Vec<String>,
    pub data: T,
}

impl<T: Serialize> Job<T> {
    pub fn new(path: String, base: &str, contents: Vec<String>, data: T) -> Job<T> {
        let mut h = blake3::Hasher::new();
        h.update(base.as_bytes());
        h.update(serde_json::to_string(&data).expect("plain data").as_bytes());
        Job {
            path,
            content_hash: h.finalize().to_hex().to_string(),
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

/// A file safe to use as one path component.
pub fn safe(s: &str) -> String {
    s.replace(['/', '\\', ':'], "_")
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

impl Batch<'_> {
    /// Renders the jobs whose file is missing or out of date, writes them, and keeps the
    /// manifest in step. `render` returns a file's bytes.
    pub fn run<T: Sync>(
        &self,
        jobs: &[Job<T>],
        render: impl Fn(&Job<T>) -> Result<Vec<u8>, Failure> + Sync,
    ) -> Result<Outcome> {
        let out = self.out;
        std::fs::create_dir_all(out)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
        let manifest_path = out.join("manifest.json");
        let mut manifest: Manifest = std::fs::read_to_string(&manifest_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
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
        let unchanged = |j: &Job<T>, m: &Manifest| {
            m.files.get(&j.path).is_some_and(|e| {
                e.content_hash == j.content_hash
                    && std::fs::read(out.join(&j.path))
                        .is_ok_and(|b| blake3::hash(&b).to_hex().as_str() == e.file_hash)
            })
        };
        let todo: Vec<&Job<T>> = jobs.iter().filter(|j| !unchanged(j, &manifest)).collect();
        let mut outcome = Outcome {
            files: jobs.len(),
            unchanged: jobs.len() - todo.len(),
            ..Outcome::default()
        };

        if self.prune {
            let wanted: BTreeSet<&str> = jobs.iter().map(|j| j.path.as_str()).collect();
            let stale: Vec<String> = manifest
                .files
                .keys()
                .filter(|p| !wanted.contains(p.as_str()))
                .cloned()
                .collect();
            for p in &stale {
                let _ = std::fs::remove_file(out.join(p));
                manifest.files.remove(p);
            }
            outcome.removed = stale.len();
        }

        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads.unwrap_or(0))
            .build()?;
        let bar = super::progress::bar(todo.len() as u64, &format!("rendering {}", self.kind));
        let mut saved = std::time::Instant::now();
        for chunk in todo.chunks(CHUNK) {
            let results: Vec<Result<(String, u64), Failure>> = pool.install(|| {
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
                            write_atomic(&path, &pdf).map_err(|e| fail(format!("{e:#}")))?;
                            Ok((blake3::hash(&pdf).to_hex().to_string(), pdf.len() as u64))
                        });
                        bar.inc(1);
                        r
                    })
                    .collect()
            });
            for (j, r) in chunk.iter().zip(results) {
                match r {
                    Ok((hash, bytes)) => {
                        outcome.bytes_written += bytes;
                        outcome.rendered += 1;
                        manifest.files.insert(
                            j.path.clone(),
                            Entry {
                                content_hash: j.content_hash.clone(),
                                file_hash: hash,
                                contents: j.contents.clone(),
                            },
                        );
                    }
                    Err(f) => {
                        // An older file in its place would be out of date: it goes too.
                        if manifest.files.remove(&j.path).is_some() {
                            let _ = std::fs::remove_file(out.join(&j.path));
                        }
                        outcome.failed.push(f);
                    }
                }
            }
            if saved.elapsed() >= SAVE_EVERY {
                save_manifest(&manifest_path, &manifest)?;
                saved = std::time::Instant::now();
            }
        }
        bar.finish_and_clear();
        save_manifest(&manifest_path, &manifest)?;
        Ok(outcome)
    }
}

fn save_manifest(path: &Path, m: &Manifest) -> Result<()> {
    write_atomic(path, serde_json::to_string_pretty(m)?.as_bytes())
}

/// Reads a photo and checks it against its fingerprint from import.
pub fn read_photo(path: &str, hash: &str) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("photo {path}: {e}"))?;
    if blake3::hash(&bytes).to_hex().as_str() != hash {
        return Err(format!(
            "photo {path} changed since it was imported: replace it with kaowu applications photo"
        ));
    }
    Ok(bytes)
}

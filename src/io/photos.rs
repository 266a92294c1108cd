//! Candidate photos: resolving a photo name inside the photo folder without letting it
//! escape (`../`, absolute paths, links pointing outside), fingerprinting a file from its
//! bytes and header (BLAKE3, format, width, height, size; no decode), and measuring how
//! light its border is, which needs a decode and so is done only when `review check` asks.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

/// The folder that photo names are relative to.
#[derive(Debug, Clone)]
pub struct PhotoDir {
    root: PathBuf,
    /// What the folder held when it was listed ([`PhotoDir::open_listed`]), by name: whether
    /// each entry is a link. Names directly in the folder are then found without a lookup.
    listed: Option<HashMap<OsString, bool>>,
}

impl PhotoDir {
    pub fn open(dir: &Path) -> std::io::Result<PhotoDir> {
        let root = dir.canonicalize()?;
        if !root.is_dir() {
            return Err(std::io::Error::other(format!(
                "{} is not a folder",
                dir.display()
            )));
        }
        Ok(PhotoDir { root, listed: None })
    }

    /// As [`PhotoDir::open`], listing the folder once, for a whole import: each name of a
    /// file directly in it is then looked up in the list instead of the file system (one
    /// `lstat` per row: 200,000 path walks for a session, a twentieth of the import's CPU).
    /// Names through subfolders are still looked up one by one.
    pub fn open_listed(dir: &Path) -> std::io::Result<PhotoDir> {
        let mut d = PhotoDir::open(dir)?;
        // A folder that cannot be listed (read permission withheld, where a file's own
        // name still opens it) is looked up name by name, as before.
        d.listed = list(&d.root).ok();
        Ok(d)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of `name` inside the folder, or why it is refused. A file that does not
    /// exist resolves (it is flagged as missing later, not refused).
    pub fn resolve(&self, name: &str) -> Result<PathBuf, String> {
        self.locate(name).map(|(path, _)| path)
    }

    /// As [`PhotoDir::resolve`], with whether anything was found at that path: `false` when
    /// the lookup said there is no such file, so that the photo is known to be missing
    /// without opening it (an import of 200,000 rows before the photos arrive otherwise
    /// looks each name up twice).
    pub fn locate(&self, name: &str) -> Result<(PathBuf, bool), String> {
        // Names exported on Windows use backslashes.
        let name = name.trim().replace('\\', "/");
        let rel = Path::new(&name);
        for c in rel.components() {
            match c {
                Component::Normal(_) | Component::CurDir => {}
                Component::ParentDir => {
                    return Err(format!("{name} leaves the photo folder (it contains ..)"));
                }
                Component::RootDir | Component::Prefix(_) => {
                    return Err(format!(
                        "{name} is an absolute path; name a file inside the photo folder"
                    ));
                }
            }
        }
        let path = self.root.join(rel);
        // A plain file directly in the (canonical) folder needs no more than an lstat (or
        // the folder's list); a link, or a name through subfolders (which may be links), is
        // resolved in full.
        let mut normal = rel.components().filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        });
        let direct = match (normal.next(), normal.next()) {
            (Some(n), None) => Some(n),
            _ => None,
        };
        let is_link = match (direct, &self.listed) {
            (Some(n), Some(listed)) => match listed.get(n) {
                None => return Ok((path, false)),
                Some(link) => *link,
            },
            _ => match std::fs::symlink_metadata(&path) {
                Err(e) => {
                    let found = e.kind() != std::io::ErrorKind::NotFound;
                    return Ok((path, found));
                }
                Ok(m) => m.file_type().is_symlink(),
            },
        };
        if !is_link && direct.is_some() {
            Ok((path, true))
        } else {
            match path.canonicalize() {
                Ok(real) if !real.starts_with(&self.root) => Err(format!(
                    "{name} is a link that leads outside the photo folder"
                )),
                Ok(real) => Ok((real, true)),
                // A link to nothing, or a folder on the way that cannot be read: opening
                // it says which.
                Err(_) => Ok((path, true)),
            }
        }
    }
}

/// The names in `root`, each with whether it is a link.
fn list(root: &Path) -> std::io::Result<HashMap<OsString, bool>> {
    let mut listed = HashMap::new();
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        // The kind comes with the listing on Linux (no stat per entry).
        let link = entry.file_type()?.is_symlink();
        listed.insert(entry.file_name(), link);
    }
    Ok(listed)
}

/// What a photo file is, from its bytes and header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    /// BLAKE3 of the file, hex.
    pub hash: String,
    /// `jpeg`, `png`, `gif`, ... as the header says; empty when unknown.
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// Empty when the file was read; else `missing` or `unreadable: ...`.
    pub problem: String,
}

/// Reads a photo file whole. Anything but a regular file (a FIFO, a device, a folder, a
/// socket) is refused from its metadata, before it is opened: reading a FIFO waits for a
/// writer forever, and a device such as /dev/zero never ends. The file is then opened
/// without blocking, so that a FIFO put in its place meanwhile cannot hang the open either,
/// and checked again through the open handle.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let refuse = |kind: std::fs::FileType| {
        use std::os::unix::fs::FileTypeExt;
        let what = if kind.is_dir() {
            "a folder"
        } else if kind.is_fifo() {
            "a FIFO (named pipe)"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        };
        std::io::Error::other(format!("{what}, not a photo file"))
    };
    let kind = std::fs::metadata(path)?.file_type();
    if !kind.is_file() {
        return Err(refuse(kind));
    }
    let mut file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?
    };
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(refuse(meta.file_type()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Fingerprints the file at `path`.
pub fn fingerprint(path: &Path) -> Fingerprint {
    match read(path) {
        Ok(bytes) => fingerprint_bytes(&bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Fingerprint {
            problem: "missing".into(),
            ..Fingerprint::default()
        },
        Err(e) => Fingerprint {
            problem: format!("unreadable: {e}"),
            ..Fingerprint::default()
        },
    }
}

pub fn fingerprint_bytes(bytes: &[u8]) -> Fingerprint {
    let hash = blake3::hash(bytes).to_hex().to_string();
    let mut f = Fingerprint {
        hash,
        bytes: bytes.len() as u64,
        ..Fingerprint::default()
    };
    match (imagesize::image_type(bytes), imagesize::blob_size(bytes)) {
        (Ok(kind), Ok(size)) => {
            f.format = format!("{kind:?}").to_ascii_lowercase();
            f.width = size.width as u32;
            f.height = size.height as u32;
        }
        (Ok(kind), Err(e)) => {
            f.format = format!("{kind:?}").to_ascii_lowercase();
            f.problem = format!("unreadable: {e}");
        }
        (Err(_), _) => f.problem = "unreadable: not an image file".into(),
    }
    f
}

/// The mean lightness (0..255) of a photo's border, where an ID photo's background is: the
/// top tenth, and the left and right tenths of the upper half (the shoulders reach the lower
/// corners). `None` when the JPEG cannot be decoded.
pub fn border_lightness(jpeg: &[u8]) -> Option<u8> {
    let opts = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut d = JpegDecoder::new_with_options(jpeg, opts);
    let pixels = d.decode().ok()?;
    let info = d.info()?;
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    if w == 0 || h == 0 || pixels.len() < w * h {
        return None;
    }
    let (band_w, band_h) = ((w / 10).max(1), (h / 10).max(1));
    let (mut sum, mut n) = (0u64, 0u64);
    for y in 0..h / 2 {
        let row = &pixels[y * w..(y + 1) * w];
        let take: Box<dyn Iterator<Item = &u8>> = if y < band_h {
            Box::new(row.iter())
        } else {
            Box::new(row[..band_w].iter().chain(&row[w - band_w..]))
        };
        for &p in take {
            sum += u64::from(p);
            n += 1;
        }
    }
    (n > 0).then(|| (sum / n) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u16, h: u16, background: u8) -> Vec<u8> {
        let mut px = vec![background; usize::from(w) * usize::from(h) * 3];
        // A dark figure in the middle.
        for y in usize::from(h) / 4..usize::from(h) {
            for x in usize::from(w) / 3..usize::from(w) * 2 / 3 {
                let i = (y * usize::from(w) + x) * 3;
                px[i..i + 3].copy_from_slice(&[90, 70, 60]);
            }
        }
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 85)
            .encode(&px, w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    #[test]
    fn fingerprints_from_the_header() {
        let f = fingerprint_bytes(&jpeg(295, 413, 255));
        assert_eq!((f.format.as_str(), f.width, f.height), ("jpeg", 295, 413));
        assert_eq!(f.hash.len(), 64);
        assert!(f.problem.is_empty());
        let f = fingerprint_bytes(b"not an image");
        assert_eq!(f.problem, "unreadable: not an image file");
    }

    #[test]
    fn white_and_grey_backgrounds() {
        assert!(border_lightness(&jpeg(295, 413, 255)).unwrap() > 240);
        assert!(border_lightness(&jpeg(295, 413, 140)).unwrap() < 160);
        assert_eq!(border_lightness(b"junk"), None);
    }

    #[test]
    fn names_stay_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("photos")).unwrap();
        std::fs::write(dir.path().join("secret.jpg"), b"x").unwrap();
        std::fs::write(dir.path().join("photos/a.jpg"), b"x").unwrap();
        let pd = PhotoDir::open(&dir.path().join("photos")).unwrap();
        assert!(pd.resolve("a.jpg").unwrap().ends_with("photos/a.jpg"));
        assert!(
            pd.resolve("sub\\b.jpg")
                .unwrap()
                .ends_with("photos/sub/b.jpg")
        );
        assert!(
            pd.resolve("../secret.jpg")
                .unwrap_err()
                .contains("leaves the photo folder")
        );
        assert!(
            pd.resolve("/etc/passwd")
                .unwrap_err()
                .contains("absolute path")
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(
                dir.path().join("secret.jpg"),
                dir.path().join("photos/link.jpg"),
            )
            .unwrap();
            assert!(
                pd.resolve("link.jpg")
                    .unwrap_err()
                    .contains("link that leads outside")
            );
        }
        // A missing file resolves; the checks flag it.
        assert!(pd.resolve("nobody.jpg").is_ok());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("a.jpg", dir.path().join("photos/same.jpg")).unwrap();
            // A link to nothing is there; opening it says what is wrong.
            std::os::unix::fs::symlink("gone.jpg", dir.path().join("photos/dangling.jpg")).unwrap();
        }
        std::fs::create_dir(dir.path().join("photos/sub")).unwrap();
        std::fs::write(dir.path().join("photos/sub/c.jpg"), b"x").unwrap();
        // Whether something is there, looked up one by one or in the folder's list.
        let listed = PhotoDir::open_listed(&dir.path().join("photos")).unwrap();
        for pd in [&pd, &listed] {
            let found = |name: &str| pd.locate(name).unwrap().1;
            assert!(found("a.jpg"));
            assert!(found(" ./a.jpg "));
            assert!(!found("nobody.jpg"));
            assert!(!found("sub/b.jpg"));
            assert!(found("sub\\c.jpg"));
            assert!(
                pd.locate("sub").unwrap().1,
                "a folder is there; opening it fails"
            );
            assert!(pd.locate("../secret.jpg").is_err());
            #[cfg(unix)]
            {
                assert!(found("same.jpg"));
                assert!(found("dangling.jpg"));
                assert!(
                    pd.locate("link.jpg")
                        .unwrap_err()
                        .contains("link that leads outside")
                );
                assert!(
                    pd.locate("same.jpg").unwrap().0.ends_with("photos/a.jpg"),
                    "a link inside resolves to its file"
                );
            }
        }
    }
}

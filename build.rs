//! Rebuilds when a migration is added: `sqlx::migrate!` embeds the folder at compile time
//! but does not notice a new .sql file by itself. Lists samples/photos for `kaowu demo`,
//! which carries the samples inside the binary (include_bytes! needs each name spelled out).
use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=samples/photos");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/photos");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("samples/photos")
        .map(|e| {
            e.expect("a photo")
                .file_name()
                .into_string()
                .expect("UTF-8 name")
        })
        .collect();
    names.sort();
    let mut code = String::from(
        "/// The sample photos: (file name, bytes).\npub const SAMPLE_PHOTOS: &[(&str, &[u8])] = &[\n",
    );
    for n in &names {
        writeln!(
            code,
            "    ({n:?}, include_bytes!({:?})),",
            dir.join(n).display().to_string()
        )
        .expect("a string");
    }
    code.push_str("];\n");
    let out =
        std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("sample_photos.rs");
    std::fs::write(out, code).expect("write sample_photos.rs");
}

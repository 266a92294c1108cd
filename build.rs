//! Rebuilds when a migration is added: `sqlx::migrate!` embeds the folder at compile time
//! but does not notice a new .sql file by itself.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

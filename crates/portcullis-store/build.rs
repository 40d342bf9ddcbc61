//! `sqlx::migrate!` embeds the files under `migrations/` at build time; make
//! cargo rebuild when one is added, not only when an embedded one changes.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

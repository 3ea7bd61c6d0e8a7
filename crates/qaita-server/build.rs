//! The web UI in web/dist is embedded at compile time: rebuild when it changes.
fn main() {
    let dist = std::path::Path::new("../../web/dist");
    println!("cargo:rerun-if-changed=../../web/dist");
    if !dist.join("index.html").exists() {
        println!(
            "cargo:warning=web/dist is missing: the binary will serve no UI (run scripts/build-web.sh, then build again)"
        );
    }
}

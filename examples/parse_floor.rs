//! The benchmark floor: read each file and parse it into `serde_json::Value`, nothing else.
//! `cargo run --release --example parse_floor -- FILE_OR_DIR...`

fn main() {
    let mut files = 0usize;
    let mut objects = 0usize;
    for arg in std::env::args().skip(1) {
        for entry in walkdir::WalkDir::new(&arg).sort_by_file_name() {
            let entry = entry.expect("readable");
            if !entry.file_type().is_file() {
                continue;
            }
            let bytes = std::fs::read(entry.path()).expect("readable");
            let v: serde_json::Value =
                serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
            files += 1;
            objects += usize::from(v.is_object());
        }
    }
    println!("{files} files, {objects} objects");
}

//! Writes the synthetic Nomad snapshot `testdata/nomad.snap` (see testdata/README.md):
//! `cargo run --example nomad_fixture -- testdata/nomad.snap`.

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "testdata/nomad.snap".into());
    let bytes = snapinspect::write::nomad::demo_snapshot().expect("writing to memory");
    std::fs::write(&path, bytes).expect("writing the file");
}

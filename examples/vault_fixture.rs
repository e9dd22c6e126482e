//! Writes the synthetic Vault snapshot `testdata/vault.snap` (see testdata/README.md):
//! `cargo run --example vault_fixture -- testdata/vault.snap`.

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "testdata/vault.snap".into());
    let bytes = snapinspect::write::vault::demo_snapshot().expect("writing to memory");
    std::fs::write(&path, bytes).expect("writing the file");
}

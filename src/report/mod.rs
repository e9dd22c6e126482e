//! Reports: each command's sink over the record stream and the result it prints.

pub mod acl;
pub mod compat;
pub mod decode;
pub mod diff;
pub mod inspect;
pub mod nomad;
pub mod scan;
pub mod trend;
pub mod vault;
pub mod verify;

/// What a report's `write_text` writes, as a string.
pub fn text(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> String {
    let mut buf = Vec::new();
    write(&mut buf).expect("writing into memory does not fail");
    String::from_utf8(buf).expect("text reports are UTF-8")
}

//! Any bytes as a Consul server's answer: the response head, then the body as it arrives
//! (chunked, Content-Length or until close), with no length field trusted.
#![no_main]

use std::io::{Cursor, Read, Write};

use libfuzzer_sys::fuzz_target;
use snapinspect::live::consul::Response;

struct Canned(Cursor<Vec<u8>>);

impl Read for Canned {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(b)
    }
}

impl Write for Canned {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let len = data.len();
    if let Ok(r) = Response::read_from(Canned(Cursor::new(data.to_vec()))) {
        let mut body = Vec::new();
        let mut b = r.body;
        if b.read_to_end(&mut body).is_ok() {
            assert!(body.len() <= len, "a body longer than the answer");
        }
    }
});

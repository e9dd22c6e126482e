//! Reference line for performance figures: single-stream inflate of a file to nowhere, with
//! the same gzip backend the build uses. Usage: `cargo run --release --example inflate FILE`.

use std::io::Read;
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: inflate FILE");
    let f = std::fs::File::open(&path).expect("open");
    let mut d = flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, f));
    let mut buf = vec![0u8; 1 << 20];
    let start = Instant::now();
    let mut total: u64 = 0;
    loop {
        let n = d.read(&mut buf).expect("inflate");
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{total} bytes in {secs:.3} s ({:.0} MB/s)",
        total as f64 / secs / 1e6
    );
}

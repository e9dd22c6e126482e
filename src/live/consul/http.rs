//! HTTP/1.1 responses as they arrive: the head parsed by `httparse`, the body framed by
//! Content-Length, chunked encoding or the close of the connection, no length field trusted.

use std::io::{self, BufRead, BufReader, Read, Write};

use crate::error::{Error, Result};

/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest JSON body read into memory.
const MAX_SMALL_BODY: u64 = 16 << 20;

/// A connected byte stream: TCP, TLS over TCP, or a Unix socket.
pub(super) trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// A request body.
pub enum Body<'a> {
    /// No body.
    Empty,
    /// Bytes in memory (JSON).
    Bytes(&'a [u8]),
    /// A stream of exactly this many bytes (a snapshot file).
    Reader(&'a mut dyn Read, u64),
}

/// How a response body is delimited.
#[derive(Debug)]
enum Framing {
    Length(u64),
    Chunked { left: u64, done: bool },
    Close,
}

/// The body of a response, read as it arrives.
pub struct BodyReader {
    stream: BufReader<Box<dyn Stream>>,
    framing: Framing,
}

impl BodyReader {
    fn chunk_size(&mut self) -> io::Result<u64> {
        let mut line = Vec::new();
        (&mut self.stream).take(1024).read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\n") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bad chunk header in the HTTP response",
            ));
        }
        let text = String::from_utf8_lossy(&line);
        let hex = text.trim().split(';').next().unwrap_or("").trim();
        u64::from_str_radix(hex, 16).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad chunk size {hex:?} in the HTTP response"),
            )
        })
    }

    fn skip_line(&mut self) -> io::Result<usize> {
        let mut line = Vec::new();
        (&mut self.stream).take(8192).read_until(b'\n', &mut line)?;
        Ok(line.len())
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.framing {
            Framing::Close => self.stream.read(buf),
            Framing::Length(0) => Ok(0),
            Framing::Length(left) => {
                let want = (buf.len() as u64).min(left) as usize;
                let n = self.stream.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the connection closed with {left} bytes of the response to come"),
                    ));
                }
                self.framing = Framing::Length(left - n as u64);
                Ok(n)
            }
            Framing::Chunked { done: true, .. } => Ok(0),
            Framing::Chunked { left: 0, .. } => {
                let size = self.chunk_size()?;
                if size == 0 {
                    // Trailers, then the empty line.
                    while self.skip_line()? > 2 {}
                    self.framing = Framing::Chunked {
                        left: 0,
                        done: true,
                    };
                    return Ok(0);
                }
                self.framing = Framing::Chunked {
                    left: size,
                    done: false,
                };
                self.read(buf)
            }
            Framing::Chunked { left, .. } => {
                let want = (buf.len() as u64).min(left) as usize;
                let n = self.stream.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the connection closed in the middle of the response",
                    ));
                }
                let left = left - n as u64;
                if left == 0 {
                    self.skip_line()?;
                }
                self.framing = Framing::Chunked { left, done: false };
                Ok(n)
            }
        }
    }
}

/// A response: status, headers, and the body as a stream.
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Headers, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: BodyReader,
}

impl Response {
    /// Reads a response's head from a stream; the body is then read as it arrives.
    pub fn read_from<S: Read + Write + Send + 'static>(stream: S) -> io::Result<Response> {
        let mut reader = BufReader::with_capacity(256 * 1024, Box::new(stream) as Box<dyn Stream>);
        let (status, headers) = read_head(&mut reader)?;
        let framing = framing(&headers);
        Ok(Response {
            status,
            headers,
            body: BodyReader {
                stream: reader,
                framing,
            },
        })
    }

    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Reads the whole body (up to 16 MiB) as text.
    pub fn text(mut self) -> Result<String> {
        let mut v = Vec::new();
        (&mut self.body)
            .take(MAX_SMALL_BODY)
            .read_to_end(&mut v)
            .map_err(|e| Error::io("reading Consul's response", e))?;
        Ok(String::from_utf8_lossy(&v).into_owned())
    }

    /// Reads the whole body (up to 16 MiB) as JSON.
    pub fn json(self) -> Result<serde_json::Value> {
        let text = self.text()?;
        if text.trim().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| {
            Error::Remote(format!(
                "Consul answered with JSON that does not parse: {e}"
            ))
        })
    }
}

fn read_head(r: &mut BufReader<Box<dyn Stream>>) -> io::Result<(u16, Vec<(String, String)>)> {
    let mut buf = Vec::new();
    loop {
        let n = r.by_ref().take(8192).read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed before a response came",
            ));
        }
        if buf.ends_with(b"\r\n\r\n") || buf.ends_with(b"\n\n") {
            break;
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the response head is larger than 64 KiB",
            ));
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(&buf) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) | Err(_) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the answer is not an HTTP response (is this Consul's HTTP port?)",
            ))
        }
    }
    let status = resp.code.unwrap_or(0);
    let headers = resp
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    Ok((status, headers))
}

fn framing(headers: &[(String, String)]) -> Framing {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    if get("Transfer-Encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        Framing::Chunked {
            left: 0,
            done: false,
        }
    } else if let Some(n) = get("Content-Length").and_then(|v| v.trim().parse().ok()) {
        Framing::Length(n)
    } else {
        Framing::Close
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;
    /// A response served over a Unix socket pair: chunked framing with an extension and a
    /// trailer, read through the same code as a TCP or TLS answer.
    #[test]
    fn chunked_body() {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Consul-Index: 7\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: 1\r\n\r\n")
            .unwrap();
        drop(b);
        let mut r = BufReader::new(Box::new(a) as Box<dyn Stream>);
        let (status, headers) = read_head(&mut r).unwrap();
        assert_eq!(status, 200);
        let framing = framing(&headers);
        let mut body = BodyReader { stream: r, framing };
        let mut s = String::new();
        body.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello world");
    }

    /// A stream over bytes in memory (what a hostile server could send).
    struct Canned(io::Cursor<Vec<u8>>);
    impl Read for Canned {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            self.0.read(b)
        }
    }
    impl Write for Canned {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn read_all(bytes: Vec<u8>) -> io::Result<(u16, Vec<u8>)> {
        let r = Response::read_from(Canned(io::Cursor::new(bytes)))?;
        let status = r.status;
        let mut body = Vec::new();
        let mut b = r.body;
        b.read_to_end(&mut body)?;
        Ok((status, body))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Whatever a server sends, reading its answer ends with a response or an error, and
        /// a body never holds more than the bytes that came (no length field is trusted).
        #[test]
        fn any_answer_is_read_safely(
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            cut in 0usize..200,
            flip in proptest::prelude::any::<(usize, u8)>(),
        ) {
            let good = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n".to_vec();
            for mut input in [noise.clone(), good.clone()] {
                if !input.is_empty() {
                    let i = flip.0 % input.len();
                    input[i] ^= flip.1;
                    input.truncate(input.len().saturating_sub(cut % (input.len() + 1)));
                }
                let len = input.len();
                if let Ok((_, body)) = read_all(input) {
                    proptest::prop_assert!(body.len() <= len);
                }
            }
            let mut framed = b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n".to_vec();
            framed.extend_from_slice(&noise);
            proptest::prop_assert!(read_all(framed).is_err());
        }
    }

    #[test]
    fn short_length_body_is_an_error() {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            .unwrap();
        drop(b);
        let mut r = BufReader::new(Box::new(a) as Box<dyn Stream>);
        let (_, headers) = read_head(&mut r).unwrap();
        let mut body = BodyReader {
            stream: r,
            framing: framing(&headers),
        };
        let mut s = Vec::new();
        assert!(body.read_to_end(&mut s).is_err());
    }
}

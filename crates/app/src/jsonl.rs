//! JSON Lines framing, shared by `evaluate --jsonl` and `ingest`: one request per line, the line's exact bytes
//! without its terminator, blank lines skipped, each line numbered for error messages.
//!
//! The digest of a request read this way is that of its line without `\n` or `\r\n` (see ARCHITECTURE.md).

use std::io::{self, BufRead};

/// Reads the lines of a JSON Lines stream one at a time, reusing one buffer.
#[derive(Debug)]
pub struct Lines<R> {
    input: R,
    line: Vec<u8>,
    number: u64,
    bytes_read: u64,
}

/// One non-blank line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number in the stream (blank lines count).
    pub number: u64,
    /// The line's bytes without its terminator.
    pub bytes: &'a [u8],
}

impl<R: BufRead> Lines<R> {
    /// Frames `input`.
    pub fn new(input: R) -> Self {
        Lines { input, line: Vec::with_capacity(4096), number: 0, bytes_read: 0 }
    }

    /// The next non-blank line, or `None` at the end of the stream.
    ///
    /// # Errors
    /// An IO error of the underlying reader.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        loop {
            self.line.clear();
            let n = self.input.read_until(b'\n', &mut self.line)?;
            if n == 0 {
                return Ok(None);
            }
            self.bytes_read += n as u64;
            self.number += 1;
            let mut bytes = self.line.as_slice();
            if let Some(rest) = bytes.strip_suffix(b"\n") {
                bytes = rest.strip_suffix(b"\r").unwrap_or(rest);
            }
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                // Re-borrow outside the loop's mutable borrow of `self.line`.
                let end = bytes.len();
                return Ok(Some(Line {
                    number: self.number,
                    bytes: self.line.get(..end).unwrap_or(&[]),
                }));
            }
        }
    }

    /// How many bytes were read so far (terminators and blank lines included), for progress bars.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &[(u64, &str)]) {
        let mut lines = Lines::new(input.as_bytes());
        let mut got = Vec::new();
        while let Some(line) = lines.next_line().unwrap() {
            got.push((line.number, String::from_utf8(line.bytes.to_vec()).unwrap()));
        }
        let expect: Vec<(u64, String)> =
            expect.iter().map(|(n, s)| (*n, (*s).to_owned())).collect();
        assert_eq!(got, expect);
        assert_eq!(lines.bytes_read(), input.len() as u64);
    }

    #[test]
    fn frames_lines() {
        check("", &[]);
        check("a\n", &[(1, "a")]);
        check("a\r\nb", &[(1, "a"), (2, "b")]);
        check("\n  \r\n{}\n\n x \n", &[(3, "{}"), (5, " x ")]);
        // A lone `\r` inside a line is part of it.
        check("a\rb\n", &[(1, "a\rb")]);
    }
}

//! Lists and sitemaps saved as UTF-16 (PowerShell's `>` writes UTF-16LE
//! with a byte-order mark): recognised by their mark and read as UTF-8.

use std::io::{self, BufRead, Read};

/// Which byte comes first in a UTF-16 code unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Little,
    Big,
}

/// `reader` as UTF-8: unchanged unless it starts with a UTF-16 byte-order
/// mark, in which case it is decoded (the mark dropped, unpaired surrogates
/// read as U+FFFD).
pub fn as_utf8<'a, R: BufRead + Send + 'a>(
    mut reader: R,
) -> io::Result<Box<dyn BufRead + Send + 'a>> {
    let head = reader.fill_buf()?;
    let order = match head {
        [0xFF, 0xFE, ..] => Order::Little,
        [0xFE, 0xFF, ..] => Order::Big,
        _ => return Ok(Box::new(reader)),
    };
    reader.consume(2);
    Ok(Box::new(io::BufReader::with_capacity(
        64 * 1024,
        Utf16Reader {
            inner: reader,
            order,
            pending: Vec::new(),
            high: None,
            odd: None,
        },
    )))
}

struct Utf16Reader<R> {
    inner: R,
    order: Order,
    /// Decoded UTF-8 not yet handed out.
    pending: Vec<u8>,
    /// A high surrogate waiting for its low half (perhaps in the next read).
    high: Option<u16>,
    /// The first byte of a code unit split between two reads.
    odd: Option<u8>,
}

impl<R: BufRead> Utf16Reader<R> {
    /// Decodes the next buffer of input into `pending`; false at the end.
    fn refill(&mut self) -> io::Result<bool> {
        let chunk = self.inner.fill_buf()?;
        if chunk.is_empty() {
            // The end: an unpaired surrogate or a stray last byte is U+FFFD.
            if self.high.take().is_some() || self.odd.take().is_some() {
                self.push(char::REPLACEMENT_CHARACTER);
            }
            return Ok(!self.pending.is_empty());
        }
        let mut bytes = Vec::with_capacity(chunk.len() + 1);
        bytes.extend(self.odd.take());
        bytes.extend_from_slice(chunk);
        let len = chunk.len();
        self.inner.consume(len);
        if bytes.len() % 2 == 1 {
            self.odd = bytes.pop();
        }
        for pair in bytes.chunks_exact(2) {
            let unit = match self.order {
                Order::Little => u16::from_le_bytes([pair[0], pair[1]]),
                Order::Big => u16::from_be_bytes([pair[0], pair[1]]),
            };
            self.unit(unit);
        }
        Ok(true)
    }

    fn unit(&mut self, unit: u16) {
        let high = self.high.take();
        if let (Some(high), 0xDC00..=0xDFFF) = (high, unit) {
            let code = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
            self.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
            return;
        }
        if high.is_some() {
            self.push(char::REPLACEMENT_CHARACTER);
        }
        if (0xD800..=0xDBFF).contains(&unit) {
            self.high = Some(unit);
        } else {
            self.push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
    }

    fn push(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.pending
            .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
}

impl<R: BufRead> Read for Utf16Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.pending.len());
        out[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, order: Order) -> Vec<u8> {
        let mut bytes = match order {
            Order::Little => vec![0xFF, 0xFE],
            Order::Big => vec![0xFE, 0xFF],
        };
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&match order {
                Order::Little => unit.to_le_bytes(),
                Order::Big => unit.to_be_bytes(),
            });
        }
        bytes
    }

    fn read_all(bytes: &[u8], capacity: usize) -> String {
        let reader = io::BufReader::with_capacity(capacity, bytes);
        let mut text = String::new();
        as_utf8(reader).unwrap().read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn utf16_with_a_mark_is_read_as_utf8() {
        let text = "http://a.test/ü\r\nhttp://b.test/😀\n";
        for order in [Order::Little, Order::Big] {
            // Small buffers split code units and surrogate pairs (the mark
            // is judged on the first read, which here holds both bytes).
            for capacity in [2, 3, 5, 64] {
                assert_eq!(read_all(&utf16(text, order), capacity), text);
            }
        }
    }

    #[test]
    fn other_bytes_pass_unchanged_and_broken_utf16_is_replaced() {
        assert_eq!(read_all(b"http://a.test/\n", 64), "http://a.test/\n");
        // A lone high surrogate, then an odd last byte.
        let bytes = [0xFF, 0xFE, 0x00, 0xD8, b'a', 0x00, b'b'];
        assert_eq!(read_all(&bytes, 64), "\u{FFFD}a\u{FFFD}");
    }
}

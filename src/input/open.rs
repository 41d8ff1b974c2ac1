//! Opening an input: a file or stdin, transparently decompressed when its first bytes are a
//! gzip or zstd magic number (the name is not trusted: rotated logs are often renamed).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

use super::ReadError;

/// Read buffer size. 64 KiB holds a few hundred EVE lines per refill, and measured no slower
/// than larger sizes on the corpus EVE files; lines longer than this are still read whole.
pub const READ_BUFFER: usize = 64 * 1024;

/// How many leading bytes format detection looks at.
pub const PEEK_LEN: usize = 8 * 1024;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// An opened, decompressed input with its first bytes available for detection.
pub struct Input {
    reader: Box<dyn BufRead>,
    head: Vec<u8>,
    /// Whether the input was decompressed (byte offsets then count decompressed bytes).
    pub compressed: Option<&'static str>,
}

impl Input {
    /// The first bytes of the (decompressed) input, without consuming them.
    pub fn peek(&self) -> &[u8] {
        &self.head
    }

    /// The reader, positioned at the start of the input (the peeked bytes come first).
    pub fn reader(&mut self) -> &mut dyn BufRead {
        &mut self.reader
    }

    /// A live input (see [`super::follow`]), not decompressed, with the head it peeked.
    pub(super) fn live(head: Vec<u8>, rest: Box<dyn Read>) -> Input {
        let peeked = std::io::Cursor::new(head.clone());
        Input {
            reader: Box::new(BufReader::with_capacity(READ_BUFFER, peeked.chain(rest))),
            head,
            compressed: None,
        }
    }
}

/// Opens `path` (`-` is stdin), decompressing gzip and zstd by their magic bytes.
pub fn open_input(path: &str) -> Result<Input, ReadError> {
    let io_err = |source| ReadError::Io {
        path: path.to_string(),
        source,
    };
    let raw: Box<dyn Read> = if path == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).map_err(io_err)?)
    };
    let mut raw = BufReader::with_capacity(READ_BUFFER, raw);
    // Peek (not consume) the magic bytes.
    let magic: Vec<u8> = raw
        .fill_buf()
        .map_err(io_err)?
        .iter()
        .take(4)
        .copied()
        .collect();
    let (reader, compressed): (Box<dyn BufRead>, _) = if magic.starts_with(&GZIP_MAGIC) {
        let dec = flate2::bufread::MultiGzDecoder::new(raw);
        (
            Box::new(BufReader::with_capacity(READ_BUFFER, dec)),
            Some("gzip"),
        )
    } else if magic.starts_with(&ZSTD_MAGIC) {
        let dec = ruzstd::decoding::StreamingDecoder::new(raw).map_err(|e| ReadError::Corrupt {
            path: path.to_string(),
            location: super::LocationDisplay(crate::model::Location::Offset(0)),
            message: format!("zstd: {e}"),
        })?;
        (
            Box::new(BufReader::with_capacity(READ_BUFFER, dec)),
            Some("zstd"),
        )
    } else {
        (Box::new(raw), None)
    };
    let mut input = Input {
        reader,
        head: Vec::new(),
        compressed,
    };
    input.head = fill_at_least(&mut input.reader, PEEK_LEN).map_err(io_err)?;
    // Chain the peeked bytes back in front of the rest.
    let head = std::io::Cursor::new(input.head.clone());
    let rest = std::mem::replace(&mut input.reader, Box::new(io::empty()));
    input.reader = Box::new(BufReader::with_capacity(READ_BUFFER, head.chain(rest)));
    Ok(input)
}

/// Reads up to `n` bytes from the front of `r`, consuming them, stopping early at end of input.
fn fill_at_least(r: &mut dyn BufRead, n: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(path: &str) -> Vec<u8> {
        let mut input = open_input(path).unwrap();
        let mut v = Vec::new();
        input.reader().read_to_end(&mut v).unwrap();
        v
    }

    #[test]
    fn plain_and_gzip_read_the_same_bytes() {
        let dir = std::env::temp_dir().join(format!("fpx-open-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes())
            .collect();
        let plain = dir.join("a.json");
        std::fs::write(&plain, &text).unwrap();
        let gz = dir.join("a.json.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&text).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert!(read_all(plain.to_str().unwrap()) == text);
        let mut input = open_input(gz.to_str().unwrap()).unwrap();
        assert_eq!(input.compressed, Some("gzip"));
        assert_eq!(&input.peek()[..6], b"{\"n\":0");
        let mut v = Vec::new();
        input.reader().read_to_end(&mut v).unwrap();
        assert!(v == text, "gzip content differs");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn zstd_is_recognised_by_its_magic_not_its_name() {
        let dir = std::env::temp_dir().join(format!("fpx-zst-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text: Vec<u8> = (0..5_000u32)
            .flat_map(|i| format!("{{\"event_type\":\"flow\",\"n\":{i}}}\n").into_bytes())
            .collect();
        let packed = ruzstd::encoding::compress_to_vec(
            text.as_slice(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        // A rotated log renamed without its extension.
        let p = dir.join("eve.json.1");
        std::fs::write(&p, packed).unwrap();
        let mut input = open_input(p.to_str().unwrap()).unwrap();
        assert_eq!(input.compressed, Some("zstd"));
        assert_eq!(input.peek()[0], b'{');
        let mut v = Vec::new();
        input.reader().read_to_end(&mut v).unwrap();
        assert!(v == text, "zstd content differs");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = open_input("/nonexistent/fpx.json").err().unwrap();
        assert!(e.to_string().contains("/nonexistent/fpx.json"));
    }
}

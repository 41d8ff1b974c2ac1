//! Reading the text files fpx is given besides its inputs (rule files, maps, variables,
//! knowledge and evidence rules, threshold files) with their type and size checked first:
//! a directory, a device that never ends (`/dev/zero`) or a file far larger than its kind
//! can be is refused with its name, not read until memory runs out.

use std::io::Read;
use std::path::Path;

/// Bytes read per step: also how far into a non-regular file (a FIFO, process substitution)
/// fpx reads before it knows it is not text.
const CHUNK: usize = 64 * 1024;

/// Bytes of a sid-msg.map, gen-msg.map, classification or reference file read at most.
pub const MAX_MAP_FILE: u64 = 256 << 20;

/// Bytes of a variables file (suricata.yaml, snort.conf) or threshold file read at most.
pub const MAX_CONFIG_FILE: u64 = 64 << 20;

/// Bytes of a knowledge or evidence rule file (TOML) read at most.
pub const MAX_TOML_FILE: u64 = 64 << 20;

/// Reads a text file of at most `max` bytes. `what` names the kind of file in errors. A NUL
/// byte ends the read at once: no text file fpx reads holds one, and a device of zeros is
/// refused within the first chunk. Invalid UTF-8 is replaced, not fatal.
pub fn read_text(path: &Path, max: u64, what: &str) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.is_dir() {
        return Err(format!("a directory, not a {what}"));
    }
    if meta.is_file() && meta.len() > max {
        return Err(format!(
            "{} bytes: larger than the {} MiB a {what} may have",
            meta.len(),
            max >> 20
        ));
    }
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut r = f.take(max + 1);
    let mut out: Vec<u8> = Vec::with_capacity(if meta.is_file() {
        meta.len() as usize
    } else {
        CHUNK
    });
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = r.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        if let Some(i) = memchr::memchr(0, &buf[..n]) {
            return Err(format!(
                "byte offset {}: a NUL byte: not a {what} (binary data or a device)",
                out.len() + i
            ));
        }
        out.extend_from_slice(&buf[..n]);
        if out.len() as u64 > max {
            return Err(format!(
                "longer than the {} MiB a {what} may have",
                max >> 20
            ));
        }
    }
    Ok(match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_binary_files_are_refused_by_name() {
        let t = std::time::Instant::now();
        let e = read_text(Path::new("/dev/zero"), 1 << 30, "rule file").unwrap_err();
        assert!(e.contains("NUL byte"), "{e}");
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
        let e = read_text(Path::new("/"), 1 << 30, "rule file").unwrap_err();
        assert!(e.contains("directory"), "{e}");
        let dir = std::env::temp_dir().join(format!("fpx-limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("big.rules");
        std::fs::write(&p, vec![b'a'; 2048]).unwrap();
        let e = read_text(&p, 1024, "rule file").unwrap_err();
        assert!(e.contains("larger than"), "{e}");
        std::fs::write(&p, b"alert \xff tcp\n").unwrap();
        assert_eq!(
            read_text(&p, 1024, "rule file").unwrap(),
            "alert \u{fffd} tcp\n"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! Where a report goes: stdout, or a file given with `-o` that must not be one of the inputs
//! and is not replaced without `--force`. The file is written beside its final name and moved
//! there once the report is complete, so that a failed run leaves no half report (and no
//! emptied file) behind.

use std::fs::{self, File, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Whether two files are one (same device and inode; on other systems, the same canonical
/// path).
fn same_file(a: &Metadata, b: &Metadata, pa: &Path, pb: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = (pa, pb);
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        matches!((pa.canonicalize(), pb.canonicalize()), (Ok(x), Ok(y)) if x == y)
    }
}

/// The read path that is the file `out` (with its metadata `m`), if any.
fn input_at<'p>(m: &Metadata, out: &Path, reads: &'p [PathBuf]) -> Option<&'p PathBuf> {
    reads.iter().find(|p| {
        fs::metadata(p)
            .map(|pm| pm.is_file() && same_file(m, &pm, out, p))
            .unwrap_or(false)
    })
}

/// Checks `-o FILE` before anything is read: not a file the run reads (whatever `force`
/// says), not a directory, and not an existing file unless `force`.
pub fn check_output(out: &Path, reads: &[PathBuf], force: bool) -> Result<(), String> {
    let shown = out.display();
    match fs::metadata(out) {
        Ok(m) if m.is_dir() => Err(format!("-o {shown}: is a directory")),
        Ok(m) => {
            if let Some(p) = input_at(&m, out, reads) {
                return Err(format!(
                    "-o {shown}: that is the input {}; refusing to write the report over it",
                    p.display()
                ));
            }
            if force {
                Ok(())
            } else {
                Err(format!("-o {shown}: the file exists; --force replaces it"))
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("-o {shown}: {e}")),
    }
}

/// Checks that stdout is not a file the run reads: `fpx explain a.json > a.json` has the
/// shell empty the input before fpx starts (fpx would read nothing and say so as if the
/// input were empty), and `>> a.json` would have fpx read its own report.
pub fn check_stdout(reads: &[PathBuf]) -> Result<(), String> {
    let Some(m) = stdout_metadata() else {
        return Ok(());
    };
    if !m.is_file() {
        return Ok(());
    }
    match input_at(&m, Path::new("-"), reads) {
        Some(p) if m.len() == 0 => Err(format!(
            "stdout is the input {}: the shell emptied it before fpx started, so there is \
             nothing left to read; write the report elsewhere (-o FILE)",
            p.display()
        )),
        Some(p) => Err(format!(
            "stdout is the input {}: fpx would read its own report; write the report \
             elsewhere (-o FILE)",
            p.display()
        )),
        None => Ok(()),
    }
}

#[cfg(unix)]
fn stdout_metadata() -> Option<Metadata> {
    use std::os::fd::AsFd;
    let fd = io::stdout().as_fd().try_clone_to_owned().ok()?;
    File::from(fd).metadata().ok()
}

#[cfg(not(unix))]
fn stdout_metadata() -> Option<Metadata> {
    None
}

/// A report file being written: a hidden file beside `path` until [`OutputFile::commit`]
/// moves it into place; dropped uncommitted, it is removed.
pub struct OutputFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<io::BufWriter<File>>,
}

impl OutputFile {
    pub fn create(path: &Path) -> Result<OutputFile, String> {
        let name = path
            .file_name()
            .ok_or_else(|| format!("-o {}: not a file name", path.display()))?;
        let mut hidden = std::ffi::OsString::from(".");
        hidden.push(name);
        hidden.push(format!(".fpx-{}.tmp", std::process::id()));
        let tmp = path.with_file_name(hidden);
        let file = File::create(&tmp).map_err(|e| format!("-o {}: {e}", path.display()))?;
        Ok(OutputFile {
            path: path.to_path_buf(),
            tmp,
            file: Some(io::BufWriter::with_capacity(64 * 1024, file)),
        })
    }

    /// Moves the finished report to its name.
    pub fn commit(mut self) -> Result<(), String> {
        let shown = self.path.display().to_string();
        let file = self.file.take().expect("not yet committed");
        file.into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .and_then(|()| fs::rename(&self.tmp, &self.path))
            .map_err(|e| format!("-o {shown}: {e}"))
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().expect("open").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("open").flush()
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_refuses_inputs_and_existing_files() {
        let dir = std::env::temp_dir().join(format!("fpx-out-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let input = dir.join("in.json");
        fs::write(&input, "{}\n").unwrap();
        let reads = vec![input.clone()];
        let err = check_output(&input, &reads, true).unwrap_err();
        assert!(err.contains("that is the input"), "{err}");
        // Another name for the input is still the input.
        let other = dir.join("sub/../in.json");
        fs::create_dir_all(dir.join("sub")).unwrap();
        assert!(check_output(&other, &reads, true).is_err());
        let existing = dir.join("old.txt");
        fs::write(&existing, "x").unwrap();
        assert!(check_output(&existing, &reads, false)
            .unwrap_err()
            .contains("--force"));
        assert!(check_output(&existing, &reads, true).is_ok());
        assert!(check_output(&dir.join("new.txt"), &reads, false).is_ok());
        assert!(check_output(&dir, &reads, true).is_err());

        // Written beside its name, moved into place on commit, removed when dropped.
        let target = dir.join("report.txt");
        let mut f = OutputFile::create(&target).unwrap();
        f.write_all(b"report\n").unwrap();
        assert!(!target.exists());
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "report\n");
        let dropped = dir.join("dropped.txt");
        let mut f = OutputFile::create(&dropped).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert!(!dropped.exists());
        let left: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "no temporary file is left");
        let _ = fs::remove_dir_all(&dir);
    }
}

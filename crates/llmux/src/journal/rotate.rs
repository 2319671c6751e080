//! The journal file, rotated by size: `journal.jsonl` is renamed `journal.1.jsonl` (and each
//! older file moves up one number) once the next line would take it past the limit; at most
//! `max_files` files stay on disk, the live one included.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Buffer in front of the file: lines are written in bulk on each tick.
const BUFFER_BYTES: usize = 64 * 1024;

/// An append-only line file that rotates itself by size.
#[derive(Debug)]
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    max_files: u32,
    out: BufWriter<File>,
    /// Bytes in the live file, buffered ones included.
    size: u64,
}

impl RotatingFile {
    /// Opens (creating it and its directory) `path` for appending.
    pub fn open(path: &Path, max_bytes: u64, max_files: u32) -> io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = append(path)?;
        let size = file.metadata()?.len();
        Ok(RotatingFile {
            path: path.to_owned(),
            max_bytes: max_bytes.max(1),
            max_files: max_files.max(1),
            out: BufWriter::with_capacity(BUFFER_BYTES, file),
            size,
        })
    }

    /// Appends `line` and a newline, rotating first when it would not fit. A line longer
    /// than the limit gets a file of its own.
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let len = line.len() as u64 + 1;
        if self.size > 0 && self.size.saturating_add(len) > self.max_bytes {
            self.rotate()?;
        }
        self.out.write_all(line)?;
        self.out.write_all(b"\n")?;
        self.size += len;
        Ok(())
    }

    /// Writes the buffered lines to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Closes the live file and starts an empty one, shifting the older files up a number
    /// and deleting the one that would exceed `max_files`.
    fn rotate(&mut self) -> io::Result<()> {
        self.out.flush()?;
        if self.max_files > 1 {
            remove_if_present(&numbered(&self.path, self.max_files - 1))?;
            for n in (1..self.max_files - 1).rev() {
                rename_if_present(&numbered(&self.path, n), &numbered(&self.path, n + 1))?;
            }
            std::fs::rename(&self.path, numbered(&self.path, 1))?;
        } else {
            remove_if_present(&self.path)?;
        }
        self.out = BufWriter::with_capacity(BUFFER_BYTES, append(&self.path)?);
        self.size = 0;
        Ok(())
    }
}

/// The `n`th rotated file of `path`: `dir/journal.jsonl` → `dir/journal.<n>.jsonl`
/// (`dir/journal` → `dir/journal.<n>`); `n = 0` is the live file.
pub fn numbered(path: &Path, n: u32) -> PathBuf {
    if n == 0 {
        return path.to_owned();
    }
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{n}"),
    };
    path.with_file_name(name)
}

fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn rename_if_present(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::rename(from, to) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

//! Whether two paths are one file: a report must never be written over a
//! file that is read in the same run.

use std::path::Path;

/// Whether two paths name one existing file (through links, `..` or hard
/// links).
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(meta_a), Ok(meta_b)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    if !meta_a.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta_a.dev() == meta_b.dev() && meta_a.ino() == meta_b.ino()
    }
    #[cfg(not(unix))]
    {
        meta_b.is_file() && std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok()
    }
}

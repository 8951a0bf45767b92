//! Peak resident memory of this process, from `/proc/self/status` (Linux).
//!
//! `VmHWM` only grows; [`reset_peak`] writes `5` to `/proc/self/clear_refs` (Linux ≥ 4.0) so
//! a stage's peak can be read on its own. Elsewhere both are no-ops returning `None`.

/// Peak RSS in bytes since the start or the last [`reset_peak`].
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak to the current RSS; `false` when the kernel does not allow it.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

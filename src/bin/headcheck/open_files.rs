//! The open-file limit: every request in flight may hold a socket, and a
//! stalled one another (so up to 2 × `-c`), besides the reports, the inputs
//! and the runtime's own files. The soft limit is raised to the hard one at
//! start; when even that cannot hold the sockets, `-c` is lowered, with a
//! note, rather than letting requests fail with "too many open files".

/// Files kept for everything but the requests' sockets: reports, inputs,
/// the runtime, DNS, idle kept-alive connections.
const RESERVE: u64 = 64;

/// Raises the soft limit on open files as far as the hard limit allows, and
/// returns the concurrency that fits in it (at most `concurrency`), with a
/// note when it had to be lowered.
pub fn fit(concurrency: u32) -> (u32, Option<String>) {
    let Some(limit) = raise() else {
        return (concurrency, None);
    };
    let needed = 2 * u64::from(concurrency) + RESERVE;
    if limit >= needed {
        return (concurrency, None);
    }
    let fitted = (limit.saturating_sub(RESERVE) / 2).clamp(1, u64::from(concurrency)) as u32;
    let note = format!(
        "headcheck: the open-file limit ({limit}) holds {fitted} requests at once \
         (2 sockets each, at most, and {RESERVE} other files); -c lowered from \
         {concurrency} to {fitted}"
    );
    (fitted, Some(note))
}

/// Sets the soft limit to the hard one; returns the soft limit in force, or
/// `None` when it cannot be read (or is unlimited).
#[cfg(unix)]
fn raise() -> Option<u64> {
    // SAFETY: rlimit is plain data; getrlimit and setrlimit only read and
    // write the struct passed to them.
    unsafe {
        let mut limits: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limits) != 0 {
            return None;
        }
        if limits.rlim_cur < limits.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limits.rlim_max,
                rlim_max: limits.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limits.rlim_cur = limits.rlim_max;
            }
        }
        if limits.rlim_cur == libc::RLIM_INFINITY {
            return None;
        }
        Some(limits.rlim_cur as u64)
    }
}

#[cfg(not(unix))]
fn raise() -> Option<u64> {
    None
}

//! Who is writing: user, host and process id, recorded in events, runs and locks.
//!
//! The host name matters for locking: a lock held by a dead process can only
//! be recognised as stale on the host that took it.

use std::sync::OnceLock;

/// The user, host and process recorded with every run, event and lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `$USER` (falling back to `$LOGNAME`, `$USERNAME`, the name of the
    /// effective user id, then `"unknown"`).
    pub user: String,
    /// The host name from `gethostname(2)` (`"unknown"` if unavailable).
    pub host: String,
    /// This process's id.
    pub pid: u32,
}

/// The identity of the current process.
pub fn identity() -> Identity {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(effective_user_name)
        .unwrap_or_else(|| "unknown".to_owned());
    Identity {
        user,
        host: hostname().to_owned(),
        pid: std::process::id(),
    }
}

/// The name of the effective user id in the user database (cron jobs,
/// containers and `env -i` run without `$USER`).
fn effective_user_name() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let mut buffer = vec![0u8; 1024];
    loop {
        // SAFETY: all-zero is a valid `passwd` (null pointers, zero ids);
        // getpwuid_r fills it in.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: `entry`, `buffer` (valid for `buffer.len()` bytes) and
        // `found` outlive the call; the strings `entry` points to live in
        // `buffer`, which is not touched until they have been copied.
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &mut entry,
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                &mut found,
            )
        };
        if rc == libc::ERANGE && buffer.len() < 1 << 20 {
            buffer.resize(buffer.len() * 2, 0);
            continue;
        }
        if rc != 0 || found.is_null() || entry.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success `pw_name` is a NUL-terminated string in `buffer`.
        let name = unsafe { std::ffi::CStr::from_ptr(entry.pw_name) };
        let name = name.to_string_lossy().into_owned();
        return (!name.is_empty()).then_some(name);
    }
}

/// The host name, read once per process.
pub(crate) fn hostname() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for `buf.len()` bytes; gethostname writes at
        // most that many and we only read up to the first NUL.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc != 0 {
            return "unknown".to_owned();
        }
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        let name = String::from_utf8_lossy(&buf[..end]).into_owned();
        if name.is_empty() {
            "unknown".to_owned()
        } else {
            name
        }
    })
}

/// Whether a process with this id exists on this host.
///
/// `kill(pid, 0)` sends no signal; it fails with `ESRCH` only when no such
/// process exists (`EPERM` means it exists but belongs to someone else).
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 performs only the existence and permission checks.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(0));
        assert!(!process_alive(u32::MAX));
    }

    #[test]
    fn identity_is_filled() {
        let id = identity();
        assert!(!id.host.is_empty());
        assert!(!id.user.is_empty());
        assert_eq!(id.pid, std::process::id());
    }
}

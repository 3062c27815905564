//! A tiny glob matcher for `state list` filters.
//!
//! Only `*` and `?` are special: resource addresses contain brackets
//! (`aws_instance.web[0]`), which a full glob syntax would treat as character
//! classes, so they are matched literally here.

/// Whether `text` matches `pattern`, where `*` matches any run of characters
/// (including none) and `?` exactly one character. Everything else is literal.
///
/// ```
/// use nimbus_state::glob_match;
/// assert!(glob_match("aws_instance.*", "aws_instance.web[0]"));
/// assert!(glob_match("module.?.db", "module.a.db"));
/// assert!(!glob_match("aws_*", "google_bucket.b"));
/// ```
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Greedy matching with backtracking to the last `*`: linear in practice,
    // O(len(p) * len(t)) in the worst case, never exponential.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn matches() {
        assert!(glob_match("", ""));
        assert!(glob_match("*", ""));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(glob_match("a*b*c", "abc"));
        assert!(!glob_match("a*b*c", "abX"));
        assert!(glob_match("x[0]", "x[0]"));
        assert!(!glob_match("x[0]", "x0"));
        assert!(glob_match("?", "é"));
        assert!(!glob_match("?", ""));
        assert!(glob_match("**a", "bba"));
        assert!(!glob_match("abc", "abcd"));
    }
}

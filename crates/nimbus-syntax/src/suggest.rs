//! "Did you mean" candidates for misspelt names.

/// The candidate closest to `wrong` by edit distance, if it is close enough
/// to be a plausible typo (at most a third of the word, and at least one).
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wrong.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != wrong)
        .map(|c| (strsim::damerau_levenshtein(wrong, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_typos_but_not_strangers() {
        assert_eq!(
            super::closest("s3-buckt", ["s3-bucket", "lambda"]),
            Some("s3-bucket")
        );
        assert_eq!(super::closest("zzz", ["s3-bucket", "lambda"]), None);
    }
}

//! Terraform version constraints (`>= 1.2, < 2.0`, `~> 1.5`), enough to
//! check a `required_version` against the Terraform language version
//! Nimbus reads.

use std::cmp::Ordering;

/// The Terraform release whose language Nimbus reads: `required_version`
/// must accept it.
pub const SUPPORTED_TERRAFORM_VERSION: [u64; 3] = [1, 5, 7];

/// Why a constraint could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version constraint `{constraint}`: {reason}")]
pub struct VersionConstraintError {
    pub constraint: String,
    pub reason: &'static str,
}

/// Whether `version` satisfies every comma-separated part of `constraints`.
pub fn satisfies(constraints: &str, version: [u64; 3]) -> Result<bool, VersionConstraintError> {
    let mut all = true;
    for part in constraints.split(',') {
        let part = part.trim();
        let invalid = |reason| VersionConstraintError {
            constraint: part.to_string(),
            reason,
        };
        let (operator, rest) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|rest| (*op, rest)))
            .unwrap_or(("=", part));
        let rest = rest.trim().trim_start_matches('v');
        if rest.is_empty() {
            return Err(invalid("a version is missing"));
        }
        // A pre-release (`1.6.0-beta1`) only matches itself in Terraform,
        // and a release never matches it.
        let (numbers, prerelease) = match rest.split_once('-') {
            Some((numbers, _)) => (numbers, true),
            None => (rest, false),
        };
        let mut given = Vec::new();
        for piece in numbers.split('.') {
            given.push(
                piece
                    .parse::<u64>()
                    .map_err(|_| invalid("versions are numbers separated by dots"))?,
            );
        }
        if given.len() > 3 {
            return Err(invalid("a version has at most three numbers"));
        }
        let mut wanted = [0u64; 3];
        wanted[..given.len()].copy_from_slice(&given);
        let order = version.cmp(&wanted);
        let ok = match operator {
            _ if prerelease => operator == "!=",
            "=" => order == Ordering::Equal,
            "!=" => order != Ordering::Equal,
            ">" => order == Ordering::Greater,
            ">=" => order != Ordering::Less,
            "<" => order == Ordering::Less,
            "<=" => order != Ordering::Greater,
            // `~> 1.5` allows 1.x from 1.5; `~> 1.5.2` allows 1.5.x from 1.5.2.
            _ => {
                let fixed = given.len().saturating_sub(1).max(1);
                order != Ordering::Less && version[..fixed] == wanted[..fixed]
            }
        };
        all &= ok;
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints() {
        let v = SUPPORTED_TERRAFORM_VERSION;
        for yes in [
            ">= 1.0",
            "~> 1.5",
            "~> 1.0",
            ">= 1.2, < 2.0",
            "1.5.7",
            "~> 1.5.0",
            "!= 1.4",
        ] {
            assert_eq!(satisfies(yes, v), Ok(true), "{yes}");
        }
        for no in [
            ">= 1.6",
            "~> 1.6",
            "< 1.5",
            "~> 1.4.0",
            "= 1.5.6",
            "~> 0.12",
            "1.6.0-beta1",
        ] {
            assert_eq!(satisfies(no, v), Ok(false), "{no}");
        }
        assert!(satisfies(">= one", v).is_err());
        assert!(satisfies(">=", v).is_err());
        assert!(satisfies("1.2.3.4", v).is_err());
    }
}

//! Paths to parts of a resource's attributes, as the state records which
//! parts are secret: `password` (a whole attribute), `output["key"]` (one
//! entry of a map), `rules[0]["token"]` (inside a list). One text form,
//! one parser: the state store keeps the text, the engine marks values by
//! it, renderers mask by it, and the Terraform state converter maps it to
//! Terraform's path steps.
//!
//! The text form is the attribute name, then one step per level: a map key
//! as a JSON string in brackets, a list index as a number in brackets. Keys
//! with any characters round-trip; a plain attribute name is a path too,
//! so records written before nested paths existed read unchanged.

use crate::Value;
use std::fmt;

/// One step below an attribute.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A part of a resource's attributes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttrPath {
    pub attribute: String,
    pub steps: Vec<Step>,
}

impl AttrPath {
    /// A whole attribute.
    pub fn attribute(name: impl Into<String>) -> AttrPath {
        AttrPath {
            attribute: name.into(),
            steps: Vec::new(),
        }
    }

    /// Reads the text form; `None` when it is not one.
    pub fn parse(text: &str) -> Option<AttrPath> {
        let (attribute, mut rest) = match text.find('[') {
            Some(at) => (&text[..at], &text[at..]),
            None => (text, ""),
        };
        if attribute.is_empty() {
            return None;
        }
        let mut steps = Vec::new();
        while let Some(inner) = rest.strip_prefix('[') {
            if inner.starts_with('"') {
                let mut strings = serde_json::Deserializer::from_str(inner).into_iter::<String>();
                let key = strings.next()?.ok()?;
                let after = &inner[strings.byte_offset()..];
                rest = after.strip_prefix(']')?;
                steps.push(Step::Key(key));
            } else {
                let end = inner.find(']')?;
                let index = inner[..end].parse().ok()?;
                rest = &inner[end + 1..];
                steps.push(Step::Index(index));
            }
        }
        if !rest.is_empty() {
            return None;
        }
        Some(AttrPath {
            attribute: attribute.to_string(),
            steps,
        })
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.attribute)?;
        for step in &self.steps {
            match step {
                Step::Key(key) => {
                    let quoted = serde_json::to_string(key).map_err(|_| fmt::Error)?;
                    write!(f, "[{quoted}]")?;
                }
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The attribute a path in text form starts at (`output` of
/// `output["key"]`).
pub fn attribute_of(path: &str) -> &str {
    path.split('[').next().unwrap_or(path)
}

/// Whether any of `paths` is `name` or lies inside it: what a renderer
/// that shows whole attributes must mask.
pub fn touches_attribute(paths: &[String], name: &str) -> bool {
    paths.iter().any(|p| attribute_of(p) == name)
}

impl Value {
    /// The steps to every sensitive part of this value (the outermost mark
    /// of each; an empty path when the whole value is sensitive).
    pub fn sensitive_steps(&self) -> Vec<Vec<Step>> {
        fn walk(value: &Value, here: &mut Vec<Step>, found: &mut Vec<Vec<Step>>) {
            match value {
                Value::Sensitive(_) => found.push(here.clone()),
                Value::List(items) => {
                    for (index, item) in items.iter().enumerate() {
                        if item.contains_sensitive() {
                            here.push(Step::Index(index));
                            walk(item, here, found);
                            here.pop();
                        }
                    }
                }
                Value::Map(map) => {
                    for (key, item) in map {
                        if item.contains_sensitive() {
                            here.push(Step::Key(key.clone()));
                            walk(item, here, found);
                            here.pop();
                        }
                    }
                }
                _ => {}
            }
        }
        let mut found = Vec::new();
        if self.contains_sensitive() {
            walk(self, &mut Vec::new(), &mut found);
        }
        found
    }

    /// Every secret this value holds, as text: its sensitive strings and
    /// numbers, however deep, longest first.
    pub fn secret_texts(&self) -> Vec<String> {
        fn collect(value: &Value, secret: bool, out: &mut Vec<String>) {
            match value {
                Value::Sensitive(inner) => collect(inner, true, out),
                Value::List(items) => items.iter().for_each(|i| collect(i, secret, out)),
                Value::Map(map) => map.values().for_each(|i| collect(i, secret, out)),
                Value::String(s) if secret && !s.is_empty() => out.push(s.clone()),
                Value::Number(_) if secret => out.push(value.to_json().to_string()),
                _ => {}
            }
        }
        let mut secrets = Vec::new();
        if self.contains_sensitive() {
            collect(self, false, &mut secrets);
        }
        // Longest first, so a secret inside another goes with it.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets
    }

    /// `text` with every secret this value holds replaced by
    /// `(sensitive)`: for a message that was written from the value
    /// without its marks, such as a provider's error about its
    /// configuration.
    pub fn redact_secrets_in(&self, text: &str) -> String {
        self.secret_texts()
            .iter()
            .fold(text.to_string(), |text, secret| {
                text.replace(secret.as_str(), "(sensitive)")
            })
    }

    /// Marks the part at `steps` sensitive; a path that leads nowhere in
    /// this value (a shorter list, a missing key) marks nothing.
    pub fn mark_at(&mut self, steps: &[Step]) {
        let Some((first, rest)) = steps.split_first() else {
            let value = std::mem::take(self);
            *self = value.into_sensitive();
            return;
        };
        let next = match (self, first) {
            (Value::Sensitive(_), _) => return, // already secret as a whole
            (Value::List(items), Step::Index(index)) => items.get_mut(*index),
            (Value::Map(map), Step::Key(key)) => map.get_mut(key),
            // Terraform writes list indexes of sets and maps keyed by
            // numbers alike; a key that reads as an index of a list (or
            // the reverse) still finds its part.
            (Value::Map(map), Step::Index(index)) => map.get_mut(&index.to_string()),
            (Value::List(items), Step::Key(key)) => {
                key.parse::<usize>().ok().and_then(|i| items.get_mut(i))
            }
            _ => None,
        };
        if let Some(next) = next {
            next.mark_at(rest);
        }
    }

    /// An object's attributes marked sensitive at every path of `paths`
    /// (in text form; unreadable ones mark their whole attribute).
    pub fn mark_paths(mut self, paths: &[String]) -> Value {
        if paths.is_empty() {
            return self;
        }
        if let Value::Map(map) = &mut self {
            for text in paths {
                let path = AttrPath::parse(text)
                    .unwrap_or_else(|| AttrPath::attribute(attribute_of(text)));
                if let Some(value) = map.get_mut(&path.attribute) {
                    value.mark_at(&path.steps);
                }
            }
        }
        self
    }

    /// The paths, in text form, of every sensitive part of an object's
    /// attributes.
    pub fn sensitive_paths(&self) -> Vec<String> {
        let Some(map) = self.as_map() else {
            return Vec::new();
        };
        let mut paths = Vec::new();
        for (name, value) in map {
            for steps in value.sensitive_steps() {
                paths.push(
                    AttrPath {
                        attribute: name.clone(),
                        steps,
                    }
                    .to_string(),
                );
            }
        }
        paths
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_withheld_from_messages_written_without_marks() {
        let config = Value::Map(
            [
                ("region".to_string(), Value::string("Hunter2").mark_if(true)),
                ("port".to_string(), Value::int(4242).mark_if(true)),
                ("name".to_string(), Value::string("plain")),
            ]
            .into(),
        );
        assert_eq!(
            config.redact_secrets_in("region Hunter2, port 4242, name plain"),
            "region (sensitive), port (sensitive), name plain"
        );
        assert_eq!(Value::string("x").redact_secrets_in("x"), "x");
    }

    use super::*;
    use std::collections::BTreeMap;

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn paths_round_trip_whatever_the_key() {
        for key in ["a", "a[0]", "x\"y", "dots.and]brackets[", "", "ünï"] {
            let path = AttrPath {
                attribute: "output".into(),
                steps: vec![Step::Key(key.into()), Step::Index(3)],
            };
            let text = path.to_string();
            assert_eq!(AttrPath::parse(&text), Some(path), "{text}");
            assert_eq!(attribute_of(&text), "output");
        }
        assert_eq!(
            AttrPath::parse("password"),
            Some(AttrPath::attribute("password"))
        );
        for bad in ["", "[0]", "a[", "a[x]", "a[\"k\"", "a[0]b"] {
            assert_eq!(AttrPath::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn marks_are_found_and_put_back_where_they_were() {
        let secret = Value::string("s3cret").into_sensitive();
        let marked = map(&[
            (
                "input",
                map(&[("region", Value::string("eu")), ("key", secret.clone())]),
            ),
            (
                "list",
                Value::List(vec![Value::Null, map(&[("t", secret.clone())])]),
            ),
            ("whole", secret.clone()),
            ("plain", Value::string("x")),
        ]);
        let paths = marked.sensitive_paths();
        assert_eq!(paths, ["input[\"key\"]", "list[1][\"t\"]", "whole"]);
        assert_eq!(marked.clone().unmark().0.mark_paths(&paths), marked);
        assert!(touches_attribute(&paths, "input"));
        assert!(!touches_attribute(&paths, "plain"));
    }

    #[test]
    fn a_path_that_leads_nowhere_marks_nothing() {
        let value = map(&[("l", Value::List(vec![]))]);
        assert_eq!(
            value.clone().mark_paths(&["l[4]".into(), "missing".into()]),
            value
        );
    }
}

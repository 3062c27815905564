//! XML answers (query services and S3) read into a small owned tree:
//! elements by local name (namespaces dropped), their text (a leaf's
//! exactly as sent) and children.

/// One element: its local name, its own text (exact in a leaf, trimmed
/// where it has children) and its children.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

/// Parses a document into its root element.
pub fn parse(text: &str) -> Result<Element, String> {
    let document = roxmltree::Document::parse(text).map_err(|e| format!("not XML: {e}"))?;
    Ok(convert(document.root_element()))
}

fn convert(node: roxmltree::Node<'_, '_>) -> Element {
    let mut element = Element {
        name: node.tag_name().name().to_string(),
        ..Element::default()
    };
    for child in node.children() {
        if child.is_element() {
            element.children.push(convert(child));
        } else if child.is_text() {
            element.text.push_str(child.text().unwrap_or_default());
        }
    }
    // Between child elements text is layout; in a leaf it is the value,
    // kept exactly (a tag value or an object key may end in a space).
    if !element.children.is_empty() {
        element.text = element.text.trim().to_string();
    }
    element
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at `path` (child names) below this one.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |e, name| e.child(name))
    }

    /// The text at `path`, if the element is there.
    pub fn text_at(&self, path: &[&str]) -> Option<String> {
        self.at(path).map(|e| e.text.clone())
    }

    /// The first element named `name` anywhere below (depth first).
    pub fn find(&self, name: &str) -> Option<&Element> {
        for child in &self.children {
            if child.name == name {
                return Some(child);
            }
            if let Some(found) = child.find(name) {
                return Some(found);
            }
        }
        None
    }

    /// The `member` (or `entry`) children of the list at `path`.
    pub fn members<'a>(&'a self, path: &[&str]) -> Vec<&'a Element> {
        match self.at(path) {
            Some(list) => list
                .children
                .iter()
                .filter(|c| c.name == "member" || c.name == "entry")
                .collect(),
            None => Vec::new(),
        }
    }

    /// The map at `path`: `entry` children with `key` and `value`, or
    /// `member` children with `Key` and `Value` (tags).
    pub fn string_map(&self, path: &[&str]) -> std::collections::BTreeMap<String, String> {
        self.members(path)
            .into_iter()
            .filter_map(|m| {
                let key = m.child("key").or_else(|| m.child("Key"))?;
                let value = m.child("value").or_else(|| m.child("Value"));
                Some((
                    key.text.clone(),
                    value.map(|v| v.text.clone()).unwrap_or_default(),
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_as_trees() {
        let root = parse(
            r#"<?xml version="1.0"?>
<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetRoleResult>
    <Role><RoleName>r &amp; s</RoleName>
      <Tags><member><Key>a</Key><Value>1</Value></member><member><Key>b</Key><Value>2</Value></member></Tags>
    </Role>
  </GetRoleResult>
</GetRoleResponse>"#,
        )
        .unwrap();
        assert_eq!(root.name, "GetRoleResponse");
        assert_eq!(
            root.text_at(&["GetRoleResult", "Role", "RoleName"])
                .as_deref(),
            Some("r & s")
        );
        let tags = root.members(&["GetRoleResult", "Role", "Tags"]);
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[1].text_at(&["Value"]).as_deref(), Some("2"));
        assert_eq!(root.find("Key").map(|e| e.text.as_str()), Some("a"));
        let tags = root.string_map(&["GetRoleResult", "Role", "Tags"]);
        assert_eq!(tags.get("b").map(String::as_str), Some("2"));
        assert!(parse("not xml").is_err());
        let tag = parse("<Tag><Key> padded </Key><Value></Value></Tag>").unwrap();
        assert_eq!(tag.text_at(&["Key"]).as_deref(), Some(" padded "));
        assert_eq!(tag.text_at(&["Value"]).as_deref(), Some(""));
    }
}

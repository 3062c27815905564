//! The attribute reference of docs/providers/aws.md, generated from the
//! schemas so the two cannot disagree (a unit test compares them;
//! `NIMBUS_UPDATE_DOCS=1 cargo test -p nimbus-aws --lib docs` rewrites it).

use crate::Preset;
use nimbus_provider::nimbus_value::{Presence, Schema};

pub const BEGIN: &str = "<!-- BEGIN GENERATED REFERENCE (cargo test -p nimbus-aws --lib docs) -->";
pub const END: &str = "<!-- END GENERATED REFERENCE -->";

fn table(out: &mut String, schema: &Schema) {
    out.push_str("| attribute | type | | description |\n| --- | --- | --- | --- |\n");
    for (name, a) in &schema.attributes {
        let presence = match a.presence {
            Presence::Required => "required",
            Presence::Optional => "optional",
            Presence::Computed => "computed",
            Presence::OptionalComputed => "optional, computed",
        };
        let mut notes = presence.to_string();
        if a.force_new {
            notes.push_str(", forces replacement");
        }
        if a.sensitive {
            notes.push_str(", sensitive");
        }
        let ty = a.ty.to_string().replace('|', "\\|");
        out.push_str(&format!(
            "| `{name}` | `{ty}` | {notes} | {} |\n",
            a.description.replace('|', "\\|")
        ));
    }
}

/// The generated part of the document.
pub fn reference() -> String {
    let mut out = String::new();
    out.push_str(BEGIN);
    out.push_str("\n\n## Provider configuration\n\n");
    for preset in [Preset::Aws, Preset::LocalStack] {
        let schema = crate::aws_schema(preset);
        out.push_str(&format!(
            "### `(provider {} ...)`\n\n{}\n\n",
            preset.name(),
            schema.provider.description
        ));
        table(&mut out, &schema.provider);
        out.push('\n');
    }
    let schema = crate::aws_schema(Preset::Aws);
    out.push_str("## Resource types\n\n");
    for (name, s) in &schema.resources {
        out.push_str(&format!("### `{name}`\n\n{}\n\n", s.description));
        table(&mut out, s);
        out.push('\n');
    }
    out.push_str("## Data sources\n\n");
    for (name, s) in &schema.data_sources {
        out.push_str(&format!("### `(data {name} ...)`\n\n{}\n\n", s.description));
        table(&mut out, s);
        out.push('\n');
    }
    out.push_str(END);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_reference_is_current() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/providers/aws.md");
        let text = std::fs::read_to_string(&path).expect("docs/providers/aws.md exists");
        let (Some(begin), Some(end)) = (text.find(BEGIN), text.find(END)) else {
            panic!("docs/providers/aws.md lacks the generated-reference markers");
        };
        let current = &text[begin..end + END.len() + 1];
        let wanted = reference();
        if current != wanted {
            if std::env::var("NIMBUS_UPDATE_DOCS").is_ok_and(|v| v == "1") {
                let updated = format!(
                    "{}{}{}",
                    &text[..begin],
                    wanted,
                    &text[end + END.len() + 1..]
                );
                std::fs::write(&path, updated).unwrap();
            } else {
                panic!(
                    "docs/providers/aws.md is out of date with the schemas: run \
                     NIMBUS_UPDATE_DOCS=1 cargo test -p nimbus-aws --lib docs"
                );
            }
        }
    }
}

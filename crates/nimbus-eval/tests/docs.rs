//! `docs/language.md` documents every function of the standard library: the
//! table between its `functions` markers is generated from the registry
//! (names, signatures, descriptions), so it cannot drift. After adding or
//! changing a function run
//! `NIMBUS_UPDATE_DOCS=1 cargo test -p nimbus-eval --test docs`.

use std::path::PathBuf;

const START: &str = "<!-- functions:start -->";
const END: &str = "<!-- functions:end -->";

fn language_md() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/language.md")
}

/// Markdown cells cannot contain a bare `|`.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn table() -> String {
    let mut out = String::from("| Function | Usage | Description |\n|---|---|---|\n");
    for f in nimbus_stdlib::functions() {
        out.push_str(&format!(
            "| `{}` | `{}` | {} |\n",
            cell(f.name),
            cell(f.signature),
            cell(f.description)
        ));
    }
    out
}

#[test]
fn language_reference_lists_every_function() {
    let path = language_md();
    let text = std::fs::read_to_string(&path).expect("docs/language.md");
    let (Some(start), Some(end)) = (text.find(START), text.find(END)) else {
        panic!("docs/language.md lacks the {START} and {END} markers");
    };
    let expected = format!("{START}\n{}{END}", table());
    let current = &text[start..end + END.len()];
    if current != expected {
        if std::env::var_os("NIMBUS_UPDATE_DOCS").is_some() {
            let updated = format!("{}{expected}{}", &text[..start], &text[end + END.len()..]);
            std::fs::write(&path, updated).expect("write docs/language.md");
            return;
        }
        panic!(
            "the function table of docs/language.md is out of date; run \
             NIMBUS_UPDATE_DOCS=1 cargo test -p nimbus-eval --test docs"
        );
    }
    for f in nimbus_stdlib::functions() {
        assert!(
            current.contains(&format!("| `{}` |", cell(f.name))),
            "{} is not documented",
            f.name
        );
    }
}

#[test]
fn language_reference_names_every_special_form() {
    let text = std::fs::read_to_string(language_md()).expect("docs/language.md");
    for form in nimbus_eval::SPECIAL_FORMS {
        assert!(
            text.contains(&format!("`({form}")) || text.contains(&format!("`{form}`")),
            "{form}"
        );
    }
    for form in nimbus_config::BLOCK_FORMS {
        assert!(text.contains(&format!("({form} ")), "{form}");
    }
}

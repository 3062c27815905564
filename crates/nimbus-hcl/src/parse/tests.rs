//! The reader against hcl-edit: a text the reader accepts must get exactly
//! hcl-edit's tree, every span included; declining is always allowed.

use super::parse_body;
use crate::ast::from_edit;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// Checks one text against hcl-edit; whether the reader accepted it.
fn agrees(text: &str) -> bool {
    let Some(fast) = parse_body(text) else {
        return false;
    };
    let edit = match hcl_edit::parser::parse_body(text) {
        Ok(edit) => from_edit::body(&edit),
        Err(error) => panic!("the reader accepted a text hcl-edit refuses ({error}):\n{text}"),
    };
    // Spans are part of the tree: equal trees are equal to the byte.
    assert_eq!(fast, edit, "trees differ for:\n{text}");
    true
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.tf` file of the repository (test cases, examples, the guide).
fn terraform_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            terraform_files(&path, out);
        } else if name.ends_with(".tf") {
            out.push(path);
        }
    }
}

#[test]
fn every_terraform_file_of_the_repository_and_each_of_its_prefixes_agrees() {
    let mut files = Vec::new();
    terraform_files(&repository(), &mut files);
    assert!(files.len() > 40, "found only {} .tf files", files.len());
    let mut accepted = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        accepted += usize::from(agrees(&text));
        // Every prefix ending at a line, a bracket or a quote: unfinished
        // input of every kind.
        for (at, byte) in text.bytes().enumerate() {
            if matches!(byte, b'\n' | b'{' | b'}' | b'[' | b'"' | b'(' | b'=' | b'.') {
                agrees(&text[..at]);
                agrees(&text[..=at]);
            }
        }
    }
    // Most of them have no heredoc or directive: the reader must take them.
    assert!(
        accepted * 10 >= files.len() * 7,
        "the reader took only {accepted} of {} files",
        files.len()
    );
}

#[test]
fn every_construct_it_reads_agrees() {
    let cases = [
        "",
        "\n\n",
        "# only a comment",
        "a = 1",
        "a = 1\n",
        "a = 1 # trailing\nb = 2 // other\n/* block\ncomment */ c = 3\n",
        "resource \"null_resource\" \"a\" {\n  triggers = { a = 1, b = \"x\" }\n}\n",
        "block {}\nblock { a = 1 }\nblock {\n}\nlabelled x \"y\" z {\n  a = 1\n}\n",
        "a = [1, 2.5, 1e3, 1.5E-2, 18446744073709551616, -3, - 4, -x, !true]\n",
        "a = [\n  1,\n  2,\n]\nb = []\nc = [ ]\n",
        "a = { a = 1\n b = 2, c : 3 # comment\n \"d\" = 4\n (e) = 5\n \"f\" = 6 }\n",
        "a = { f.g = 6 }\n",
        "a = var.x.y[0].z[*].w.*.v.0\n",
        "a = (x\n + y)\nb = [x\n, y]\n",
        "a = f()\nb = f( )\nc = f(1, 2,)\nd = f(x...)\ne = f(\n  1,\n  2\n)\n",
        "a = 1 + 2 * 3 - 4 / 5 % 6 == 7 != 8 && 9 < 10 || 11 >= 12 && 13 <= 14 || 15 > 16\n",
        "a = x ? y : z ? 1 : 2\nb = x == 1 ? [1] : [2]\n",
        "a = \"plain \\\"q\\\" \\n \\t \\\\ \\u00e9 \\U0001F600 $${x} %%{y} $ % é\"\n",
        "a = \"x ${var.y} z ${~ 1 + 2 ~} w\"\nb = \"${x}\"\nc = \"\"\n",
        "a = [for x in xs : x]\nb = [for i, x in xs : x if i > 0]\n",
        "a = {for k, v in m : k => v}\nb = {for k, v in m : v => k... if k != \"\"}\n",
        "a = [for x in xs:\n  upper(x)\n  if x != \"\"\n]\n",
        "a = x.y[\"k\"][f(1)]\nb = [x][0]\nc = {a = 1}.a\n",
        "a = - 1.5\nb = -x.y\nc = !x == y\n",
        "a = formatx\nb = [format(\"%s\", 1)]\nc = {format = 1}\n",
        "a = x // not a division\nb = x / y\nc = x /* inline */ + y\n",
        "a = [1] # c\nb = [\n  # c\n  1, # d\n  2 /* e */,\n]\n",
        "a = {\n}\nb = {\n  a = 1\n\n  b = 2\n}\n",
        "a = true\nb = false\nc = null\nd = nullx\n",
        "a = x.0.1\nb = x[*].y[0]\nc = x.*.y[0]\nd = x.10\n",
        "a = x.\n  y\n",
        "a = \"multi\nline\"\n",
        "x-y_z = 1\n_a = 2\n",
        "a = [\n  1\n  +\n  2\n]\n",
        "a = <<EOT\nx\nEOT\n",
        "a = <<EOT\n\nEOT\nb = <<EOT\nEOT\nx\n  EOT\n",
        "a = <<EOT\n{\"k\": \"${var.x}\", $${y}}\n${z}\nEOT  \nb = 1\n",
        "a = <<-EOT\n    one\n      two\n\n    ${x} three\n    EOT\n",
        "a = <<-EOT\n  x${y}\n  z\n  EOT\n",
        "a = <<-EOT\n${y}\n  z\nEOT\n",
        "a = <<-EOT\n  a\nb\n    c\n  EOT\n",
        "a = <<-EOT\n\t\ttab\n\t\u{3000}wide\n  EOT\n",
        "a = f(<<EOT\nx\nEOT\n, 1)\n",
        "a = <<EOT\nEOTX\nEOT\n",
    ];
    let declined: Vec<&str> = cases.into_iter().filter(|case| !agrees(case)).collect();
    assert!(declined.is_empty(), "the reader declined: {declined:#?}");
}

#[test]
fn what_it_leaves_to_hcl_edit_is_declined() {
    let cases = [
        "a = <<EOT\nEOT\n",
        "a = \"%{if true}x%{endif}\"\n",
        "a = provider::p::f(1)\n",
        "é = 1\n",
        "a = é\n",
        "a = 1\r\n",
        "a = 1\na = 2\n",
        "a = {b = 1, b = 2}\n",
        "a = \"\\q\"\n",
        "a = 1e\n",
        "a = 1 +\n",
        "a = (1\n",
        "resource \"${x}\" {}\n",
        "a = /* unterminated\n",
        "}\n",
        "a = 1 b = 2\n",
        "a = x.01\n",
        "a = { (x) = 1, (y) = 2 }\n",
        // A newline ends an attribute's value outside brackets.
        "a = x\n  .y\n",
    ];
    for case in cases {
        assert!(parse_body(case).is_none(), "the reader took:\n{case}");
    }
    // Deep nesting is left to hcl-edit's own limit and error.
    let deep = format!("a = {}1{}\n", "[".repeat(50), "]".repeat(50));
    assert!(parse_body(&deep).is_none());
    let chain = format!("a = {}1\n", "1 + ".repeat(200));
    assert!(parse_body(&chain).is_none());
}

/// A large generated configuration like the benchmark's: taken whole.
#[test]
fn a_large_generated_configuration_is_read() {
    let mut text = String::new();
    for i in 0..500 {
        text.push_str(&format!(
            "resource \"null-resource\" \"r{i}\" {{\n  count = var.n\n  triggers = {{\n    env  = var.environment\n    name = \"${{local.l{i}}}-{i}\"\n    previous = null-resource.r{i}[0].id\n  }}\n}}\n\nresource \"terraform-data\" \"d{i}\" {{\n  input = {{ index = {i}, region = var.region, tag = lookup(var.tags, \"team\") }}\n  triggers-replace = terraform-data.d{i}[*].id\n}}\n\n"
        ));
    }
    assert!(agrees(&text));
}

/// Pieces of HCL, valid and not, for random texts.
const TOKENS: &[&str] = &[
    "a",
    "b_c",
    "x-y",
    "var",
    "null",
    "true",
    "for",
    "in",
    "if",
    "f",
    "format",
    "resource",
    "\"s\"",
    "\"",
    "\"${",
    "}",
    "{",
    "[",
    "]",
    "(",
    ")",
    "=",
    "==",
    "!=",
    "=>",
    ":",
    "?",
    ",",
    ".",
    "..",
    "...",
    "*",
    "[*]",
    ".*",
    ".0",
    "+",
    "-",
    "/",
    "%",
    "&&",
    "||",
    "!",
    "<",
    ">=",
    "1",
    "1.5",
    "1e3",
    "2e",
    "\n",
    " ",
    "\t",
    "#c\n",
    "// c\n",
    "/* c */",
    "/*",
    "*/",
    "\\n",
    "\\",
    "$${",
    "%{",
    "~",
    "é",
    "<<EOT\n",
    "<<-EOT\n",
    "EOT",
    "\nEOT\n",
    "  ",
    "\u{3000}",
    "\"a${x}b\"",
    "\"\\u00e9\"",
    "::",
];

fn soup(picks: &[usize]) -> String {
    picks.iter().map(|i| TOKENS[*i]).collect()
}

/// 3,000 cases each in the test command; `PROPTEST_CASES` for a long
/// campaign.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(3000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_token_sequences_agree(picks in proptest::collection::vec(0..TOKENS.len(), 0..40)) {
        agrees(&soup(&picks));
    }

    /// Token soup inside an attribute and a block, where most of the
    /// grammar is.
    #[test]
    fn random_expressions_agree(picks in proptest::collection::vec(0..TOKENS.len(), 1..25)) {
        let expression = soup(&picks);
        agrees(&format!("a = {expression}\n"));
        agrees(&format!("b \"l\" {{\n  a = {expression}\n}}\n"));
        agrees(&format!("a = [{expression}]\n"));
        agrees(&format!("a = {{ k = {expression} }}\n"));
        agrees(&format!("a = \"${{{expression}}}\"\n"));
    }

    #[test]
    fn arbitrary_text_agrees(text in "\\PC{0,120}") {
        agrees(&text);
    }
}

//! Data-driven tests of the lowering. Adding a case is adding a file:
//!
//! - `cases/*.tf` and `cases/*.tf.json`: the lowered forms, printed as
//!   `.nim`, and the rendered diagnostics, compared with an insta snapshot;
//! - `invalid/*.tf`: a first line `# expect: LINE:COL MESSAGE` naming one
//!   diagnostic the file must produce (its location and the start of its
//!   message); `invalid/*.tf.json` the same in a first line
//!   `{"//": "expect: LINE:COL MESSAGE",`.

use nimbus_syntax::{SourceMap, print_forms, render_all};
use std::path::Path;

fn lower(path: &Path) -> (SourceMap, nimbus_hcl::Lowered) {
    let text = std::fs::read_to_string(path).expect("readable case");
    let name = path.file_name().expect("a file name");
    let mut sources = SourceMap::new();
    let file = sources.add(Path::new(name), text);
    let text = &sources.file(file).text;
    let lowered = if name.to_string_lossy().ends_with(".tf.json") {
        nimbus_hcl::lower_json(file, text)
    } else {
        nimbus_hcl::lower(file, text)
    };
    (sources, lowered)
}

#[test]
fn cases() {
    insta::glob!("cases/*.{tf,tf.json}", |path| {
        let (sources, lowered) = lower(path);
        let mut out = print_forms(&lowered.forms);
        if !lowered.diagnostics.is_empty() {
            out.push_str("\n;; diagnostics\n");
            out.push_str(&render_all(&sources, &lowered.diagnostics, false));
        }
        insta::assert_snapshot!(out);
    });
}

#[test]
fn invalid_files_report_where_they_are_wrong() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("the corpus")
        .map(|e| e.expect("an entry").path())
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".tf") || name.ends_with(".tf.json")
        })
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    let mut failures = Vec::new();
    for path in &paths {
        let (sources, lowered) = lower(path);
        let text = &sources.file(nimbus_syntax::FileId(0)).text;
        let expect = text
            .lines()
            .next()
            .and_then(|l| {
                l.strip_prefix("# expect: ").or_else(|| {
                    l.strip_prefix(r#"{"//": "expect: "#)
                        .and_then(|rest| rest.strip_suffix(r#"","#))
                })
            })
            .unwrap_or_else(|| {
                panic!(
                    "{}: first line must be `# expect: LINE:COL MESSAGE`",
                    path.display()
                )
            });
        let (location, message) = expect.split_once(' ').expect("LINE:COL MESSAGE");
        let found: Vec<String> = lowered
            .diagnostics
            .iter()
            .filter_map(|d| {
                let span = d.span?;
                let (line, col) = sources.file(span.file).line_col(span.start);
                Some(format!("{line}:{col} {}", d.message))
            })
            .collect();
        let matched = found.iter().any(|f| {
            f.split_once(' ')
                .is_some_and(|(l, m)| l == location && m.starts_with(message))
        });
        if !matched {
            failures.push(format!(
                "{}: expected `{expect}`, found {found:?}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `nimbus convert` of every case: the `.nim` text with the `.tf` file's
/// comments (snapshot), which `nimbus fmt --check` accepts as it is and
/// which reads back as exactly the lowered forms.
#[test]
fn conversions() {
    insta::glob!("cases/*.tf", |path| {
        let (sources, lowered) = lower(path);
        let file = nimbus_syntax::FileId(0);
        let out = match nimbus_hcl::convert(file, &sources.file(file).text) {
            Ok(converted) => {
                assert_eq!(
                    nimbus_syntax::format_source(&converted.text).as_deref(),
                    Ok(converted.text.as_str()),
                    "the converted text is formatted"
                );
                let read = nimbus_syntax::read(file, &converted.text);
                assert!(read.diagnostics.is_empty());
                assert_eq!(read.nodes.len(), lowered.forms.len());
                for (a, b) in read.nodes.iter().zip(&lowered.forms) {
                    assert!(a.eq_ignoring_spans(b), "{a:?}\n{b:?}");
                }
                converted.text
            }
            Err(diagnostics) => {
                format!(";; refused\n{}", render_all(&sources, &diagnostics, false))
            }
        };
        insta::assert_snapshot!(out);
    });
}

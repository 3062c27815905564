//! Property tests for the reader and the formatter.
//!
//! Random programs are generated as trees and then written out with random
//! whitespace, comments and string/number spellings, so the formatter sees
//! the variety a hand-written file has. For every program the formatter must
//! be idempotent and must preserve the tree and the comments.

use nimbus_syntax::{FileId, Node, format_source, read};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};

/// A generated datum (or comment), before it is written out.
#[derive(Debug, Clone)]
enum Gen {
    Symbol(String),
    Str(String),
    Int(i128),
    Dec(f64),
    Bool(bool),
    List(Vec<Gen>),
    Quote(Box<Gen>),
    /// A comment: `;` or `#| |#` (nested when the flag says so).
    Comment {
        body: String,
        block: bool,
        nested: bool,
    },
}

fn symbol() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z!$%&*/:<=>?^_~][a-zA-Z0-9!$%&*/:<=>?^_~+.@#|-]{0,10}",
        1 => prop::sample::select(vec![
            "+", "-", "...", ".", "quote", "resource", "define-infrastructure", "locals", "provider", "output", "->x",
            "a#|b", "x|#", "-a", "+.x", "ref",
        ])
        .prop_map(str::to_string),
        1 => "[α-ωа-яé][α-ω0-9]{0,5}",
    ]
}

fn string_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => any::<char>(),
        4 => prop::char::range('a', 'z'),
        1 => prop::sample::select(vec![
            '"', '\\', '\n', '\t', '\r', '\0', '\u{7f}', '\u{202e}', '\u{2028}', 'é', ' ', ';', '(', ')', '#', '|', '\'',
        ]),
    ]
}

fn decimal() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        prop::sample::select(vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            1e16,
            1e17,
            1e-7,
            123.456,
            5e-324,
            f64::MAX
        ]),
        (-1000i32..1000, 0u32..4).prop_map(|(n, d)| f64::from(n) / 10f64.powi(d as i32)),
    ]
}

fn comment() -> impl Strategy<Value = Gen> {
    prop_oneof![
        "[^\n]{0,20}".prop_map(|body| Gen::Comment {
            body,
            block: false,
            nested: false
        }),
        ("[^|#]{0,20}", any::<bool>()).prop_map(|(body, nested)| Gen::Comment {
            body,
            block: true,
            nested
        }),
    ]
}

fn atom() -> impl Strategy<Value = Gen> {
    prop_oneof![
        4 => symbol().prop_map(Gen::Symbol),
        3 => prop::collection::vec(string_char(), 0..12).prop_map(|cs| Gen::Str(cs.into_iter().collect())),
        1 => any::<i128>().prop_map(Gen::Int),
        1 => (-100i128..100).prop_map(Gen::Int),
        2 => decimal().prop_map(Gen::Dec),
        1 => any::<bool>().prop_map(Gen::Bool),
    ]
}

/// One item of a list or of the file: a datum or a comment.
fn item() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![6 => atom(), 1 => comment()];
    leaf.prop_recursive(6, 96, 8, |inner| {
        prop_oneof![
            3 => prop::collection::vec(inner.clone(), 0..8).prop_map(Gen::List),
            1 => inner.clone().prop_map(|g| match g {
                // A quote of a comment is not a thing: quote a list instead.
                Gen::Comment { .. } => Gen::Quote(Box::new(Gen::List(vec![g]))),
                g => Gen::Quote(Box::new(g)),
            }),
            1 => comment(),
        ]
    })
}

fn program() -> impl Strategy<Value = Vec<Gen>> {
    prop::collection::vec(item(), 0..8)
}

/// Writes a generated program as source text; `seed` drives every spelling
/// choice (whitespace, escapes, number forms) so shrinking stays possible.
struct Writer {
    out: String,
    rng: u64,
    /// A `;` comment was just written: the next separator must break the line.
    need_newline: bool,
}

impl Writer {
    fn new(seed: u64) -> Writer {
        Writer {
            out: String::new(),
            rng: seed | 1,
            need_newline: false,
        }
    }

    fn next(&mut self, n: u64) -> u64 {
        // xorshift64: plenty for choosing spellings.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n
    }

    /// Whitespace before a token starting with `next`.
    fn sep(&mut self, next: char) {
        const SEPS: [&str; 11] = [
            "", " ", " ", "  ", "\n", "\n  ", "\n\n", "\n\n\n  ", "\t", "\r\n", " \n \n",
        ];
        let mut sep = SEPS[self.next(SEPS.len() as u64) as usize];
        let last = self.out.chars().last();
        let joinable = matches!(last, None | Some('(' | ')' | '\'')) || matches!(next, '(' | ')');
        if sep.is_empty() && !joinable {
            sep = " ";
        }
        self.out.push_str(sep);
        if self.need_newline && !sep.contains('\n') {
            self.out.push('\n');
        }
        self.need_newline = false;
    }

    fn write(&mut self, g: &Gen) {
        match g {
            Gen::Symbol(s) => {
                self.sep(s.chars().next().unwrap_or('x'));
                self.out.push_str(s);
            }
            Gen::Str(s) => {
                self.sep('"');
                let text = self.string(s);
                self.out.push_str(&text);
            }
            Gen::Int(n) => {
                self.sep('0');
                let text = if *n >= 0 && self.next(3) == 0 {
                    format!("+{n}")
                } else {
                    n.to_string()
                };
                self.out.push_str(&text);
            }
            Gen::Dec(f) => {
                self.sep('0');
                let text = self.decimal(*f);
                self.out.push_str(&text);
            }
            Gen::Bool(b) => {
                self.sep('#');
                let long = self.next(2) == 0;
                self.out.push_str(match (b, long) {
                    (true, false) => "#t",
                    (true, true) => "#true",
                    (false, false) => "#f",
                    (false, true) => "#false",
                });
            }
            Gen::List(items) => {
                self.sep('(');
                self.out.push('(');
                for item in items {
                    self.write(item);
                }
                self.sep(')');
                self.out.push(')');
            }
            Gen::Quote(inner) => {
                self.sep('\'');
                self.out.push('\'');
                // Now and then a comment between the quote and its datum.
                if self.next(8) == 0 {
                    let block = self.next(2) == 0;
                    self.write(&Gen::Comment {
                        body: " inside quote".to_string(),
                        block,
                        nested: false,
                    });
                }
                self.write(inner);
            }
            Gen::Comment {
                body,
                block,
                nested,
            } => {
                // A block comment glued to a symbol would become part of it.
                self.sep(' ');
                if self
                    .out
                    .chars()
                    .last()
                    .is_some_and(|c| !c.is_ascii_whitespace() && c != '(' && c != ')')
                {
                    self.out.push(' ');
                }
                if *block {
                    if *nested {
                        self.out.push_str(&format!("#|{body}#|{body}|#{body}|#"));
                    } else {
                        self.out.push_str(&format!("#|{body}|#"));
                    }
                } else {
                    self.out.push(';');
                    self.out.push_str(body);
                    self.need_newline = true;
                }
            }
        }
    }

    fn string(&mut self, s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            // A line continuation, which contributes nothing to the value,
            // before characters it would not swallow.
            if c != ' ' && c != '\t' && self.next(12) == 0 {
                let pieces = ["\\\n", "\\\r\n  ", "\\  \n\t", "\\\n    "];
                out.push_str(pieces[self.next(pieces.len() as u64) as usize]);
            }
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' if self.next(2) == 0 => out.push_str("\\n"),
                '\t' if self.next(2) == 0 => out.push_str("\\t"),
                '\r' if self.next(2) == 0 => out.push_str("\\r"),
                '\0' if self.next(2) == 0 => out.push_str("\\0"),
                '\u{7}' if self.next(2) == 0 => out.push_str("\\a"),
                c if self.next(6) == 0 => {
                    let hex = format!("{:0width$x}", c as u32, width = self.next(4) as usize);
                    let hex = if self.next(2) == 0 {
                        hex.to_uppercase()
                    } else {
                        hex
                    };
                    out.push_str(&format!("\\x{hex};"));
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    fn decimal(&mut self, f: f64) -> String {
        let text = match self.next(4) {
            0 => format!("{f:e}"),
            1 => format!("{f:E}"),
            2 => {
                let t = format!("{f}");
                if t.contains('.') { t } else { format!("{t}.0") }
            }
            _ => format!("{f:?}"),
        };
        // `.5` and `-.5` are accepted spellings too.
        if self.next(3) == 0 {
            if let Some(rest) = text.strip_prefix("0.") {
                return format!(".{rest}");
            }
            if let Some(rest) = text.strip_prefix("-0.") {
                return format!("-.{rest}");
            }
        }
        text
    }
}

fn render(program: &[Gen], seed: u64) -> String {
    let mut w = Writer::new(seed);
    for g in program {
        w.write(g);
    }
    // Trailing whitespace too, sometimes.
    w.sep(' ');
    w.out
}

fn same_nodes(a: &[Node], b: &[Node]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignoring_spans(y))
}

/// The formatter's contract on one input that reads without errors.
fn check_format(src: &str) -> Result<(), TestCaseError> {
    let parsed = read(FileId(0), src);
    prop_assert!(!parsed.has_errors());
    let once = format_source(src)
        .map_err(|d| TestCaseError::fail(format!("format failed: {d:?}\n{src:?}")))?;
    let twice = format_source(&once)
        .map_err(|d| TestCaseError::fail(format!("reformat failed: {d:?}\n{once}")))?;
    prop_assert_eq!(&twice, &once, "not idempotent; input {:?}", src);
    let again = read(FileId(0), &once);
    prop_assert!(!again.has_errors(), "output has errors:\n{}", once);
    prop_assert!(
        same_nodes(&again.nodes, &parsed.nodes),
        "tree changed:\n{}\nfrom {:?}",
        once,
        src
    );
    let texts = |p: &nimbus_syntax::ParsedFile| {
        p.comments
            .iter()
            .map(|c| c.text.clone())
            .collect::<Vec<_>>()
    };
    prop_assert_eq!(texts(&again), texts(&parsed));
    if once.is_empty() {
        prop_assert!(parsed.nodes.is_empty() && parsed.comments.is_empty());
    } else {
        prop_assert!(
            once.ends_with('\n') && !once.ends_with("\n\n"),
            "bad ending: {:?}",
            once
        );
    }
    // Block comments are verbatim and may hold anything; elsewhere the
    // layout itself must be clean.
    if !src.contains("#|") {
        prop_assert!(!once.contains("\n\n\n"), "double blank line:\n{}", once);
        for line in once.lines() {
            prop_assert!(
                !line.ends_with([' ', '\t']),
                "trailing whitespace: {:?}",
                line
            );
        }
    }
    Ok(())
}

proptest! {
    // Integration tests have no lib.rs beside them for proptest's default
    // regression-file lookup; name the file outright.
    #![proptest_config(ProptestConfig {
        // 512 by default; PROPTEST_CASES overrides it for long local runs.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/proptest-regressions/format_props.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_programs_read_cleanly_and_format_stably(program in program(), seed in any::<u64>()) {
        let src = render(&program, seed);
        let parsed = read(FileId(0), &src);
        prop_assert!(!parsed.has_errors(), "generator wrote an invalid program {:?}: {:?}", src, parsed.diagnostics);
        check_format(&src)?;
    }

    /// Dense soup of the characters that matter to the reader: finds corner
    /// cases a tree generator never writes (quotes before comments, tokens
    /// glued together...).
    #[test]
    fn token_soup_that_reads_cleanly_formats_stably(src in r#"[()'"; \n\t#|abtfx0-9.e+\\-]{0,60}"#) {
        if !read(FileId(0), &src).has_errors() {
            check_format(&src)?;
        }
    }

    #[test]
    fn reader_and_formatter_never_panic_on_strings(src in any::<String>()) {
        let _ = read(FileId(0), &src);
        let _ = format_source(&src);
    }

    #[test]
    fn reader_and_formatter_never_panic_on_lossy_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let src = String::from_utf8_lossy(&bytes);
        let _ = read(FileId(0), &src);
        let _ = format_source(&src);
    }

    #[test]
    fn reader_never_panics_on_syntax_heavy_text(src in r#"[()'"; \n#|\\x0-9a-f.eE+;-]{0,200}"#) {
        let parsed = read(FileId(0), &src);
        let _ = format_source(&src);
        // Spans stay inside the text, so diagnostics can always be rendered.
        for d in &parsed.diagnostics {
            if let Some(span) = d.span {
                prop_assert!(span.start <= span.end && span.end as usize <= src.len());
            }
        }
    }
}

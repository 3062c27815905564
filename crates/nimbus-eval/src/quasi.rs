//! `quasiquote` (`` `DATUM ``): data written as it reads, with holes.
//!
//! Inside the datum, `(unquote EXPRESSION)` (`,EXPRESSION`) is replaced by
//! the expression's value and `(unquote-splicing EXPRESSION)`
//! (`,@EXPRESSION`) by the elements of the list it gives. Everything else
//! reads as `quote` reads it: a list is a list, a symbol its name as a
//! string. A list headed by the bare symbol `map` is a map of `(KEY VALUE)`
//! entries (`` `(map (name ,n) (,key 1) ,@more) ``, where `,@` merges a
//! map's entries); `("map" ...)` is a list starting with the string.
//! Quasiquotes nest as in Scheme: an `unquote` inside an inner quasiquote
//! belongs to it and stays data.
//!
//! Marks: a value put in keeps its own; an unknown list spliced in, or an
//! unknown key, makes the whole result unknown (its shape is not known); a
//! sensitive list spliced in marks each of its elements; a sensitive key
//! makes the whole map sensitive.

use crate::expr::{Context, quote};
use nimbus_syntax::{Diagnostic, Node};
use nimbus_value::Value;
use std::collections::BTreeMap;

type Result<T> = std::result::Result<T, Diagnostic>;

/// What quasiquoting a part gave: the part's value, or the whole result is
/// unknown.
struct Built {
    unknown: bool,
    sensitive: bool,
}

impl Context<'_> {
    /// `(quasiquote DATUM)`.
    pub(crate) fn quasiquote(&mut self, node: &Node, args: &[Node]) -> Result<Value> {
        let [datum] = args else {
            return Err(
                Diagnostic::error("expected `(quasiquote DATUM)`, or `` `DATUM ``").at(node.span),
            );
        };
        let mut built = Built {
            unknown: false,
            sensitive: false,
        };
        let value = self.quasi(datum, 1, &mut built)?;
        if built.unknown {
            return Ok(Value::Unknown.mark_if(built.sensitive));
        }
        Ok(value.mark_if(built.sensitive))
    }

    fn quasi(&mut self, node: &Node, depth: usize, built: &mut Built) -> Result<Value> {
        self.step(node.span)?;
        let Some(items) = node.as_list() else {
            return Ok(quote(node));
        };
        match (node.head(), items) {
            (Some("unquote"), [_, inner]) if depth == 1 => self.eval(inner),
            (Some("unquote"), [head, inner]) => Ok(Value::List(vec![
                quote(head),
                self.quasi(inner, depth - 1, built)?,
            ])),
            (Some("quasiquote"), [head, inner]) => Ok(Value::List(vec![
                quote(head),
                self.quasi(inner, depth + 1, built)?,
            ])),
            (Some("unquote-splicing"), [_, _]) if depth == 1 => Err(Diagnostic::error(
                "`,@` (`unquote-splicing`) splices into a list: it cannot stand alone",
            )
            .at(node.span)
            .with_note("help: to put the value itself, write `,EXPRESSION`")),
            (Some(form @ ("unquote" | "unquote-splicing")), _) if items.len() != 2 => {
                Err(Diagnostic::error(format!("expected `({form} EXPRESSION)`")).at(node.span))
            }
            (Some("map"), [_, entries @ ..]) => self.quasi_map(entries, depth, built),
            _ => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if depth == 1
                        && item.head() == Some("unquote-splicing")
                        && let Some([_, inner]) = item.as_list()
                    {
                        let (value, sensitive) = self.eval(inner)?.unmark();
                        match value {
                            Value::List(elements) => {
                                out.extend(elements.into_iter().map(|e| e.mark_if(sensitive)))
                            }
                            Value::Unknown => {
                                built.unknown = true;
                                built.sensitive |= sensitive;
                            }
                            other => {
                                return Err(Diagnostic::error(format!(
                                    "`,@` splices a list, found {}",
                                    other.kind_name()
                                ))
                                .at(inner.span));
                            }
                        }
                    } else {
                        out.push(self.quasi(item, depth, built)?);
                    }
                }
                Ok(Value::List(out))
            }
        }
    }

    /// The entries of `` `(map ENTRY...) ``.
    fn quasi_map(&mut self, entries: &[Node], depth: usize, built: &mut Built) -> Result<Value> {
        let mut out = BTreeMap::new();
        let mut insert = |key: String, value: Value, at: &Node| {
            if out.insert(key.clone(), value).is_some() {
                return Err(Diagnostic::error(format!(
                    "duplicate key {key:?} in a quasiquoted map"
                ))
                .at(at.span));
            }
            Ok(())
        };
        for entry in entries {
            if depth == 1
                && entry.head() == Some("unquote-splicing")
                && let Some([_, inner]) = entry.as_list()
            {
                let (value, sensitive) = self.eval(inner)?.unmark();
                match value {
                    Value::Map(more) => {
                        for (k, v) in more {
                            insert(k, v.mark_if(sensitive), entry)?;
                        }
                    }
                    Value::Unknown => {
                        built.unknown = true;
                        built.sensitive |= sensitive;
                    }
                    other => {
                        return Err(Diagnostic::error(format!(
                            "`,@` in a quasiquoted map merges a map, found {}",
                            other.kind_name()
                        ))
                        .at(inner.span));
                    }
                }
                continue;
            }
            let Some([key, value]) = entry.as_list() else {
                return Err(Diagnostic::error("expected an entry `(KEY VALUE)`")
                    .at(entry.span)
                    .with_note("note: in a quasiquote, `(map ...)` is a map; write `(\"map\" ...)` for a list starting with the string"));
            };
            let (key_value, sensitive) = self.quasi(key, depth, built)?.unmark();
            built.sensitive |= sensitive;
            let key_text = match key_value {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Unknown => {
                    built.unknown = true;
                    continue;
                }
                other => {
                    return Err(Diagnostic::error(format!(
                        "a map key must be a string, found {}",
                        other.kind_name()
                    ))
                    .at(key.span));
                }
            };
            let value = self.quasi(value, depth, built)?;
            insert(key_text, value, entry)?;
        }
        Ok(Value::Map(out))
    }
}

//! Custom conditions (preconditions, postconditions, a check's
//! assertions): a condition is a bool, its error message a string that
//! must not reveal a secret. The engine decides when each is evaluated and
//! what a failure means (an error, or a check's warning).

use crate::expr::Context;
use nimbus_config::Condition;
use nimbus_syntax::Diagnostic;
use nimbus_value::{Type, Value};

/// What Terraform shows instead of an error message built from secrets.
pub const SENSITIVE_MESSAGE: &str =
    "The error message included a sensitive value, so it will not be displayed.";

/// The result of one condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Passed,
    /// The condition is false: the evaluated error message, which, when
    /// `sensitive`, is [`SENSITIVE_MESSAGE`] instead of what it said.
    Failed {
        message: String,
        sensitive: bool,
    },
    /// The condition depends on values not known yet.
    Unknown,
}

/// Evaluates `condition`; `kind` names it in errors ("precondition").
/// An error is a condition that is no bool, or a message that cannot be
/// made a string: located at the expression at fault.
pub fn eval_condition(
    ctx: &mut Context<'_>,
    condition: &Condition,
    kind: &str,
) -> Result<Outcome, Diagnostic> {
    let result = ctx.eval(&condition.condition)?;
    if result.peel().is_unknown() {
        return Ok(Outcome::Unknown);
    }
    match result.to_bool_converted() {
        Some(true) => return Ok(Outcome::Passed),
        Some(false) => {}
        None => {
            let found = match result.peel() {
                Value::Null => "null".to_string(),
                other => format!("a {}", other.kind_name()),
            };
            return Err(Diagnostic::error(format!(
                "the condition of a {kind} must be true or false, found {found}"
            ))
            .at(condition.condition.span));
        }
    }
    let message = ctx.eval(&condition.message)?;
    if message.contains_sensitive() {
        return Ok(Outcome::Failed {
            message: SENSITIVE_MESSAGE.to_string(),
            sensitive: true,
        });
    }
    if !message.is_wholly_known() {
        return Ok(Outcome::Failed {
            message: "(the error message is known only after apply)".to_string(),
            sensitive: false,
        });
    }
    let text = match Type::String.convert(message) {
        Ok(Value::String(text)) => text,
        Ok(_) | Err(_) => {
            return Err(Diagnostic::error(format!(
                "the error message of a {kind} must be a string"
            ))
            .at(condition.message.span));
        }
    };
    Ok(Outcome::Failed {
        message: text,
        sensitive: false,
    })
}

/// The note that goes with a failure whose message was withheld.
pub fn sensitive_message_note() -> &'static str {
    "note: error message refers to sensitive values; Nimbus will not display it (remove the references, or use `nonsensitive` where the message reveals no secret)"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModuleIndex;
    use crate::scope::Scope;
    use nimbus_config::Module;
    use nimbus_syntax::{FileId, Span};

    fn condition(condition: &str, message: &str) -> Condition {
        let read = |text: &str| {
            let mut parsed = nimbus_syntax::read(FileId(0), text);
            assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
            parsed.nodes.remove(0)
        };
        Condition {
            condition: read(condition),
            message: read(message),
            span: Span::default(),
        }
    }

    fn outcome(cond: &str, message: &str, bound: Option<Value>) -> Result<Outcome, Diagnostic> {
        let module = Module::default();
        let index = ModuleIndex::new(&module);
        let scope = Scope::default();
        let mut ctx = Context::new(&index, &scope);
        if let Some(value) = bound {
            ctx.bind("x", value);
        }
        eval_condition(&mut ctx, &condition(cond, message), "precondition")
    }

    fn failed(message: &str, sensitive: bool) -> Result<Outcome, Diagnostic> {
        Ok(Outcome::Failed {
            message: message.to_string(),
            sensitive,
        })
    }

    #[test]
    fn conditions_are_bools_or_their_strings() {
        assert_eq!(outcome("(= 1 1)", "\"m\"", None), Ok(Outcome::Passed));
        assert_eq!(outcome("\"true\"", "\"m\"", None), Ok(Outcome::Passed));
        assert_eq!(outcome("#f", "\"m\"", None), failed("m", false));
        assert_eq!(outcome("\"false\"", "\"m\"", None), failed("m", false));
        let error = outcome("\"maybe\"", "\"m\"", None).unwrap_err();
        assert_eq!(
            error.message,
            "the condition of a precondition must be true or false, found a string"
        );
        let error = outcome("null", "\"m\"", None).unwrap_err();
        assert!(error.message.ends_with("found null"), "{}", error.message);
        assert_eq!(
            outcome("x", "\"m\"", Some(Value::Unknown)),
            Ok(Outcome::Unknown)
        );
    }

    #[test]
    fn messages_are_strings_that_never_show_a_secret() {
        assert_eq!(
            outcome("#f", "(string-append \"n=\" (to-string 3))", None),
            failed("n=3", false)
        );
        assert_eq!(outcome("#f", "42", None), failed("42", false));
        assert_eq!(
            outcome(
                "#f",
                "(string-append \"pw \" x)",
                Some(Value::string("hunter2").into_sensitive())
            ),
            failed(SENSITIVE_MESSAGE, true)
        );
        let error = outcome("#f", "(list 1)", None).unwrap_err();
        assert_eq!(
            error.message,
            "the error message of a precondition must be a string"
        );
        // A message is evaluated only when the condition is false.
        assert_eq!(outcome("#t", "(list 1)", None), Ok(Outcome::Passed));
    }
}

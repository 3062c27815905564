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

//! time-static.

use nimbus_provider::ProviderError;
use nimbus_provider::attrs::{Field, string_field};
use nimbus_provider::nimbus_value::Value;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Attributes derived from the timestamp.
pub const DERIVED: [&str; 8] = [
    "year", "month", "day", "hour", "minute", "second", "unix", "id",
];

pub(crate) fn parse(text: &str) -> Result<OffsetDateTime, ProviderError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
        ProviderError::fatal(format!(
            "`rfc3339` must be an RFC 3339 timestamp such as \"2024-05-01T12:30:00Z\", found {text:?} ({e})"
        ))
        .on_attribute("rfc3339")
    })
}

pub(crate) fn check(object: &Value) -> Vec<ProviderError> {
    match string_field(object, "rfc3339") {
        Ok(Field::Set(text)) => parse(&text).err().into_iter().collect(),
        Ok(_) => Vec::new(),
        Err(e) => vec![e.into()],
    }
}

/// The current time in UTC, to the second, in RFC 3339 form.
pub(crate) fn now() -> Result<String, ProviderError> {
    let now = OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&Rfc3339)
        .map_err(|e| ProviderError::fatal(format!("cannot format the current time: {e}")))
}

/// Sets every derived attribute from `rfc3339`: its parts when it is known,
/// unknown when it is not.
pub(crate) fn fill(state: &mut BTreeMap<String, Value>) -> Result<(), ProviderError> {
    let text = match state.get("rfc3339").map(Value::peel) {
        Some(Value::String(text)) => text.clone(),
        _ => {
            for name in DERIVED {
                state.insert(name.into(), Value::Unknown);
            }
            return Ok(());
        }
    };
    let t = parse(&text)?;
    let parts: [(&str, i64); 7] = [
        ("year", t.year() as i64),
        ("month", u8::from(t.month()) as i64),
        ("day", t.day() as i64),
        ("hour", t.hour() as i64),
        ("minute", t.minute() as i64),
        ("second", t.second() as i64),
        ("unix", t.unix_timestamp()),
    ];
    for (name, value) in parts {
        state.insert(name.into(), Value::int(value));
    }
    state.insert("id".into(), Value::string(text));
    Ok(())
}

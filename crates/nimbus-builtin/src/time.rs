//! time-static, time-offset, time-rotating and time-sleep.
//!
//! Timestamps are RFC 3339 text in state. Derived values (`year` ..
//! `second`, `unix`) are read in the timestamp's own UTC offset, and
//! timestamps this module writes drop fractions of a second, as
//! Terraform's time provider does (Go's `time.RFC3339` layout).

use crate::schema::MAX_SLEEP_SECONDS;
use nimbus_provider::ProviderError;
use nimbus_provider::attrs::{Field, attr, int_field, string_field};
use nimbus_provider::nimbus_value::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime};

type Object = BTreeMap<String, Value>;

/// Attributes derived from one timestamp.
const PARTS: [&str; 7] = ["year", "month", "day", "hour", "minute", "second", "unix"];

/// Parses an RFC 3339 timestamp given in `name`.
pub(crate) fn parse(text: &str, name: &str) -> Result<OffsetDateTime, ProviderError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
        ProviderError::fatal(format!(
            "`{name}` must be an RFC 3339 timestamp such as \"2024-05-01T12:30:00Z\", found {text:?} ({e})"
        ))
        .on_attribute(name)
    })
}

/// A timestamp in RFC 3339 form, to the second.
pub(crate) fn format(t: OffsetDateTime) -> Result<String, ProviderError> {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .map_err(|e| ProviderError::fatal(format!("cannot format a timestamp: {e}")))
}

/// The current time in UTC, to the second.
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// Sets `year` .. `second` and `unix` from `t`, or to unknown.
fn fill_parts(state: &mut Object, t: Option<OffsetDateTime>) {
    let Some(t) = t else {
        for name in PARTS {
            state.insert(name.into(), Value::Unknown);
        }
        return;
    };
    let parts: [i64; 7] = [
        t.year() as i64,
        u8::from(t.month()) as i64,
        t.day() as i64,
        t.hour() as i64,
        t.minute() as i64,
        t.second() as i64,
        t.unix_timestamp(),
    ];
    for (name, value) in PARTS.into_iter().zip(parts) {
        state.insert(name.into(), Value::int(value));
    }
}

/// The text of a string attribute when it is known and set.
fn known_text(state: &Object, name: &str) -> Option<String> {
    match state.get(name).map(Value::peel) {
        Some(Value::String(text)) => Some(text.clone()),
        _ => None,
    }
}

/// Checks that a string attribute, when set, is an RFC 3339 timestamp.
fn check_timestamp(object: &Value, name: &str, errors: &mut Vec<ProviderError>) {
    match string_field(object, name) {
        Ok(Field::Set(text)) => errors.extend(parse(&text, name).err()),
        Ok(_) => {}
        Err(e) => errors.push(e.into()),
    }
}

// ------------------------------------------------------------ time-static

pub(crate) fn check_static(object: &Value) -> Vec<ProviderError> {
    let mut errors = Vec::new();
    check_timestamp(object, "rfc3339", &mut errors);
    errors
}

/// Sets every derived attribute of a time-static from `rfc3339`: its parts
/// when it is known, unknown when it is not.
pub(crate) fn fill_static(state: &mut Object) -> Result<(), ProviderError> {
    match known_text(state, "rfc3339") {
        Some(text) => {
            fill_parts(state, Some(parse(&text, "rfc3339")?));
            state.insert("id".into(), Value::string(text));
        }
        None => {
            fill_parts(state, None);
            state.insert("id".into(), Value::Unknown);
        }
    }
    Ok(())
}

// ---------------------------------------------------- periods of calendar

/// Calendar periods to add to a timestamp.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Periods {
    pub years: i64,
    pub months: i64,
    pub days: i64,
    pub hours: i64,
    pub minutes: i64,
    pub seconds: i64,
}

/// Largest magnitude of one period: far past any representable date
/// (years -9999..9999), small enough that no sum of them overflows.
const MAX_PERIOD: i64 = 1 << 40;

impl Periods {
    /// Adds the periods: years and months first on the calendar (a day
    /// that month does not have runs into the next, as Go's `AddDate`
    /// does), then days, hours, minutes and seconds.
    pub(crate) fn add_to(&self, t: OffsetDateTime) -> Option<OffsetDateTime> {
        let months = (t.year() as i64) * 12
            + (u8::from(t.month()) as i64 - 1)
            + self.years.checked_mul(12)?
            + self.months;
        let year = i32::try_from(months.div_euclid(12)).ok()?;
        let month = Month::try_from(months.rem_euclid(12) as u8 + 1).ok()?;
        let first = Date::from_calendar_date(year, month, 1).ok()?;
        let seconds = (t.day() as i64 - 1 + self.days) * 86_400
            + self.hours * 3_600
            + self.minutes * 60
            + self.seconds;
        t.replace_date(first)
            .checked_add(time::Duration::seconds(seconds))
    }
}

/// Reads the periods `PREFIX-UNIT` of `units`; `Ok(None)` while one is
/// unknown. `minimum` bounds each value set.
fn periods(
    object: &Value,
    prefix: &str,
    units: &[&str],
    minimum: Option<i64>,
) -> Result<Option<(Periods, bool)>, ProviderError> {
    let mut p = Periods::default();
    let mut any = false;
    let mut complete = true;
    for unit in units {
        let name = format!("{prefix}-{unit}");
        let value = match int_field(object, &name)? {
            Field::Set(n) => n,
            Field::Null => continue,
            Field::Unknown => {
                any = true;
                complete = false;
                continue;
            }
        };
        if let Some(min) = minimum
            && value < min
        {
            return Err(ProviderError::fatal(format!(
                "`{name}` must be at least {min}, found {value}"
            ))
            .on_attribute(name));
        }
        if value.abs() > MAX_PERIOD {
            return Err(
                ProviderError::fatal(format!("`{name}` is out of range: {value}"))
                    .on_attribute(name),
            );
        }
        any = true;
        let slot = match *unit {
            "years" => &mut p.years,
            "months" => &mut p.months,
            "days" => &mut p.days,
            "hours" => &mut p.hours,
            "minutes" => &mut p.minutes,
            _ => &mut p.seconds,
        };
        *slot = value;
    }
    Ok(complete.then_some((p, any)))
}

fn out_of_range(name: &str) -> ProviderError {
    ProviderError::fatal(format!(
        "`{name}` would fall outside the years -9999 to 9999"
    ))
    .on_attribute(name)
}

// ------------------------------------------------------------ time-offset

const OFFSET_UNITS: [&str; 6] = ["years", "months", "days", "hours", "minutes", "seconds"];

pub(crate) fn check_offset(object: &Value) -> Vec<ProviderError> {
    let mut errors = Vec::new();
    check_timestamp(object, "base-rfc3339", &mut errors);
    match periods(object, "offset", &OFFSET_UNITS, None) {
        Ok(Some((_, false))) => errors.push(
            ProviderError::fatal("at least one of the `offset-*` attributes must be set")
                .on_attribute("offset-days"),
        ),
        Ok(_) => {}
        Err(e) => errors.push(e),
    }
    errors
}

/// Sets the derived attributes of a time-offset from `base-rfc3339` and
/// the offsets, unknown where they are not known.
pub(crate) fn fill_offset(state: &mut Object) -> Result<(), ProviderError> {
    let object = Value::Map(state.clone());
    let base = known_text(state, "base-rfc3339");
    state.insert(
        "id".into(),
        base.clone().map(Value::string).unwrap_or(Value::Unknown),
    );
    let periods = periods(&object, "offset", &OFFSET_UNITS, None)?;
    let (Some(base), Some((periods, _))) = (base, periods) else {
        state.insert("rfc3339".into(), Value::Unknown);
        fill_parts(state, None);
        return Ok(());
    };
    let t = periods
        .add_to(parse(&base, "base-rfc3339")?)
        .ok_or_else(|| out_of_range("rfc3339"))?;
    state.insert("rfc3339".into(), Value::string(format(t)?));
    fill_parts(state, Some(t));
    Ok(())
}

/// A time-offset imported from `BASE,YEARS,MONTHS,DAYS,HOURS,MINUTES,SECONDS`.
pub(crate) fn import_offset(id: &str, state: &mut Object) -> Result<(), String> {
    let parts: Vec<&str> = id.split(',').collect();
    if parts.len() != 7
        || parts[0].is_empty()
        || parts[1..].iter().all(|p| p.is_empty() || *p == "0")
    {
        return Err(
            "expected BASE,YEARS,MONTHS,DAYS,HOURS,MINUTES,SECONDS with at least one offset"
                .to_string(),
        );
    }
    import_periods(state, "offset", &OFFSET_UNITS, &parts[1..])?;
    state.insert("base-rfc3339".into(), Value::string(parts[0]));
    fill_offset(state).map_err(|e| e.message)
}

/// Periods of an import id; empty and zero ones are unset (a configuration
/// that leaves them out then plans no change).
fn import_periods(
    state: &mut Object,
    prefix: &str,
    units: &[&str],
    parts: &[&str],
) -> Result<(), String> {
    for (unit, text) in units.iter().zip(parts) {
        let value = match *text {
            "" => Value::Null,
            text => match text.parse::<i64>() {
                Ok(0) => Value::Null,
                Ok(n) => Value::int(n),
                Err(_) => return Err(format!("{prefix} {unit} {text:?} is not a whole number")),
            },
        };
        state.insert(format!("{prefix}-{unit}"), value);
    }
    Ok(())
}

// ---------------------------------------------------------- time-rotating

const ROTATION_UNITS: [&str; 5] = ["years", "months", "days", "hours", "minutes"];

pub(crate) fn check_rotating(object: &Value) -> Vec<ProviderError> {
    let mut errors = Vec::new();
    check_timestamp(object, "rfc3339", &mut errors);
    check_timestamp(object, "rotation-rfc3339", &mut errors);
    let rotation_set = !attr(object, "rotation-rfc3339").is_null();
    match periods(object, "rotation", &ROTATION_UNITS, Some(1)) {
        Ok(Some((_, false))) if !rotation_set => errors.push(
            ProviderError::fatal(
                "at least one of the `rotation-*` attributes (or `rotation-rfc3339`) must be set",
            )
            .on_attribute("rotation-days"),
        ),
        Ok(_) => {}
        Err(e) => errors.push(e),
    }
    errors
}

/// Sets the derived attributes of a time-rotating from its base
/// timestamp `rfc3339` and, unless `configured` (the configuration's
/// `rotation-rfc3339`) says when, its periods.
pub(crate) fn fill_rotating(state: &mut Object, configured: &Value) -> Result<(), ProviderError> {
    let object = Value::Map(state.clone());
    let base = known_text(state, "rfc3339");
    state.insert(
        "id".into(),
        base.clone().map(Value::string).unwrap_or(Value::Unknown),
    );
    let rotation = match configured.peel() {
        Value::String(text) => Some(parse(text, "rotation-rfc3339")?),
        Value::Null => {
            let rotation = match (
                base,
                periods(&object, "rotation", &ROTATION_UNITS, Some(1))?,
            ) {
                (Some(base), Some((periods, _))) => Some(
                    periods
                        .add_to(parse(&base, "rfc3339")?)
                        .ok_or_else(|| out_of_range("rotation-rfc3339"))?,
                ),
                _ => None,
            };
            let text = match rotation {
                Some(t) => Value::string(format(t)?),
                None => Value::Unknown,
            };
            state.insert("rotation-rfc3339".into(), text);
            rotation
        }
        _ => None,
    };
    fill_parts(state, rotation);
    Ok(())
}

/// Whether a time-rotating's rotation time has passed.
pub(crate) fn rotation_due(prior: &Value) -> bool {
    attr(prior, "rotation-rfc3339")
        .as_str()
        .and_then(|text| OffsetDateTime::parse(text, &Rfc3339).ok())
        .is_some_and(|rotation| OffsetDateTime::now_utc() > rotation)
}

/// A time-rotating imported from `BASE,YEARS,MONTHS,DAYS,HOURS,MINUTES`
/// or `BASE,ROTATION`.
pub(crate) fn import_rotating(id: &str, state: &mut Object) -> Result<(), String> {
    let parts: Vec<&str> = id.split(',').collect();
    let configured = match parts.len() {
        2 if !parts[0].is_empty() && !parts[1].is_empty() => {
            parse(parts[1], "rotation-rfc3339").map_err(|e| e.message)?;
            state.insert("rotation-rfc3339".into(), Value::string(parts[1]));
            Value::string(parts[1])
        }
        6 if !parts[0].is_empty() && parts[1..].iter().any(|p| !p.is_empty() && *p != "0") => {
            import_periods(state, "rotation", &ROTATION_UNITS, &parts[1..])?;
            Value::Null
        }
        _ => {
            return Err(
                "expected BASE,YEARS,MONTHS,DAYS,HOURS,MINUTES (at least one period) or BASE,ROTATION"
                    .to_string(),
            );
        }
    };
    state.insert("rfc3339".into(), Value::string(parts[0]));
    fill_rotating(state, &configured).map_err(|e| e.message)
}

// ------------------------------------------------------------- time-sleep

/// Parses a Go duration (`"1h30m"`, `"1.5s"`, `"300ms"`, `"0"`); negative
/// durations are refused.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("{text:?} is not a duration such as \"30s\", \"1m30s\" or \"500ms\"");
    let rest = text.strip_prefix('+').unwrap_or(text);
    if rest.starts_with('-') {
        return Err(format!("{text:?} is negative"));
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    let mut chars = rest.char_indices().peekable();
    while chars.peek().is_some() {
        let start = chars.peek().map_or(0, |(i, _)| *i);
        let mut end = start;
        while let Some((i, c)) = chars.peek().copied() {
            if c.is_ascii_digit() || c == '.' {
                end = i + c.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let number = &rest[start..end];
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
            return Err(invalid());
        }
        let unit_start = end;
        while let Some((i, c)) = chars.peek().copied() {
            if c.is_ascii_digit() || c == '.' {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        let nanos_per: u128 = match &rest[unit_start..end] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(invalid()),
        };
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let mut part = whole.checked_mul(nanos_per).ok_or_else(invalid)?;
        if !fraction.is_empty() {
            let digits = &fraction[..fraction.len().min(18)];
            let scale = 10u128.pow(digits.len() as u32);
            let value: u128 = digits.parse().map_err(|_| invalid())?;
            part += value * nanos_per / scale;
        }
        total = total.checked_add(part).ok_or_else(invalid)?;
        if total > u128::from(u64::MAX) {
            return Err(invalid());
        }
    }
    Ok(Duration::from_nanos(total as u64))
}

/// Checks one duration attribute; returns it when set and known.
fn duration_of(object: &Value, name: &str) -> Result<Option<Duration>, ProviderError> {
    let text = match string_field(object, name)? {
        Field::Set(text) => text,
        _ => return Ok(None),
    };
    let duration = parse_duration(&text)
        .map_err(|e| ProviderError::fatal(format!("`{name}`: {e}")).on_attribute(name))?;
    if duration > Duration::from_secs(MAX_SLEEP_SECONDS) {
        return Err(ProviderError::fatal(format!(
            "`{name}` is {text}, more than the longest wait of {} minutes",
            MAX_SLEEP_SECONDS / 60
        ))
        .on_attribute(name));
    }
    Ok(Some(duration))
}

pub(crate) fn check_sleep(object: &Value) -> Vec<ProviderError> {
    let mut errors = Vec::new();
    for name in ["create-duration", "destroy-duration"] {
        if let Err(e) = duration_of(object, name) {
            errors.push(e);
        }
    }
    if attr(object, "create-duration").is_null() && attr(object, "destroy-duration").is_null() {
        errors.push(
            ProviderError::fatal(
                "at least one of `create-duration` and `destroy-duration` must be set",
            )
            .on_attribute("create-duration"),
        );
    }
    errors
}

/// How often an interrupted sleep looks at the interrupt flag.
const INTERRUPT_POLL: Duration = Duration::from_millis(50);

/// Waits `name`'s duration of `object`, ending early with an error when
/// `interrupt` is set.
pub(crate) async fn sleep(
    object: &Value,
    name: &str,
    interrupt: Option<&AtomicBool>,
) -> Result<(), ProviderError> {
    let Some(duration) = duration_of(object, name)? else {
        return Ok(());
    };
    let until = tokio::time::Instant::now() + duration;
    loop {
        if interrupt.is_some_and(|flag| flag.load(Ordering::SeqCst)) {
            return Err(
                ProviderError::fatal(format!("interrupted while waiting `{name}`"))
                    .on_attribute(name),
            );
        }
        let now = tokio::time::Instant::now();
        if now >= until {
            return Ok(());
        }
        let step = if interrupt.is_some() {
            (until - now).min(INTERRUPT_POLL)
        } else {
            until - now
        };
        tokio::time::sleep(step).await;
    }
}

/// A time-sleep imported from `CREATE,DESTROY[,KEY=VALUE...]` (triggers
/// after the durations).
pub(crate) fn import_sleep(id: &str, state: &mut Object) -> Result<(), String> {
    let parts: Vec<&str> = id.split(',').collect();
    if parts.len() < 2 || (parts[0].is_empty() && parts[1].is_empty()) {
        return Err(
            "expected CREATE,DESTROY[,KEY=VALUE...] with at least one duration".to_string(),
        );
    }
    for (name, text) in [
        ("create-duration", parts[0]),
        ("destroy-duration", parts[1]),
    ] {
        if text.is_empty() {
            state.insert(name.into(), Value::Null);
        } else {
            parse_duration(text)?;
            state.insert(name.into(), Value::string(text));
        }
    }
    let mut triggers = BTreeMap::new();
    for trigger in &parts[2..] {
        let (key, value) = trigger
            .split_once('=')
            .ok_or_else(|| format!("trigger {trigger:?} is not KEY=VALUE"))?;
        triggers.insert(key.to_string(), Value::string(value));
    }
    state.insert(
        "triggers".into(),
        if triggers.is_empty() {
            Value::Null
        } else {
            Value::Map(triggers)
        },
    );
    state.insert(
        "id".into(),
        Value::string(format(now()).map_err(|e| e.message)?),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> OffsetDateTime {
        parse(text, "t").unwrap()
    }

    #[test]
    fn calendar_periods_normalise_as_go_does() {
        let add = |t: &str, p: Periods| format(p.add_to(at(t)).unwrap()).unwrap();
        let months = |n| Periods {
            months: n,
            ..Periods::default()
        };
        assert_eq!(
            add("2020-01-31T10:00:00Z", months(1)),
            "2020-03-02T10:00:00Z"
        );
        assert_eq!(
            add("2021-01-31T10:00:00Z", months(1)),
            "2021-03-03T10:00:00Z"
        );
        assert_eq!(
            add("2020-03-15T00:00:00Z", months(-3)),
            "2019-12-15T00:00:00Z"
        );
        assert_eq!(
            add(
                "2020-02-29T23:00:00+02:00",
                Periods {
                    years: 1,
                    days: 1,
                    hours: 2,
                    minutes: -30,
                    seconds: 5,
                    ..Periods::default()
                }
            ),
            "2021-03-03T00:30:05+02:00"
        );
        let far = Periods {
            years: 20_000,
            ..Periods::default()
        };
        assert!(far.add_to(at("2020-01-01T00:00:00Z")).is_none());
        let huge = Periods {
            days: MAX_PERIOD,
            hours: MAX_PERIOD,
            ..Periods::default()
        };
        assert!(huge.add_to(at("2020-01-01T00:00:00Z")).is_none());
    }

    #[test]
    fn go_durations() {
        let ms = |text: &str| parse_duration(text).map(|d| d.as_millis());
        assert_eq!(ms("30s"), Ok(30_000));
        assert_eq!(ms("1m30s"), Ok(90_000));
        assert_eq!(ms("1.5h"), Ok(5_400_000));
        assert_eq!(ms("500ms"), Ok(500));
        assert_eq!(ms(".5s"), Ok(500));
        assert_eq!(ms("+2s"), Ok(2_000));
        assert_eq!(ms("0"), Ok(0));
        assert_eq!(parse_duration("1500us").unwrap().as_micros(), 1_500);
        assert_eq!(parse_duration("2µs").unwrap().as_nanos(), 2_000);
        for bad in [
            "",
            "5",
            "s",
            "1d",
            "1..2s",
            "-1s",
            "1s2",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}

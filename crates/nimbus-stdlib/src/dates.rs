//! Timestamps: `format-date`, `time-add`, `time-compare`, `timestamp` and
//! `plan-timestamp`, with Terraform's RFC 3339 strings.
//!
//! Why a hand-written parser: Terraform accepts exactly Go's
//! `time.RFC3339` layout (upper-case `T` and `Z`, an optional fraction,
//! a `±HH:MM` offset) and its errors name what is missing; the `time` crate
//! does the calendar arithmetic.

use crate::FunctionError;
use crate::args::Args;
use nimbus_value::{Number, Value};
use std::time::SystemTime;
use time::{Date, Month, OffsetDateTime, Time, UtcOffset};

fn invalid(index: usize, why: &str) -> FunctionError {
    FunctionError::at(index, format!("not a valid RFC3339 timestamp: {why}"))
}

/// Reads `count` ASCII digits at `at`.
fn digits(text: &[u8], at: usize, count: usize) -> Option<u32> {
    let part = text.get(at..at + count)?;
    part.iter().try_fold(0u32, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// Parses an RFC 3339 timestamp given as argument `index`.
pub(crate) fn parse_timestamp(args: &Args, index: usize) -> Result<OffsetDateTime, FunctionError> {
    let text = &*args.string(index)?;
    let b = text.as_bytes();
    let bad = || {
        invalid(
            index,
            &format!("cannot parse {} as an RFC3339 timestamp", args.quote(text)),
        )
    };
    let (year, month, day) = match (digits(b, 0, 4), digits(b, 5, 2), digits(b, 8, 2)) {
        (Some(y), Some(m), Some(d)) if b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-') => {
            (y, m, d)
        }
        _ => return Err(bad()),
    };
    match b.get(10) {
        Some(b'T') => {}
        Some(_) | None => return Err(invalid(index, "missing required time introducer 'T'")),
    }
    let (hour, minute, second) = match (digits(b, 11, 2), digits(b, 14, 2), digits(b, 17, 2)) {
        (Some(h), Some(m), Some(s)) if b.get(13) == Some(&b':') && b.get(16) == Some(&b':') => {
            (h, m, s)
        }
        _ => return Err(bad()),
    };
    let mut at = 19;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(b[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return Err(bad());
        }
        for _ in (at - start)..9 {
            nanos *= 10;
        }
    }
    let offset_seconds = match b.get(at) {
        Some(b'Z') if at + 1 == b.len() => 0,
        Some(b'z') => return Err(invalid(index, "cannot use \"z\" as UTC offset")),
        Some(sign @ (b'+' | b'-')) if at + 6 == b.len() && b.get(at + 3) == Some(&b':') => {
            let (Some(h), Some(m)) = (digits(b, at + 1, 2), digits(b, at + 4, 2)) else {
                return Err(bad());
            };
            let seconds = i32::try_from(h * 3600 + m * 60).map_err(|_| bad())?;
            if *sign == b'-' { -seconds } else { seconds }
        }
        None => return Err(invalid(index, "missing required UTC offset")),
        _ => return Err(bad()),
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let date = Date::from_calendar_date(
        i32::try_from(year).map_err(|_| bad())?,
        month,
        u8::try_from(day).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    let clock = Time::from_hms_nano(
        u8::try_from(hour).map_err(|_| bad())?,
        u8::try_from(minute).map_err(|_| bad())?,
        u8::try_from(second).map_err(|_| bad())?,
        nanos,
    )
    .map_err(|_| bad())?;
    let offset = UtcOffset::from_whole_seconds(offset_seconds).map_err(|_| bad())?;
    Ok(date.with_time(clock).assume_offset(offset))
}

/// Go's `time.RFC3339` text: whole seconds, `Z` for UTC.
fn rfc3339(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        offset_text(t.offset(), true, "Z")
    )
}

/// `±HH:MM` (or `±HHMM` without the colon), or `utc` for a zero offset.
fn offset_text(offset: UtcOffset, colon: bool, utc: &str) -> String {
    if offset.is_utc() {
        return utc.to_string();
    }
    let seconds = offset.whole_seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    let separator = if colon { ":" } else { "" };
    format!("{sign}{:02}{separator}{:02}", minutes / 60, minutes % 60)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `(format-date FORMAT TIMESTAMP)`: Terraform's `formatdate` verbs (`YYYY`,
/// `MMM`, `DD`, `EEEE`, `hh`, `mm`, `ss`, `ZZZZZ`, ...), text in single
/// quotes copied as it is (`''` for a quote).
pub(crate) fn format_date(args: &mut Args) -> Result<Value, FunctionError> {
    let t = parse_timestamp(args, 1)?;
    let format = &*args.string(0)?;
    let month = MONTHS
        .get(usize::from(u8::from(t.month())) - 1)
        .copied()
        .unwrap_or("");
    let weekday = format!("{}", t.weekday());
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let mut out = String::new();
    let chars: Vec<char> = format.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\'' {
            // A quoted literal; `''` is a quote, inside or outside one.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(FunctionError::at(0, "unterminated literal '")),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        out.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&other) => {
                        out.push(other);
                        i += 1;
                    }
                }
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        let verb: String = std::iter::repeat_n(c, run).collect();
        let text = match verb.as_str() {
            "YYYY" => format!("{:04}", t.year()),
            "YY" => format!("{:02}", t.year().rem_euclid(100)),
            "MMMM" => month.to_string(),
            "MMM" => month.get(..3).unwrap_or(month).to_string(),
            "MM" => format!("{:02}", u8::from(t.month())),
            "M" => u8::from(t.month()).to_string(),
            "DD" => format!("{:02}", t.day()),
            "D" => t.day().to_string(),
            "EEEE" => weekday.clone(),
            "EEE" => weekday.get(..3).unwrap_or(&weekday).to_string(),
            "hh" => format!("{:02}", t.hour()),
            "h" => t.hour().to_string(),
            "HH" => format!("{hour12:02}"),
            "H" => hour12.to_string(),
            "AA" => if t.hour() < 12 { "AM" } else { "PM" }.to_string(),
            "aa" => if t.hour() < 12 { "am" } else { "pm" }.to_string(),
            "mm" => format!("{:02}", t.minute()),
            "m" => t.minute().to_string(),
            "ss" => format!("{:02}", t.second()),
            "s" => t.second().to_string(),
            "ZZZZZ" => offset_text(t.offset(), true, "Z"),
            "ZZZZ" => offset_text(t.offset(), false, "+0000"),
            "ZZZ" => offset_text(t.offset(), false, "UTC"),
            "Z" => offset_text(t.offset(), true, "Z"),
            _ => {
                return Err(FunctionError::at(
                    0,
                    format!("invalid date format verb {verb:?}"),
                ));
            }
        };
        out.push_str(&text);
        i += run;
    }
    Ok(Value::String(out))
}

/// Go's `time.ParseDuration`: a sign, then numbers with units (`ns`, `us`,
/// `µs`, `ms`, `s`, `m`, `h`), e.g. `1h30m` or `-1.5h`; in nanoseconds.
fn parse_duration(text: &str, index: usize) -> Result<i128, FunctionError> {
    let invalid = || FunctionError::at(index, format!("time: invalid duration {text:?}"));
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        if number.is_empty() || number == "." {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        rest = &rest[unit_end..];
        let nanos_per_unit = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => {
                return Err(FunctionError::at(
                    index,
                    format!("time: missing unit in duration {text:?}"),
                ));
            }
            other => {
                return Err(FunctionError::at(
                    index,
                    format!("time: unknown unit {other:?} in duration {text:?}"),
                ));
            }
        };
        total += value * nanos_per_unit;
    }
    // Go holds a duration in an i64 of nanoseconds.
    if !total.is_finite() || total > i64::MAX as f64 {
        return Err(invalid());
    }
    let nanos = total.round() as i128;
    Ok(if negative { -nanos } else { nanos })
}

/// `(time-add TIMESTAMP DURATION)`: the timestamp moved by a Go duration,
/// in the timestamp's own offset, to the second.
pub(crate) fn time_add(args: &mut Args) -> Result<Value, FunctionError> {
    let t = parse_timestamp(args, 0)?;
    let nanos = parse_duration(&args.string(1)?, 1)?;
    let moved = i64::try_from(nanos)
        .ok()
        .and_then(|n| t.checked_add(time::Duration::nanoseconds(n)))
        .ok_or_else(|| FunctionError::at(1, "the result is out of the range of dates"))?;
    Ok(Value::String(rfc3339(moved)))
}

/// `(time-compare A B)`: -1, 0 or 1 as instant A is before, equal to or
/// after instant B (offsets taken into account).
pub(crate) fn time_compare(args: &mut Args) -> Result<Value, FunctionError> {
    let a = parse_timestamp(args, 0)?;
    let b = parse_timestamp(args, 1)?;
    Ok(Value::Number(Number::Int(match a.cmp(&b) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    })))
}

fn utc_text(moment: SystemTime) -> Result<Value, FunctionError> {
    let t = OffsetDateTime::from(moment);
    Ok(Value::String(rfc3339(t.to_offset(UtcOffset::UTC))))
}

/// `(timestamp)`: the current UTC time; unknown until applying.
pub(crate) fn timestamp(args: &mut Args) -> Result<Value, FunctionError> {
    match args.context.effects() {
        Some(effects) => utc_text(effects.now()),
        None => Ok(Value::Unknown),
    }
}

/// `(plan-timestamp)`: when the plan started; unknown when the caller
/// gives no plan time (validation).
pub(crate) fn plan_timestamp(args: &mut Args) -> Result<Value, FunctionError> {
    match args.context.plan_timestamp {
        Some(moment) => utc_text(moment),
        None => Ok(Value::Unknown),
    }
}

//! Monthly cost estimates of a plan, offline: a dated price table
//! (`prices/aws-us-east-1.json`, compiled in; another one with
//! `--prices FILE`) times usage assumptions (a usage file, per address or
//! per type). `nimbus cost` shows the estimate and policies'
//! `cost-exceeds` reads its total, so both use the same numbers.
//!
//! Money is exact: prices and quantities are decimals held as integers
//! (ten decimal places), each line is rounded once, half up, to the cent,
//! and the total is the sum of the lines. Tiered prices charge each tier's
//! share of the quantity at that tier's price. A figure that depends on
//! usage the file does not give (or on a value known only after apply) is
//! never shown as $0: it is reported as such and left out of the total.

use crate::plan::{Action, ResourceChange};
use nimbus_value::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The price table shipped with Nimbus.
pub const SHIPPED_PRICES: &str = include_str!("../prices/aws-us-east-1.json");

/// A price table older than this many days is reported as stale.
pub const STALE_AFTER_DAYS: i64 = 90;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CostError {
    /// A price table or usage file that does not read.
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

fn invalid(file: &str, message: impl Into<String>) -> CostError {
    CostError::Invalid {
        file: file.to_string(),
        message: message.into(),
    }
}

/// Ten decimal places.
const SCALE: i128 = 10_000_000_000;

/// A non-negative decimal with ten places, exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Dec(i128);

impl Dec {
    pub fn from_int(i: i128) -> Dec {
        Dec(i * SCALE)
    }

    /// `123`, `0.25`, `1000.0`: digits with at most ten decimals.
    pub fn parse(text: &str) -> Option<Dec> {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) || frac.len() > 10 {
            return None;
        }
        let whole: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let mut fraction: i128 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        for _ in frac.len()..10 {
            fraction *= 10;
        }
        whole.checked_mul(SCALE)?.checked_add(fraction).map(Dec)
    }

    fn mul(self, other: Dec) -> Option<Dec> {
        Some(Dec(round_div(self.0.checked_mul(other.0)?, SCALE)))
    }

    fn div_int(self, by: i128) -> Dec {
        Dec(round_div(self.0, by))
    }

    fn min(self, other: Dec) -> Dec {
        if self <= other { self } else { other }
    }
}

impl std::fmt::Display for Dec {
    /// Plain digits with thousands separators, no trailing zeros.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let whole = group(self.0 / SCALE);
        let frac = format!("{:010}", self.0 % SCALE);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            write!(f, "{whole}")
        } else {
            write!(f, "{whole}.{frac}")
        }
    }
}

/// Half-up division of non-negative numbers.
fn round_div(n: i128, d: i128) -> i128 {
    (n + d / 2) / d
}

/// `1234567` as `1,234,567`.
fn group(n: i128) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cents as `$1,234.56`.
pub fn dollars(cents: i128) -> String {
    format!("${}.{:02}", group(cents / 100), cents % 100)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    header: String,
    as_of: String,
    currency: String,
    hours_per_month: String,
    rows: BTreeMap<String, RowFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowFile {
    unit: String,
    #[serde(default = "one")]
    per: u64,
    tiers: Vec<TierFile>,
}

fn one() -> u64 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierFile {
    #[serde(default)]
    up_to: Option<String>,
    price: String,
}

/// One row of a price table: a price per `per` units, by tier.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub unit: String,
    pub per: u64,
    /// (cumulative upper bound in units, none for the last; price per `per`).
    pub tiers: Vec<(Option<Dec>, Dec)>,
}

/// Every row the estimator reads: a table must have them all.
const ROWS: &[&str] = &[
    "s3.storage.standard",
    "s3.requests.put",
    "s3.requests.get",
    "dynamodb.on-demand.write",
    "dynamodb.on-demand.read",
    "dynamodb.provisioned.write",
    "dynamodb.provisioned.read",
    "dynamodb.storage",
    "lambda.requests",
    "lambda.duration.x86_64",
    "lambda.duration.arm64",
    "sqs.standard.requests",
    "sqs.fifo.requests",
    "sns.publish",
    "sns.delivery.http",
    "sns.delivery.email",
    "apigateway.rest.requests",
];

/// A dated price table.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    /// What the prices are (the table's own words).
    pub header: String,
    /// `YYYY-MM-DD`.
    pub as_of: String,
    pub currency: String,
    pub hours_per_month: Dec,
    pub rows: BTreeMap<String, Row>,
    /// Days since 1970-01-01 of `as_of`.
    as_of_days: i64,
}

impl PriceTable {
    /// The table compiled into Nimbus.
    pub fn shipped() -> PriceTable {
        PriceTable::parse("the shipped price table", SHIPPED_PRICES)
            .unwrap_or_else(|e| unreachable!("the shipped price table reads: {e}"))
    }

    /// Reads a table (`file` names it in errors).
    pub fn parse(file: &str, text: &str) -> Result<PriceTable, CostError> {
        let raw: TableFile =
            serde_json::from_str(text).map_err(|e| invalid(file, e.to_string()))?;
        let as_of_days = parse_date(&raw.as_of).ok_or_else(|| {
            invalid(
                file,
                format!("`as_of` is a date YYYY-MM-DD, found {:?}", raw.as_of),
            )
        })?;
        let decimal = |what: &str, text: &str| {
            Dec::parse(text).ok_or_else(|| {
                invalid(
                    file,
                    format!("{what}: expected a decimal number, found {text:?}"),
                )
            })
        };
        let hours_per_month = decimal("hours_per_month", &raw.hours_per_month)?;
        let mut rows = BTreeMap::new();
        for (name, row) in raw.rows {
            if row.per == 0 || row.tiers.is_empty() {
                return Err(invalid(
                    file,
                    format!("row {name}: `per` must be positive and `tiers` not empty"),
                ));
            }
            let mut tiers = Vec::new();
            let mut last = Dec::default();
            for (i, tier) in row.tiers.iter().enumerate() {
                let up_to = tier
                    .up_to
                    .as_deref()
                    .map(|u| decimal(&format!("row {name}, tier {}", i + 1), u))
                    .transpose()?;
                let is_last = i + 1 == row.tiers.len();
                match up_to {
                    None if !is_last => {
                        return Err(invalid(
                            file,
                            format!("row {name}: only the last tier has no `up_to`"),
                        ));
                    }
                    Some(_) if is_last => {
                        return Err(invalid(
                            file,
                            format!("row {name}: the last tier has no `up_to`"),
                        ));
                    }
                    Some(u) if u <= last => {
                        return Err(invalid(
                            file,
                            format!("row {name}: tier bounds must increase"),
                        ));
                    }
                    _ => {}
                }
                last = up_to.unwrap_or(last);
                let price = decimal(&format!("row {name}, tier {}", i + 1), &tier.price)?;
                tiers.push((up_to, price));
            }
            rows.insert(
                name,
                Row {
                    unit: row.unit,
                    per: row.per,
                    tiers,
                },
            );
        }
        let missing: Vec<&str> = ROWS
            .iter()
            .copied()
            .filter(|r| !rows.contains_key(*r))
            .collect();
        if !missing.is_empty() {
            return Err(invalid(
                file,
                format!("the table has no row {}", missing.join(", ")),
            ));
        }
        Ok(PriceTable {
            header: raw.header,
            as_of: raw.as_of,
            currency: raw.currency,
            hours_per_month,
            rows,
            as_of_days,
        })
    }

    /// How many days old the table is on `today` (days since 1970-01-01).
    pub fn age_days(&self, today: i64) -> i64 {
        today - self.as_of_days
    }

    /// A warning when the table is older than [`STALE_AFTER_DAYS`].
    pub fn staleness(&self, today: i64) -> Option<String> {
        let age = self.age_days(today);
        (age > STALE_AFTER_DAYS).then(|| {
            format!(
                "the price table is {age} days old (as of {}): prices may have changed; pass `--prices FILE` with a newer table",
                self.as_of
            )
        })
    }

    /// What `quantity` units of `row` cost, tier by tier: the parts and
    /// the amount in cents (rounded once, half up).
    fn price(&self, row_name: &str, quantity: Dec) -> Option<(Vec<TierPart>, i128)> {
        let row = self.rows.get(row_name)?;
        let mut parts = Vec::new();
        let mut sum: i128 = 0;
        let mut lower = Dec::default();
        for (up_to, price) in &row.tiers {
            if quantity <= lower && !parts.is_empty() {
                break;
            }
            let top = up_to.map_or(quantity, |u| quantity.min(u));
            let in_tier = Dec(top.0.saturating_sub(lower.0).max(0));
            if in_tier.0 > 0 || parts.is_empty() {
                sum = sum.checked_add(in_tier.0.checked_mul(price.0)?)?;
                parts.push(TierPart {
                    quantity: in_tier.to_string(),
                    price: price.to_string(),
                });
            }
            match up_to {
                Some(u) => lower = *u,
                None => break,
            }
        }
        // sum is in units of 1e-20 dollars per `per`: cents are sum / (per * 1e18).
        let per = i128::from(row.per);
        let cents = round_div(sum, per.checked_mul(SCALE * SCALE / 100)?);
        Some((parts, cents))
    }
}

/// Days since 1970-01-01 of `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let mut it = text.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > days_in[(m - 1) as usize] {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// A usage assumption: a quantity, or a word (`architecture`).
#[derive(Debug, Clone, PartialEq)]
pub enum UsageValue {
    Quantity(Dec),
    Word(String),
}

/// The usage keys each priced type reads, and what they mean (monthly).
pub const USAGE_KEYS: &[(&str, &[&str])] = &[
    ("s3-bucket", &["storage_gb", "put_requests", "get_requests"]),
    (
        "dynamodb-table",
        &["write_request_units", "read_request_units", "storage_gb"],
    ),
    (
        "lambda",
        &["requests", "average_duration_ms", "architecture"],
    ),
    ("sqs-queue", &["requests"]),
    (
        "sns-topic",
        &["publish_requests", "http_deliveries", "email_deliveries"],
    ),
    ("api-gateway-rest-api", &["requests"]),
];

/// Types that cost nothing of their own (their use is billed on another
/// resource, or the service is free).
const NO_CHARGE: &[&str] = &[
    "s3-bucket-policy",
    "s3-object",
    "iam-role",
    "iam-policy",
    "lambda-permission",
    "api-gateway-resource",
    "api-gateway-method",
    "api-gateway-integration",
    "api-gateway-deployment",
    "api-gateway-stage",
    "sns-subscription",
];

/// The AWS type a resource type prices as: Nimbus's names, and the
/// Terraform AWS provider's (`aws-s3-bucket`, `aws-lambda-function`).
fn priced_type(resource_type: &str) -> &str {
    let bare = resource_type.strip_prefix("aws-").unwrap_or(resource_type);
    match bare {
        "lambda-function" => "lambda",
        other => other,
    }
}

/// Usage assumptions: per type, and per address (a block's address
/// covers its instances), the address's winning key by key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    types: BTreeMap<String, BTreeMap<String, UsageValue>>,
    resources: BTreeMap<String, BTreeMap<String, UsageValue>>,
}

impl Usage {
    /// Reads a usage file:
    /// `{"types": {"lambda": {"requests": 1000000}}, "resources": {"s3-bucket.logs": {"storage_gb": 50}}}`.
    pub fn parse(file: &str, text: &str) -> Result<Usage, CostError> {
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| invalid(file, e.to_string()))?;
        let Some(top) = json.as_object() else {
            return Err(invalid(
                file,
                "expected an object with `types` and `resources`",
            ));
        };
        let mut usage = Usage::default();
        for (section, entries) in top {
            let by_type = match section.as_str() {
                "types" => true,
                "resources" => false,
                other => {
                    return Err(invalid(
                        file,
                        format!("unknown section `{other}` (expected `types` or `resources`)"),
                    ));
                }
            };
            let Some(entries) = entries.as_object() else {
                return Err(invalid(file, format!("`{section}` is an object")));
            };
            for (name, values) in entries {
                let keys: Vec<&str> = if by_type {
                    let t = priced_type(name);
                    match USAGE_KEYS.iter().find(|(ty, _)| *ty == t) {
                        Some((_, keys)) => keys.to_vec(),
                        None => {
                            return Err(invalid(
                                file,
                                format!(
                                    "types.{name}: no usage is priced for this type (types with usage: {})",
                                    USAGE_KEYS
                                        .iter()
                                        .map(|(t, _)| *t)
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            ));
                        }
                    }
                } else {
                    USAGE_KEYS
                        .iter()
                        .flat_map(|(_, k)| k.iter().copied())
                        .collect()
                };
                let Some(values) = values.as_object() else {
                    return Err(invalid(file, format!("{section}.{name} is an object")));
                };
                let mut map = BTreeMap::new();
                for (key, value) in values {
                    if !keys.contains(&key.as_str()) {
                        let mut known = keys.clone();
                        known.sort_unstable();
                        known.dedup();
                        return Err(invalid(
                            file,
                            format!(
                                "{section}.{name}: unknown usage `{key}` (known: {})",
                                known.join(", ")
                            ),
                        ));
                    }
                    let parsed = match value {
                        serde_json::Value::Number(n) => {
                            Dec::parse(&n.to_string()).map(UsageValue::Quantity)
                        }
                        serde_json::Value::String(s) if key == "architecture" => {
                            (s == "x86_64" || s == "arm64").then(|| UsageValue::Word(s.clone()))
                        }
                        serde_json::Value::String(s) => Dec::parse(s).map(UsageValue::Quantity),
                        _ => None,
                    };
                    let Some(parsed) = parsed else {
                        let expected = if key == "architecture" {
                            "\"x86_64\" or \"arm64\""
                        } else {
                            "a non-negative decimal number (at most ten decimals, no exponent)"
                        };
                        return Err(invalid(
                            file,
                            format!("{section}.{name}.{key}: expected {expected}, found {value}"),
                        ));
                    };
                    map.insert(key.clone(), parsed);
                }
                let target = if by_type {
                    &mut usage.types
                } else {
                    &mut usage.resources
                };
                target.insert(
                    if by_type {
                        priced_type(name).to_string()
                    } else {
                        name.clone()
                    },
                    map,
                );
            }
        }
        Ok(usage)
    }

    /// The addresses the file gives usage for that name no instance or
    /// block of `changes` (likely misspelt).
    pub fn unmatched(&self, changes: &[ResourceChange]) -> Vec<String> {
        self.resources
            .keys()
            .filter(|a| {
                !changes
                    .iter()
                    .any(|c| c.address == **a || crate::walk::block_of(&c.address) == a.as_str())
            })
            .cloned()
            .collect()
    }

    /// What `address` (of type `priced`) is assumed to do, key by key.
    fn lookup(&self, address: &str, priced: &str, key: &str) -> Option<&UsageValue> {
        let block = crate::walk::block_of(address);
        self.resources
            .get(address)
            .and_then(|m| m.get(key))
            .or_else(|| self.resources.get(block).and_then(|m| m.get(key)))
            .or_else(|| self.types.get(priced).and_then(|m| m.get(key)))
    }
}

/// A price table and usage assumptions: what estimates are made from.
#[derive(Debug, Clone, PartialEq)]
pub struct CostModel {
    pub table: PriceTable,
    pub usage: Usage,
}

impl Default for CostModel {
    fn default() -> CostModel {
        CostModel {
            table: PriceTable::shipped(),
            usage: Usage::default(),
        }
    }
}

/// One tier's share of a priced line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierPart {
    pub quantity: String,
    pub price: String,
}

/// What a line comes to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Amount {
    Priced {
        cents: i128,
        /// The table row it came from.
        row: String,
        quantity: String,
        unit: String,
        per: u64,
        tiers: Vec<TierPart>,
    },
    /// The usage file does not give `usage` for this resource.
    DependsOnUsage {
        usage: Vec<String>,
    },
    /// A value the figure needs is known only after apply.
    KnownAfterApply {
        attribute: String,
    },
    NoCharge,
}

/// One line of an estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub address: String,
    pub resource_type: String,
    /// What is charged (`storage`, `requests`, ...).
    pub item: String,
    #[serde(flatten)]
    pub amount: Amount,
}

/// A plan's monthly estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub header: String,
    pub as_of: String,
    pub currency: String,
    pub lines: Vec<Line>,
    /// The sum of the priced lines, in cents.
    pub total_cents: i128,
    /// How many lines are not priced (usage or values missing).
    pub unpriced: usize,
}

impl Estimate {
    /// The estimate as text, one line per item.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = format!(
            "Monthly cost estimate ({}; price table as of {})\n",
            self.currency, self.as_of
        );
        let mut current = "";
        for line in &self.lines {
            if line.address != current {
                let _ = writeln!(out, "\n  {}", line.address);
                current = &line.address;
            }
            let figure = match &line.amount {
                Amount::Priced {
                    cents,
                    row,
                    quantity,
                    unit,
                    per,
                    tiers,
                } => {
                    let at = tiers
                        .iter()
                        .map(|t| {
                            if *per == 1 {
                                format!("{} at {}", t.quantity, t.price)
                            } else {
                                format!(
                                    "{} at {} per {}",
                                    t.quantity,
                                    t.price,
                                    group(i128::from(*per))
                                )
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" + ");
                    format!("{:>12}  {quantity} {unit}: {at}  [{row}]", dollars(*cents))
                }
                Amount::DependsOnUsage { usage } => {
                    format!(
                        "depends on usage (set {} in the usage file)",
                        usage.join(", ")
                    )
                }
                Amount::KnownAfterApply { attribute } => {
                    format!("depends on `{attribute}`, known after apply")
                }
                Amount::NoCharge => "no charge of its own".to_string(),
            };
            let _ = writeln!(out, "    {:<22} {figure}", line.item);
        }
        let _ = writeln!(
            out,
            "\nTotal: {} a month{}",
            dollars(self.total_cents),
            match self.unpriced {
                0 => String::new(),
                1 => ", plus 1 item that depends on usage or values not known yet".to_string(),
                n => format!(", plus {n} items that depend on usage or values not known yet"),
            }
        );
        let _ = writeln!(out, "Prices: {}", self.header);
        out
    }
}

/// An attribute by Nimbus's name or the Terraform provider's.
fn attr<'v>(object: &'v Value, name: &str) -> Option<&'v Value> {
    object
        .get(name)
        .or_else(|| object.get(&name.replace('-', "_")))
        .filter(|v| !v.is_null())
}

/// A quantity a figure is made from: known, or why not.
enum Quantity {
    Known(Dec),
    Usage(Vec<String>),
    AfterApply(String),
}

/// `$1.25` with its sign: `+$1.25`, `-$0.40`, `$0.00`.
pub fn signed_dollars(cents: i128) -> String {
    match cents.signum() {
        1 => format!("+{}", dollars(cents)),
        -1 => format!("-{}", dollars(-cents)),
        _ => dollars(0),
    }
}

/// How one resource's monthly cost moves from the state to the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffRow {
    pub address: String,
    pub resource_type: String,
    /// The change's action (`create`, `update`, ...).
    pub action: &'static str,
    /// The priced lines of the object in state, in cents a month.
    pub before_cents: i128,
    /// The priced lines of the object as planned.
    pub after_cents: i128,
    pub delta_cents: i128,
    /// Lines of either side that are not priced (usage or values
    /// missing): the figures leave them out.
    pub unpriced: usize,
}

/// A plan's monthly cost against the state's: per changed resource, and in
/// total over everything in the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostDiff {
    pub header: String,
    pub as_of: String,
    pub currency: String,
    /// The resources the plan changes that cost something on either side,
    /// in the plan's order.
    pub rows: Vec<DiffRow>,
    pub before_cents: i128,
    pub after_cents: i128,
    pub delta_cents: i128,
    /// Lines not priced, over both sides of every resource.
    pub unpriced: usize,
}

impl CostDiff {
    /// The diff as text, one line per changed resource.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = format!(
            "Monthly cost diff ({}; price table as of {})\n\n",
            self.currency, self.as_of
        );
        if self.rows.is_empty() {
            out.push_str("  No change of cost.\n");
        }
        for row in &self.rows {
            let unpriced = match row.unpriced {
                0 => String::new(),
                n => format!(
                    "  ({} depending on usage or values not known yet)",
                    group(n as i128)
                ),
            };
            let _ = writeln!(
                out,
                "  {:<8} {:<40} {:>12} -> {:<12} {:>12}{unpriced}",
                row.action,
                row.address,
                dollars(row.before_cents),
                dollars(row.after_cents),
                signed_dollars(row.delta_cents),
            );
        }
        let _ = writeln!(
            out,
            "\nTotal: {} -> {} a month ({}){}",
            dollars(self.before_cents),
            dollars(self.after_cents),
            signed_dollars(self.delta_cents),
            match self.unpriced {
                0 => String::new(),
                1 =>
                    ", leaving out 1 item that depends on usage or values not known yet".to_string(),
                n =>
                    format!(", leaving out {n} items that depend on usage or values not known yet"),
            }
        );
        let _ = writeln!(out, "Prices: {}", self.header);
        out
    }
}

impl CostModel {
    /// `cost diff`: each change's monthly cost before (the object in
    /// state) and after (as planned), from the same lines as
    /// [`CostModel::estimate`]. A create has no before, a delete or forget
    /// no after; reads cost nothing.
    pub fn diff(&self, changes: &[ResourceChange]) -> CostDiff {
        let side = |change: &ResourceChange, value: Option<&Value>| -> (i128, usize) {
            let Some(value) = value else {
                return (0, 0);
            };
            let mut lines = Vec::new();
            self.resource(&change.address, &change.resource_type, value, &mut lines);
            lines
                .iter()
                .fold((0, 0), |(cents, unpriced), line| match line.amount {
                    Amount::Priced { cents: c, .. } => (cents + c, unpriced),
                    Amount::DependsOnUsage { .. } | Amount::KnownAfterApply { .. } => {
                        (cents, unpriced + 1)
                    }
                    Amount::NoCharge => (cents, unpriced),
                })
        };
        let mut diff = CostDiff {
            header: self.table.header.clone(),
            as_of: self.table.as_of.clone(),
            currency: self.table.currency.clone(),
            rows: Vec::new(),
            before_cents: 0,
            after_cents: 0,
            delta_cents: 0,
            unpriced: 0,
        };
        for change in changes {
            let (before, after) = match change.action {
                Action::Read => continue,
                Action::Create => (None, change.after.as_ref()),
                Action::Delete | Action::Forget => (change.before.as_ref(), None),
                Action::NoOp | Action::Update | Action::Replace => {
                    (change.before.as_ref(), change.after.as_ref())
                }
            };
            let (before_cents, before_unpriced) = side(change, before);
            let (after_cents, after_unpriced) = side(change, after);
            let unpriced = before_unpriced + after_unpriced;
            diff.before_cents += before_cents;
            diff.after_cents += after_cents;
            diff.unpriced += unpriced;
            let costs_something = before_cents != 0 || after_cents != 0 || unpriced != 0;
            if change.action != Action::NoOp && costs_something {
                diff.rows.push(DiffRow {
                    address: change.address.clone(),
                    resource_type: change.resource_type.clone(),
                    action: change.action.verb(),
                    before_cents,
                    after_cents,
                    delta_cents: after_cents - before_cents,
                    unpriced,
                });
            }
        }
        diff.delta_cents = diff.after_cents - diff.before_cents;
        diff
    }

    /// The monthly cost of everything `changes` leaves in place (deleted,
    /// forgotten and read objects cost nothing).
    pub fn estimate(&self, changes: &[ResourceChange]) -> Estimate {
        let mut lines = Vec::new();
        for change in changes {
            if matches!(
                change.action,
                Action::Delete | Action::Forget | Action::Read
            ) {
                continue;
            }
            let Some(after) = &change.after else { continue };
            self.resource(&change.address, &change.resource_type, after, &mut lines);
        }
        let total_cents = lines
            .iter()
            .map(|l| match l.amount {
                Amount::Priced { cents, .. } => cents,
                _ => 0,
            })
            .sum();
        let unpriced = lines
            .iter()
            .filter(|l| {
                matches!(
                    l.amount,
                    Amount::DependsOnUsage { .. } | Amount::KnownAfterApply { .. }
                )
            })
            .count();
        Estimate {
            header: self.table.header.clone(),
            as_of: self.table.as_of.clone(),
            currency: self.table.currency.clone(),
            lines,
            total_cents,
            unpriced,
        }
    }

    fn resource(&self, address: &str, resource_type: &str, after: &Value, lines: &mut Vec<Line>) {
        let priced = priced_type(resource_type);
        let usage = |key: &str| -> Quantity {
            match self.usage.lookup(address, priced, key) {
                Some(UsageValue::Quantity(q)) => Quantity::Known(*q),
                _ => Quantity::Usage(vec![key.to_string()]),
            }
        };
        let mut push = |item: &str, row: &str, quantity: Quantity| {
            let amount = match quantity {
                Quantity::Known(q) => match self.table.price(row, q) {
                    Some((tiers, cents)) => {
                        let r = &self.table.rows[row];
                        Amount::Priced {
                            cents,
                            row: row.to_string(),
                            quantity: q.to_string(),
                            unit: r.unit.clone(),
                            per: r.per,
                            tiers,
                        }
                    }
                    // Only on overflow: a quantity beyond any real bill.
                    None => Amount::DependsOnUsage {
                        usage: vec!["(a smaller quantity)".to_string()],
                    },
                },
                Quantity::Usage(usage) => Amount::DependsOnUsage { usage },
                Quantity::AfterApply(attribute) => Amount::KnownAfterApply { attribute },
            };
            lines.push(Line {
                address: address.to_string(),
                resource_type: resource_type.to_string(),
                item: item.to_string(),
                amount,
            });
        };
        let hours = self.table.hours_per_month;
        match priced {
            "s3-bucket" => {
                push("storage", "s3.storage.standard", usage("storage_gb"));
                push(
                    "PUT/COPY/POST/LIST",
                    "s3.requests.put",
                    usage("put_requests"),
                );
                push("GET/SELECT", "s3.requests.get", usage("get_requests"));
            }
            "dynamodb-table" => {
                match attr(after, "billing-mode") {
                    Some(mode) if mode.is_unknown() => {
                        push(
                            "capacity",
                            "dynamodb.on-demand.write",
                            Quantity::AfterApply("billing-mode".into()),
                        );
                    }
                    Some(mode) if mode.as_str() == Some("PROVISIONED") => {
                        for (item, name, row) in [
                            (
                                "write capacity",
                                "write-capacity",
                                "dynamodb.provisioned.write",
                            ),
                            (
                                "read capacity",
                                "read-capacity",
                                "dynamodb.provisioned.read",
                            ),
                        ] {
                            let q = match attr(after, name) {
                                Some(v) if v.is_unknown() => Quantity::AfterApply(name.into()),
                                Some(v) => match v.as_number().and_then(|n| n.as_i64()) {
                                    Some(units) if units >= 0 => {
                                        match Dec::from_int(i128::from(units)).mul(hours) {
                                            Some(q) => Quantity::Known(q),
                                            None => Quantity::AfterApply(name.into()),
                                        }
                                    }
                                    _ => Quantity::AfterApply(name.into()),
                                },
                                None => Quantity::AfterApply(name.into()),
                            };
                            push(item, row, q);
                        }
                    }
                    _ => {
                        push(
                            "write requests",
                            "dynamodb.on-demand.write",
                            usage("write_request_units"),
                        );
                        push(
                            "read requests",
                            "dynamodb.on-demand.read",
                            usage("read_request_units"),
                        );
                    }
                }
                push("storage", "dynamodb.storage", usage("storage_gb"));
            }
            "lambda" => {
                push("requests", "lambda.requests", usage("requests"));
                let arm = match attr(after, "architectures") {
                    Some(v) if v.is_unknown() => None,
                    Some(v) => Some(
                        v.as_list()
                            .is_some_and(|l| l.first().and_then(Value::as_str) == Some("arm64")),
                    ),
                    None => Some(matches!(
                        self.usage.lookup(address, priced, "architecture"),
                        Some(UsageValue::Word(w)) if w == "arm64"
                    )),
                };
                let row = if arm == Some(true) {
                    "lambda.duration.arm64"
                } else {
                    "lambda.duration.x86_64"
                };
                let memory = match attr(after, "memory-size") {
                    None => Some(Dec::from_int(128)),
                    Some(v) => v
                        .as_number()
                        .and_then(|n| n.as_i64())
                        .filter(|m| *m >= 0)
                        .map(|m| Dec::from_int(i128::from(m))),
                };
                let q = match (arm, memory, usage("requests"), usage("average_duration_ms")) {
                    (None, _, _, _) => Quantity::AfterApply("architectures".into()),
                    (_, None, _, _) => Quantity::AfterApply("memory-size".into()),
                    (_, _, Quantity::Known(r), Quantity::Known(d)) => {
                        // GB-seconds = requests x ms / 1000 x MB / 1024.
                        match r.mul(d).and_then(|rd| rd.mul(memory.unwrap_or_default())) {
                            Some(x) => Quantity::Known(x.div_int(1000 * 1024)),
                            None => Quantity::Usage(vec!["(a smaller quantity)".into()]),
                        }
                    }
                    (_, _, r, d) => {
                        let mut missing = Vec::new();
                        for q in [r, d] {
                            if let Quantity::Usage(u) = q {
                                missing.extend(u);
                            }
                        }
                        Quantity::Usage(missing)
                    }
                };
                push("duration", row, q);
            }
            "sqs-queue" => {
                let fifo = attr(after, "fifo").or_else(|| attr(after, "fifo-queue"));
                match fifo {
                    Some(v) if v.is_unknown() => push(
                        "requests",
                        "sqs.standard.requests",
                        Quantity::AfterApply("fifo".into()),
                    ),
                    Some(Value::Bool(true)) => {
                        push("requests", "sqs.fifo.requests", usage("requests"))
                    }
                    _ => push("requests", "sqs.standard.requests", usage("requests")),
                }
            }
            "sns-topic" => {
                push("publish requests", "sns.publish", usage("publish_requests"));
                push(
                    "HTTP deliveries",
                    "sns.delivery.http",
                    usage("http_deliveries"),
                );
                push(
                    "email deliveries",
                    "sns.delivery.email",
                    usage("email_deliveries"),
                );
            }
            "api-gateway-rest-api" => {
                push("requests", "apigateway.rest.requests", usage("requests"));
            }
            t if NO_CHARGE.contains(&t) => lines.push(Line {
                address: address.to_string(),
                resource_type: resource_type.to_string(),
                item: "-".to_string(),
                amount: Amount::NoCharge,
            }),
            // Not a cloud resource (null, random, local, time, ...).
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly_and_print_plainly() {
        assert_eq!(Dec::parse("0.1"), Some(Dec(1_000_000_000)));
        assert_eq!(Dec::parse("12"), Some(Dec::from_int(12)));
        assert_eq!(
            Dec::parse("1000000.0").map(|d| d.to_string()),
            Some("1,000,000".into())
        );
        assert_eq!(
            Dec::parse("0.0000166667").map(|d| d.to_string()),
            Some("0.0000166667".into())
        );
        for bad in ["", ".", "-1", "1e6", "0.00000000001", "1.2.3"] {
            assert_eq!(Dec::parse(bad), None, "{bad}");
        }
        assert_eq!(dollars(123_456_789), "$1,234,567.89");
        assert_eq!(dollars(5), "$0.05");
    }

    #[test]
    fn dates_count_days() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2024-03-01"), Some(19_783));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2025-6-1"), None);
    }

    #[test]
    fn the_shipped_table_reads_and_goes_stale_after_90_days() {
        let t = PriceTable::shipped();
        let day = parse_date(&t.as_of).unwrap_or_default();
        assert_eq!(t.staleness(day + 90), None);
        assert!(
            t.staleness(day + 91)
                .is_some_and(|w| w.contains("91 days old"))
        );
    }

    #[test]
    fn a_table_without_a_row_is_refused() {
        let err = PriceTable::parse(
            "p.json",
            r#"{"header":"h","as_of":"2025-01-01","currency":"USD","hours_per_month":"730","rows":{}}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("p.json: the table has no row s3.storage.standard")
        );
    }

    #[test]
    fn usage_files_name_their_mistakes() {
        let e = |text: &str| Usage::parse("u.json", text).unwrap_err().to_string();
        assert!(e(r#"{"types":{"s3-bucket":{"storage":1}}}"#).contains("unknown usage `storage`"));
        assert!(e(r#"{"types":{"iam-role":{"requests":1}}}"#).contains("no usage is priced"));
        assert!(e(r#"{"resources":{"lambda.f":{"requests":-1}}}"#).contains("non-negative"));
        assert!(e(r#"{"types":{"lambda":{"architecture":"sparc"}}}"#).contains("arm64"));
        assert!(e("[").starts_with("u.json: "));
    }
}

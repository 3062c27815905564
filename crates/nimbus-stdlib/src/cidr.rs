//! CIDR arithmetic for IPv4 and IPv6, with Terraform's semantics for
//! `cidrsubnet`, `cidrhost`, `cidrnetmask` and `cidrsubnets`.
//!
//! Why hand-written: it is a few shifts and masks on one integer type.
//! Every address is held in a `u128` (IPv4 in its low 32 bits) together with
//! its width, so one set of arithmetic serves both families; all shifts are
//! guarded so a 128-bit shift never happens.

use crate::FunctionError;
use crate::args::Args;
use nimbus_value::Value;
use std::fmt::Write as _;

/// A network prefix: `addr` has its host bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Prefix {
    addr: u128,
    len: u32,
    width: u32,
}

/// Every bit of an address of `width` bits.
fn all_ones(width: u32) -> u128 {
    if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}

/// The host part of a prefix of length `len` in an address of `width` bits.
fn host_mask(len: u32, width: u32) -> u128 {
    all_ones(width.saturating_sub(len))
}

/// The network part of a prefix of length `len`.
fn net_mask(len: u32, width: u32) -> u128 {
    all_ones(width) & !host_mask(len, width)
}

impl Prefix {
    fn host_mask(self) -> u128 {
        host_mask(self.len, self.width)
    }

    fn contains(self, addr: u128) -> bool {
        addr & net_mask(self.len, self.width) == self.addr
    }

    fn family(self) -> &'static str {
        if self.width == 32 { "IPv4" } else { "IPv6" }
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", format_addr(self.addr, self.width), self.len)
    }
}

fn parse_ipv4(s: &str) -> Option<u128> {
    let mut addr: u128 = 0;
    let mut parts = 0;
    for part in s.split('.') {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let octet: u8 = part.parse().ok()?;
        addr = (addr << 8) | u128::from(octet);
        parts += 1;
    }
    (parts == 4).then_some(addr)
}

/// Parses the 16-bit groups of one side of a `::`, where the last group may
/// be an embedded dotted IPv4 address (two groups).
fn parse_groups(s: &str, allow_ipv4_tail: bool) -> Option<Vec<u16>> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    let parts: Vec<&str> = s.split(':').collect();
    let mut groups = Vec::with_capacity(8);
    for (i, part) in parts.iter().enumerate() {
        if allow_ipv4_tail && i + 1 == parts.len() && part.contains('.') {
            let v4 = parse_ipv4(part)?;
            groups.push((v4 >> 16) as u16);
            groups.push((v4 & 0xffff) as u16);
        } else {
            if part.is_empty() || part.len() > 4 {
                return None;
            }
            groups.push(u16::from_str_radix(part, 16).ok()?);
        }
    }
    Some(groups)
}

fn parse_ipv6(s: &str) -> Option<u128> {
    if !s
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    {
        return None;
    }
    let groups = match s.find("::") {
        Some(at) => {
            let (head, tail) = (s.get(..at)?, s.get(at + 2..)?);
            if tail.contains("::") {
                return None;
            }
            let head = parse_groups(head, false)?;
            let tail = parse_groups(tail, true)?;
            if head.len() + tail.len() > 7 {
                return None;
            }
            let mut groups = head;
            groups.resize(8 - tail.len(), 0);
            groups.extend(tail);
            groups
        }
        None => parse_groups(s, true)?,
    };
    if groups.len() != 8 {
        return None;
    }
    Some(
        groups
            .iter()
            .fold(0u128, |acc, g| (acc << 16) | u128::from(*g)),
    )
}

fn parse_prefix(s: &str) -> Option<Prefix> {
    let (addr, len) = s.split_once('/')?;
    if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let len: u32 = len.parse().ok()?;
    let (addr, width) = if addr.contains(':') {
        (parse_ipv6(addr)?, 128)
    } else {
        (parse_ipv4(addr)?, 32)
    };
    if len > width {
        return None;
    }
    Some(Prefix {
        addr: addr & net_mask(len, width),
        len,
        width,
    })
}

/// Dotted quad for IPv4; RFC 5952 text for IPv6 (lower-case hex, the
/// longest run of two or more zero groups shortened to `::`).
fn format_addr(addr: u128, width: u32) -> String {
    if width == 32 {
        let b = (addr as u32).to_be_bytes();
        return format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]);
    }
    let groups: Vec<u16> = (0..8).map(|i| (addr >> (112 - 16 * i)) as u16).collect();
    // Longest run of zero groups (the first one on a tie), if at least two.
    let (mut best_start, mut best_len) = (0usize, 0usize);
    let mut i = 0;
    while i < 8 {
        if groups[i] == 0 {
            let start = i;
            while i < 8 && groups[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                (best_start, best_len) = (start, i - start);
            }
        } else {
            i += 1;
        }
    }
    let mut out = String::new();
    let write_groups = |out: &mut String, groups: &[u16]| {
        for (n, g) in groups.iter().enumerate() {
            if n > 0 {
                out.push(':');
            }
            let _ = write!(out, "{g:x}");
        }
    };
    if best_len >= 2 {
        write_groups(&mut out, &groups[..best_start]);
        out.push_str("::");
        write_groups(&mut out, &groups[best_start + best_len..]);
    } else {
        write_groups(&mut out, &groups);
    }
    out
}

fn prefix_arg(args: &Args, index: usize) -> Result<Prefix, FunctionError> {
    let text = &*args.string(index)?;
    parse_prefix(text).ok_or_else(|| {
        FunctionError::at(
            index,
            format!(
                "{} is not a valid CIDR prefix (expected an address and a prefix length, like \"10.0.0.0/16\" or \"fd00::/8\")",
                args.quote(text)
            ),
        )
    })
}

/// Validates NEWBITS (at `index`) for extending `base`; returns the new
/// prefix length.
fn extended_length(base: Prefix, newbits: i128, index: usize) -> Result<u32, FunctionError> {
    if newbits < 0 {
        return Err(FunctionError::at(index, "newbits must not be negative"));
    }
    if newbits > 32 {
        return Err(FunctionError::at(
            index,
            "may not extend a prefix by more than 32 bits",
        ));
    }
    let len = base.len + newbits as u32;
    if len > base.width {
        return Err(FunctionError::at(
            index,
            format!(
                "insufficient address space to extend prefix of {} by {newbits}: would extend it to {len} bits, which is too long for an {} address",
                base.len,
                base.family()
            ),
        ));
    }
    Ok(len)
}

/// `(cidr-subnet PREFIX NEWBITS NETNUM)`: subnet number NETNUM of the
/// prefix extended by NEWBITS bits.
pub(crate) fn cidr_subnet(args: &mut Args) -> Result<Value, FunctionError> {
    let base = prefix_arg(args, 0)?;
    let newbits = args.integer(1)?;
    let netnum = args.integer(2)?;
    let len = extended_length(base, newbits, 1)?;
    // newbits <= 32 here, so the count of subnets fits easily.
    let count = 1u128 << (len - base.len);
    if netnum < 0 || netnum as u128 >= count {
        return Err(FunctionError::at(
            2,
            format!(
                "prefix extension of {newbits} bits does not accommodate a subnet numbered {netnum} (valid: 0 to {})",
                count - 1
            ),
        ));
    }
    // A shift by the full 128 bits is only possible when netnum is 0.
    let addr = base.addr | (netnum as u128).checked_shl(base.width - len).unwrap_or(0);
    Ok(Value::String(
        Prefix {
            addr,
            len,
            width: base.width,
        }
        .to_string(),
    ))
}

/// `(cidr-host PREFIX HOSTNUM)`: address number HOSTNUM in the prefix; a
/// negative HOSTNUM counts from the end (-1 is the last address).
pub(crate) fn cidr_host(args: &mut Args) -> Result<Value, FunctionError> {
    let base = prefix_arg(args, 0)?;
    let hostnum = args.integer(1)?;
    let max = base.host_mask();
    let offset = if hostnum >= 0 {
        Some(hostnum as u128).filter(|n| *n <= max)
    } else {
        // -1 is the last address, -2 the one before, ...
        let back = hostnum.unsigned_abs() - 1;
        (back <= max).then(|| max - back)
    };
    match offset {
        Some(offset) => Ok(Value::String(format_addr(base.addr | offset, base.width))),
        None => Err(FunctionError::at(
            1,
            format!(
                "prefix of {} bits does not accommodate a host numbered {hostnum}",
                base.len
            ),
        )),
    }
}

/// `(cidr-netmask PREFIX)`: the dotted netmask of an IPv4 prefix.
pub(crate) fn cidr_netmask(args: &mut Args) -> Result<Value, FunctionError> {
    let base = prefix_arg(args, 0)?;
    if base.width != 32 {
        return Err(FunctionError::at(
            0,
            "IPv6 prefixes have no netmask; netmasks are IPv4 only",
        ));
    }
    Ok(Value::String(format_addr(net_mask(base.len, 32), 32)))
}

/// `(cidr-subnets PREFIX NEWBITS...)`: consecutive, non-overlapping subnets,
/// each aligned to its own size, allocated as Terraform's `cidrsubnets`
/// does.
pub(crate) fn cidr_subnets(args: &mut Args) -> Result<Value, FunctionError> {
    let base = prefix_arg(args, 0)?;
    let ones = all_ones(base.width);
    let mut out = Vec::new();
    let mut current: Option<Prefix> = None;
    for index in 1..args.len() {
        let newbits = args.integer(index)?;
        if newbits < 1 {
            return Err(FunctionError::at(
                index,
                "must extend the prefix by at least one bit",
            ));
        }
        let len = extended_length(base, newbits, index)?;
        let next = match current {
            // The first subnet starts the prefix. (Terraform derives it from
            // the block just below the prefix, which is the same address,
            // except that it wrongly reports exhaustion for 0.0.0.0 or ::.)
            None => base.addr,
            // Each later one is the first block of its own size after the
            // end of the previous subnet, so it is aligned to its size.
            Some(previous) => {
                let previous_last = previous.addr | previous.host_mask();
                let block = previous_last & net_mask(len, base.width);
                let next = (block | host_mask(len, base.width)).wrapping_add(1) & ones;
                if next == 0 || !base.contains(next) {
                    return Err(FunctionError::at(
                        index,
                        format!(
                            "not enough remaining address space for a subnet with a prefix of {len} bits after {previous}"
                        ),
                    ));
                }
                next
            }
        };
        let subnet = Prefix {
            addr: next,
            len,
            width: base.width,
        };
        out.push(Value::String(subnet.to_string()));
        current = Some(subnet);
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let p = parse_prefix("10.1.2.3/16").unwrap();
        assert_eq!(p.to_string(), "10.1.0.0/16");
        for (text, shown) in [
            ("fd00:fd12:3456:7890::/56", "fd00:fd12:3456:7800::/56"),
            ("::/0", "::/0"),
            ("1:0:0:1:0:0:0:1/128", "1:0:0:1::1/128"),
            ("1:0:1:0:1:0:1:0/128", "1:0:1:0:1:0:1:0/128"),
            ("::ffff:10.0.0.1/128", "::ffff:a00:1/128"),
            ("2001:DB8::1/128", "2001:db8::1/128"),
        ] {
            assert_eq!(parse_prefix(text).unwrap().to_string(), shown, "{text}");
        }
        for bad in [
            "10.0.0.0",
            "10.0.0/8",
            "10.0.0.256/8",
            "10.0.0.0/33",
            "1::2::3/64",
            "1:2:3:4:5:6:7:8:9/64",
            "::/129",
            "/8",
            "10.0.0.0/",
            "1:2:3:4:5:6:7::8/64",
            "10.0.0.0/+8",
            "g::/8",
        ] {
            assert!(parse_prefix(bad).is_none(), "{bad}");
        }
    }
}

//! Entry of the fuzz target `decode_plugin_value` (in `fuzz/`, its own
//! workspace): what a plugin sends back, on arbitrary bytes. A provider
//! process is not trusted to be well-formed: a type it declares and a value
//! it returns decode to a value or a `CtyError`, never a panic, a hang or a
//! stack overflow.
//!
//! Layout of the input: the bytes up to the first newline are the type's
//! JSON notation (as a schema carries it); the rest is the value, read
//! both as msgpack (`DynamicValue.msgpack`) and as JSON (stored state).
//! An input without a newline is decoded against the dynamic type.

use crate::cty::{CtyError, CtyType, from_cty_json, from_msgpack, to_msgpack};

/// Decodes `data` as described in the module documentation. A value that
/// decodes is encoded again and decoded once more: what Nimbus sends back
/// to a provider must be readable as what it read.
pub fn decode_plugin_value(data: &[u8]) -> Result<(), CtyError> {
    let (ty, value) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (CtyType::from_json_bytes(&data[..i])?, &data[i + 1..]),
        None => (CtyType::Dynamic, data),
    };
    if let Ok(decoded) = from_msgpack(value, &ty)
        && let Ok(bytes) = to_msgpack(&decoded, &ty)
    {
        from_msgpack(&bytes, &ty)?;
    }
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(value) {
        from_cty_json(&json, &ty)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz target's seeds, and a deterministic stream of mutations
    /// of them, run as an ordinary test: no panic on any of them.
    #[test]
    fn seeds_and_their_mutations_decode_or_fail_cleanly() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/seeds/decode_plugin_value");
        let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .expect("fuzz/seeds/decode_plugin_value")
            .map(|e| std::fs::read(e.expect("seed").path()).expect("read seed"))
            .collect();
        assert!(seeds.len() >= 5, "seeds are missing");
        seeds.sort();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for seed in &seeds {
            let _ = decode_plugin_value(seed);
            for _ in 0..400 {
                let mut input = seed.clone();
                for _ in 0..1 + next() % 4 {
                    let at = (next() as usize) % (input.len() + 1);
                    match next() % 3 {
                        0 if at < input.len() => input[at] = next() as u8,
                        1 => input.insert(at, next() as u8),
                        _ => input.truncate(at),
                    }
                }
                let _ = decode_plugin_value(&input);
            }
        }
    }

    #[test]
    fn deeply_nested_values_are_refused_not_overflowed() {
        // 100,000 nested one-element msgpack arrays against the dynamic
        // type, and as many nested list types.
        let mut value = vec![0x91u8; 100_000];
        value.push(0xc0);
        let _ = decode_plugin_value(&value);
        let mut typed = Vec::new();
        for _ in 0..50_000 {
            typed.extend_from_slice(b"[\"list\",");
        }
        typed.extend_from_slice(b"\"string\"");
        typed.extend(std::iter::repeat_n(b']', 50_000));
        typed.push(b'\n');
        typed.push(0xc0);
        let _ = decode_plugin_value(&typed);
    }
}

//! Entry point for the fuzz target `decode_stored` (`fuzz/`): what the
//! store reads back from its database, on arbitrary bytes. Not part of the
//! API; hidden from the documentation.
//!
//! The input is a list of fields separated by the byte 0x1F (ASCII unit
//! separator, which JSON text never holds unescaped). The first field
//! chooses what the rest are:
//!
//! - `row`: a row of `resources` (address, resource type, provider,
//!   attributes, sensitive, private, schema version, dependencies, status
//!   and, when present, the last run), read back by every path that reads
//!   resources (the bulk load, the single fetch, the event-log copy);
//! - `output`: a row of `outputs` (name, value, sensitive as 0 or 1), read
//!   back;
//! - `event`: events of the log, five fields each (kind, address, source
//!   address of a move, before, after; an empty field is NULL), replayed
//!   into the projection and decoded as history reads them.
//!
//! Whatever the bytes, each read ends in records or a [`StateError`],
//! never a panic.

use rusqlite::{Connection, params};

use crate::StateError;
use crate::projection;
use crate::write::parse_json_opt;

const WS: &str = "default";

/// Decodes `data` as described in the module's documentation.
pub fn decode_stored(data: &[u8]) -> Result<(), StateError> {
    let mut fields = data.split(|&b| b == 0x1F);
    let mode = fields.next().unwrap_or_default();
    let fields: Vec<&[u8]> = fields.collect();
    let mut conn = Connection::open_in_memory()?;
    crate::schema::migrate(&mut conn)?;
    match mode {
        b"row" => row(&conn, &fields),
        b"output" => output(&conn, &fields),
        b"event" => events(&conn, &fields),
        _ => Ok(()),
    }
}

/// A field as SQLite text (invalid UTF-8 kept as the bytes SQLite stores).
fn text(field: Option<&&[u8]>) -> String {
    String::from_utf8_lossy(field.copied().unwrap_or_default()).into_owned()
}

fn row(conn: &Connection, f: &[&[u8]]) -> Result<(), StateError> {
    let address = text(f.first());
    let schema_version: i64 = text(f.get(6)).trim().parse().unwrap_or(0);
    let last_run = f.get(9).map(|_| text(f.get(9)));
    conn.execute(
        "INSERT INTO resources (workspace, address, resource_type, provider, attributes,
             sensitive, private, schema_version, dependencies, status, last_run)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            WS,
            address,
            text(f.get(1)),
            text(f.get(2)),
            text(f.get(3)),
            text(f.get(4)),
            f.get(5).copied().unwrap_or_default(),
            schema_version,
            text(f.get(7)),
            text(f.get(8)),
            last_run,
        ],
    )?;
    let loaded = projection::load_resources(conn, WS);
    let one = projection::load_resource(conn, WS, &address);
    let raw = projection::fetch_raw(conn, WS, &address)?;
    if let Some(raw) = raw {
        let copied = raw.to_json();
        let decoded = raw.decode();
        // The paths agree on whether the row is sound.
        if let (Ok(records), Ok(record)) = (&loaded, &decoded) {
            assert_eq!(
                records.first(),
                Some(record),
                "the bulk and single reads differ"
            );
        }
        if decoded.is_ok() {
            assert!(
                copied.is_ok(),
                "a row that decodes cannot be copied into the log"
            );
        }
    }
    one.map(drop)
}

fn output(conn: &Connection, f: &[&[u8]]) -> Result<(), StateError> {
    let sensitive: i64 = text(f.get(2)).trim().parse().unwrap_or(0);
    conn.execute(
        "INSERT INTO outputs (workspace, name, value, sensitive) VALUES (?1, ?2, ?3, ?4)",
        params![WS, text(f.first()), text(f.get(1)), sensitive],
    )?;
    projection::load_outputs(conn, WS).map(drop)
}

fn events(conn: &Connection, f: &[&[u8]]) -> Result<(), StateError> {
    let column = |i: usize| f.get(i).filter(|b| !b.is_empty()).map(|b| text(Some(b)));
    for event in 0..f.len().div_ceil(5).min(64) {
        let at = event * 5;
        conn.execute(
            "INSERT INTO events (workspace, time, run_id, user, host, operation, kind,
                 address, prev_address, before, after)
             VALUES (?1, '2026-01-01T00:00:00Z', 'run', 'u', 'h', 'apply', ?2, ?3, ?4, ?5, ?6)",
            params![
                WS,
                text(f.get(at)),
                column(at + 1),
                column(at + 2),
                column(at + 3),
                column(at + 4),
            ],
        )?;
    }
    // History decodes before and after of every event.
    for at in (0..f.len()).step_by(5) {
        parse_json_opt(column(at + 3))?;
        parse_json_opt(column(at + 4))?;
    }
    projection::replay(&mut crate::sqlite::SqliteTx { conn }, WS, i64::MAX as u64)?;
    projection::load_resources(conn, WS)?;
    projection::load_outputs(conn, WS).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(parts: &[&str]) -> Vec<u8> {
        parts.join("\u{1f}").into_bytes()
    }

    #[test]
    fn a_sound_row_decodes_and_a_damaged_one_is_an_error() {
        let sound = fields(&[
            "row",
            "t.a",
            "t",
            "p",
            r#"{"x":1}"#,
            "[]",
            "",
            "0",
            "[]",
            "ready",
        ]);
        decode_stored(&sound).expect("a sound row");
        let damaged = fields(&[
            "row", "t.a", "t", "p", r#"{"x":"#, "[]", "", "0", "[]", "ready",
        ]);
        assert!(decode_stored(&damaged).expect_err("damaged").is_damage());
        let status = fields(&["row", "t.a", "t", "p", "{}", "[]", "", "0", "[]", "weird"]);
        assert!(decode_stored(&status).is_err());
    }

    #[test]
    fn events_replay_or_fail_as_damage() {
        let after = r#"{"address":"t.a","resource_type":"t","provider":"p","attributes":{},"sensitive_attributes":[],"private":"","schema_version":0,"dependencies":[],"status":"ready","last_run":null}"#;
        let sound = fields(&["event", "resource.create", "t.a", "", "", after]);
        decode_stored(&sound).expect("a sound event");
        let cut = fields(&["event", "resource.create", "t.a", "", "", &after[..40]]);
        assert!(decode_stored(&cut).expect_err("cut").is_damage());
        let no_after = fields(&["event", "resource.create", "t.a"]);
        assert!(decode_stored(&no_after).is_err());
    }

    /// The fuzz target's seeds (rows, outputs and events copied from real
    /// states) all decode: the target starts from sound input.
    #[test]
    fn the_fuzz_seeds_decode() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/decode_stored");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("the seeds") {
            let path = entry.expect("a seed").path();
            let bytes = std::fs::read(&path).expect("read a seed");
            decode_stored(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            seen += 1;
        }
        assert!(seen >= 5, "only {seen} seeds");
    }
}

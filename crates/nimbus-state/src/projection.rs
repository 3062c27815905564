//! The projection: current resources and outputs derived from the event log.
//!
//! Two paths keep it up to date and both end in the same row writers below:
//! the write path ([`crate::write`]) stores a change and appends its event in
//! one transaction, and [`replay`] re-applies stored events one by one. Because
//! the event's `after` is the serialised record that the write path stored,
//! replaying yields byte-identical rows; the property tests check that.

use std::sync::{Mutex, mpsc};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::backend::{StoredEvent, Tx};
use crate::error::StateError;
use crate::types::{OutputRecord, ResourceRecord, ResourceStatus};

type Result<T> = std::result::Result<T, StateError>;

/// Column list read by `RawResource::from_row` and [`load_resources`].
pub(crate) const RESOURCE_COLUMNS: &str = "address, resource_type, provider, attributes, sensitive, \
     private, schema_version, dependencies, status, last_run";

fn text<'r>(row: &'r Row<'_>, i: usize) -> Result<&'r str> {
    row.get_ref(i)?
        .as_str()
        .map_err(|e| StateError::corrupt(format!("column {i}: {e}")))
}

fn json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StateError::corrupt(format!("{what}: {e}")))
}

/// Fast path for the very common empty list.
fn json_list(s: &str, what: &str) -> Result<Vec<String>> {
    if s == "[]" {
        Ok(Vec::new())
    } else {
        json(s, what)
    }
}

/// Checks that a stored JSON column parses, without building a value.
fn check_json(s: &str, what: &str) -> Result<()> {
    json::<serde::de::IgnoredAny>(s, what).map(drop)
}

/// The columns of one resource row, borrowed. Both the event log (the
/// serialised record) and the projection are written from this shape, so the
/// JSON columns are serialised once and spliced into the event text.
pub(crate) struct RecordParts<'a> {
    pub address: &'a str,
    pub resource_type: &'a str,
    pub provider: &'a str,
    pub attributes: &'a str,
    pub sensitive: &'a str,
    pub private: &'a [u8],
    pub schema_version: u64,
    pub dependencies: &'a str,
    pub status: &'a str,
    pub last_run: Option<&'a str>,
}

impl RecordParts<'_> {
    /// The record as `serde_json::to_string(&ResourceRecord)` writes it (same
    /// field order and encodings; a unit test holds the two together), built
    /// from already serialised columns instead of walking the value again.
    pub(crate) fn to_json(&self) -> String {
        fn string(out: &mut Vec<u8>, s: &str) {
            // Writing a &str into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, s);
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = Vec::with_capacity(
            160 + self.address.len()
                + self.resource_type.len()
                + self.provider.len()
                + self.attributes.len()
                + self.sensitive.len()
                + 2 * self.private.len()
                + self.dependencies.len(),
        );
        out.extend_from_slice(b"{\"address\":");
        string(&mut out, self.address);
        out.extend_from_slice(b",\"resource_type\":");
        string(&mut out, self.resource_type);
        out.extend_from_slice(b",\"provider\":");
        string(&mut out, self.provider);
        out.extend_from_slice(b",\"attributes\":");
        out.extend_from_slice(self.attributes.as_bytes());
        out.extend_from_slice(b",\"sensitive_attributes\":");
        out.extend_from_slice(self.sensitive.as_bytes());
        out.extend_from_slice(b",\"private\":\"");
        for b in self.private {
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        }
        out.extend_from_slice(b"\",\"schema_version\":");
        out.extend_from_slice(self.schema_version.to_string().as_bytes());
        out.extend_from_slice(b",\"dependencies\":");
        out.extend_from_slice(self.dependencies.as_bytes());
        out.extend_from_slice(b",\"status\":");
        string(&mut out, self.status);
        out.extend_from_slice(b",\"last_run\":");
        match self.last_run {
            Some(r) => string(&mut out, r),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
        // Only UTF-8 strings and ASCII were written.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// A record with its JSON columns and its event text already serialised,
/// ready to store or compare.
///
/// The recorder builds it on the caller's thread, so the serialisation (and
/// freeing the attribute tree) runs in parallel with the single writer thread
/// instead of on it.
#[derive(Debug)]
pub struct EncodedResource {
    /// The row as it will be stored.
    row: RawResource,
    /// The serialised record, as stored in the event log.
    pub json: String,
}

impl EncodedResource {
    /// Serialises a record.
    pub fn new(record: ResourceRecord) -> Result<Self> {
        fn enc<T: serde::Serialize>(v: &T, address: &str) -> Result<String> {
            serde_json::to_string(v)
                .map_err(|e| StateError::InvalidInput(format!("{address}: {e}")))
        }
        let attributes = enc(&record.attributes, &record.address)?;
        let sensitive = enc(&record.sensitive_attributes, &record.address)?;
        let dependencies = enc(&record.dependencies, &record.address)?;
        let row = RawResource {
            address: record.address,
            resource_type: record.resource_type,
            provider: record.provider,
            attributes,
            sensitive,
            private: record.private,
            schema_version: record.schema_version,
            dependencies,
            status: record.status.as_str().to_string(),
            last_run: record.last_run,
        };
        let json = row.parts().to_json();
        Ok(EncodedResource { row, json })
    }

    /// A row to store as it is, for the storage layer (the encryption
    /// layer hands backends sealed rows this way). Its event text is left
    /// empty: such a row is stored, never recorded in the log.
    pub(crate) fn stored_row(row: RawResource) -> Self {
        EncodedResource {
            row,
            json: String::new(),
        }
    }

    /// Its address.
    pub fn address(&self) -> &str {
        &self.row.address
    }

    /// The row as it will be stored.
    pub fn row(&self) -> &RawResource {
        &self.row
    }

    /// Whether the stored row already holds exactly this record.
    pub(crate) fn same_as(&self, raw: &RawResource) -> bool {
        self.row == *raw
    }
}

/// A stored resource row, undecoded: what the resources table holds.
#[derive(Debug, Clone, PartialEq)]
pub struct RawResource {
    /// Address.
    pub address: String,
    /// Resource type.
    pub resource_type: String,
    /// Provider.
    pub provider: String,
    /// Attributes, JSON.
    pub attributes: String,
    /// Sensitive attribute paths, a JSON array.
    pub sensitive: String,
    /// Provider-private bytes.
    pub private: Vec<u8>,
    /// Schema version of the attributes.
    pub schema_version: u64,
    /// Dependencies, a JSON array of addresses.
    pub dependencies: String,
    /// Status (`ready`, `tainted`, ...).
    pub status: String,
    /// Last run that changed it.
    pub last_run: Option<String>,
}

impl RawResource {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawResource {
            address: row.get(0)?,
            resource_type: row.get(1)?,
            provider: row.get(2)?,
            attributes: row.get(3)?,
            sensitive: row.get(4)?,
            private: row.get(5)?,
            schema_version: row.get(6)?,
            dependencies: row.get(7)?,
            status: row.get(8)?,
            last_run: row.get(9)?,
        })
    }

    fn parts(&self) -> RecordParts<'_> {
        RecordParts {
            address: &self.address,
            resource_type: &self.resource_type,
            provider: &self.provider,
            attributes: &self.attributes,
            sensitive: &self.sensitive,
            private: &self.private,
            schema_version: self.schema_version,
            dependencies: &self.dependencies,
            status: &self.status,
            last_run: self.last_run.as_deref(),
        }
    }

    /// The stored record serialised for the event log, without decoding it
    /// into values. The row is still checked, so a damaged row fails the
    /// change instead of being copied into history.
    pub(crate) fn to_json(&self) -> Result<String> {
        let what = &self.address;
        if ResourceStatus::parse(&self.status).is_none() {
            return Err(StateError::corrupt(format!(
                "{what}: unknown status {:?}",
                self.status
            )));
        }
        check_json(&self.attributes, what)?;
        json_list(&self.sensitive, what)?;
        json_list(&self.dependencies, what)?;
        Ok(self.parts().to_json())
    }

    /// Decodes it into a record.
    pub fn decode(&self) -> Result<ResourceRecord> {
        self.parts().decode()
    }
}

impl RecordParts<'_> {
    /// Decodes a stored row into a record.
    fn decode(&self) -> Result<ResourceRecord> {
        let what = self.address;
        let status = ResourceStatus::parse(self.status).ok_or_else(|| {
            StateError::corrupt(format!("{what}: unknown status {:?}", self.status))
        })?;
        Ok(ResourceRecord {
            address: self.address.to_owned(),
            resource_type: self.resource_type.to_owned(),
            provider: self.provider.to_owned(),
            attributes: json(self.attributes, what)?,
            sensitive_attributes: json_list(self.sensitive, what)?,
            private: self.private.to_vec(),
            schema_version: self.schema_version,
            dependencies: json_list(self.dependencies, what)?,
            status,
            last_run: self.last_run.map(str::to_owned),
        })
    }
}

/// Fetches one stored row without decoding its JSON.
pub(crate) fn fetch_raw(conn: &Connection, ws: &str, address: &str) -> Result<Option<RawResource>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE workspace = ?1 AND address = ?2"
    ))?;
    Ok(stmt
        .query_row(params![ws, address], RawResource::from_row)
        .optional()?)
}

/// Whether the address is present.
pub(crate) fn resource_exists(conn: &Connection, ws: &str, address: &str) -> Result<bool> {
    let mut stmt =
        conn.prepare_cached("SELECT 1 FROM resources WHERE workspace = ?1 AND address = ?2")?;
    Ok(stmt.exists(params![ws, address])?)
}

/// Addresses inside `prefix`: the instances of a block (`prefix[...]`) and
/// everything in a module (`prefix.` ...), in address order. A range scan
/// of the primary key: `[` and `.` are followed by `\` and `/`.
pub(crate) fn addresses_within(conn: &Connection, ws: &str, prefix: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT address FROM resources WHERE workspace = ?1
           AND ((address >= ?2 AND address < ?3) OR (address >= ?4 AND address < ?5))
         ORDER BY address",
    )?;
    let rows = stmt.query_map(
        params![
            ws,
            format!("{prefix}["),
            format!("{prefix}\\"),
            format!("{prefix}."),
            format!("{prefix}/")
        ],
        |row| row.get::<_, String>(0),
    )?;
    Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
}

/// Inserts or replaces a resource row.
pub(crate) fn put_resource(conn: &Connection, ws: &str, enc: &EncodedResource) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO resources (workspace, address, resource_type, provider, attributes, sensitive, \
             private, schema_version, dependencies, status, last_run)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (workspace, address) DO UPDATE SET
             resource_type = excluded.resource_type, provider = excluded.provider,
             attributes = excluded.attributes, sensitive = excluded.sensitive,
             private = excluded.private, schema_version = excluded.schema_version,
             dependencies = excluded.dependencies, status = excluded.status,
             last_run = excluded.last_run",
    )?;
    let row = &enc.row;
    stmt.execute(params![
        ws,
        row.address,
        row.resource_type,
        row.provider,
        row.attributes,
        row.sensitive,
        row.private,
        row.schema_version,
        row.dependencies,
        row.status,
        row.last_run,
    ])?;
    Ok(())
}

/// Deletes a resource row; returns whether it existed.
pub(crate) fn delete_resource(conn: &Connection, ws: &str, address: &str) -> Result<bool> {
    let mut stmt =
        conn.prepare_cached("DELETE FROM resources WHERE workspace = ?1 AND address = ?2")?;
    Ok(stmt.execute(params![ws, address])? > 0)
}

/// Renames a resource row; returns whether it existed.
pub(crate) fn rename_resource(conn: &Connection, ws: &str, from: &str, to: &str) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "UPDATE resources SET address = ?3 WHERE workspace = ?1 AND address = ?2",
    )?;
    Ok(stmt.execute(params![ws, from, to])? > 0)
}

/// Rows copied out of SQLite per batch handed to a decoding thread: large
/// enough that queueing costs nothing, small enough that decoding starts
/// while the rest is still being read and that threads finish together.
const CHUNK_ROWS: usize = 1024;

/// Byte columns of a resource row, in [`RESOURCE_COLUMNS`] order minus
/// `schema_version`.
const BYTE_COLUMNS: [usize; 9] = [0, 1, 2, 3, 4, 5, 7, 8, 9];

/// Resource rows copied out of SQLite undecoded, all into one buffer.
///
/// The connection is single-threaded, so rows must be copied before other
/// threads can decode them; one buffer per chunk instead of a string per
/// column spares the reading thread (the one that cannot be parallelised)
/// seven allocations per row, and the decoding threads the matching frees.
struct RowChunk {
    bytes: Vec<u8>,
    rows: Vec<RowSpan>,
}

struct RowSpan {
    /// End offsets in `bytes` of the [`BYTE_COLUMNS`].
    ends: [usize; 9],
    schema_version: u64,
    has_last_run: bool,
}

impl RowChunk {
    /// An empty chunk, recycled from `pool` when one is free, so that the
    /// buffers are not grown again from scratch for every chunk.
    fn take(pool: &Mutex<Vec<RowChunk>>) -> RowChunk {
        pool.lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_else(|| RowChunk {
                bytes: Vec::new(),
                rows: Vec::with_capacity(CHUNK_ROWS),
            })
    }

    fn recycle(mut self, pool: &Mutex<Vec<RowChunk>>) {
        self.bytes.clear();
        self.rows.clear();
        pool.lock().unwrap_or_else(|e| e.into_inner()).push(self);
    }

    /// Copies up to [`CHUNK_ROWS`] rows; returns whether the query may have more.
    fn fill(&mut self, rows: &mut rusqlite::Rows<'_>) -> Result<bool> {
        while self.rows.len() < CHUNK_ROWS {
            let Some(row) = rows.next()? else {
                return Ok(false);
            };
            let mut ends = [0; 9];
            let mut has_last_run = false;
            for (slot, &col) in BYTE_COLUMNS.iter().enumerate() {
                match row.get_ref(col)? {
                    ValueRef::Text(b) | ValueRef::Blob(b) => {
                        self.bytes.extend_from_slice(b);
                        has_last_run = col == 9;
                    }
                    // last_run is the only nullable column.
                    ValueRef::Null if col == 9 => {}
                    other => {
                        return Err(StateError::corrupt(format!(
                            "resources column {col}: unexpected {:?}",
                            other.data_type()
                        )));
                    }
                }
                ends[slot] = self.bytes.len();
            }
            self.rows.push(RowSpan {
                ends,
                schema_version: row.get(6)?,
                has_last_run,
            });
        }
        Ok(true)
    }

    fn decode(&self) -> Result<Vec<ResourceRecord>> {
        let mut start = 0;
        let mut out = Vec::with_capacity(self.rows.len());
        for span in &self.rows {
            let mut col = [&[][..]; 9];
            for (slot, &end) in span.ends.iter().enumerate() {
                col[slot] = &self.bytes[start..end];
                start = end;
            }
            let text = |slot: usize| {
                std::str::from_utf8(col[slot]).map_err(|e| {
                    StateError::corrupt(format!("resources column {}: {e}", BYTE_COLUMNS[slot]))
                })
            };
            let parts = RecordParts {
                address: text(0)?,
                resource_type: text(1)?,
                provider: text(2)?,
                attributes: text(3)?,
                sensitive: text(4)?,
                private: col[5],
                schema_version: span.schema_version,
                dependencies: text(6)?,
                status: text(7)?,
                last_run: if span.has_last_run {
                    Some(text(8)?)
                } else {
                    None
                },
            };
            out.push(parts.decode()?);
        }
        Ok(out)
    }
}

/// All resources of a workspace ordered by address (bytewise, like `String`'s `Ord`).
///
/// Listing is dominated by building the `serde_json::Value` trees of the
/// attributes, not by SQLite, so for large workspaces this thread reads rows
/// into chunks while helper threads decode the chunks already read, and it
/// joins the decoding once the query is done. Small workspaces, which end
/// within the first chunk, are decoded here without spawning anything.
pub(crate) fn load_resources(conn: &Connection, ws: &str) -> Result<Vec<ResourceRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE workspace = ?1 ORDER BY address"
    ))?;
    let mut rows = stmt.query([ws])?;
    let pool = Mutex::new(Vec::new());
    let mut first = RowChunk::take(&pool);
    let mut more = first.fill(&mut rows)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if !more || threads < 2 {
        let mut out = first.decode()?;
        first.recycle(&pool);
        while more {
            let mut chunk = RowChunk::take(&pool);
            more = chunk.fill(&mut rows)?;
            out.extend(chunk.decode()?);
            chunk.recycle(&pool);
        }
        return Ok(out);
    }

    let (queue, receiver) = mpsc::channel::<(usize, RowChunk)>();
    let receiver = Mutex::new(receiver);
    let decoded: Mutex<Vec<(usize, Result<Vec<ResourceRecord>>)>> = Mutex::new(Vec::new());
    let work = || {
        loop {
            let next = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
            let Ok((i, chunk)) = next else { break };
            let records = chunk.decode();
            chunk.recycle(&pool);
            decoded
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((i, records));
        }
    };
    let read = std::thread::scope(|scope| {
        // This thread reads while the helpers decode, then decodes too, so
        // failing to spawn helpers only costs speed.
        for _ in 1..threads {
            if std::thread::Builder::new()
                .spawn_scoped(scope, work)
                .is_err()
            {
                break;
            }
        }
        let read = (|| -> Result<usize> {
            let mut chunks = 1;
            let _ = queue.send((0, first));
            while more {
                let mut chunk = RowChunk::take(&pool);
                more = chunk.fill(&mut rows)?;
                if chunk.rows.is_empty() {
                    break;
                }
                let _ = queue.send((chunks, chunk));
                chunks += 1;
            }
            Ok(chunks)
        })();
        drop(queue);
        work();
        read
    });
    let chunks = read?;
    let mut decoded = decoded.into_inner().unwrap_or_else(|e| e.into_inner());
    if decoded.len() != chunks {
        return Err(StateError::corrupt("resource decoding did not finish"));
    }
    decoded.sort_unstable_by_key(|(i, _)| *i);
    let mut parts = Vec::with_capacity(chunks);
    let mut total = 0;
    for (_, records) in decoded {
        let records = records?;
        total += records.len();
        parts.push(records);
    }
    let mut out = Vec::with_capacity(total);
    for records in parts {
        out.extend(records);
    }
    Ok(out)
}

/// One resource.
pub(crate) fn load_resource(
    conn: &Connection,
    ws: &str,
    address: &str,
) -> Result<Option<ResourceRecord>> {
    fetch_raw(conn, ws, address)?
        .map(|raw| raw.decode())
        .transpose()
}

/// Inserts or replaces an output.
pub(crate) fn put_output(conn: &Connection, ws: &str, out: &OutputRecord) -> Result<()> {
    let value = serde_json::to_string(&out.value)
        .map_err(|e| StateError::InvalidInput(format!("output {}: {e}", out.name)))?;
    let terraform_type = out
        .terraform_type
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StateError::InvalidInput(format!("output {}: {e}", out.name)))?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO outputs (workspace, name, value, sensitive, terraform_type) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (workspace, name) DO UPDATE SET value = excluded.value, sensitive = excluded.sensitive,
             terraform_type = excluded.terraform_type",
    )?;
    stmt.execute(params![ws, out.name, value, out.sensitive, terraform_type])?;
    Ok(())
}

/// Deletes an output.
pub(crate) fn delete_output(conn: &Connection, ws: &str, name: &str) -> Result<()> {
    let mut stmt = conn.prepare_cached("DELETE FROM outputs WHERE workspace = ?1 AND name = ?2")?;
    stmt.execute(params![ws, name])?;
    Ok(())
}

/// All outputs of a workspace, ordered by name.
pub(crate) fn load_outputs(conn: &Connection, ws: &str) -> Result<Vec<OutputRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, value, sensitive, terraform_type FROM outputs WHERE workspace = ?1 ORDER BY name",
    )?;
    let mut rows = stmt.query([ws])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let name: String = row.get(0)?;
        let value = json(text(row, 1)?, &name)?;
        let terraform_type = match row.get_ref(3)? {
            rusqlite::types::ValueRef::Null => None,
            _ => Some(json(text(row, 3)?, &name)?),
        };
        out.push(OutputRecord {
            value,
            sensitive: row.get(2)?,
            terraform_type,
            name,
        });
    }
    Ok(out)
}

/// Kind of the snapshot event that holds a resource as it was at the
/// compaction boundary (its `after` is the record, as a create's is).
pub(crate) const SNAPSHOT_RESOURCE: &str = "snapshot.resource";
/// Kind of the snapshot event that holds an output as it was at the
/// compaction boundary (its `after` is the output, as `output.set`'s is).
pub(crate) const SNAPSHOT_OUTPUT: &str = "snapshot.output";
/// Kind of the event that marks the compaction boundary when no snapshot
/// event took its seq (the head never moves back).
pub(crate) const SNAPSHOT_BOUNDARY: &str = "snapshot.boundary";

/// What one stored event does to the projection: the one reading of event
/// kinds, shared by [`apply_event`] (replay) and compaction's fold.
pub(crate) enum Change<'e> {
    /// Stores the record (JSON) under its address.
    PutResource {
        address: Option<&'e str>,
        record: &'e str,
    },
    /// Deletes the resource.
    DeleteResource { address: &'e str },
    /// Renames the resource.
    MoveResource { from: &'e str, to: &'e str },
    /// Stores the output (JSON).
    PutOutput { output: &'e str },
    /// Deletes the output (JSON of what it was).
    DeleteOutput { output: &'e str },
    /// Nothing: an informational event.
    Nothing,
}

/// The columns of an event that [`change_of`] reads.
pub(crate) struct EventColumns<'e> {
    pub seq: u64,
    pub kind: &'e str,
    pub address: Option<&'e str>,
    pub prev_address: Option<&'e str>,
    pub before: Option<&'e str>,
    pub after: Option<&'e str>,
}

impl<'e> From<&'e StoredEvent> for EventColumns<'e> {
    fn from(ev: &'e StoredEvent) -> Self {
        EventColumns {
            seq: ev.seq,
            kind: &ev.kind,
            address: ev.address.as_deref(),
            prev_address: ev.prev_address.as_deref(),
            before: ev.before.as_deref(),
            after: ev.after.as_deref(),
        }
    }
}

/// What an event does to the projection.
///
/// Event kinds that do not change resources or outputs (intents, failures,
/// restore markers) are accepted and do nothing, so the log can grow new
/// informational kinds without breaking replay.
pub(crate) fn change_of<'e>(ev: &EventColumns<'e>) -> Result<Change<'e>> {
    let kind = ev.kind;
    let missing =
        |what: &str| StateError::corrupt(format!("event {} ({kind}) has no {what}", ev.seq));
    Ok(match kind {
        "resource.create" | "resource.update" | "resource.replace" | "resource.import"
        | SNAPSHOT_RESOURCE => Change::PutResource {
            address: ev.address,
            record: ev.after.ok_or_else(|| missing("after"))?,
        },
        "resource.delete" => Change::DeleteResource {
            address: ev.address.ok_or_else(|| missing("address"))?,
        },
        "resource.move" => Change::MoveResource {
            from: ev.prev_address.ok_or_else(|| missing("source address"))?,
            to: ev.address.ok_or_else(|| missing("address"))?,
        },
        "output.set" | SNAPSHOT_OUTPUT => Change::PutOutput {
            output: ev.after.ok_or_else(|| missing("after"))?,
        },
        "output.delete" => Change::DeleteOutput {
            output: ev.before.ok_or_else(|| missing("before"))?,
        },
        _ => Change::Nothing,
    })
}

/// Applies one stored event to the projection.
pub(crate) fn apply_event(tx: &mut dyn Tx, ws: &str, ev: &StoredEvent) -> Result<()> {
    let kind = ev.kind.as_str();
    match change_of(&ev.into())? {
        Change::PutResource { record, .. } => {
            let rec: ResourceRecord = json(record, kind)?;
            tx.put_resource(ws, &EncodedResource::new(rec)?)
        }
        Change::DeleteResource { address } => tx.delete_resource(ws, address).map(drop),
        Change::MoveResource { from, to } => tx.rename_resource(ws, from, to).map(drop),
        Change::PutOutput { output } => {
            let out: OutputRecord = json(output, kind)?;
            tx.put_output(ws, &out)
        }
        Change::DeleteOutput { output } => {
            let out: OutputRecord = json(output, kind)?;
            tx.delete_output(ws, &out.name)
        }
        Change::Nothing => Ok(()),
    }
}

/// Events read per page while replaying.
pub(crate) const REPLAY_PAGE: usize = 1024;

/// Clears the workspace's projection and replays its events with `seq <= upto`.
/// Returns the number of events replayed.
///
/// A compacted workspace replays from its snapshot events, which stand for
/// the state right after its boundary: a target before the boundary is
/// refused ([`StateError::HistoryCompacted`]) rather than replayed from
/// part of the snapshot.
pub(crate) fn replay(tx: &mut dyn Tx, ws: &str, upto: u64) -> Result<u64> {
    if let Some(compaction) = tx.compaction(ws)?
        && upto < compaction.boundary
    {
        return Err(StateError::HistoryCompacted {
            workspace: ws.to_owned(),
            seq: upto,
            boundary: compaction.boundary,
        });
    }
    tx.clear_projection(ws)?;
    let mut after = 0;
    let mut n = 0;
    loop {
        let page = tx.events_page(ws, after, upto, REPLAY_PAGE)?;
        for ev in &page {
            apply_event(tx, ws, ev)?;
            after = ev.seq;
            n += 1;
        }
        if page.len() < REPLAY_PAGE {
            return Ok(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().expect("open");
        crate::schema::migrate(&mut conn).expect("schema");
        conn
    }

    fn record(i: usize) -> ResourceRecord {
        let mut r = ResourceRecord::new(
            format!("t.r{i:06}"),
            "t",
            "p",
            json!({ "i": i, "s": "x\"y\u{e9}\n", "f": 0.1, "nested": { "l": [1, null, true] } }),
        );
        r.private = vec![1, 0xab];
        r.schema_version = 3;
        r.dependencies = vec!["a.b".into()];
        if i.is_multiple_of(3) {
            r.status = ResourceStatus::Tainted;
            r.sensitive_attributes = vec!["s".into()];
            r.last_run = Some(format!("run-{i}"));
        }
        r
    }

    #[test]
    fn spliced_event_json_equals_serde() {
        for r in [
            record(0),
            record(1),
            ResourceRecord::new("a[\"\\k\u{1}\"]", "a", "p\u{2028}", json!(null)),
        ] {
            let expected = serde_json::to_string(&r).expect("serde");
            let enc = EncodedResource::new(r).expect("encode");
            assert_eq!(enc.json, expected);
        }
    }

    #[test]
    fn parallel_listing_keeps_order_and_reports_corruption() {
        let conn = db();
        let n = CHUNK_ROWS * 5 + 7;
        // Inserted out of order: the listing must sort by address.
        for i in (0..n).rev() {
            put_resource(
                &conn,
                "default",
                &EncodedResource::new(record(i)).expect("enc"),
            )
            .expect("put");
        }
        let out = load_resources(&conn, "default").expect("list");
        assert_eq!(out.len(), n);
        for (i, r) in out.iter().enumerate() {
            assert_eq!(r, &record(i));
        }
        for column in ["attributes", "status", "dependencies"] {
            let conn = db();
            for i in 0..n {
                put_resource(
                    &conn,
                    "default",
                    &EncodedResource::new(record(i)).expect("enc"),
                )
                .expect("put");
            }
            conn.execute(
                &format!("UPDATE resources SET {column} = '{{broken' WHERE address = ?1"),
                [format!("t.r{:06}", n / 2)],
            )
            .expect("corrupt a row");
            let err = load_resources(&conn, "default").expect_err("corrupt row");
            assert!(matches!(err, StateError::Corrupt(_)), "{err}");
        }
    }

    #[test]
    fn small_listing_and_single_row() {
        let conn = db();
        assert!(load_resources(&conn, "default").expect("empty").is_empty());
        for i in 0..3 {
            put_resource(
                &conn,
                "default",
                &EncodedResource::new(record(i)).expect("enc"),
            )
            .expect("put");
        }
        let out = load_resources(&conn, "default").expect("list");
        assert_eq!(out, (0..3).map(record).collect::<Vec<_>>());
        let raw = fetch_raw(&conn, "default", "t.r000001")
            .expect("fetch")
            .expect("present");
        assert_eq!(
            raw.to_json().expect("json"),
            serde_json::to_string(&record(1)).expect("serde")
        );
    }
}

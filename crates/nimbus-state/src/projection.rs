//! The projection: current resources and outputs derived from the event log.
//!
//! Two paths keep it up to date and both end in the same row writers below:
//! the write path ([`crate::write`]) stores a change and appends its event in
//! one transaction, and [`replay`] re-applies stored events one by one. Because
//! the event's `after` is the serialised record that the write path stored,
//! replaying yields byte-identical rows; the property tests check that.

use std::collections::BTreeMap;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::StateError;
use crate::types::{OutputRecord, ResourceRecord, ResourceStatus};

type Result<T> = std::result::Result<T, StateError>;

/// Column list read by `RawResource::from_row`.
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

/// A record with its JSON columns already serialised, ready to store or compare.
pub(crate) struct EncodedResource<'a> {
    pub record: &'a ResourceRecord,
    attributes: String,
    sensitive: String,
    dependencies: String,
}

impl<'a> EncodedResource<'a> {
    pub(crate) fn new(record: &'a ResourceRecord) -> Result<Self> {
        fn enc<T: serde::Serialize>(v: &T, address: &str) -> Result<String> {
            serde_json::to_string(v)
                .map_err(|e| StateError::InvalidInput(format!("{address}: {e}")))
        }
        Ok(EncodedResource {
            attributes: enc(&record.attributes, &record.address)?,
            sensitive: enc(&record.sensitive_attributes, &record.address)?,
            dependencies: enc(&record.dependencies, &record.address)?,
            record,
        })
    }

    /// Whether the stored row already holds exactly this record.
    pub(crate) fn same_as(&self, raw: &RawResource) -> bool {
        let r = self.record;
        raw.resource_type == r.resource_type
            && raw.provider == r.provider
            && raw.attributes == self.attributes
            && raw.sensitive == self.sensitive
            && raw.private == r.private
            && raw.schema_version == r.schema_version
            && raw.dependencies == self.dependencies
            && raw.status == r.status.as_str()
            && raw.last_run == r.last_run
    }
}

/// A stored resource row, undecoded.
pub(crate) struct RawResource {
    address: String,
    resource_type: String,
    provider: String,
    attributes: String,
    sensitive: String,
    private: Vec<u8>,
    schema_version: u64,
    dependencies: String,
    status: String,
    last_run: Option<String>,
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

    /// Decodes it into a record.
    pub(crate) fn decode(self) -> Result<ResourceRecord> {
        let status = ResourceStatus::parse(&self.status).ok_or_else(|| {
            StateError::corrupt(format!(
                "{}: unknown status {:?}",
                self.address, self.status
            ))
        })?;
        Ok(ResourceRecord {
            resource_type: self.resource_type,
            provider: self.provider,
            attributes: json(&self.attributes, &self.address)?,
            sensitive_attributes: json_list(&self.sensitive, &self.address)?,
            private: self.private,
            schema_version: self.schema_version,
            dependencies: json_list(&self.dependencies, &self.address)?,
            status,
            last_run: self.last_run,
            address: self.address,
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

/// Inserts or replaces a resource row.
pub(crate) fn put_resource(conn: &Connection, ws: &str, enc: &EncodedResource<'_>) -> Result<()> {
    let r = enc.record;
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
    stmt.execute(params![
        ws,
        r.address,
        r.resource_type,
        r.provider,
        enc.attributes,
        enc.sensitive,
        r.private,
        r.schema_version,
        enc.dependencies,
        r.status.as_str(),
        r.last_run,
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

/// Below this many rows, decoding on the calling thread is cheaper than
/// spawning helpers.
const PARALLEL_DECODE_MIN_ROWS: usize = 4096;

/// All resources of a workspace ordered by address (bytewise, like `String`'s `Ord`).
///
/// Listing is dominated by parsing attribute JSON into `serde_json::Value`s,
/// not by SQLite, so rows are first copied out undecoded (the connection is
/// single-threaded) and large workspaces are then decoded on several threads.
pub(crate) fn load_resources(conn: &Connection, ws: &str) -> Result<Vec<ResourceRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE workspace = ?1 ORDER BY address"
    ))?;
    let raws = stmt
        .query_map([ws], RawResource::from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    decode_all(raws)
}

fn decode_all(raws: Vec<RawResource>) -> Result<Vec<ResourceRecord>> {
    let decode = |chunk: Vec<RawResource>| -> Result<Vec<ResourceRecord>> {
        chunk.into_iter().map(RawResource::decode).collect()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 || raws.len() < PARALLEL_DECODE_MIN_ROWS {
        return decode(raws);
    }
    let total = raws.len();
    // A few chunks per thread balance uneven rows; the calling thread works too,
    // so a failure to spawn helpers only costs speed.
    let per_chunk = total.div_ceil(threads * 4);
    let mut queue = Vec::new();
    let mut rest = raws.into_iter();
    loop {
        let chunk: Vec<RawResource> = rest.by_ref().take(per_chunk).collect();
        if chunk.is_empty() {
            break;
        }
        queue.push((queue.len(), chunk));
    }
    let n_chunks = queue.len();
    queue.reverse(); // pop() hands out chunks in order
    let queue = Mutex::new(queue);
    let results: Mutex<Vec<Option<Result<Vec<ResourceRecord>>>>> =
        Mutex::new((0..n_chunks).map(|_| None).collect());
    let work = || {
        loop {
            let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some((i, chunk)) = next else { break };
            let decoded = decode(chunk);
            results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(decoded);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            if std::thread::Builder::new()
                .spawn_scoped(scope, work)
                .is_err()
            {
                break;
            }
        }
        work();
    });
    let mut out = Vec::with_capacity(total);
    for part in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
        out.extend(part.ok_or_else(|| StateError::corrupt("resource decoding did not finish"))??);
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
        .map(RawResource::decode)
        .transpose()
}

/// Inserts or replaces an output.
pub(crate) fn put_output(conn: &Connection, ws: &str, out: &OutputRecord) -> Result<()> {
    let value = serde_json::to_string(&out.value)
        .map_err(|e| StateError::InvalidInput(format!("output {}: {e}", out.name)))?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO outputs (workspace, name, value, sensitive) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (workspace, name) DO UPDATE SET value = excluded.value, sensitive = excluded.sensitive",
    )?;
    stmt.execute(params![ws, out.name, value, out.sensitive])?;
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
        "SELECT name, value, sensitive FROM outputs WHERE workspace = ?1 ORDER BY name",
    )?;
    let mut rows = stmt.query([ws])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let name: String = row.get(0)?;
        let value = json(text(row, 1)?, &name)?;
        out.push(OutputRecord {
            value,
            sensitive: row.get(2)?,
            name,
        });
    }
    Ok(out)
}

/// Outputs keyed by name.
pub(crate) fn output_map(conn: &Connection, ws: &str) -> Result<BTreeMap<String, OutputRecord>> {
    Ok(load_outputs(conn, ws)?
        .into_iter()
        .map(|o| (o.name.clone(), o))
        .collect())
}

/// A stored event, as far as the projection cares.
pub(crate) struct StoredEvent<'a> {
    pub seq: u64,
    pub kind: &'a str,
    pub address: Option<&'a str>,
    pub prev_address: Option<&'a str>,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

/// Applies one stored event to the projection.
///
/// Event kinds that do not change resources or outputs (intents, failures,
/// restore markers) are accepted and ignored, so the log can grow new
/// informational kinds without breaking replay.
pub(crate) fn apply_event(conn: &Connection, ws: &str, ev: &StoredEvent<'_>) -> Result<()> {
    let kind = ev.kind;
    let missing =
        |what: &str| StateError::corrupt(format!("event {} ({kind}) has no {what}", ev.seq));
    match kind {
        "resource.create" | "resource.update" | "resource.replace" | "resource.import" => {
            let rec: ResourceRecord = json(ev.after.ok_or_else(|| missing("after"))?, kind)?;
            put_resource(conn, ws, &EncodedResource::new(&rec)?)
        }
        "resource.delete" => {
            delete_resource(conn, ws, ev.address.ok_or_else(|| missing("address"))?).map(drop)
        }
        "resource.move" => rename_resource(
            conn,
            ws,
            ev.prev_address.ok_or_else(|| missing("source address"))?,
            ev.address.ok_or_else(|| missing("address"))?,
        )
        .map(drop),
        "output.set" => {
            let out: OutputRecord = json(ev.after.ok_or_else(|| missing("after"))?, kind)?;
            put_output(conn, ws, &out)
        }
        "output.delete" => {
            let out: OutputRecord = json(ev.before.ok_or_else(|| missing("before"))?, kind)?;
            delete_output(conn, ws, &out.name)
        }
        _ => Ok(()),
    }
}

/// Clears the workspace's projection and replays its events with `seq <= upto`.
/// Returns the number of events replayed.
pub(crate) fn replay(conn: &Connection, ws: &str, upto: u64) -> Result<u64> {
    conn.execute("DELETE FROM resources WHERE workspace = ?1", [ws])?;
    conn.execute("DELETE FROM outputs WHERE workspace = ?1", [ws])?;
    let mut stmt = conn.prepare(
        "SELECT seq, kind, address, prev_address, before, after FROM events
         WHERE workspace = ?1 AND seq <= ?2 ORDER BY seq",
    )?;
    let mut rows = stmt.query(params![ws, upto])?;
    let mut n = 0;
    while let Some(row) = rows.next()? {
        let opt = |i: usize| -> Result<Option<&str>> {
            row.get_ref(i)?
                .as_str_or_null()
                .map_err(StateError::corrupt)
        };
        let ev = StoredEvent {
            seq: row.get(0)?,
            kind: text(row, 1)?,
            address: opt(2)?,
            prev_address: opt(3)?,
            before: opt(4)?,
            after: opt(5)?,
        };
        apply_event(conn, ws, &ev)?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(i: usize, attributes: &str) -> RawResource {
        RawResource {
            address: format!("t.r{i:06}"),
            resource_type: "t".into(),
            provider: "p".into(),
            attributes: attributes.into(),
            sensitive: "[]".into(),
            private: vec![1, 2],
            schema_version: 3,
            dependencies: r#"["a.b"]"#.into(),
            status: "tainted".into(),
            last_run: None,
        }
    }

    #[test]
    fn parallel_decode_keeps_order_and_reports_corruption() {
        let n = PARALLEL_DECODE_MIN_ROWS * 3 + 7;
        let raws: Vec<_> = (0..n).map(|i| raw(i, &format!(r#"{{"i":{i}}}"#))).collect();
        let out = decode_all(raws).expect("decode");
        assert_eq!(out.len(), n);
        for (i, r) in out.iter().enumerate() {
            assert_eq!(r.address, format!("t.r{i:06}"));
            assert_eq!(r.attributes["i"], i);
            assert_eq!(r.dependencies, ["a.b"]);
            assert_eq!(r.status, ResourceStatus::Tainted);
        }
        let mut raws: Vec<_> = (0..n).map(|i| raw(i, "{}")).collect();
        raws[n / 2].attributes = "{broken".into();
        let err = decode_all(raws).expect_err("corrupt row");
        assert!(matches!(err, StateError::Corrupt(_)), "{err}");
    }
}

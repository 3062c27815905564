//! The projection: current resources and outputs derived from the event log.
//!
//! Two paths keep it up to date and both end in the same row writers below:
//! the write path ([`crate::write`]) stores a change and appends its event in
//! one transaction, and [`replay`] re-applies stored events one by one. Because
//! the event's `after` is the serialised record that the write path stored,
//! replaying yields byte-identical rows; the property tests check that.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::StateError;
use crate::types::{OutputRecord, ResourceRecord, ResourceStatus};

type Result<T> = std::result::Result<T, StateError>;

/// Column list matching [`RawResource::from_row`].
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

/// Decodes a resource row selected with [`RESOURCE_COLUMNS`].
pub(crate) fn resource_from_row(row: &Row<'_>) -> Result<ResourceRecord> {
    let address = text(row, 0)?.to_owned();
    let status = text(row, 8)?;
    Ok(ResourceRecord {
        resource_type: text(row, 1)?.to_owned(),
        provider: text(row, 2)?.to_owned(),
        attributes: json(text(row, 3)?, &address)?,
        sensitive_attributes: json_list(text(row, 4)?, &address)?,
        private: row.get(5)?,
        schema_version: row.get(6)?,
        dependencies: json_list(text(row, 7)?, &address)?,
        status: ResourceStatus::parse(status)
            .ok_or_else(|| StateError::corrupt(format!("{address}: unknown status {status:?}")))?,
        last_run: row.get(9)?,
        address,
    })
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
            serde_json::to_string(v).map_err(|e| StateError::InvalidInput(format!("{address}: {e}")))
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
            StateError::corrupt(format!("{}: unknown status {:?}", self.address, self.status))
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

/// All resources of a workspace ordered by address (bytewise, like `String`'s `Ord`).
pub(crate) fn load_resources(conn: &Connection, ws: &str) -> Result<Vec<ResourceRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE workspace = ?1 ORDER BY address"
    ))?;
    let mut rows = stmt.query([ws])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(resource_from_row(row)?);
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

/// Applies one stored event to the projection.
///
/// Event kinds that do not change resources or outputs (intents, failures,
/// restore markers) are accepted and ignored, so the log can grow new
/// informational kinds without breaking replay.
pub(crate) fn apply_event(
    conn: &Connection,
    ws: &str,
    seq: u64,
    kind: &str,
    address: Option<&str>,
    prev_address: Option<&str>,
    before: Option<&str>,
    after: Option<&str>,
) -> Result<()> {
    let missing = |what: &str| StateError::corrupt(format!("event {seq} ({kind}) has no {what}"));
    match kind {
        "resource.create" | "resource.update" | "resource.replace" | "resource.import" => {
            let rec: ResourceRecord = json(after.ok_or_else(|| missing("after"))?, kind)?;
            put_resource(conn, ws, &EncodedResource::new(&rec)?)
        }
        "resource.delete" => {
            delete_resource(conn, ws, address.ok_or_else(|| missing("address"))?).map(drop)
        }
        "resource.move" => rename_resource(
            conn,
            ws,
            prev_address.ok_or_else(|| missing("source address"))?,
            address.ok_or_else(|| missing("address"))?,
        )
        .map(drop),
        "output.set" => {
            let out: OutputRecord = json(after.ok_or_else(|| missing("after"))?, kind)?;
            put_output(conn, ws, &out)
        }
        "output.delete" => {
            let out: OutputRecord = json(before.ok_or_else(|| missing("before"))?, kind)?;
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
        let seq: u64 = row.get(0)?;
        let kind = text(row, 1)?;
        let address: Option<&str> = row.get_ref(2)?.as_str_or_null().map_err(StateError::corrupt)?;
        let prev: Option<&str> = row.get_ref(3)?.as_str_or_null().map_err(StateError::corrupt)?;
        let before: Option<&str> = row.get_ref(4)?.as_str_or_null().map_err(StateError::corrupt)?;
        let after: Option<&str> = row.get_ref(5)?.as_str_or_null().map_err(StateError::corrupt)?;
        apply_event(conn, ws, seq, kind, address, prev, before, after)?;
        n += 1;
    }
    Ok(n)
}

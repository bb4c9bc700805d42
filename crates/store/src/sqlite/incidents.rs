//! Incidents as fusion last left them: replaced as it revises them, read back by time.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Job, SqliteStore};
use crate::*;

impl IncidentStore for SqliteStore {
    fn put_incidents(&self, w: IncidentWrite) -> Result<(), StoreError> {
        self.write_job(|r| Job::Incidents(w, r), "storing incidents", |_| ())
    }

    fn fused_observations(&self) -> Result<Option<u64>, StoreError> {
        self.with_reader(|c| {
            Ok(
                c.prepare_cached("SELECT value FROM store_state WHERE key = 'fused_observations'")?
                    .query_row([], |r| r.get::<_, i64>(0))
                    .optional()?
                    .map(|v| v as u64),
            )
        })
    }

    fn incidents_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<IncidentRow>, StoreError> {
        self.with_reader(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT body, leaves FROM incidents WHERE time_ms >= ?1 AND time_ms < ?2
                 ORDER BY time_ms, id",
            )?;
            let rows = stmt.query_map([from_ms, to_ms], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (body, leaves) = row?;
                let unreadable = |what: &str, e: serde_json::Error| {
                    StoreError::Inconsistent(format!(
                        "a stored incident's {what} does not read: {e}"
                    ))
                };
                out.push(IncidentRow {
                    record: serde_json::from_str(&body).map_err(|e| unreadable("record", e))?,
                    leaves: serde_json::from_str(&leaves).map_err(|e| unreadable("leaves", e))?,
                });
            }
            Ok(out)
        })
    }
}

pub(super) fn write_incidents(conn: &Connection, w: &IncidentWrite) -> Result<(), StoreError> {
    if w.replace_all {
        conn.execute("DELETE FROM incidents", [])?;
    }
    {
        let mut del = conn.prepare_cached("DELETE FROM incidents WHERE id = ?1")?;
        for id in &w.remove {
            del.execute([id])?;
        }
    }
    let mut up = conn.prepare_cached(
        "INSERT INTO incidents (id, time_ms, kind, subtype, count, violations, attributed, control,
                                lon, lat, body, leaves)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT(id) DO UPDATE SET time_ms = excluded.time_ms, kind = excluded.kind,
             subtype = excluded.subtype, count = excluded.count, violations = excluded.violations,
             attributed = excluded.attributed, control = excluded.control, lon = excluded.lon,
             lat = excluded.lat, body = excluded.body, leaves = excluded.leaves",
    )?;
    for r in &w.upsert {
        let leaves = serde_json::to_string(&r.leaves).expect("numbers serialise");
        let body = serde_json::to_string(&r.record).expect("an incident record is JSON");
        let c = IncidentPoint::of(&r.record);
        up.execute(params![
            r.record.id,
            c.time_ms,
            c.kind,
            c.subtype,
            c.count,
            c.violations,
            c.attributed,
            c.control,
            c.lon,
            c.lat,
            body,
            leaves
        ])?;
    }
    conn.execute(
        "INSERT OR REPLACE INTO store_state (key, value) VALUES ('fused_observations', ?1)",
        [w.fused_observations as i64],
    )?;
    Ok(())
}

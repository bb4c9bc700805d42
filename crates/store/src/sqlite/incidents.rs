//! Incidents as fusion last left them: replaced as it revises them, read back by time.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Job, SqliteStore};
use crate::*;

impl IncidentStore for SqliteStore {
    fn put_incidents(&self, w: IncidentWrite) -> Result<(), StoreError> {
        self.write_job(|r| Job::Incidents(w, r), "storing incidents", |_| ())
    }

    fn fused(&self) -> Result<Option<Fused>, StoreError> {
        self.with_reader(|c| {
            let mut state = c.prepare_cached("SELECT value FROM store_state WHERE key = ?1")?;
            let mut read = |key: &str| {
                state
                    .query_row([key], |r| r.get::<_, i64>(0))
                    .optional()
                    .map(|v| v.map(|v| v as u64))
            };
            let Some(observations) = read("fused_observations")? else {
                return Ok(None);
            };
            let through = read("fused_through")?;
            Ok(Some(Fused {
                observations,
                through,
            }))
        })
    }

    fn incidents_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<IncidentRow>, StoreError> {
        self.incidents_after(None, from_ms, to_ms, usize::MAX)
    }

    fn incident(&self, id: &str) -> Result<Option<IncidentRow>, StoreError> {
        self.with_reader(|c| {
            c.prepare_cached("SELECT body, leaves FROM incidents WHERE id = ?1")?
                .query_row([id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?
                .map(|(body, leaves)| IncidentRow::from_columns(&body, &leaves))
                .transpose()
        })
    }

    fn incidents_after(
        &self,
        after: Option<(i64, &str)>,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        // One lower bound, the later of the cursor and `from_ms` (ids are never empty, so
        // `(from_ms, "")` is "at or after from_ms"), written on `time_ms` itself so that the
        // index walk starts there: as a row value (`(time_ms, id) > (?, ?)`) or beside a second
        // bound, SQLite 3.50 walked a year of the index from its start (0.75 s a page).
        let (t, id) = match after {
            Some((t, id)) if t >= from_ms => (t, id),
            _ => (from_ms, ""),
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_reader(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT body, leaves FROM incidents INDEXED BY incidents_time_id
                 WHERE time_ms >= ?1 AND time_ms < ?3 AND (time_ms > ?1 OR id > ?2)
                 ORDER BY time_ms, id LIMIT ?4",
            )?;
            let rows = stmt.query_map(params![t, id, to_ms, limit], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (body, leaves) = row?;
                out.push(IncidentRow::from_columns(&body, &leaves)?);
            }
            Ok(out)
        })
    }

    fn incident_totals(&self) -> Result<(u64, u64), StoreError> {
        self.with_reader(|c| {
            let get = |key: &str| -> Result<u64, StoreError> {
                Ok(
                    c.prepare_cached("SELECT value FROM store_state WHERE key = ?1")?
                        .query_row([key], |r| r.get::<_, i64>(0))
                        .optional()?
                        .unwrap_or(0) as u64,
                )
            };
            Ok((get("incident_count")?, get("violation_count")?))
        })
    }
}

pub(super) fn write_incidents(conn: &Connection, w: &IncidentWrite) -> Result<(), StoreError> {
    // The totals are kept as the rows change: what a row held is taken off before it goes.
    let (mut count, mut violations): (i64, i64) = if w.replace_all {
        conn.execute("DELETE FROM incidents", [])?;
        (0, 0)
    } else {
        let get = |key: &str| -> Result<i64, StoreError> {
            Ok(conn
                .prepare_cached("SELECT value FROM store_state WHERE key = ?1")?
                .query_row([key], |r| r.get::<_, i64>(0))
                .optional()?
                .unwrap_or(0))
        };
        (get("incident_count")?, get("violation_count")?)
    };
    let mut old = conn.prepare_cached("SELECT violations FROM incidents WHERE id = ?1")?;
    {
        let mut del = conn.prepare_cached("DELETE FROM incidents WHERE id = ?1")?;
        for id in &w.remove {
            if let Some(v) = old.query_row([id], |r| r.get::<_, i64>(0)).optional()? {
                count -= 1;
                violations -= v;
                del.execute([id])?;
            }
        }
    }
    let mut up = conn.prepare_cached(
        "INSERT INTO incidents (id, time_ms, kind, subtype, count, violations, attributed, control,
                                lon, lat, body, leaves, placed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(id) DO UPDATE SET time_ms = excluded.time_ms, kind = excluded.kind,
             subtype = excluded.subtype, count = excluded.count, violations = excluded.violations,
             attributed = excluded.attributed, control = excluded.control, lon = excluded.lon,
             lat = excluded.lat, body = excluded.body, leaves = excluded.leaves,
             placed = excluded.placed",
    )?;
    for r in &w.upsert {
        if let Some(v) = old
            .query_row([&r.record.id], |r| r.get::<_, i64>(0))
            .optional()?
        {
            count -= 1;
            violations -= v;
        }
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
            leaves,
            c.placed
        ])?;
        count += 1;
        violations += i64::from(c.violations);
    }
    let mut state =
        conn.prepare_cached("INSERT OR REPLACE INTO store_state (key, value) VALUES (?1, ?2)")?;
    state.execute(params!["incident_count", count])?;
    state.execute(params!["violation_count", violations])?;
    state.execute(params!["fused_observations", w.fused_observations as i64])?;
    match w.fused_through {
        Some(p) => state.execute(params!["fused_through", p as i64])?,
        None => conn.execute("DELETE FROM store_state WHERE key = 'fused_through'", [])?,
    };
    Ok(())
}

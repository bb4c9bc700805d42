//! Observations and agreement versions: inserted with their leaves by the writer, read back
//! by id or filter, and the whole sequence checked.

use rusqlite::{Connection, OptionalExtension, params};
use truceline_log::Frontier;

use super::{Job, SqliteStore};
use crate::*;

impl ObservationStore for SqliteStore {
    fn submit(&self, batch: Vec<NewObservation>) -> Pending {
        self.writer.observations(batch)
    }

    fn close(&self) {
        self.writer.close();
    }

    fn get(&self, id: &str) -> Result<Option<StoredObservation>, StoreError> {
        self.with_reader(|c| {
            Ok(
                c.prepare_cached("SELECT seq, received_ms, body FROM observations WHERE id = ?1")?
                    .query_row([id], stored_row)
                    .optional()?,
            )
        })
    }

    fn committed(
        &self,
        id: &str,
    ) -> Result<Option<(StoredObservation, Option<crate::committed::Commitment>)>, StoreError> {
        let row = self.with_reader(|c| {
            Ok(c.prepare_cached(
                "SELECT seq, received_ms, body, salts FROM observations WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((stored_row(r)?, r.get::<_, Option<Vec<u8>>>(3)?))
            })
            .optional()?)
        })?;
        row.map(|(o, salts)| {
            let c = salts
                .map(|s| crate::committed::commit_stored(&o.body, &s))
                .transpose()?;
            Ok((o, c))
        })
        .transpose()
    }

    fn query(&self, q: &Query) -> Result<Page, StoreError> {
        let mut sql = String::from("SELECT seq, received_ms, body FROM observations WHERE seq > ?");
        let after = q.after.map_or(0, |p| p as i64);
        let mut args: Vec<rusqlite::types::Value> = vec![after.into()];
        let bound = q.read_bound();
        if let Some(b) = bound {
            sql.push_str(" AND seq <= ?");
            args.push(b.into());
        }
        if let Some([w, s, e, n]) = q.bbox {
            sql.push_str(" AND lon >= ? AND lon <= ? AND lat >= ? AND lat <= ?");
            args.extend([w.into(), e.into(), s.into(), n.into()]);
        }
        if let Some(from) = q.from_ms {
            sql.push_str(" AND time_ms >= ?");
            args.push(from.into());
        }
        if let Some(to) = q.to_ms {
            sql.push_str(" AND time_ms < ?");
            args.push(to.into());
        }
        if let Some(obs) = &q.observer {
            sql.push_str(" AND observer = ?");
            args.push(obs.clone().into());
        }
        let limit = q.limit.max(1);
        sql.push_str(" ORDER BY seq LIMIT ?");
        args.push((limit as i64 + 1).into());
        self.with_reader(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let mut items: Vec<StoredObservation> = stmt
                .query_map(rusqlite::params_from_iter(args.iter()), stored_row)?
                .collect::<Result<_, _>>()?;
            let next = if items.len() > limit {
                items.truncate(limit);
                items.last().map(|o| o.position)
            } else if let Some(b) = bound {
                // Cut short by the bound: on from it, if anything lies past it.
                let last: Option<i64> =
                    c.query_row("SELECT max(seq) FROM observations", [], |r| r.get(0))?;
                last.is_some_and(|l| l > b).then_some(b as u64)
            } else {
                None
            };
            Ok(Page { items, next })
        })
    }

    fn observations_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<StoredObservation>, StoreError> {
        self.with_reader(|c| {
            // Named so that the planner cannot choose to walk a year in record order instead.
            let mut items: Vec<StoredObservation> = c
                .prepare_cached(
                    "SELECT seq, received_ms, body FROM observations INDEXED BY observations_time
                     WHERE time_ms >= ?1 AND time_ms < ?2",
                )?
                .query_map([from_ms, to_ms], stored_row)?
                .collect::<Result<_, _>>()?;
            items.sort_unstable_by_key(|o| o.position);
            Ok(items)
        })
    }

    fn high_water(&self) -> Result<(Option<u64>, u64), StoreError> {
        self.with_reader(|c| {
            // The count kept by kind, not count(*): that reads a whole index (26 s cold on a
            // year's store, for every start of fusion and every report).
            let (last, n): (Option<i64>, i64) = c.query_row(
                "SELECT (SELECT max(seq) FROM observations),
                        (SELECT coalesce(sum(n), 0) FROM observation_kinds)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok((last.map(|p| p as u64), n as u64))
        })
    }

    fn time_span(&self) -> Result<Option<(i64, i64)>, StoreError> {
        self.with_reader(|c| {
            let (lo, hi): (Option<i64>, Option<i64>) = c.query_row(
                "SELECT min(time_ms), max(time_ms) FROM observations",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(lo.zip(hi))
        })
    }

    fn counts(&self) -> Result<Counts, StoreError> {
        // Nothing here scans the observations: kinds are counted as they are written, the
        // latest time is the end of its index, and observers are walked one distinct value at
        // a time down theirs (a few hundred steps for a year of millions).
        self.with_reader(|c| {
            let by_kind: Vec<(String, u64)> = c
                .prepare_cached("SELECT kind, n FROM observation_kinds ORDER BY n DESC, kind")?
                .query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
                })?
                .collect::<Result<_, _>>()?;
            let latest_time_ms: Option<i64> =
                c.query_row("SELECT max(time_ms) FROM observations", [], |r| r.get(0))?;
            let mut next =
                c.prepare_cached("SELECT min(observer) FROM observations WHERE observer > ?1")?;
            let mut observers = 0u64;
            let mut after = String::new();
            while let Some(o) = next.query_row([&after], |r| r.get::<_, Option<String>>(0))? {
                observers += 1;
                after = o;
            }
            Ok(Counts {
                observations: by_kind.iter().map(|(_, n)| n).sum(),
                observers,
                by_kind,
                latest_time_ms,
            })
        })
    }

    fn put_agreement(&self, a: StoredAgreement) -> Result<u64, StoreError> {
        self.writer.job(|reply| Job::Agreement(a, reply), |v| v)
    }

    fn latest_agreement(&self) -> Result<Option<StoredAgreement>, StoreError> {
        self.with_reader(|c| {
            latest_agreement_row(c)?
                .map(|(version, agreement_id, toml_name, files)| {
                    let files = serde_json::from_str(&files).map_err(|e| {
                        StoreError::Inconsistent(format!("agreement version {version}: {e}"))
                    })?;
                    Ok(StoredAgreement {
                        version: version as u64,
                        agreement_id,
                        toml_name,
                        files,
                    })
                })
                .transpose()
        })
    }

    fn check(&self) -> Result<CheckReport, StoreError> {
        self.with_reader(|c| {
            let integrity: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if integrity != "ok" {
                return Err(StoreError::Inconsistent(format!(
                    "SQLite integrity check: {integrity}"
                )));
            }
            let mut stmt = c.prepare(
                "SELECT seq, id, observer, time_ms, kind, body FROM observations ORDER BY seq",
            )?;
            // Leaves of other records fill the gaps between observations' rows.
            let others: std::collections::HashSet<i64> = c
                .prepare("SELECT idx FROM log_records")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut rows = stmt.query([])?;
            let mut check = crate::check::SequenceCheck::new(others);
            while let Some(r) = rows.next()? {
                let id: String = r.get(1)?;
                let observer: String = r.get(2)?;
                let kind: String = r.get(4)?;
                // A body edited outside the program may come back as text; judge its bytes.
                let body = r.get_ref(5)?.as_bytes().unwrap_or_default();
                check.row(r.get(0)?, &id, &observer, &kind, body)?;
            }
            // The counts the summary reads are the rows' own.
            let kept: Vec<(String, i64)> = c
                .prepare("SELECT kind, n FROM observation_kinds WHERE n > 0 ORDER BY kind")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let counted: Vec<(String, i64)> = c
                .prepare("SELECT kind, COUNT(*) FROM observations GROUP BY kind ORDER BY kind")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            check.finish(kept, counted)
        })
    }
}

pub(super) fn insert_batch(
    conn: &Connection,
    batch: &[NewObservation],
    received: i64,
    frontier: &mut Frontier,
) -> Result<Vec<Outcome>, StoreError> {
    // The row is the leaf: its rowid is the log index + 1 and its hashes go in with it.
    let mut insert = conn.prepare_cached(
        "INSERT INTO observations (seq, id, observer, time_ms, lon, lat, kind, received_ms, body, hashes, salts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(id) DO NOTHING",
    )?;
    let mut existing = conn.prepare_cached("SELECT seq, body FROM observations WHERE id = ?1")?;
    let mut out = Vec::with_capacity(batch.len());
    for (index, o) in batch.iter().enumerate() {
        let mark = frontier.clone();
        let log_index = frontier.size();
        let made;
        let (leaf, salts) = match (o.leaf, &o.salts) {
            (Some(leaf), salts) => {
                debug_assert_eq!(
                    Some(leaf),
                    crate::committed::observation_leaf(&o.body, salts.as_deref())
                        .ok()
                        .map(|b| truceline_log::leaf_hash(&b)),
                    "a precomputed leaf hash is the body's"
                );
                (leaf, salts.as_deref())
            }
            (None, _) => {
                made = crate::committed::commit_new(&o.body)
                    .map_err(|e| StoreError::Invalid(format!("observation {:?}: {e}", o.id)))?;
                (
                    truceline_log::leaf_hash(&made.1.committed),
                    Some(&made.0[..]),
                )
            }
        };
        let hashes = crate::log::hashed_leaf_row(frontier, leaf);
        let n = insert.execute(params![
            log_index as i64 + 1,
            o.id,
            o.observer,
            o.time_ms,
            o.lon,
            o.lat,
            o.kind,
            received,
            o.body,
            hashes,
            salts
        ])?;
        if n == 1 {
            out.push(Outcome::Accepted { log_index });
        } else {
            *frontier = mark;
            let (seq, body): (i64, Vec<u8>) =
                existing.query_row([&o.id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if body != o.body {
                return Err(StoreError::Conflict {
                    index,
                    id: o.id.clone(),
                });
            }
            out.push(Outcome::Duplicate {
                log_index: seq as u64 - 1,
            });
        }
    }
    Ok(out)
}

pub(super) fn insert_agreement(
    conn: &Connection,
    a: &StoredAgreement,
    stored: i64,
    frontier: &mut Frontier,
) -> Result<u64, StoreError> {
    let files = serde_json::to_string(&a.files).expect("strings serialise");
    let latest = latest_agreement_row(conn)?;
    if let Some((v, id, name, f)) = &latest
        && *id == a.agreement_id
        && *name == a.toml_name
        && *f == files
    {
        return Ok(*v as u64);
    }
    conn.execute(
        "INSERT INTO agreements (agreement_id, toml_name, files, stored_ms) VALUES (?1, ?2, ?3, ?4)",
        params![a.agreement_id, a.toml_name, files, stored],
    )?;
    let version = conn.last_insert_rowid();
    let record = crate::log::agreement_record(version, &a.agreement_id, &a.toml_name, &files)?;
    let idx = crate::sqlite::log_rows::append_record(conn, frontier, AGREEMENT, version, &record)?;
    conn.execute(
        "UPDATE agreements SET log_index = ?1 WHERE version = ?2",
        params![idx as i64, version],
    )?;
    Ok(version as u64)
}

/// The latest agreement version: (version, agreement id, TOML file name, files as JSON).
fn latest_agreement_row(c: &Connection) -> rusqlite::Result<Option<(i64, String, String, String)>> {
    c.query_row(
        "SELECT version, agreement_id, toml_name, files FROM agreements
         ORDER BY version DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .optional()
}

fn stored_row(r: &rusqlite::Row) -> rusqlite::Result<StoredObservation> {
    let seq = r.get::<_, i64>(0)? as u64;
    Ok(StoredObservation {
        position: seq,
        received_ms: r.get(1)?,
        body: r.get(2)?,
        log_index: seq - 1,
    })
}

//! The store's roles on PostgreSQL: writes go to the writer, reads through the reader pool.

use postgres::Row;
use postgres::types::ToSql;

use super::PostgresStore;
use crate::writer::Job;
use crate::*;

fn stored_row(r: &Row) -> StoredObservation {
    let seq = r.get::<_, i64>(0) as u64;
    StoredObservation {
        position: seq,
        received_ms: r.get(1),
        body: r.get(2),
        log_index: seq - 1,
    }
}

impl ObservationStore for PostgresStore {
    fn submit(&self, batch: Vec<NewObservation>) -> Pending {
        match self.may_write("keeping observations") {
            Ok(()) => self.shared.writer.observations(batch),
            Err(StoreError::Standby(_)) => self.intake.observations(batch),
            Err(e) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                let _ = tx.send(Err(e));
                rx
            }
        }
    }

    fn close(&self) {
        self.shared.writer.close();
    }

    fn get(&self, id: &str) -> Result<Option<StoredObservation>, StoreError> {
        self.with_reader(|c| {
            Ok(c.query_opt(
                "SELECT seq, received_ms, body FROM observations WHERE id = $1",
                &[&id],
            )?
            .as_ref()
            .map(stored_row))
        })
    }

    fn committed(
        &self,
        id: &str,
    ) -> Result<Option<(StoredObservation, Option<committed::Commitment>)>, StoreError> {
        let row = self.with_reader(|c| {
            Ok(c.query_opt(
                "SELECT seq, received_ms, body, salts FROM observations WHERE id = $1",
                &[&id],
            )?
            .map(|r| (stored_row(&r), r.get::<_, Option<Vec<u8>>>(3))))
        })?;
        row.map(|(o, salts)| {
            let c = salts
                .map(|s| committed::commit_stored(&o.body, &s))
                .transpose()?;
            Ok((o, c))
        })
        .transpose()
    }

    fn query(&self, q: &Query) -> Result<Page, StoreError> {
        let after = q.after.map_or(0, |p| p as i64);
        let limit = q.limit.max(1);
        let mut sql =
            String::from("SELECT seq, received_ms, body FROM observations WHERE seq > $1");
        let mut args: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(after)];
        let mut arg = |sql: &mut String, cond: &str, v: Box<dyn ToSql + Sync>| {
            args.push(v);
            sql.push_str(&cond.replace('?', &format!("${}", args.len())));
        };
        if let Some([w, s, e, n]) = q.bbox {
            // The GiST index answers the box; the box's edges are inclusive, as in the
            // embedded store.
            arg(&mut sql, " AND geom && ST_MakeEnvelope(?", Box::new(w));
            arg(&mut sql, ", ?", Box::new(s));
            arg(&mut sql, ", ?", Box::new(e));
            arg(&mut sql, ", ?, 4326)", Box::new(n));
        }
        if let Some(from) = q.from_ms {
            arg(&mut sql, " AND time_ms >= ?", Box::new(from));
        }
        if let Some(to) = q.to_ms {
            arg(&mut sql, " AND time_ms < ?", Box::new(to));
        }
        if let Some(obs) = &q.observer {
            arg(&mut sql, " AND observer = ?", Box::new(obs.clone()));
        }
        let bound = q.read_bound();
        if let Some(b) = bound {
            arg(&mut sql, " AND seq <= ?", Box::new(b));
        }
        arg(
            &mut sql,
            " ORDER BY seq LIMIT ?",
            Box::new(limit as i64 + 1),
        );
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
        self.with_reader(|c| {
            let mut items: Vec<StoredObservation> =
                c.query(&sql, &params)?.iter().map(stored_row).collect();
            let next = if items.len() > limit {
                items.truncate(limit);
                items.last().map(|o| o.position)
            } else if let Some(b) = bound {
                // Cut short by the bound: on from it, if anything lies past it.
                let last: Option<i64> = c
                    .query_opt("SELECT max(seq) FROM observations", &[])?
                    .and_then(|r| r.get(0));
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
            let mut items: Vec<StoredObservation> = c
                .query(
                    "SELECT seq, received_ms, body FROM observations WHERE time_ms >= $1 AND time_ms < $2",
                    &[&from_ms, &to_ms],
                )?
                .iter()
                .map(stored_row)
                .collect();
            items.sort_unstable_by_key(|o| o.position);
            Ok(items)
        })
    }

    fn time_span(&self) -> Result<Option<(i64, i64)>, StoreError> {
        self.with_reader(|c| {
            let r = c
                .query_opt("SELECT min(time_ms), max(time_ms) FROM observations", &[])?
                .expect("one row");
            Ok(r.get::<_, Option<i64>>(0).zip(r.get::<_, Option<i64>>(1)))
        })
    }

    fn high_water(&self) -> Result<(Option<u64>, u64), StoreError> {
        self.with_reader(|c| {
            let r = c
                // The count kept by kind, not count(*): that reads the whole table.
                .query_opt(
                    "SELECT (SELECT max(seq) FROM observations),
                            (SELECT coalesce(sum(n), 0)::bigint FROM observation_kinds)",
                    &[],
                )?
                .expect("one row");
            Ok((
                r.get::<_, Option<i64>>(0).map(|p| p as u64),
                r.get::<_, i64>(1) as u64,
            ))
        })
    }

    fn counts(&self) -> Result<Counts, StoreError> {
        self.with_reader(|c| {
            let by_kind: Vec<(String, u64)> = c
                .query(
                    "SELECT kind, n FROM observation_kinds ORDER BY n DESC, kind",
                    &[],
                )?
                .iter()
                .map(|r| (r.get(0), r.get::<_, i64>(1) as u64))
                .collect();
            // Observers counted by walking their index one distinct value at a time, not by
            // reading a year of rows.
            let r = c
                .query_opt(
                    "WITH RECURSIVE o AS (
                         SELECT min(observer) AS v FROM observations
                         UNION ALL
                         SELECT (SELECT min(observer) FROM observations WHERE observer > o.v)
                         FROM o WHERE o.v IS NOT NULL)
                     SELECT (SELECT count(v) FROM o), (SELECT max(time_ms) FROM observations)",
                    &[],
                )?
                .expect("one row");
            Ok(Counts {
                observations: by_kind.iter().map(|(_, n)| n).sum(),
                observers: r.get::<_, i64>(0) as u64,
                by_kind,
                latest_time_ms: r.get(1),
            })
        })
    }

    fn put_agreement(&self, a: StoredAgreement) -> Result<u64, StoreError> {
        self.write_job(
            |reply| Job::Agreement(a, reply),
            "keeping an agreement",
            |v| v,
        )
    }

    fn latest_agreement(&self) -> Result<Option<StoredAgreement>, StoreError> {
        self.with_reader(|c| {
            c.query_opt(
                "SELECT version, agreement_id, toml_name, files FROM agreements ORDER BY version DESC LIMIT 1",
                &[],
            )?
            .map(|r| {
                let version: i64 = r.get(0);
                let files: String = r.get(3);
                Ok(StoredAgreement {
                    version: version as u64,
                    agreement_id: r.get(1),
                    toml_name: r.get(2),
                    files: serde_json::from_str(&files).map_err(|e| {
                        StoreError::Inconsistent(format!("agreement version {version}: {e}"))
                    })?,
                })
            })
            .transpose()
        })
    }

    fn check(&self) -> Result<CheckReport, StoreError> {
        self.with_reader(|c| {
            let others: std::collections::HashSet<i64> = c
                .query("SELECT idx FROM log_records", &[])?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let mut check = crate::check::SequenceCheck::new(others);
            // A chunk at a time, not a year of rows at once.
            let mut after = 0i64;
            loop {
                let rows = c.query(
                    "SELECT seq, id, observer, time_ms, kind, body FROM observations
                     WHERE seq > $1 ORDER BY seq LIMIT 10000",
                    &[&after],
                )?;
                let Some(last) = rows.last() else { break };
                after = last.get(0);
                for r in &rows {
                    let body: Vec<u8> = r.get(5);
                    check.row(r.get(0), r.get(1), r.get(2), r.get(4), &body)?;
                }
            }
            let pairs = |sql: &str| -> Result<Vec<(String, i64)>, StoreError> {
                Ok(c.query(sql, &[])?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect())
            };
            check.finish(
                pairs("SELECT kind, n FROM observation_kinds WHERE n > 0 ORDER BY kind")?,
                pairs("SELECT kind, count(*) FROM observations GROUP BY kind ORDER BY kind")?,
            )
        })
    }
}

impl LogStore for PostgresStore {
    fn log_head(&self) -> (u64, Hash) {
        *self.shared.head.lock().unwrap()
    }

    fn writes(&self) -> bool {
        self.is_writer()
    }

    fn watch_log(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared.grown.subscribe()
    }

    fn log_root(&self, size: u64) -> Result<Hash, StoreError> {
        self.with_reader(|c| self.reads(c).root(size))
    }

    fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        self.with_reader(|c| self.reads(c).inclusion(index, size))
    }

    fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, StoreError> {
        self.with_reader(|c| self.reads(c).consistency(from, to))
    }

    fn committed_from(&self) -> Result<u64, StoreError> {
        self.with_reader(|c| {
            c.query_opt(
                "SELECT value FROM store_state WHERE key = 'committed_from'",
                &[],
            )?
            .map(|r| r.get::<_, i64>(0) as u64)
            .ok_or_else(|| {
                StoreError::Inconsistent(
                    "the store does not say where the committed form starts".into(),
                )
            })
        })
    }

    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        self.with_reader(|c| self.reads(c).entries(start, end))
    }

    fn log_nodes(&self, nodes: &[(u32, u64)]) -> Result<Vec<Hash>, StoreError> {
        self.with_reader(|c| self.reads(c).nodes(nodes))
    }

    fn put_checkpoint(&self, size: u64, note: String) -> Result<(), StoreError> {
        self.write_job(
            |reply| Job::Checkpoint(size, note, reply),
            "keeping a checkpoint",
            |_| (),
        )
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<String>, StoreError> {
        self.with_reader(|c| {
            Ok(c.query_opt(
                "SELECT note FROM checkpoints WHERE size = $1",
                &[&(size as i64)],
            )?
            .map(|r| r.get(0)))
        })
    }

    fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, StoreError> {
        let head = self.shared.head.lock().unwrap().0;
        self.with_reader(|c| {
            Ok(c.query_opt(
                "SELECT size, note FROM checkpoints WHERE size <= $1 ORDER BY size DESC LIMIT 1",
                &[&(head as i64)],
            )?
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
        })
    }

    fn handovers(&self) -> Result<Vec<truceline_log::rotation::Handover>, StoreError> {
        self.with_reader(|c| crate::verify::handovers(c))
    }

    fn verify_log(
        &self,
        key: Option<&truceline_log::note::Verifier>,
    ) -> Result<LogReport, StoreError> {
        self.with_reader(|c| crate::verify::verify(c, key))
    }
}

fn incident_row(r: &Row) -> Result<IncidentRow, StoreError> {
    IncidentRow::from_columns(r.get(0), r.get(1))
}

impl IncidentStore for PostgresStore {
    fn put_incidents(&self, w: IncidentWrite) -> Result<(), StoreError> {
        self.write_job(|r| Job::Incidents(w, r), "storing incidents", |_| ())
    }

    fn fused(&self) -> Result<Option<Fused>, StoreError> {
        self.with_reader(|c| {
            let rows = c.query(
                "SELECT key, value FROM store_state
                 WHERE key IN ('fused_observations', 'fused_through')",
                &[],
            )?;
            let read = |key: &str| {
                rows.iter()
                    .find(|r| r.get::<_, &str>(0) == key)
                    .map(|r| r.get::<_, i64>(1) as u64)
            };
            Ok(read("fused_observations").map(|observations| Fused {
                observations,
                through: read("fused_through"),
            }))
        })
    }

    fn incidents_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<IncidentRow>, StoreError> {
        self.incidents_after(None, from_ms, to_ms, usize::MAX)
    }

    fn incident(&self, id: &str) -> Result<Option<IncidentRow>, StoreError> {
        self.with_reader(|c| {
            c.query_opt("SELECT body, leaves FROM incidents WHERE id = $1", &[&id])?
                .as_ref()
                .map(incident_row)
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
        let (t, id) = match after {
            Some((t, id)) if t >= from_ms => (t, id),
            _ => (from_ms, ""),
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_reader(|c| {
            c.query(
                "SELECT body, leaves FROM incidents
                 WHERE (time_ms, id) > ($1, $2) AND time_ms < $3
                 ORDER BY time_ms, id LIMIT $4",
                &[&t, &id, &to_ms, &limit],
            )?
            .iter()
            .map(incident_row)
            .collect()
        })
    }

    fn incident_totals(&self) -> Result<(u64, u64), StoreError> {
        self.with_reader(|c| {
            let get = |key: &str| -> Result<u64, StoreError> {
                Ok(
                    c.query_opt("SELECT value FROM store_state WHERE key = $1", &[&key])?
                        .map_or(0, |r| r.get::<_, i64>(0) as u64),
                )
            };
            Ok((get("incident_count")?, get("violation_count")?))
        })
    }
}

impl ReportStore for PostgresStore {
    fn incident_tallies(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Tally>, StoreError> {
        self.with_reader(|c| {
            let mut out: Vec<Tally> = c
                .query(
                    "SELECT kind, subtype, count(*), sum(count)::bigint,
                            count(*) FILTER (WHERE violations > 0),
                            coalesce(sum(count) FILTER (WHERE violations > 0), 0)::bigint,
                            count(*) FILTER (WHERE attributed)
                     FROM incidents WHERE time_ms >= $1 AND time_ms < $2
                     GROUP BY kind, subtype",
                    &[&from_ms, &to_ms],
                )?
                .iter()
                .map(|r| {
                    let n = |i| r.get::<_, i64>(i) as u64;
                    Tally {
                        kind: r.get(0),
                        subtype: r.get(1),
                        incidents: n(2),
                        events: n(3),
                        violating_incidents: n(4),
                        violating_events: n(5),
                        attributed_incidents: n(6),
                    }
                })
                .collect();
            // As the embedded store orders them: by kind, then subtype with none first.
            out.sort_by(|x, y| (&x.kind, &x.subtype).cmp(&(&y.kind, &y.subtype)));
            Ok(out)
        })
    }

    fn incident_points(&self, from_ms: i64, to_ms: i64) -> Result<Vec<IncidentPoint>, StoreError> {
        self.with_reader(|c| {
            Ok(c.query(
                "SELECT time_ms, kind, subtype, count, violations, attributed, control, lon, lat,
                        placed
                 FROM incidents WHERE time_ms >= $1 AND time_ms < $2 ORDER BY time_ms",
                &[&from_ms, &to_ms],
            )?
            .iter()
            .map(|r| IncidentPoint {
                time_ms: r.get(0),
                kind: r.get(1),
                subtype: r.get(2),
                count: r.get::<_, i64>(3) as u32,
                violations: r.get::<_, i64>(4) as u32,
                attributed: r.get(5),
                control: r.get(6),
                lon: r.get(7),
                lat: r.get(8),
                placed: r.get(9),
            })
            .collect())
        })
    }

    fn observer_hours(&self, from_ms: i64, to_ms: i64) -> Result<Vec<ObserverHour>, StoreError> {
        self.with_reader(|c| {
            Ok(c.query(
                "SELECT DISTINCT ON (observer, hour) observer, hour, n, body FROM (
                     SELECT observer, (time_ms - $1) / 3600000 AS hour, seq, body,
                            count(*) OVER (PARTITION BY observer, (time_ms - $1) / 3600000) AS n
                     FROM observations WHERE time_ms >= $1 AND time_ms < $2) h
                 ORDER BY observer, hour, seq",
                &[&from_ms, &to_ms],
            )?
            .iter()
            .map(|r| ObserverHour {
                observer: r.get(0),
                hour: r.get(1),
                observations: r.get::<_, i64>(2) as u64,
                first: r.get(3),
            })
            .collect())
        })
    }

    fn publish_report(&self, r: PublishedReport) -> Result<u64, StoreError> {
        if let Err(StoreError::Standby(_)) = self.may_write("publishing a report") {
            return self.intake.report(r);
        }
        self.write_job(|reply| Job::Report(r, reply), "publishing a report", |i| i)
    }

    fn published_reports(&self, date: &str) -> Result<Vec<(String, Vec<u8>, u64)>, StoreError> {
        self.with_reader(|c| {
            Ok(c.query(
                "SELECT audience, record, log_index FROM reports WHERE date = $1 ORDER BY id",
                &[&date],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get::<_, i64>(2) as u64))
            .collect())
        })
    }
}

const ACCOUNT: &str = "name, role, party, observers, password, disabled, created_ms";
const TOKEN: &str = "id, hash, account, created_ms, expires_ms, revoked_ms";

fn account_row(r: &Row) -> Account {
    Account {
        name: r.get(0),
        role: r.get(1),
        party: r.get(2),
        observers: r.get(3),
        password: r.get(4),
        disabled: r.get(5),
        created_ms: r.get(6),
    }
}

fn token_row(r: &Row) -> Result<Token, StoreError> {
    let hash: Vec<u8> = r.get(1);
    Ok(Token {
        id: r.get(0),
        hash: hash
            .try_into()
            .map_err(|_| StoreError::Inconsistent("a token hash is 32 bytes".into()))?,
        account: r.get(2),
        created_ms: r.get(3),
        expires_ms: r.get(4),
        revoked_ms: r.get(5),
    })
}

impl AccountStore for PostgresStore {
    fn accounts_changed(&self) -> u64 {
        self.shared
            .accounts_changed
            .load(std::sync::atomic::Ordering::Acquire)
    }

    fn write_accounts(&self, w: AccountWrite) -> Result<(), StoreError> {
        if let Err(StoreError::Standby(_)) = self.may_write("changing accounts") {
            return self.intake.accounts(w);
        }
        self.write_job(
            |r| Job::Accounts(Box::new(w), r),
            "changing accounts",
            |_| (),
        )
    }

    fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        self.with_reader(|c| {
            Ok(c.query_opt(
                &format!("SELECT {ACCOUNT} FROM accounts WHERE name = $1"),
                &[&name],
            )?
            .as_ref()
            .map(account_row))
        })
    }

    fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.with_reader(|c| {
            Ok(c.query(
                &format!("SELECT {ACCOUNT} FROM accounts ORDER BY name"),
                &[],
            )?
            .iter()
            .map(account_row)
            .collect())
        })
    }

    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(Token, Account)>, StoreError> {
        self.with_reader(|c| {
            let Some(t) = c.query_opt(
                &format!("SELECT {TOKEN} FROM tokens WHERE hash = $1"),
                &[&&hash[..]],
            )?
            else {
                return Ok(None);
            };
            let token = token_row(&t)?;
            let a = c
                .query_opt(
                    &format!("SELECT {ACCOUNT} FROM accounts WHERE name = $1"),
                    &[&token.account],
                )?
                .ok_or_else(|| {
                    StoreError::Inconsistent(format!("token {:?} has no account", token.id))
                })?;
            Ok(Some((token, account_row(&a))))
        })
    }

    fn session(&self, hash: &[u8; 32]) -> Result<Option<(String, i64)>, StoreError> {
        self.with_reader(|c| {
            Ok(c.query_opt(
                "SELECT account, expires_ms FROM sessions WHERE hash = $1",
                &[&&hash[..]],
            )?
            .map(|r| (r.get(0), r.get(1))))
        })
    }

    fn tokens(&self, account: Option<&str>) -> Result<Vec<Token>, StoreError> {
        self.with_reader(|c| {
            c.query(
                &format!(
                    "SELECT {TOKEN} FROM tokens WHERE $1::text IS NULL OR account = $1 ORDER BY id"
                ),
                &[&account],
            )?
            .iter()
            .map(token_row)
            .collect()
        })
    }
}

fn mission_row(r: &Row) -> StoredMissionRecord {
    StoredMissionRecord {
        id: r.get(0),
        kind: r.get(1),
        time_ms: r.get(2),
        account: r.get(3),
        received_ms: r.get(4),
        body: r.get(5),
        log_index: r.get::<_, i64>(6) as u64,
    }
}

impl RecordStore for PostgresStore {
    fn append_records(&self, records: Vec<NewRecord>) -> Result<Vec<u64>, StoreError> {
        check_record_kinds(&records)?;
        if let Err(StoreError::Standby(_)) = self.may_write("keeping records") {
            return self.intake.records(records);
        }
        let n = records.len() as u64;
        self.write_job(
            |reply| Job::Records(records, reply),
            "keeping records",
            |first| (first..first + n).collect(),
        )
    }

    fn records(&self, q: &RecordQuery<'_>) -> Result<Vec<StoredRecord>, StoreError> {
        let newest = q.newest.map(|n| n.min(i64::MAX as usize) as i64);
        self.with_reader(|c| {
            let mut out: Vec<StoredRecord> = c
                .query(
                    "SELECT kind, subject, account, time_ms, record, log_index FROM records
                     WHERE kind = $1 AND ($2::text IS NULL OR subject = $2)
                       AND time_ms >= $3 AND time_ms < $4 AND log_index > $6
                     ORDER BY id DESC LIMIT $5",
                    &[
                        &q.kind,
                        &q.subject,
                        &q.from_ms.unwrap_or(i64::MIN),
                        &q.to_ms.unwrap_or(i64::MAX),
                        &newest,
                        &q.after.map_or(-1, |a| a.min(i64::MAX as u64) as i64),
                    ],
                )?
                .iter()
                .map(|r| StoredRecord {
                    kind: r.get(0),
                    subject: r.get(1),
                    account: r.get(2),
                    time_ms: r.get(3),
                    record: r.get(4),
                    log_index: r.get::<_, i64>(5) as u64,
                })
                .collect();
            out.reverse();
            Ok(out)
        })
    }

    fn submit_mission_records(
        &self,
        batch: Vec<NewMissionRecord>,
    ) -> Result<Vec<Outcome>, StoreError> {
        let pending = match self.may_write("keeping records") {
            Ok(()) => self.shared.writer.mission_records(batch),
            Err(StoreError::Standby(_)) => self.intake.mission_records(batch),
            Err(e) => return Err(e),
        };
        pending.blocking_recv().unwrap_or(Err(StoreError::Closed))
    }

    fn mission_records(&self, q: &MissionQuery) -> Result<Vec<StoredMissionRecord>, StoreError> {
        let kinds: Option<Vec<String>> = (!q.kinds.is_empty()).then(|| q.kinds.clone());
        let limit = q.limit.min(i64::MAX as usize) as i64;
        self.with_reader(|c| {
            Ok(c.query(
                "SELECT id, type, time_ms, account, received_ms, body, log_index FROM mission_records
                 WHERE log_index > $1 AND time_ms >= $2 AND time_ms < $3
                   AND ($4::text[] IS NULL OR type = ANY($4))
                   AND ($5::text IS NULL OR account = $5)
                 ORDER BY log_index LIMIT $6",
                &[
                    &q.after.map_or(-1, |a| a as i64),
                    &q.from_ms.unwrap_or(i64::MIN),
                    &q.to_ms.unwrap_or(i64::MAX),
                    &kinds,
                    &q.account,
                    &limit,
                ],
            )?
            .iter()
            .map(mission_row)
            .collect())
        })
    }

    fn mission_record(&self, id: &str) -> Result<Option<StoredMissionRecord>, StoreError> {
        self.with_reader(|c| {
            Ok(c.query_opt(
                "SELECT id, type, time_ms, account, received_ms, body, log_index
                 FROM mission_records WHERE id = $1",
                &[&id],
            )?
            .as_ref()
            .map(mission_row))
        })
    }

    fn put_state(&self, key: &str, value: Vec<u8>) -> Result<(), StoreError> {
        let key = key.to_string();
        self.write_job(
            |reply| Job::State(key, value, reply),
            "keeping state",
            |_| (),
        )
    }

    fn state(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with_reader(|c| {
            Ok(
                c.query_opt("SELECT value FROM state_blobs WHERE key = $1", &[&key])?
                    .map(|r| r.get(0)),
            )
        })
    }
}

//! Accounts and their tokens.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Job, SqliteStore};
use crate::*;

impl AccountStore for SqliteStore {
    fn write_accounts(&self, w: AccountWrite) -> Result<(), StoreError> {
        self.write_job(
            |r| Job::Accounts(Box::new(w), r),
            "changing accounts",
            |_| (),
        )
    }

    fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        self.with_reader(|c| {
            Ok(
                c.prepare_cached(&format!("SELECT {ACCOUNT} FROM accounts WHERE name = ?1"))?
                    .query_row([name], account_row)
                    .optional()?,
            )
        })
    }

    fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.with_reader(|c| {
            Ok(
                c.prepare_cached(&format!("SELECT {ACCOUNT} FROM accounts ORDER BY name"))?
                    .query_map([], account_row)?
                    .collect::<Result<_, _>>()?,
            )
        })
    }

    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(Token, Account)>, StoreError> {
        self.with_reader(|c| {
            let token = c
                .prepare_cached(&format!("SELECT {TOKEN} FROM tokens WHERE hash = ?1"))?
                .query_row([&hash[..]], token_row)
                .optional()?;
            let Some(token) = token else { return Ok(None) };
            let account = c
                .prepare_cached(&format!("SELECT {ACCOUNT} FROM accounts WHERE name = ?1"))?
                .query_row([&token.account], account_row)?;
            Ok(Some((token, account)))
        })
    }

    fn session(&self, hash: &[u8; 32]) -> Result<Option<(String, i64)>, StoreError> {
        self.with_reader(|c| {
            Ok(
                c.prepare_cached("SELECT account, expires_ms FROM sessions WHERE hash = ?1")?
                    .query_row([&hash[..]], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?,
            )
        })
    }

    fn tokens(&self, account: Option<&str>) -> Result<Vec<Token>, StoreError> {
        self.with_reader(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {TOKEN} FROM tokens WHERE ?1 IS NULL OR account = ?1 ORDER BY id"
            ))?
            .query_map([account], token_row)?
            .collect::<Result<_, _>>()?)
        })
    }
}

const ACCOUNT: &str = "name, role, party, observers, password, disabled, created_ms";
const TOKEN: &str = "id, hash, account, created_ms, expires_ms, revoked_ms";

fn account_row(r: &Row) -> rusqlite::Result<Account> {
    Ok(Account {
        name: r.get(0)?,
        role: r.get(1)?,
        party: r.get(2)?,
        observers: r.get(3)?,
        password: r.get(4)?,
        disabled: r.get(5)?,
        created_ms: r.get(6)?,
    })
}

fn token_row(r: &Row) -> rusqlite::Result<Token> {
    let hash: Vec<u8> = r.get(1)?;
    Ok(Token {
        id: r.get(0)?,
        hash: hash.try_into().map_err(|_| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Blob,
                "a token hash is 32 bytes".into(),
            )
        })?,
        account: r.get(2)?,
        created_ms: r.get(3)?,
        expires_ms: r.get(4)?,
        revoked_ms: r.get(5)?,
    })
}

pub(super) fn write_accounts(conn: &Connection, w: &AccountWrite) -> Result<(), StoreError> {
    let changed = match w {
        AccountWrite::Add(a) => {
            let n = conn.execute(
                "INSERT INTO accounts (name, role, party, observers, password, disabled, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(name) DO NOTHING",
                params![a.name, a.role, a.party, a.observers, a.password, a.disabled, a.created_ms],
            )?;
            if n == 0 {
                return Err(StoreError::Exists(format!("account {:?}", a.name)));
            }
            n
        }
        AccountWrite::SetDisabled { name, disabled } => conn.execute(
            "UPDATE accounts SET disabled = ?2 WHERE name = ?1",
            params![name, disabled],
        )?,
        AccountWrite::SetPassword { name, password } => conn.execute(
            "UPDATE accounts SET password = ?2 WHERE name = ?1",
            params![name, password],
        )?,
        AccountWrite::AddToken(t) => {
            if conn
                .query_row(
                    "SELECT 1 FROM accounts WHERE name = ?1",
                    [&t.account],
                    |_| Ok(()),
                )
                .optional()?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("account {:?}", t.account)));
            }
            conn.execute(
                "INSERT INTO tokens (id, hash, account, created_ms, expires_ms, revoked_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    t.id,
                    &t.hash[..],
                    t.account,
                    t.created_ms,
                    t.expires_ms,
                    t.revoked_ms
                ],
            )?
        }
        AccountWrite::Revoke { id, at_ms } => conn.execute(
            "UPDATE tokens SET revoked_ms = coalesce(revoked_ms, ?2) WHERE id = ?1",
            params![id, at_ms],
        )?,
        AccountWrite::OpenSession {
            hash,
            account,
            expires_ms,
            now_ms,
        } => {
            conn.execute("DELETE FROM sessions WHERE expires_ms <= ?1", [now_ms])?;
            conn.execute(
                "INSERT INTO sessions (hash, account, expires_ms)
                 SELECT ?1, name, ?3 FROM accounts WHERE name = ?2",
                params![&hash[..], account, expires_ms],
            )?
        }
        AccountWrite::EndSession { hash } => {
            conn.execute("DELETE FROM sessions WHERE hash = ?1", [&hash[..]])?;
            1
        }
    };
    if changed == 0 {
        return Err(w.not_found());
    }
    Ok(())
}

//! Who may do what (SPEC 5): accounts with one role each, API tokens, and how a request's
//! bearer token becomes a [`Principal`].
//!
//! A token is 256 random bits, shown once when issued and stored only as its SHA-256: with that
//! much entropy a fast hash is as safe as a slow one, so checking a token costs a request one
//! hash and one indexed read, never argon2. Revocation, expiry and disabling an account take
//! effect at the next request: nothing about a token is cached.
//!
//! ```
//! # use truceline_service::accounts::{Role, Principal};
//! assert_eq!(Role::parse("liaison").unwrap(), Role::Liaison);
//! let p = Principal { account: "op7".into(), role: Role::Monitor, party: None,
//!                     observers: Some("op7*".into()) };
//! assert!(p.may_submit_as("op7-north") && !p.may_submit_as("op8"));
//! ```

use base64::Engine;
use sha2::{Digest, Sha256};
use truceline_store::{Account, AccountStore, AccountWrite, StoreError, Token};

/// The roles of SPEC 5. The public is no role: a request without a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Monitor,
    Analyst,
    Chief,
    Liaison,
    Witness,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Monitor,
        Role::Analyst,
        Role::Chief,
        Role::Liaison,
        Role::Witness,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Monitor => "monitor",
            Role::Analyst => "analyst",
            Role::Chief => "chief",
            Role::Liaison => "liaison",
            Role::Witness => "witness",
        }
    }

    pub fn parse(s: &str) -> Result<Role, AccountError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| AccountError::Invalid {
                field: "role",
                message: format!(
                    "expected one of monitor, analyst, chief, liaison, witness; found {s:?}"
                ),
            })
    }
}

/// The account a request is made by, as far as authorisation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account: String,
    pub role: Role,
    /// A liaison's party.
    pub party: Option<String>,
    /// The observers a monitor may submit as (a glob); `None` for any.
    pub observers: Option<String>,
}

impl Principal {
    /// Whether this account may submit an observation made by `observer`.
    pub fn may_submit_as(&self, observer: &str) -> bool {
        match &self.observers {
            None => true,
            Some(glob) => glob::Pattern::new(glob).is_ok_and(|p| p.matches(observer)),
        }
    }
}

/// Why an account or token could not be made, changed or used.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The token is unknown, revoked or expired, or its account disabled; deliberately one
    /// message, so that a caller cannot probe which.
    #[error("the token is not valid (unknown, revoked or expired, or its account is disabled)")]
    BadToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a new account is made of.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub name: String,
    pub role: String,
    pub party: Option<String>,
    pub observers: Option<String>,
}

/// Adds an account after checking it: a name of letters, digits, `.`, `_` or `-`; a known role;
/// a liaison with one of the agreement's `parties`, and no other role with a party; observers
/// only for a monitor, as a valid glob.
pub fn add_account(
    store: &dyn AccountStore,
    new: NewAccount,
    parties: &[String],
    now_ms: i64,
) -> Result<Account, AccountError> {
    let invalid = |field, message: String| AccountError::Invalid { field, message };
    let ok_name = !new.name.is_empty()
        && new.name.len() <= 64
        && new
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok_name {
        return Err(invalid(
            "name",
            format!(
                "expected 1 to 64 letters, digits, '.', '_' or '-', found {:?}",
                new.name
            ),
        ));
    }
    let role = Role::parse(&new.role)?;
    match (&new.party, role) {
        (None, Role::Liaison) => {
            return Err(invalid(
                "party",
                format!(
                    "a liaison speaks for one party: expected one of {}",
                    parties.join(", ")
                ),
            ));
        }
        (Some(p), Role::Liaison) if !parties.contains(p) => {
            return Err(invalid(
                "party",
                format!(
                    "expected one of the agreement's parties ({}), found {p:?}",
                    parties.join(", ")
                ),
            ));
        }
        (Some(_), r) if r != Role::Liaison => {
            return Err(invalid("party", "only a liaison has a party".into()));
        }
        _ => {}
    }
    if let Some(g) = &new.observers {
        if role != Role::Monitor {
            return Err(invalid(
                "observers",
                "only a monitor is bound to observers".into(),
            ));
        }
        glob::Pattern::new(g).map_err(|e| {
            invalid(
                "observers",
                format!("expected a glob such as \"patrol0*\" ({e})"),
            )
        })?;
    }
    let account = Account {
        name: new.name,
        role: role.as_str().into(),
        party: new.party,
        observers: new.observers,
        password: None,
        disabled: false,
        created_ms: now_ms,
    };
    store.write_accounts(AccountWrite::Add(account.clone()))?;
    Ok(account)
}

/// Issues a token for `account`, valid until `expires_ms` (or until revoked): returns the
/// secret, to be shown once, and the stored token, which holds only its hash.
pub fn issue_token(
    store: &dyn AccountStore,
    account: &str,
    expires_ms: Option<i64>,
    now_ms: i64,
) -> Result<(String, Token), AccountError> {
    let secret = format!(
        "tl_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let hash = hash_token(&secret);
    let token = Token {
        id: token_id(&hash),
        hash,
        account: account.to_string(),
        created_ms: now_ms,
        expires_ms,
        revoked_ms: None,
    };
    store.write_accounts(AccountWrite::AddToken(token.clone()))?;
    Ok((secret, token))
}

/// The account a bearer token belongs to, if it is valid at `now_ms`.
pub fn authenticate(
    store: &dyn AccountStore,
    secret: &str,
    now_ms: i64,
) -> Result<Principal, AccountError> {
    let Some((token, account)) = store.token_by_hash(&hash_token(secret))? else {
        return Err(AccountError::BadToken);
    };
    if token.revoked_ms.is_some()
        || token.expires_ms.is_some_and(|e| now_ms >= e)
        || account.disabled
    {
        return Err(AccountError::BadToken);
    }
    Ok(Principal {
        role: Role::parse(&account.role)?,
        account: account.name,
        party: account.party,
        observers: account.observers,
    })
}

/// SHA-256 of a token's secret: what is stored and looked up.
pub fn hash_token(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A token's public name: the first 48 bits of its hash, in hex.
fn token_id(hash: &[u8; 32]) -> String {
    let hex: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("tok_{hex}")
}

/// Reads a duration such as `30d`, `12h` or `90m` into milliseconds.
pub fn parse_duration_ms(s: &str) -> Result<i64, AccountError> {
    let bad = || AccountError::Invalid {
        field: "expires",
        message: format!("expected a number and a unit (m, h or d), such as 30d; found {s:?}"),
    };
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = n.parse().map_err(|_| bad())?;
    let unit = match unit {
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    if n <= 0 {
        return Err(bad());
    }
    n.checked_mul(unit).ok_or_else(bad)
}

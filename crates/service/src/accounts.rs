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
        id: token_id("tok", &hash),
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
    judge(&token, &account, now_ms)
}

/// Whether a token found by its hash is valid at `now_ms`, and for whom.
pub fn judge(token: &Token, account: &Account, now_ms: i64) -> Result<Principal, AccountError> {
    if token.revoked_ms.is_some()
        || token.expires_ms.is_some_and(|e| now_ms >= e)
        || account.disabled
    {
        return Err(AccountError::BadToken);
    }
    Role::parse(&account.role)?;
    Ok(principal_of(account))
}

/// What authorisation needs of an account. A role this program does not know is read as a
/// witness's, which may do least.
pub fn principal_of(account: &Account) -> Principal {
    Principal {
        role: Role::parse(&account.role).unwrap_or(Role::Witness),
        account: account.name.clone(),
        party: account.party.clone(),
        observers: account.observers.clone(),
    }
}

/// What the store keeps of a client certificate (Cursor on Target over TLS): SHA-256 of a
/// label and its DER. It sits beside bearer tokens' hashes, so revoking, expiring and
/// disabling work the same way; the label keeps the two apart (a bearer secret is hashed
/// alone, and no header-safe secret begins with the label's bytes).
pub fn certificate_hash(der: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"truceline client certificate\0");
    h.update(der);
    h.finalize().into()
}

/// The account a client certificate was registered for, if it is valid at `now_ms` (not
/// revoked, not expired, its account enabled). The TLS handshake has already checked that the
/// mission's authority signed it; this is what makes a revocation take effect.
pub fn authenticate_certificate(
    store: &dyn AccountStore,
    der: &[u8],
    now_ms: i64,
) -> Result<Principal, AccountError> {
    let Some((token, account)) = store.token_by_hash(&certificate_hash(der))? else {
        return Err(AccountError::BadToken);
    };
    judge(&token, &account, now_ms)
}

/// SHA-256 of a token's secret: what is stored and looked up.
pub fn hash_token(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A credential's public name: its kind (`tok` a bearer token, `crt` a client certificate)
/// and the first 48 bits of its hash, in hex.
pub(crate) fn token_id(kind: &str, hash: &[u8; 32]) -> String {
    let hex: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("{kind}_{hex}")
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

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No token: the public.
    Public,
    /// The demonstration's open access from the loopback address: everything, and it says so.
    Open,
    Account(Principal),
}

impl Caller {
    /// The account's name for the audit trail, `-` for the public, `open` for the demo.
    pub fn name(&self) -> &str {
        match self {
            Caller::Public => "-",
            Caller::Open => "open",
            Caller::Account(p) => &p.account,
        }
    }

    /// Whether the caller is of the mission's own staff (a monitor, an analyst, the chief, or
    /// the open demonstration): who may know where the mission's field offices are.
    pub fn is_staff(&self) -> bool {
        match self {
            Caller::Open => true,
            Caller::Account(p) => matches!(p.role, Role::Monitor | Role::Analyst | Role::Chief),
            Caller::Public => false,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Caller::Account(p) => Some(p.role),
            _ => None,
        }
    }
}

/// Who may call an endpoint (SPEC 5). Every endpoint states one; one that states none is
/// refused to everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, token or not.
    Public,
    /// Only accounts with one of these roles.
    Roles(&'static [Role]),
}

/// The roles that read restricted data: observers' identities and positions.
pub const READERS: &[Role] = &[Role::Analyst, Role::Chief];

/// Why a caller was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// No token, or not a valid one: say who you are (401).
    #[error("this needs an account's token: send `Authorization: Bearer TOKEN`")]
    Unauthenticated,
    /// A valid account whose role may not do this (403).
    #[error("the {role} role may not do this; it needs one of: {needs}")]
    Forbidden { role: &'static str, needs: String },
}

impl Access {
    /// Whether `caller` may pass; the open demo passes everything.
    pub fn check(self, caller: &Caller) -> Result<(), Denied> {
        match (self, caller) {
            (Access::Public, _) | (_, Caller::Open) => Ok(()),
            (Access::Roles(_), Caller::Public) => Err(Denied::Unauthenticated),
            (Access::Roles(roles), Caller::Account(p)) if roles.contains(&p.role) => Ok(()),
            (Access::Roles(roles), Caller::Account(p)) => Err(Denied::Forbidden {
                role: p.role.as_str(),
                needs: roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

/// An argon2id hash of a password, as a PHC string (argon2's default parameters: 19 MiB,
/// two passes), for `users passwd`. Slow on purpose: it is checked only at sign-in.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    use argon2::PasswordHasher;
    if password.chars().count() < 12 {
        return Err(AccountError::Invalid {
            field: "password",
            message: "expected at least 12 characters".into(),
        });
    }
    let salt = argon2::password_hash::SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .expect("16 bytes make a salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Invalid {
            field: "password",
            message: e.to_string(),
        })
}

/// Browser sessions: made by signing in with a password, each a random 256-bit secret held by
/// the browser in an `HttpOnly; SameSite=Strict` cookie and kept by the store only as its hash
/// (`AccountStore::session`), so that every server of a shared store knows it and a restart
/// signs no one out. When the store cannot keep one (a full disk), the session is kept in this
/// server's memory instead: the chief must still be able to sign in and read why the server is
/// degraded. Failed sign-ins to an account make its next attempt on this server wait,
/// doubling from a quarter of a second up to eight seconds.
#[derive(Default)]
pub struct Sessions {
    /// Sessions the store could not keep, by hash: this server's alone.
    here: std::sync::Mutex<std::collections::HashMap<[u8; 32], (String, i64)>>,
    failures: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

/// How long a session lasts without signing in again: a working day.
pub const SESSION_MS: i64 = 12 * 3_600_000;

impl Sessions {
    /// Checks `name`'s password (blocking: argon2, and the wait after failures) and opens a
    /// session; returns its secret for the cookie.
    pub fn sign_in(
        &self,
        store: &dyn AccountStore,
        name: &str,
        password: &str,
        now_ms: i64,
    ) -> Result<String, AccountError> {
        use argon2::PasswordVerifier;
        let failed = self
            .failures
            .lock()
            .unwrap()
            .get(name)
            .copied()
            .unwrap_or(0);
        if failed > 0 {
            let wait = 250u64 << (failed - 1).min(5);
            std::thread::sleep(std::time::Duration::from_millis(wait));
        }
        let account = store.account(name)?;
        let ok = account.as_ref().is_some_and(|a| {
            !a.disabled
                && a.password.as_deref().is_some_and(|phc| {
                    argon2::PasswordHash::new(phc).is_ok_and(|h| {
                        argon2::Argon2::default()
                            .verify_password(password.as_bytes(), &h)
                            .is_ok()
                    })
                })
        });
        if !ok {
            *self
                .failures
                .lock()
                .unwrap()
                .entry(name.to_string())
                .or_default() += 1;
            return Err(AccountError::BadToken);
        }
        self.failures.lock().unwrap().remove(name);
        let secret =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let (hash, expires_ms) = (hash_token(&secret), now_ms + SESSION_MS);
        let kept = store.write_accounts(AccountWrite::OpenSession {
            hash,
            account: name.to_string(),
            expires_ms,
            now_ms,
        });
        if let Err(e) = kept {
            tracing::warn!(error = %e, account = name, "the store cannot keep the session: kept by this server alone");
            let mut here = self.here.lock().unwrap();
            here.retain(|_, (_, until)| *until > now_ms);
            here.insert(hash, (name.to_string(), expires_ms));
        }
        Ok(secret)
    }

    /// The account a session's secret belongs to, if the session is open and the account still
    /// enabled (read again each time, so disabling it ends its sessions at once).
    pub fn principal(
        &self,
        store: &dyn AccountStore,
        secret: &str,
        now_ms: i64,
    ) -> Result<Principal, AccountError> {
        let hash = hash_token(secret);
        let here = self.here.lock().unwrap().get(&hash).cloned();
        let found = match here {
            Some(s) => Some(s),
            None => store.session(&hash)?,
        };
        let name = match found {
            Some((name, until)) if now_ms < until => name,
            _ => return Err(AccountError::BadToken),
        };
        match store.account(&name)? {
            Some(a) if !a.disabled => {
                Role::parse(&a.role)?;
                Ok(principal_of(&a))
            }
            _ => Err(AccountError::BadToken),
        }
    }

    /// Ends the session: on every server of the store.
    pub fn sign_out(&self, store: &dyn AccountStore, secret: &str) -> Result<(), AccountError> {
        let hash = hash_token(secret);
        if self.here.lock().unwrap().remove(&hash).is_some() {
            return Ok(());
        }
        store.write_accounts(AccountWrite::EndSession { hash })?;
        Ok(())
    }
}

/// Managing accounts while the server runs (the chief, through the API): every change goes
/// through the store's one writer, and the token cache is dropped after it so that a revoked
/// token or a disabled account is refused at the next request.
impl crate::Service {
    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<Account>, crate::ServiceError> {
        Ok(self.store.accounts()?)
    }

    /// Adds an account (checked as `truceline users add` checks it). Blocking.
    pub fn add_account(&self, new: NewAccount) -> Result<Account, crate::ServiceError> {
        let now = jiff::Timestamp::now().as_millisecond();
        let r = add_account(self.store.as_ref(), new, &self.parties(), now);
        self.forget_tokens();
        r.map_err(Into::into)
    }

    /// Disables or enables an account; its tokens and sessions follow at once. Blocking.
    pub fn set_disabled(&self, name: &str, disabled: bool) -> Result<(), crate::ServiceError> {
        if self.store.account(name)?.is_none() {
            return Err(crate::ServiceError::NotFound {
                what: "account",
                id: name.to_string(),
            });
        }
        let r = self.store.write_accounts(AccountWrite::SetDisabled {
            name: name.to_string(),
            disabled,
        });
        self.forget_tokens();
        Ok(r?)
    }

    /// Issues a token for an account (`expires` as `30d`, `12h`, `90m`); the secret is
    /// returned once. Blocking.
    pub fn issue_token(
        &self,
        account: &str,
        expires: Option<&str>,
    ) -> Result<(String, Token), crate::ServiceError> {
        if self.store.account(account)?.is_none() {
            return Err(crate::ServiceError::NotFound {
                what: "account",
                id: account.to_string(),
            });
        }
        let now = jiff::Timestamp::now().as_millisecond();
        let expires_ms = expires.map(parse_duration_ms).transpose()?.map(|d| now + d);
        Ok(issue_token(self.store.as_ref(), account, expires_ms, now)?)
    }

    /// Issues a TAK device of `account` its client certificate and data package (see
    /// [`crate::certificates`]); `valid` as `365d`. Blocking.
    pub fn issue_device(
        &self,
        account: &str,
        host: &str,
        port: u16,
        valid: &str,
    ) -> Result<crate::certificates::DevicePackage, crate::ServiceError> {
        let Some(ca) = &self.authority else {
            return Err(crate::ServiceError::Invalid {
                field: "account",
                message: "this server has no certificate authority".into(),
            });
        };
        if self.store.account(account)?.is_none() {
            return Err(crate::ServiceError::NotFound {
                what: "account",
                id: account.to_string(),
            });
        }
        let valid_ms = parse_duration_ms(valid)?;
        let req = crate::certificates::DeviceRequest {
            account: account.to_string(),
            host: host.to_string(),
            port,
            valid_ms,
        };
        let now = jiff::Timestamp::now().as_millisecond();
        Ok(crate::certificates::issue_device(
            self.store.as_ref(),
            ca,
            &req,
            now,
        )?)
    }

    /// Revokes a token by id, at once. Blocking.
    pub fn revoke_token(&self, id: &str) -> Result<(), crate::ServiceError> {
        let r = self.store.write_accounts(AccountWrite::Revoke {
            id: id.to_string(),
            at_ms: jiff::Timestamp::now().as_millisecond(),
        });
        self.forget_tokens();
        match r {
            Err(StoreError::NotFound(_)) => Err(crate::ServiceError::NotFound {
                what: "token",
                id: id.to_string(),
            }),
            other => Ok(other?),
        }
    }

    /// Tokens of one account or all (ids and dates; never secrets).
    pub fn tokens(&self, account: Option<&str>) -> Result<Vec<Token>, crate::ServiceError> {
        Ok(self.store.tokens(account)?)
    }
}

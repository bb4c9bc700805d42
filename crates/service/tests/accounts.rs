//! Accounts and tokens through the service's rules: what an account may be, a token shown once
//! and kept as a hash, and revocation, expiry and disabling taking effect at the next request.

use truceline_service::accounts::{self, AccountError, NewAccount, Role};
use truceline_store::{AccountStore, AccountWrite, SqliteStore};

fn store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (SqliteStore::open(dir.path()).unwrap(), dir)
}

fn new(name: &str, role: &str, party: Option<&str>, observers: Option<&str>) -> NewAccount {
    NewAccount {
        name: name.into(),
        role: role.into(),
        party: party.map(Into::into),
        observers: observers.map(Into::into),
    }
}

const PARTIES: &[&str] = &["ru", "ua"];

fn parties() -> Vec<String> {
    PARTIES.iter().map(|p| p.to_string()).collect()
}

fn field_of(e: AccountError) -> &'static str {
    match e {
        AccountError::Invalid { field, .. } => field,
        other => panic!("expected a refusal naming a field, got {other}"),
    }
}

#[test]
fn an_account_is_checked_field_by_field() {
    let (s, _d) = store();
    let p = parties();
    let refuse = |n: NewAccount| field_of(accounts::add_account(&s, n, &p, 1).unwrap_err());
    assert_eq!(refuse(new("", "analyst", None, None)), "name");
    assert_eq!(refuse(new("a b", "analyst", None, None)), "name");
    assert_eq!(refuse(new("x", "admin", None, None)), "role");
    assert_eq!(refuse(new("x", "liaison", None, None)), "party");
    assert_eq!(refuse(new("x", "liaison", Some("rus"), None)), "party");
    assert_eq!(refuse(new("x", "analyst", Some("ua"), None)), "party");
    assert_eq!(refuse(new("x", "analyst", None, Some("op*"))), "observers");
    assert_eq!(refuse(new("x", "monitor", None, Some("op[7"))), "observers");
    assert!(
        s.accounts().unwrap().is_empty(),
        "nothing refused is stored"
    );
    accounts::add_account(&s, new("lia", "liaison", Some("ua"), None), &p, 1).unwrap();
    assert!(matches!(
        accounts::add_account(&s, new("lia", "chief", None, None), &p, 1),
        Err(AccountError::Store(truceline_store::StoreError::Exists(_)))
    ));
}

#[test]
fn a_token_authenticates_until_revoked_expired_or_its_account_disabled() {
    let (s, _d) = store();
    let p = parties();
    accounts::add_account(&s, new("op7", "monitor", None, Some("op7*")), &p, 1).unwrap();
    let (secret, token) = accounts::issue_token(&s, "op7", Some(1_000), 10).unwrap();
    assert!(
        secret.starts_with("tl_") && secret.len() >= 3 + 43,
        "256 bits: {secret}"
    );
    // Only the hash is kept: the secret is nowhere in the stored token.
    let stored = &s.tokens(Some("op7")).unwrap()[0];
    assert_eq!(stored.hash, accounts::hash_token(&secret));
    assert!(!format!("{stored:?}").contains(&secret[3..]));
    let who = accounts::authenticate(&s, &secret, 500).unwrap();
    assert_eq!((who.account.as_str(), who.role), ("op7", Role::Monitor));
    assert!(who.may_submit_as("op7-north") && !who.may_submit_as("op8"));
    // Expiry, an unknown secret, a revoked token and a disabled account are one refusal.
    assert!(matches!(
        accounts::authenticate(&s, &secret, 1_000),
        Err(AccountError::BadToken)
    ));
    assert!(matches!(
        accounts::authenticate(&s, "tl_guess", 500),
        Err(AccountError::BadToken)
    ));
    let (other, t2) = accounts::issue_token(&s, "op7", None, 10).unwrap();
    assert!(
        accounts::authenticate(&s, &other, i64::MAX - 1).is_ok(),
        "no expiry"
    );
    s.write_accounts(AccountWrite::Revoke {
        id: t2.id.clone(),
        at_ms: 20,
    })
    .unwrap();
    assert!(matches!(
        accounts::authenticate(&s, &other, 30),
        Err(AccountError::BadToken)
    ));
    let (third, _) = accounts::issue_token(&s, "op7", None, 10).unwrap();
    s.write_accounts(AccountWrite::SetDisabled {
        name: "op7".into(),
        disabled: true,
    })
    .unwrap();
    assert!(matches!(
        accounts::authenticate(&s, &third, 30),
        Err(AccountError::BadToken)
    ));
    assert_ne!(token.id, t2.id);
    assert!(accounts::issue_token(&s, "nobody", None, 10).is_err());
}

#[test]
fn durations_name_their_unit() {
    assert_eq!(accounts::parse_duration_ms("30d").unwrap(), 30 * 86_400_000);
    assert_eq!(accounts::parse_duration_ms("12h").unwrap(), 12 * 3_600_000);
    assert_eq!(accounts::parse_duration_ms("90m").unwrap(), 90 * 60_000);
    for bad in ["", "30", "d", "-1d", "0d", "1y", "9999999999999999d"] {
        assert_eq!(
            field_of(accounts::parse_duration_ms(bad).unwrap_err()),
            "expires",
            "{bad}"
        );
    }
}

//! The behaviour every [`AuthStore`] must have, as functions the
//! [`crate::auth_store_conformance_tests!`] macro runs on a fresh store.

#![allow(
    clippy::unwrap_used,
    missing_docs,
    reason = "test code: a failed step is a failed test"
)]

use super::store::{
    AccessTokenRecord, AuthStore, Client, ClientAuth, CodeRecord, GrantRecord, MemberRecord,
    MemberSecurity, Redemption, RefreshTokenRecord, SIGN_IN_RETENTION_MS, Session, SignInEvent,
    SignInOutcome, SigningKey,
};
use crate::synth::LineOfBusiness;

fn grant(id: &str, subject: &str, created_ms: i64) -> GrantRecord {
    GrantRecord {
        id: id.to_owned(),
        client_id: "app".to_owned(),
        subject: subject.to_owned(),
        patient_id: Some(format!("patient-of-{subject}")),
        scope: "offline_access patient/*.rs".to_owned(),
        created_ms,
        expires_ms: created_ms + 1_000_000,
        revoked: false,
    }
}

fn access(grant_id: &str) -> AccessTokenRecord {
    AccessTokenRecord {
        grant_id: grant_id.to_owned(),
        scope: "patient/*.rs".to_owned(),
        expires_ms: 5_000,
    }
}

fn refresh(grant_id: &str) -> RefreshTokenRecord {
    RefreshTokenRecord {
        grant_id: grant_id.to_owned(),
        expires_ms: 1_000_000,
        used: false,
    }
}

pub async fn records_round_trip(store: impl AuthStore) {
    let mut client = Client::new("app", "An app", ClientAuth::Public);
    client.redirect_uris = vec!["https://app.example/cb".to_owned()];
    store.put_client(client.clone()).await.unwrap();
    assert_eq!(store.client("app").await.unwrap(), Some(client.clone()));
    assert_eq!(store.client("other").await.unwrap(), None);
    client.name = "Renamed".to_owned();
    client.description = Some("Keeps your claims".to_owned());
    client.privacy_policy_url = Some("https://app.example/privacy".to_owned());
    client.privacy_attested_ms = Some(7);
    store.put_client(client.clone()).await.unwrap();
    assert_eq!(store.client("app").await.unwrap(), Some(client.clone()));
    let other = Client::new("another", "Another", ClientAuth::Public);
    store.put_client(other.clone()).await.unwrap();
    assert_eq!(store.clients().await.unwrap(), [other, client]);

    let mut member = MemberRecord::new("ann", "p1", "$argon2id$...");
    member.line_of_business = Some(LineOfBusiness::Medicaid);
    store.put_member(member.clone()).await.unwrap();
    assert_eq!(store.member("ann").await.unwrap(), Some(member));
    assert_eq!(store.member("bob").await.unwrap(), None);

    let mut session = Session::new(None, 100);
    session.member = Some("ann".to_owned());
    session.patient_id = Some("p1".to_owned());
    session.enrolling_secret = Some("GEZDGNBV".to_owned());
    store.put_session("s1", session.clone()).await.unwrap();
    assert_eq!(store.session("s1", 99).await.unwrap(), Some(session));
    assert_eq!(store.session("s1", 100).await.unwrap(), None, "ended");
    store.end_session("s1").await.unwrap();
    assert_eq!(store.session("s1", 0).await.unwrap(), None);

    let key = |kid: &str| SigningKey {
        kid: kid.to_owned(),
        alg: "ES384".to_owned(),
        pem: "-----BEGIN PRIVATE KEY-----".to_owned(),
    };
    store.put_signing_key(key("k1")).await.unwrap();
    store.put_signing_key(key("k2")).await.unwrap();
    assert_eq!(
        store.signing_keys().await.unwrap(),
        vec![key("k1"), key("k2")]
    );
}

pub async fn codes_are_used_once_and_reuse_revokes(store: impl AuthStore) {
    let code = CodeRecord {
        redirect_uri: "https://app.example/cb".to_owned(),
        code_challenge: "challenge".to_owned(),
        grant: grant("g1", "ann", 0),
        expires_ms: 1_000,
    };
    store.put_code("c1", code.clone()).await.unwrap();
    assert_eq!(
        store.redeem_code("c1", 10).await.unwrap(),
        Redemption::Fresh(code.clone())
    );
    store
        .issue(code.grant.clone(), ("a1".to_owned(), access("g1")), None)
        .await
        .unwrap();
    assert_eq!(
        store.redeem_code("c1", 20).await.unwrap(),
        Redemption::Reused
    );
    let (_, g) = store.access_token("a1").await.unwrap().unwrap();
    assert!(g.revoked, "the second use revokes the grant of the first");
    assert_eq!(
        store.redeem_code("nope", 20).await.unwrap(),
        Redemption::Unknown
    );
    let mut late = code;
    late.grant.id = "g2".to_owned();
    store.put_code("c2", late).await.unwrap();
    assert_eq!(
        store.redeem_code("c2", 1_000).await.unwrap(),
        Redemption::Unknown,
        "expired"
    );
}

pub async fn refresh_tokens_rotate_and_reuse_revokes(store: impl AuthStore) {
    store
        .issue(
            grant("g1", "ann", 0),
            ("a1".to_owned(), access("g1")),
            Some(("r1".to_owned(), refresh("g1"))),
        )
        .await
        .unwrap();
    let (token, g) = store.refresh_token("r1").await.unwrap().unwrap();
    assert!(!token.used && !g.revoked);
    assert!(
        store
            .rotate_refresh(
                "r1",
                ("a2".to_owned(), access("g1")),
                ("r2".to_owned(), refresh("g1"))
            )
            .await
            .unwrap()
    );
    assert!(store.access_token("a2").await.unwrap().is_some());
    let (token, _) = store.refresh_token("r1").await.unwrap().unwrap();
    assert!(token.used);
    // The used one again: refused, and the grant is revoked for every token.
    assert!(
        !store
            .rotate_refresh(
                "r1",
                ("a3".to_owned(), access("g1")),
                ("r3".to_owned(), refresh("g1"))
            )
            .await
            .unwrap()
    );
    assert!(store.access_token("a3").await.unwrap().is_none());
    for key in ["a1", "a2"] {
        assert!(store.access_token(key).await.unwrap().unwrap().1.revoked);
    }
    assert!(store.refresh_token("r2").await.unwrap().unwrap().1.revoked);
    assert!(
        !store
            .rotate_refresh(
                "unknown",
                ("a4".to_owned(), access("g1")),
                ("r4".to_owned(), refresh("g1"))
            )
            .await
            .unwrap()
    );
}

pub async fn grants_list_revoke_and_jtis_replay(store: impl AuthStore) {
    for (id, subject, created) in [("g2", "ann", 20), ("g1", "ann", 10), ("g3", "bob", 5)] {
        store
            .issue(
                grant(id, subject, created),
                (format!("a-{id}"), access(id)),
                None,
            )
            .await
            .unwrap();
    }
    let ids = |grants: Vec<GrantRecord>| grants.into_iter().map(|g| g.id).collect::<Vec<_>>();
    assert_eq!(ids(store.grants_of("ann", 0).await.unwrap()), ["g1", "g2"]);
    store.revoke_grant("g1").await.unwrap();
    assert_eq!(ids(store.grants_of("ann", 0).await.unwrap()), ["g2"]);
    assert_eq!(
        ids(store.grants_of("ann", 2_000_000).await.unwrap()),
        Vec::<String>::new(),
        "expired"
    );
    store.revoke_access_token("a-g3").await.unwrap();
    assert!(store.access_token("a-g3").await.unwrap().is_none());
    assert!(!store.access_token("a-g2").await.unwrap().unwrap().1.revoked);

    assert!(store.remember_jti("app", "j1", 100, 0).await.unwrap());
    assert!(
        !store.remember_jti("app", "j1", 100, 50).await.unwrap(),
        "a replay"
    );
    assert!(
        store.remember_jti("other", "j1", 100, 50).await.unwrap(),
        "per client"
    );
    assert!(
        store.remember_jti("app", "j1", 300, 100).await.unwrap(),
        "expired ids are forgotten"
    );
}

pub async fn purging_keeps_what_still_matters(store: impl AuthStore) {
    let mut live = grant("live", "ann", 0);
    live.expires_ms = 10_000_000;
    let mut short = access("live");
    short.expires_ms = 1_000;
    let mut long = access("live");
    long.expires_ms = 9_000_000;
    let mut lasting_refresh = refresh("live");
    lasting_refresh.expires_ms = 10_000_000;
    store
        .issue(
            live,
            ("short".to_owned(), short),
            Some(("r1".to_owned(), lasting_refresh.clone())),
        )
        .await
        .unwrap();
    store
        .rotate_refresh(
            "r1",
            ("long".to_owned(), long),
            ("r2".to_owned(), lasting_refresh),
        )
        .await
        .unwrap();
    store
        .issue(
            grant("gone", "bob", 0),
            ("a-gone".to_owned(), access("gone")),
            Some(("r-gone".to_owned(), refresh("gone"))),
        )
        .await
        .unwrap();
    store.revoke_grant("gone").await.unwrap();
    store.remember_jti("app", "j1", 1_000, 0).await.unwrap();
    store
        .put_session("s1", Session::new(None, 1_000))
        .await
        .unwrap();
    // Sign-in events: one just past the retention period at the purge, one just within.
    for at_ms in [2_000 - SIGN_IN_RETENTION_MS, 2_001 - SIGN_IN_RETENTION_MS] {
        let event = SignInEvent::new(at_ms, None, None, SignInOutcome::WrongPassword, "x");
        store.record_sign_in(event).await.unwrap();
    }

    let purged = store.purge_expired(2_000).await.unwrap();
    // The short access token, the revoked grant's refresh token, the assertion id, the
    // session, the old sign-in event; not the revoked grant's access token, which lives
    // until its expiry (5,000) and is refused for its grant meanwhile.
    assert_eq!(purged, 5);
    let kept = store.sign_ins(None, 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].at_ms, 2_001 - SIGN_IN_RETENTION_MS);
    assert!(store.access_token("short").await.unwrap().is_none());
    assert!(store.access_token("long").await.unwrap().is_some());
    assert!(store.refresh_token("r-gone").await.unwrap().is_none());
    assert!(store.session("s1", 0).await.unwrap().is_none());
    // The used refresh token of the live grant stays: presenting it still revokes.
    let (used, _) = store.refresh_token("r1").await.unwrap().unwrap();
    assert!(used.used);
    assert!(
        !store
            .rotate_refresh(
                "r1",
                ("a3".to_owned(), access("live")),
                ("r3".to_owned(), refresh("live"))
            )
            .await
            .unwrap()
    );
    assert!(store.access_token("long").await.unwrap().unwrap().1.revoked);
}

pub async fn member_security_swaps_and_sign_ins_are_kept(store: impl AuthStore) {
    let fresh = MemberSecurity::default();
    let mut locked = fresh.clone();
    locked.failed_attempts = 2;
    assert!(
        !store
            .swap_member_security("ann", &fresh, locked.clone())
            .await
            .unwrap(),
        "no such member"
    );
    store
        .put_member(MemberRecord::new("ann", "p1", "hash"))
        .await
        .unwrap();
    assert!(
        store
            .swap_member_security("ann", &fresh, locked.clone())
            .await
            .unwrap()
    );
    assert!(
        !store
            .swap_member_security("ann", &fresh, MemberSecurity::default())
            .await
            .unwrap(),
        "a swap from a record that changed meanwhile loses"
    );
    let member = store.member("ann").await.unwrap().unwrap();
    assert_eq!(member.security, locked);
    assert_eq!(member.password_hash, "hash", "the rest of the record stays");

    for (at_ms, subject, outcome) in [
        (1, Some("ann"), SignInOutcome::WrongPassword),
        (2, None, SignInOutcome::RedirectMismatch),
        (3, Some("bob"), SignInOutcome::SignedIn),
        (4, Some("ann"), SignInOutcome::SignedIn),
    ] {
        store
            .record_sign_in(SignInEvent::new(
                at_ms,
                subject.map(str::to_owned),
                Some("app".to_owned()),
                outcome,
                "detail",
            ))
            .await
            .unwrap();
    }
    let times = |events: Vec<SignInEvent>| events.iter().map(|e| e.at_ms).collect::<Vec<_>>();
    assert_eq!(
        times(store.sign_ins(Some("ann"), 10).await.unwrap()),
        [4, 1]
    );
    assert_eq!(times(store.sign_ins(None, 3).await.unwrap()), [4, 3, 2]);
    assert_eq!(
        times(store.sign_ins(Some("carol"), 10).await.unwrap()),
        [0; 0]
    );
    let first = store.sign_ins(Some("ann"), 1).await.unwrap().remove(0);
    assert_eq!(
        first,
        SignInEvent::new(
            4,
            Some("ann".to_owned()),
            Some("app".to_owned()),
            SignInOutcome::SignedIn,
            "detail"
        )
    );
}

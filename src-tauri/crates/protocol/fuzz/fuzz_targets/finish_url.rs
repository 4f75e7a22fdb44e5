//! The finish link, as any program or page can hand it to the app: parsing
//! and hash verification never panic, and whatever approval parses, its
//! correct hash verifies and a wrong one does not.
#![no_main]

use consent_desk_protocol::url::Url;
use consent_desk_protocol::{
    finish_hash, verify_finish, FinishError, FinishOutcome, FinishRedirect, Nonce,
};
use libfuzzer_sys::fuzz_target;

const GRANT_URL: &str = "https://auth.example.com/tenant-id";

fuzz_target!(|data: &[u8]| {
    let Ok(link) = std::str::from_utf8(data) else {
        return;
    };
    let (client, server) = (
        Nonce::new("client-nonce-123"),
        Nonce::new("server-nonce-456"),
    );
    let verified = verify_finish(link, &client, &server, GRANT_URL);
    let Ok(FinishRedirect::Approved { interact_ref, .. }) = FinishRedirect::parse(link) else {
        return;
    };
    // An approval is for the link's own interact_ref, never another.
    if let Ok(FinishOutcome::Approved { interact_ref: seen }) = &verified {
        assert_eq!(*seen, interact_ref);
    }
    // The same interact_ref with the right hash is approved.
    let hash = finish_hash(&client, &server, &interact_ref, GRANT_URL);
    let genuine = Url::parse_with_params(
        "http://127.0.0.1:53682/callback",
        [
            ("hash", hash.as_str()),
            ("interact_ref", interact_ref.as_str()),
        ],
    )
    .unwrap();
    match verify_finish(genuine.as_str(), &client, &server, GRANT_URL) {
        Ok(FinishOutcome::Approved { interact_ref: seen }) => assert_eq!(seen, interact_ref),
        other => panic!("the genuine hash of {interact_ref:?} was not approved: {other:?}"),
    }
    // ...and not for another grant's nonces.
    assert!(matches!(
        verify_finish(genuine.as_str(), &server, &client, GRANT_URL),
        Err(FinishError::HashMismatch)
    ));
});

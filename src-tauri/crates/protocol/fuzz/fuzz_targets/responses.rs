//! Wallet answers, decoded as the client decodes them (serde from bytes):
//! wallet address, key set, grant, token rotation, quote, payments, pages,
//! GNAP errors. No input panics, and whatever decodes is written back as
//! JSON that decodes to the same thing.
#![no_main]

use consent_desk_protocol::{
    GnapError, GrantResponse, GrantSpentAmounts, IncomingPayment, Jwks, OutgoingPayment, Page,
    PublicIncomingPayment, Quote, RotatedToken, WalletAddress,
};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn round_trip<T: DeserializeOwned + Serialize>(data: &[u8]) {
    let Ok(decoded) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let written = serde_json::to_vec(&decoded).expect("what was read can be written");
    let again: T = serde_json::from_slice(&written).unwrap_or_else(|error| {
        panic!(
            "{} written as {} does not read back: {error}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(&written)
        )
    });
    assert_eq!(
        serde_json::to_value(&again).unwrap(),
        serde_json::to_value(&decoded).unwrap(),
        "{} changes when written and read again",
        std::any::type_name::<T>()
    );
}

fuzz_target!(|data: &[u8]| {
    round_trip::<WalletAddress>(data);
    round_trip::<Jwks>(data);
    round_trip::<GrantResponse>(data);
    round_trip::<RotatedToken>(data);
    round_trip::<Quote>(data);
    round_trip::<IncomingPayment>(data);
    round_trip::<PublicIncomingPayment>(data);
    round_trip::<OutgoingPayment>(data);
    round_trip::<Page<OutgoingPayment>>(data);
    round_trip::<Page<IncomingPayment>>(data);
    round_trip::<GrantSpentAmounts>(data);
    let _ = GnapError::from_json(data).map(|error| error.to_string());
});

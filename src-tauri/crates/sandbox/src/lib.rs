//! The Consent Desk sandbox wallet.
//!
//! A complete local Open Payments wallet that the app runs in-process for its
//! default "Sandbox" profile and that every test runs against. It depends on the
//! protocol core for wire types and signature verification, never on the app.

//! End-to-end tests: the built `consent-desk` binary in a private desktop
//! session, driven through WebDriver. Build the app first (`npm test` does).

mod cli;
mod consent;
mod data_dir;
mod deep_link;
mod installed;
mod layout;
mod main_window;
mod pay;
mod profiles;
mod sandbox;
mod soak;
mod waiting;

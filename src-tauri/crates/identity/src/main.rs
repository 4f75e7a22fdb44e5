//! `consent-desk-identity`: the profile and key commands without the app
//! (the same as `consent-desk profile …` and `consent-desk key …`).

fn main() {
    let args = std::iter::once("consent-desk".to_owned()).chain(std::env::args().skip(1));
    std::process::exit(consent_desk_identity::cli::main_with(args));
}

//! `consent-desk-grant`: the grant commands without the app (the same as
//! `consent-desk grant …`).

fn main() {
    let args = std::iter::once("consent-desk".to_owned()).chain(std::env::args().skip(1));
    std::process::exit(consent_desk_engine::cli::main_with(args));
}

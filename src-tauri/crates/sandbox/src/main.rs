//! `consent-desk-sandbox`: the sandbox wallet without the app (same flags as
//! `consent-desk sandbox`).

fn main() {
    std::process::exit(consent_desk_sandbox::cli::main_with(
        std::env::args().skip(1),
        consent_desk_sandbox::cli::default_data_dir(),
    ));
}

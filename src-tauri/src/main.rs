// Keeps a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // `consent-desk sandbox …` runs the sandbox wallet alone, without a window.
    // `consent-desk profile …` and `consent-desk key …` manage identities.
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("sandbox") => std::process::exit(consent_desk_sandbox::cli::main_with(args)),
        Some("profile" | "key") => {
            std::process::exit(consent_desk_identity::cli::main_with(std::env::args()))
        }
        Some("grant" | "grants" | "pay" | "payments" | "payment") => {
            std::process::exit(consent_desk_flow::cli::main_with(std::env::args()))
        }
        _ => {}
    }
    consent_desk_lib::run();
}

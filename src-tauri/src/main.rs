// Keeps a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // `consent-desk sandbox …` runs the sandbox wallet alone, without a window.
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("sandbox") {
        std::process::exit(consent_desk_sandbox::cli::main_with(args));
    }
    consent_desk_lib::run();
}

use std::process::Command;

/// Commands the UI may call. Each gets `allow-*`/`deny-*` permissions so a
/// capability grants them one by one, per window.
const COMMANDS: &[&str] = &[
    "app_status",
    "about",
    "notice_settings",
    "set_notice_settings",
    "activity",
    "export_activity",
    "received_links",
    "profiles",
    "use_profile",
    "remove_profile",
    "set_loopback_finish",
    "set_client_form",
    "prove_ownership",
    "preview_wallet",
    "add_profile",
    "check_registration",
    "preview_grant",
    "request_grant",
    "cancel_grant",
    "grants",
    "grant_detail",
    "rotate_grant",
    "revoke_grant",
    "end_grant",
    "waiting_approvals",
    "reopen_approval",
    "continue_in_browser",
    "quote_payment",
    "confirm_payment",
    "pay_with_grant",
    "payment_grants",
    "requote_payment",
    "cancel_payment",
    "check_payment",
    "payments",
];

fn main() {
    // The commit the binary was built from, shown on the About screen. A
    // tarball build has no git: say so instead of failing the build.
    let commit = std::env::var("CONSENT_DESK_COMMIT").ok().or_else(|| {
        Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    });
    println!(
        "cargo:rustc-env=CONSENT_DESK_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
    println!("cargo:rerun-if-env-changed=CONSENT_DESK_COMMIT");
    println!("cargo:rerun-if-changed=../.git/HEAD");
    println!("cargo:rerun-if-changed=../.git/refs/heads");

    // `tauri.conf.json` here is a symlink to the one at the repository root
    // (the design card's layout) so that the CLI, this script and
    // `generate_context!` all read one file and resolve its paths from here.
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build script failed: {error:#}");
    }
}

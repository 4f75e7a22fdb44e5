# Shared by .ci/start and .ci/test: checks for what a fresh Debian 12 /
# Ubuntu 22.04+ machine lacks and installs it, or says exactly how.
# shellcheck shell=bash

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Debian packages to build and run the app.
APP_PACKAGES=(
  build-essential pkg-config libssl-dev curl file
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev librsvg2-dev libayatana-appindicator3-dev
  xdg-utils desktop-file-utils libglib2.0-bin
)
# ...and to run the tests: a virtual display, WebKit's WebDriver, a session bus,
# and a real Secret Service (gnome-keyring) for the keyring tests. The keyring
# client is pure Rust (zbus), so no libsecret. `kill` (procps) sends signals
# std cannot. Every program a test starts is listed, with its package, in
# tests/programs/src/lib.rs, whose test checks these lists.
# `rpm` reads the .rpm's contents in the installed-package stage.
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver dbus dbus-x11 gnome-keyring procps util-linux rpm)

version_at_least() { # $1 >= $2, dotted versions
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

ensure_apt_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local cmd="apt-get update && apt-get install -y ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    say "Installing system packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive bash -c "apt-get update -qq && apt-get install -y -qq ${missing[*]}" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    say "Installing system packages with sudo: ${missing[*]}"
    sudo DEBIAN_FRONTEND=noninteractive bash -c "apt-get update -qq && apt-get install -y -qq ${missing[*]}" >/dev/null
  else
    die "these system packages are missing: ${missing[*]}
Install them, then run this again:
    sudo sh -c '$cmd'"
  fi
}

ensure_toolchains() {
  command -v cargo >/dev/null || die "Rust is not installed. Install it with:
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y && . \"\$HOME/.cargo/env\""
  local rust
  rust=$(rustc --version | awk '{print $2}')
  version_at_least "$rust" 1.90.0 || die "Rust $rust is too old; Consent Desk needs 1.90 or newer. Run: rustup update stable"
  command -v node >/dev/null || die "Node.js is not installed; Consent Desk's UI build needs Node.js 20.19 or newer with npm."
  local node
  node=$(node --version | tr -d v)
  version_at_least "$node" 20.19.0 || die "Node.js $node is too old; the UI build (Vite 7) needs 20.19 or newer."
}

ensure_node_modules() {
  # Reinstall when the lock changed since the last install.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "Installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

ensure_tauri_driver() {
  if ! command -v tauri-driver >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
    say "Installing tauri-driver (WebDriver for Tauri apps)"
    cargo install tauri-driver --version '^2' --locked --quiet
  fi
}

# cargo-fuzz (libFuzzer) for .ci/fuzz. Its targets build with the nightly
# toolchain (sanitizer flags), installed through rustup when missing.
ensure_cargo_fuzz() {
  command -v rustup >/dev/null || die "rustup is not installed; the fuzz targets need it for the nightly toolchain:
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y"
  if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    say "Installing the nightly Rust toolchain (cargo-fuzz builds with it)"
    rustup toolchain install nightly --profile minimal
  fi
  if ! command -v cargo-fuzz >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo-fuzz" ]; then
    say "Installing cargo-fuzz (libFuzzer for Rust)"
    cargo install cargo-fuzz --locked --quiet
  fi
}

# Builds the UI and the debug app with the UI embedded, through the npm Tauri
# CLI. TAURI_APP_PATH points it at src-tauri/, whose tauri.conf.json is a
# symlink to the one at the repository root.
build_app() {
  say "Building Consent Desk (debug)"
  TAURI_APP_PATH=src-tauri npx --no-install tauri build --debug --no-bundle --ci
}

app_binary() {
  echo "${CARGO_TARGET_DIR:-target}/debug/consent-desk"
}

# The one version of Consent Desk: `[workspace.package] version` in Cargo.toml
# (the app crate, tauri.conf.json and so the packages take it from there).
workspace_version() {
  sed -n '/^\[workspace\.package\]/,/^\[/ s/^version *= *"\(.*\)"/\1/p' Cargo.toml
}

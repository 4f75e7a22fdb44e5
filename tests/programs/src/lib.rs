//! The one list of external programs that Consent Desk's tests, benches and
//! end-to-end harness start, and the one function that starts them.
//!
//! Every program names what installs it, so a missing one fails with an
//! error that says how to get it, and a test (`tests/installed.rs`, part of
//! `npm test`) checks that `.ci/lib.sh` installs each of them. Asking for a
//! program that is not listed panics: a program nobody installs would pass
//! on the machines where someone installed it by hand and fail on a fresh
//! one.
//!
//! ```no_run
//! let output = programs::command("gdbus")
//!     .args(["call", "--session"])
//!     .output()
//!     .map_err(|error| programs::not_started("gdbus", error))?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::{
    io,
    path::{Path, PathBuf},
    process::Command,
};

/// What installs a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A Debian package listed in `APP_PACKAGES` or `TEST_PACKAGES` of
    /// `.ci/lib.sh`, which `npm test` installs.
    Debian(&'static str),
    /// Node.js, part of the toolchain Consent Desk is built with (like Rust).
    /// No script installs it: the UI build needs a newer version than some
    /// distributions ship, so `ensure_toolchains` in `.ci/lib.sh` stops with
    /// instructions when it is missing or too old.
    Toolchain,
    /// `tauri-driver`, which `ensure_tauri_driver` in `.ci/lib.sh` installs
    /// with `cargo install`, into cargo's bin folder (which may not be on
    /// `PATH`, so that folder is searched too).
    TauriDriver,
}

/// A program the tests start and what installs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program {
    /// The name it is run by.
    pub name: &'static str,
    /// What installs it.
    pub source: Source,
}

/// Every external program the tests start. Keep `.ci/lib.sh` in step: the
/// test `tests/installed.rs` fails when a package here is not installed there.
pub const PROGRAMS: &[Program] = &[
    // The end-to-end harness's private desktop: display, session bus,
    // Secret Service.
    debian("Xvfb", "xvfb"),
    // On Debian 12 the binary is in `dbus-daemon`, which `dbus` depends on;
    // Ubuntu 22.04 has no `dbus-daemon` package, so `dbus` is what to install.
    debian("dbus-daemon", "dbus"),
    debian("gnome-keyring-daemon", "gnome-keyring"),
    // Asks the session bus who runs; opens links as a browser hands them over.
    debian("gdbus", "libglib2.0-bin"),
    debian("gio", "libglib2.0-bin"),
    // Opens links as a browser hands them to the OS, through the installed
    // package's desktop entry (the installed-package stage).
    debian("xdg-open", "xdg-utils"),
    // Signals a process that is not the test's child (the app, started by
    // the WebDriver) or that std cannot send (SIGSTOP).
    debian("kill", "procps"),
    // Started by tauri-driver; the harness passes its path so that a missing
    // one is named here instead of failing inside the driver.
    debian("WebKitWebDriver", "webkit2gtk-driver"),
    // Started by the scripts: the QA WebDriver example's throwaway session
    // (tests/qa-example/run.sh) and the installed-package stage
    // (.ci/installed), which check for each of them by these names too.
    debian("xvfb-run", "xvfb"),
    debian("xauth", "xauth"),
    debian("dbus-run-session", "dbus"),
    debian("setsid", "util-linux"),
    debian("rpm", "rpm"),
    debian("xdg-mime", "xdg-utils"),
    debian("desktop-file-validate", "desktop-file-utils"),
    Program {
        name: "tauri-driver",
        source: Source::TauriDriver,
    },
    // The reference Open Payments SDK runs on it (conformance and interop
    // tests, the throughput bench).
    Program {
        name: "node",
        source: Source::Toolchain,
    },
];

const fn debian(name: &'static str, package: &'static str) -> Program {
    Program {
        name,
        source: Source::Debian(package),
    }
}

/// The table's entry for `name`.
///
/// # Panics
/// When `name` is not in [`PROGRAMS`]: add it there with what installs it.
#[must_use]
pub fn program(name: &str) -> &'static Program {
    PROGRAMS
        .iter()
        .find(|program| program.name == name)
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not in the program table (tests/programs/src/lib.rs): add it \
                 there with the package that installs it, and that package to .ci/lib.sh, \
                 so that a fresh machine gets it too"
            )
        })
}

/// A command that runs the listed program `name` (from `PATH`, or for
/// tauri-driver also from cargo's bin folder). Turn a failure to start it
/// into a useful error with [`not_started`].
///
/// # Panics
/// When `name` is not in [`PROGRAMS`].
#[must_use]
pub fn command(name: &str) -> Command {
    let program = program(name);
    Command::new(program.locate().unwrap_or_else(|| PathBuf::from(name)))
}

/// Where the listed program `name` is, or an error that says how to install
/// it. For programs another program starts, given by path.
///
/// # Panics
/// When `name` is not in [`PROGRAMS`].
pub fn path(name: &str) -> io::Result<PathBuf> {
    let program = program(name);
    program.locate().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{name} is not installed: {}", program.how_to_install()),
        )
    })
}

/// Turns the error from starting the listed program `name` into one that
/// names it and, when it is missing, says which package installs it and how.
///
/// # Panics
/// When `name` is not in [`PROGRAMS`].
#[must_use]
pub fn not_started(name: &str, error: io::Error) -> io::Error {
    let program = program(name);
    let message = match program.locate() {
        // Not found although it is there: the folder it was to run in is
        // missing, or a library it needs.
        Some(path) => format!("could not start {name} ({}): {error}", path.display()),
        None if error.kind() == io::ErrorKind::NotFound => {
            format!("{name} is not installed: {}", program.how_to_install())
        }
        None => format!("could not start {name}: {error}"),
    };
    io::Error::new(error.kind(), message)
}

impl Program {
    /// Where it is on this machine: the first match on `PATH`, then (for
    /// tauri-driver) cargo's bin folder.
    #[must_use]
    pub fn locate(&self) -> Option<PathBuf> {
        let mut dirs: Vec<PathBuf> =
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect();
        if self.source == Source::TauriDriver {
            let cargo_home = std::env::var_os("CARGO_HOME")
                .map(PathBuf::from)
                .or_else(|| home().map(|home| home.join(".cargo")));
            dirs.extend(cargo_home.map(|home| home.join("bin")));
        }
        dirs.into_iter()
            .map(|dir| dir.join(self.name))
            .find(|path| is_executable(path))
    }

    /// What installs it, as a sentence for an error message.
    #[must_use]
    pub fn how_to_install(&self) -> String {
        match self.source {
            Source::Debian(package) => format!(
                "it comes with the Debian package `{package}`; run `npm test` once, which \
                 installs it (or apt-get install {package})"
            ),
            Source::Toolchain => "Node.js 20.19 or newer is part of the toolchain Consent Desk \
                 is built with: install it from https://nodejs.org/ (or your distribution, \
                 if it is new enough) and make sure `node` is on PATH"
                .to_owned(),
            Source::TauriDriver => "run `npm test` once, which installs it (or cargo install \
                 tauri-driver --version '^2' --locked)"
                .to_owned(),
        }
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "`import` is not in the program table")]
    fn an_unlisted_program_cannot_be_started() {
        let _ = command("import");
    }

    #[test]
    fn a_missing_program_is_named_with_its_package() {
        // Nothing on PATH by this name, so it counts as missing.
        let missing = Program {
            name: "consent-desk-no-such-program",
            source: Source::Debian("xvfb"),
        };
        assert_eq!(missing.locate(), None);
        let error = missing.how_to_install();
        assert!(error.contains("Debian package `xvfb`"), "{error}");
        assert!(error.contains("apt-get install xvfb"), "{error}");
    }

    #[test]
    fn a_start_failure_keeps_its_kind_and_names_the_program() {
        let error = not_started(
            "Xvfb",
            io::Error::new(io::ErrorKind::PermissionDenied, "denied"),
        );
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
        assert!(error.to_string().contains("Xvfb"), "{error}");
        assert!(error.to_string().contains("denied"), "{error}");
    }

    #[test]
    fn each_program_is_listed_once() {
        for (index, program) in PROGRAMS.iter().enumerate() {
            assert!(
                PROGRAMS[..index].iter().all(|p| p.name != program.name),
                "{} is listed twice",
                program.name
            );
        }
    }
}

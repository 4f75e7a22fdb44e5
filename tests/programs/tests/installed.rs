//! Every program in the table is installed by `npm test` (`.ci/lib.sh`), and
//! where dpkg keeps its database, the program on PATH really comes from the
//! package the table names: a wrong entry fails here, not on a fresh machine.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use programs::{Program, Source, PROGRAMS};

const DPKG_INFO: &str = "/var/lib/dpkg/info";
const DPKG_STATUS: &str = "/var/lib/dpkg/status";

fn ci_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.ci")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// The words of a bash array assignment `NAME=( … )`, which may span lines
/// and hold comments.
fn bash_array(script: &str, name: &str) -> Vec<String> {
    let start = script
        .find(&format!("\n{name}=("))
        .unwrap_or_else(|| panic!(".ci/lib.sh defines no array {name}"))
        + name.len()
        + 3;
    let end = start
        + script[start..]
            .find(')')
            .unwrap_or_else(|| panic!("{name} in .ci/lib.sh is not closed"));
    script[start..end]
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .flat_map(str::split_whitespace)
        .map(str::to_owned)
        .collect()
}

/// The body of a bash function `name() { … }` (up to the `}` at line start).
fn bash_function<'a>(script: &'a str, name: &str) -> Option<&'a str> {
    let start = script.find(&format!("\n{name}() {{"))?;
    let end = script[start..].find("\n}")?;
    Some(&script[start..start + end])
}

fn installed_packages() -> BTreeSet<String> {
    let lib = ci_file("lib.sh");
    let test = ci_file("test");
    assert!(
        test.contains(r#"ensure_apt_packages "${APP_PACKAGES[@]}" "${TEST_PACKAGES[@]}""#),
        ".ci/test no longer installs APP_PACKAGES and TEST_PACKAGES"
    );
    ["APP_PACKAGES", "TEST_PACKAGES"]
        .iter()
        .flat_map(|name| bash_array(&lib, name))
        .collect()
}

/// Where a path may be recorded in dpkg's database: as found, with links
/// resolved, and in /bin or /usr/bin (merged /usr makes them one folder, but
/// dpkg knows each file by the path its package ships it at).
fn recorded_paths(found: &Path) -> BTreeSet<PathBuf> {
    let mut paths = BTreeSet::from([found.to_path_buf()]);
    if let Ok(real) = found.canonicalize() {
        paths.insert(real);
    }
    for path in paths.clone() {
        for (usr, root) in [("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/")] {
            let text = path.display().to_string();
            if let Some(rest) = text.strip_prefix(usr) {
                paths.insert(PathBuf::from(format!("{root}{rest}")));
            } else if let Some(rest) = text.strip_prefix(root) {
                paths.insert(PathBuf::from(format!("{usr}{rest}")));
            }
        }
    }
    paths
}

/// The packages that ship any of `paths`, from dpkg's file lists (what
/// `dpkg -S` reads; read directly so the test starts no unlisted program).
fn owners(paths: &BTreeSet<PathBuf>) -> BTreeSet<String> {
    let mut owners = BTreeSet::new();
    for entry in std::fs::read_dir(DPKG_INFO).expect("dpkg's info folder is readable") {
        let path = entry.expect("a dpkg info entry").path();
        let Some(file) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        let Some(package) = file.strip_suffix(".list") else {
            continue;
        };
        let list = std::fs::read_to_string(&path).unwrap_or_default();
        if list.lines().any(|line| paths.contains(Path::new(line))) {
            // `gnome-keyring-pkcs11:amd64.list`: the name without the arch.
            owners.insert(package.split(':').next().unwrap_or(package).to_owned());
        }
    }
    owners
}

/// The stanza of `package` in dpkg's status file, if dpkg knows it.
fn status_of(status: &str, package: &str) -> Option<String> {
    status
        .split("\n\n")
        .find(|stanza| {
            stanza
                .lines()
                .any(|line| line == format!("Package: {package}"))
        })
        .map(str::to_owned)
}

/// The packages `stanza` depends on directly (every alternative counts).
fn depends(stanza: &str) -> BTreeSet<String> {
    stanza
        .lines()
        .filter_map(|line| {
            line.strip_prefix("Depends: ")
                .or_else(|| line.strip_prefix("Pre-Depends: "))
        })
        .flat_map(|list| list.split([',', '|']))
        .filter_map(|dependency| dependency.split_whitespace().next())
        .map(|name| name.split(':').next().unwrap_or(name).to_owned())
        .collect()
}

/// What is wrong with `program`'s entry, if anything.
fn check(program: &Program, installed: &BTreeSet<String>, lib: &str) -> Result<(), String> {
    let name = program.name;
    match program.source {
        Source::Debian(package) => {
            if !installed.contains(package) {
                return Err(format!(
                    "{name}: its package `{package}` is in neither APP_PACKAGES nor \
                     TEST_PACKAGES of .ci/lib.sh; add it there"
                ));
            }
            if Path::new(DPKG_INFO).is_dir() {
                owned_by(program, package)?;
            }
            Ok(())
        }
        Source::Toolchain => bash_function(lib, "ensure_toolchains")
            .filter(|body| body.contains(&format!("command -v {name} ")))
            .map(drop)
            .ok_or_else(|| format!("{name}: ensure_toolchains in .ci/lib.sh does not check it")),
        Source::TauriDriver => bash_function(lib, "ensure_tauri_driver")
            .filter(|body| body.contains("cargo install tauri-driver"))
            .map(drop)
            .ok_or_else(|| {
                format!("{name}: ensure_tauri_driver in .ci/lib.sh does not install it")
            }),
    }
}

/// The program found on PATH belongs to `package`, or to a package it
/// depends on directly (so the entry names what to install on every
/// supported release, as `dbus` for `dbus-daemon`).
fn owned_by(program: &Program, package: &str) -> Result<(), String> {
    let name = program.name;
    let status = std::fs::read_to_string(DPKG_STATUS).expect("dpkg's status file is readable");
    let stanza = status_of(&status, package)
        .filter(|stanza| stanza.contains("Status: install ok installed"))
        .ok_or_else(|| {
            format!(
                "{name}: its package `{package}` is not installed here, so the table cannot \
                 be checked: run `npm test` once (it installs it)"
            )
        })?;
    let found = program.locate().ok_or_else(|| {
        format!("{name}: not on PATH although `{package}` is installed: the table names the wrong package")
    })?;
    let owners = owners(&recorded_paths(&found));
    let mut accepted = depends(&stanza);
    accepted.insert(package.to_owned());
    if owners.is_disjoint(&accepted) {
        return Err(format!(
            "{name}: {} belongs to {}, not to `{package}` or a package it depends on: \
             fix its entry in tests/programs/src/lib.rs",
            found.display(),
            if owners.is_empty() {
                "no package".to_owned()
            } else {
                format!("{owners:?}")
            }
        ));
    }
    Ok(())
}

#[test]
fn every_program_is_installed_by_npm_test() {
    let lib = ci_file("lib.sh");
    let installed = installed_packages();
    let problems: Vec<String> = PROGRAMS
        .iter()
        .filter_map(|program| check(program, &installed, &lib).err())
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_package_that_no_script_installs_is_caught() {
    let lib = ci_file("lib.sh");
    let program = Program {
        name: "import",
        source: Source::Debian("imagemagick"),
    };
    let error = check(&program, &installed_packages(), &lib).unwrap_err();
    assert!(error.contains("`imagemagick` is in neither"), "{error}");
}

#[test]
fn a_program_listed_under_the_wrong_package_is_caught() {
    if !Path::new(DPKG_INFO).is_dir() {
        eprintln!("no dpkg database here: the package of each program is not checked");
        return;
    }
    let lib = ci_file("lib.sh");
    // gio is in libglib2.0-bin; xvfb is installed but does not ship it.
    let program = Program {
        name: "gio",
        source: Source::Debian("xvfb"),
    };
    let error = check(&program, &installed_packages(), &lib).unwrap_err();
    assert!(error.contains("libglib2.0-bin"), "{error}");
}

#[test]
fn arrays_are_read_across_lines_and_comments() {
    let script = "x\nLIST=(\n  a b # c\n  d\n)\nOTHER=(e)\n";
    assert_eq!(bash_array(script, "LIST"), ["a", "b", "d"]);
    assert_eq!(bash_array(script, "OTHER"), ["e"]);
}

//! Logging is set up by the command line before the window opens
//! (`consent_desk_cli::logging`); About names the file it writes.

pub(crate) use consent_desk_cli::logging::current_file;

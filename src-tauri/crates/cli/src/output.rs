//! How commands answer: text or JSON on stdout, errors on stderr as
//! `error: …` with exit code 1, each command on a runtime of its own.

use std::borrow::Cow;

use serde::Serialize;

/// `text` with its control characters written out (`\x1b`, `\u{9b}`), so
/// that what a wallet wrote (a `message`, a description) cannot move the
/// cursor, clear the screen or set the terminal's title. Line breaks and
/// tabs stay.
pub(crate) fn escaped(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !unsafe_char(c) => out.push(c),
            c if u32::from(c) < 0x80 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    Cow::Owned(out)
}

/// Prints `value` as one line of JSON in JSON mode, else `text`.
pub(crate) fn print<T: Serialize>(json_mode: bool, value: &T, text: &str) {
    if json_mode {
        println!("{}", serde_json::to_value(value).unwrap_or_default());
    } else {
        println!("{}", escaped(text));
    }
}

/// Prints a list: JSON, or a line per item (`empty` when there is none).
pub(crate) fn print_list<T: Serialize>(
    json_mode: bool,
    items: &[T],
    empty: &str,
    line: impl Fn(&T) -> String,
) {
    let text = if items.is_empty() {
        empty.to_owned()
    } else {
        items.iter().map(line).collect::<Vec<_>>().join("\n")
    };
    print(json_mode, &items, &text);
}

/// The profile and key commands' output: pretty JSON, or text made only
/// when it is shown.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Out {
    pub(crate) json: bool,
}

impl Out {
    pub(crate) fn print<T: Serialize>(self, value: &T, text: impl FnOnce() -> String) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
        } else {
            println!("{}", escaped(&text()));
        }
    }
}

/// Runs a command to its exit code on a fresh runtime: `Err` messages go to
/// stderr as `error: …` with exit code 1.
pub(crate) fn execute(command: impl std::future::Future<Output = Result<i32, String>>) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: the async runtime could not start: {error}");
            return 1;
        }
    };
    match runtime.block_on(command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {}", escaped(&message));
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::escaped;

    #[test]
    fn a_wallet_s_escape_codes_reach_the_terminal_written_out() {
        let message = "Approved\x1b[2J\x1b]0;pwned\x07 by\r\u{9b}31m you\nnext\tline";
        let shown = escaped(message);
        assert_eq!(
            shown,
            "Approved\\x1b[2J\\x1b]0;pwned\\x07 by\\x0d\\u{9b}31m you\nnext\tline"
        );
        assert!(!shown
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'));
        assert!(matches!(
            escaped("plain words"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}

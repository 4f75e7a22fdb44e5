//! How commands answer: text or JSON on stdout, errors on stderr as
//! `error: …` with exit code 1, each command on a runtime of its own.

use serde::Serialize;

/// Prints `value` as one line of JSON in JSON mode, else `text`.
pub(crate) fn print<T: Serialize>(json_mode: bool, value: &T, text: &str) {
    if json_mode {
        println!("{}", serde_json::to_value(value).unwrap_or_default());
    } else {
        println!("{text}");
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
            println!("{}", text());
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
            eprintln!("error: {message}");
            1
        }
    }
}

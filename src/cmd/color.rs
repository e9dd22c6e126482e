//! Colour on terminals: OK, FAIL, WARN and STALE in verify, the signs of diff, the severities
//! of the ACL audit. `--color auto` (the default) colours only when standard output is a
//! terminal and `NO_COLOR` is unset or empty; `always` and `never` decide alone.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// When to colour.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

static ENABLED: OnceLock<bool> = OnceLock::new();

/// Decides once, at start, whether output is coloured.
pub fn init(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let _ = ENABLED.set(on);
}

fn enabled() -> bool {
    *ENABLED.get().unwrap_or(&false)
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BOLD_RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

fn paint(word: &str, colour: &str) -> String {
    format!("{colour}{word}{RESET}")
}

/// Colours the leading word of each line that is one of `words`.
fn leading(text: &str, words: &[(&str, &str)]) -> String {
    if !enabled() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        match words.iter().find(|(w, _)| {
            trimmed.starts_with(w)
                && trimmed[w.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c == ' ' || c == ':' || c == '\n')
        }) {
            Some((w, colour)) => {
                out.push_str(indent);
                out.push_str(&paint(w, colour));
                out.push_str(&trimmed[w.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// verify's lines: OK green, FAIL red, WARN yellow, STALE bold red.
pub fn verify(text: &str) -> String {
    leading(
        text,
        &[
            ("OK", GREEN),
            ("FAIL", RED),
            ("WARN", YELLOW),
            ("STALE", BOLD_RED),
        ],
    )
}

/// diff's change lines: + green, - red, ~ yellow.
pub fn diff(text: &str) -> String {
    leading(text, &[("+", GREEN), ("-", RED), ("~", YELLOW)])
}

/// The audit's severities.
pub fn audit(text: &str) -> String {
    leading(
        text,
        &[("high", BOLD_RED), ("medium", RED), ("low", YELLOW)],
    )
}

//! `gazette` binary: a thin shell over the library.

use clap::Parser;

fn main() {
    let cli = match gazette::cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            e.print().ok();
            std::process::exit(if e.use_stderr() { 2 } else { 0 });
        }
    };
    std::process::exit(gazette::cli::main_with(cli));
}

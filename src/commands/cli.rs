//! The command line (CONTRACT §7). Parsing and printing only; the work is in the stages.

use crate::build::{self, Options, Outcome};
use crate::date::Date;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "gazette",
    version,
    about = "Static site generator for government gazettes and active-disclosure document libraries"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Build the site into the output folder (replaced only if the build succeeds)
    Build {
        /// Site root (the folder with gazette.yaml)
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Output folder [default: ROOT/public]
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Override base_url from gazette.yaml (an absolute http(s) URL, or a path)
        #[arg(long, value_parser = parse_base_url)]
        base_url: Option<String>,
        /// Publish drafts too
        #[arg(long)]
        drafts: bool,
        /// Build date (YYYY-MM-DD) for validity and embargo [default: today, China time]
        #[arg(long, value_parser = parse_date)]
        date: Option<Date>,
        /// Treat warnings as errors
        #[arg(long)]
        deny_warnings: bool,
        /// Print where the time went, by stage
        #[arg(long)]
        timings: bool,
        /// Build cache folder [default: ROOT/.gazette-cache]
        #[arg(long, env = "GAZETTE_CACHE_DIR")]
        cache_dir: Option<PathBuf>,
    },
    /// Check the site as a build would, without writing anything
    Check {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Also check external URLs (service links first)
        #[arg(long)]
        external: bool,
        /// Write a JSON report of the findings
        #[arg(long)]
        report: Option<PathBuf>,
        #[arg(long)]
        deny_warnings: bool,
        #[arg(long, value_parser = parse_date)]
        date: Option<Date>,
        #[arg(long)]
        drafts: bool,
        /// Seconds to wait for each external URL
        #[arg(long, default_value_t = 15)]
        timeout: u64,
        /// Extra attempts for external URLs answering 403/429/5xx or timing out
        #[arg(long, default_value_t = 2)]
        retries: u32,
        /// Build cache folder [default: ROOT/.gazette-cache]
        #[arg(long, env = "GAZETTE_CACHE_DIR")]
        cache_dir: Option<PathBuf>,
    },
    /// Serve the built site locally
    Serve {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        #[arg(long, default_value_t = 1111)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Rebuild on changes and reload open pages
        #[arg(long)]
        watch: bool,
        /// Open the site in the default browser
        #[arg(long)]
        open: bool,
        /// Publish drafts too
        #[arg(long)]
        drafts: bool,
        /// Build into this folder instead of a private temporary one
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Build cache folder [default: ROOT/.gazette-cache]
        #[arg(long, env = "GAZETTE_CACHE_DIR")]
        cache_dir: Option<PathBuf>,
        /// Print how long each stage of every build took, and memory
        #[arg(long)]
        timings: bool,
    },
    /// Create a small working site in DIR
    Init { dir: PathBuf },
    /// Import documents (.txt, .html/.htm, .docx, .ofd, and folders of them) into a site
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The site to import into
        #[arg(long, default_value = ".")]
        into: PathBuf,
        /// Replace documents that exist with other content
        #[arg(long)]
        force: bool,
        /// Write what was read from each source, with its line, and every warning
        /// (FILE.csv for a spreadsheet, or FILE.json)
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date in YYYY-MM-DD form"))
}

/// A bad `--base-url` is a usage error reported against the command line (exit 2), not
/// against gazette.yaml's `base_url`, which it overrides.
fn parse_base_url(s: &str) -> Result<String, String> {
    crate::config::normalize_base_url(s).ok_or_else(|| {
        format!(
            "`{s}` is not an absolute http(s) URL or a path starting with `/` (e.g. https://www.example.gov.cn/xxgk/)"
        )
    })
}

/// Run the CLI; returns the process exit code.
pub fn main_with(cli: Cli) -> i32 {
    match cli.command {
        Command::Build { root, output, base_url, drafts, date, deny_warnings, timings, cache_dir } => {
            let opts = Options {
                root,
                output,
                base_url,
                drafts,
                date,
                deny_warnings,
                write: true,
                timings,
                collect_links: false,
                progress: crate::progress::Progress::wanted(),
                cache_name: None,
                cache_dir,
                skip_unchanged: true,
                exits_after: true,
                readers: None,
            };
            let outcome = build::run(&opts);
            outcome.report();
            if timings {
                outcome.print_timings();
            }
            if outcome.exit_code == 0 {
                // The summary is printed everywhere, CI logs included (only the progress
                // bar is for terminals).
                eprintln!(
                    "built {} pages ({} rendered, {} files, {} unchanged) into {}",
                    outcome.pages,
                    outcome.rendered,
                    outcome.files,
                    outcome.unchanged,
                    outcome.output.display()
                );
                if outcome.up_to_date {
                    eprintln!("up to date: no input changed since the last build, and its output is intact");
                }
                if let Some(note) = outcome.embargo_note() {
                    eprintln!("{note}");
                }
            }
            outcome.exit_code
        }
        Command::Check {
            root,
            external,
            report: report_file,
            deny_warnings,
            date,
            drafts,
            timeout,
            retries,
            cache_dir,
        } => {
            let collect_links = external || report_file.is_some();
            let opts = Options {
                root: root.clone(),
                drafts,
                date,
                deny_warnings,
                write: false,
                collect_links,
                exits_after: true,
                ..Default::default()
            };
            let mut outcome = build::run(&opts);
            if external && outcome.exit_code != 2 {
                let settings = crate::external::Settings {
                    timeout: std::time::Duration::from_secs(timeout.max(1)),
                    retries,
                    ..Default::default()
                };
                let dir = crate::cache::folder(&root, cache_dir.as_deref());
                build::check_external(&mut outcome, &dir, &settings);
                if deny_warnings && outcome.warnings() > 0 && outcome.exit_code == 0 {
                    outcome.exit_code = 1;
                }
            }
            outcome.report();
            if let Some(path) = report_file {
                let json = serde_json::json!({
                    "exit_code": outcome.exit_code,
                    "diagnostics": outcome.diagnostics.iter().map(|d| serde_json::json!({
                        "severity": match d.severity { crate::diag::Severity::Error => "error", crate::diag::Severity::Warning => "warning" },
                        "path": d.path, "line": d.line, "col": d.col, "message": d.message, "help": d.help,
                    })).collect::<Vec<_>>(),
                    "links": outcome.links,
                });
                if let Err(e) = std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap_or_default()) {
                    eprintln!("error: cannot write report {}: {e}", path.display());
                    return 2;
                }
            }
            if outcome.exit_code == 0 {
                eprintln!("check passed: {} pages, no broken links", outcome.pages);
                if let Some(note) = outcome.embargo_note() {
                    eprintln!("{note}");
                }
            }
            outcome.exit_code
        }
        Command::Serve { root, port, bind, watch, open, drafts, output, cache_dir, timings } => {
            crate::serve::run(&crate::serve::ServeOptions {
                root,
                port,
                bind,
                watch,
                open,
                drafts,
                output,
                cache_dir,
                timings,
            })
        }
        Command::Init { dir } => match crate::init::init(&dir) {
            Ok(()) => {
                eprintln!(
                    "created a gazette site in {}; build it with `gazette build --root {}`",
                    dir.display(),
                    dir.display()
                );
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        },
        Command::Import { files, into, force, report } => {
            let opts = crate::import::Options {
                sources: files,
                into,
                force,
                report,
                progress: crate::progress::Progress::wanted(),
            };
            let (diags, code, rows) = crate::import::run(&opts);
            Outcome { diagnostics: diags, ..Default::default() }.report();
            let count = |s: &str| rows.iter().filter(|r| r.status == s).count();
            eprintln!(
                "import: {} imported ({} as drafts to review), {} unchanged, {} failed, {} skipped",
                count("imported") + count("draft"),
                count("draft"),
                count("unchanged"),
                count("failed"),
                count("skipped")
            );
            code
        }
    }
}

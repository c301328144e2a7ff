//! The build's progress bar (indicatif), on stderr.
//!
//! Shown only when stderr is a terminal, `CI` is not set, and the build has run for over a
//! second: small sites and CI logs stay as quiet as before. Stages say their name; the
//! render stage counts pages. Safe to use from the render stage's threads.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

const DELAY: Duration = Duration::from_secs(1);

/// The delay before the bar appears: one second, or `GAZETTE_PROGRESS_DELAY_MS` (the
/// test suite sets 0, so it does not depend on how fast a machine builds).
fn delay() -> Duration {
    std::env::var("GAZETTE_PROGRESS_DELAY_MS").ok().and_then(|v| v.parse().ok()).map_or(DELAY, Duration::from_millis)
}

pub struct Progress {
    bar: Option<ProgressBar>,
}

/// A bar with a count for counted stages, a spinner for the others.
fn style(counted: bool) -> ProgressStyle {
    let template = if counted {
        "{spinner} {msg:>12} [{bar:30}] {pos}/{len} pages, {elapsed}"
    } else {
        "{spinner} {msg:>12} {elapsed}"
    };
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> ")
}

/// Whether this runs in CI: `CI` set to anything but empty, `false` or `0` (CI services
/// set `CI=true`; a developer's `CI=false` or an exported empty `CI` means not in CI).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "false" | "0"))
}

impl Progress {
    /// A bar for an interactive terminal (`enabled`), or one that does nothing.
    pub fn new(enabled: bool) -> Progress {
        let bar = enabled.then(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            b.set_style(style(false));
            // Appear only once the build has run for a while, whatever stage it is in.
            let later = b.clone();
            let delay = delay();
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                if !later.is_finished() {
                    later.set_draw_target(ProgressDrawTarget::stderr());
                    later.enable_steady_tick(Duration::from_millis(120));
                }
            });
            b
        });
        Progress { bar }
    }

    /// Whether a build run from here should show a bar: stderr is a terminal and we are
    /// not in CI.
    pub fn wanted() -> bool {
        use std::io::IsTerminal;
        std::io::stderr().is_terminal() && !in_ci()
    }

    /// A new stage of `total` steps (0 when it is not counted).
    pub fn stage(&self, name: &'static str, total: usize) {
        if let Some(b) = &self.bar {
            b.set_style(style(total > 0));
            b.set_position(0);
            b.set_length(total as u64);
            b.set_message(name);
        }
    }

    /// One step done.
    pub fn inc(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    /// Remove the bar before the build's own messages.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

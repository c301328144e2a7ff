//! The progress bar: on a terminal, once a build has run for over a second; never in CI
//! or when stderr is not a terminal. The terminal is real: util-linux `script` runs
//! gazette under a pseudo-terminal and records what it draws.

mod common;
use common::*;
use std::process::Command;

/// Run `gazette build` on `site` under a pseudo-terminal; returns what it drew. `delay_ms`
/// replaces the bar's one-second delay, so the test does not depend on the build's speed.
fn on_terminal(site: &Site, ci: Option<&str>, delay_ms: Option<u64>) -> String {
    let cmd = format!(
        "'{}' build --root '{}' -o '{}'",
        env!("CARGO_BIN_EXE_gazette"),
        site.root().display(),
        site.root().join("public").display()
    );
    let mut c = Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"]).env_remove("CI").env_remove("GAZETTE_PROGRESS_DELAY_MS");
    if let Some(ms) = delay_ms {
        c.env("GAZETTE_PROGRESS_DELAY_MS", ms.to_string());
    }
    if let Some(v) = ci {
        c.env("CI", v);
    }
    let o = c.output().expect("script (util-linux)");
    String::from_utf8_lossy(&o.stdout).replace('\r', "\n")
}

#[test]
fn a_long_build_on_a_terminal_shows_progress_and_ci_stays_quiet() {
    if Command::new("script").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI must have util-linux `script`");
        return;
    }
    // The bar shows from the start (no delay), whatever the speed of this machine.
    let Some(site) = generated_site(300) else { return };
    let drawn = on_terminal(&site, None, Some(0));
    assert!(drawn.contains("rendering [") && drawn.contains(" pages, "), "no progress bar:\n{drawn}");
    assert!(drawn.contains("built "), "{drawn}");
    std::fs::remove_dir_all(site.root().join("public")).ok();
    let ci = on_terminal(&site, Some("true"), Some(0));
    assert!(ci.contains("built ") && !ci.contains("rendering"), "CI=true draws no bar:\n{ci}");
    // `CI=false` and an empty `CI` are a developer's shell, not CI: the bar shows.
    for not_ci in ["false", ""] {
        std::fs::remove_dir_all(site.root().join("public")).ok();
        let drawn = on_terminal(&site, Some(not_ci), Some(0));
        assert!(drawn.contains("rendering ["), "CI={not_ci:?} draws the bar:\n{drawn}");
    }
    let piped = site.build(&[]);
    piped.ok();
    assert!(!piped.stderr.contains("rendering"), "stderr not a terminal, no bar:\n{}", piped.stderr);

    // A build that ends before the delay draws nothing (a small site, the default second).
    let small = Site::new();
    small.write("content/documents/a.md", &doc("a", "", "正文。"));
    let drawn = on_terminal(&small, None, None);
    assert!(drawn.contains("built ") && !drawn.contains("rendering"), "{drawn}");
}

#[test]
fn ci_logs_get_the_summary_line() {
    // CI=true with stderr piped (a CI log): no bar, but the summary a successful build
    // promises, as on a terminal.
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "", "正文。"));
    let o = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["build", "--date", "2025-01-01", "--root"])
        .arg(s.root())
        .env("CI", "true")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("built ") && stderr.contains(" pages ("), "summary in CI:\n{stderr}");
    assert!(!stderr.contains("rendering"), "{stderr}");
}

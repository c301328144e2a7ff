//! Test harness: write a small site into a temp folder, run the real `gazette` binary on
//! it, and look at what a user would see: exit code, stderr, output files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Site {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stderr: String,
    pub stdout: String,
    pub out: PathBuf,
}

pub const CONFIG: &str = "title: 测试区政府信息公开\nbase_url: https://www.example.gov.cn/\n";
pub const ORGANS: &str = "- id: qzf\n  name: 测试区人民政府\n- id: qfb\n  name: 测试区人民政府办公室\n  parent: qzf\n";
pub const SERVICES: &str = "- id: sq\n  name: 政府信息公开申请\n  url: https://zwdt.example.gov.cn/item/sq\n";

/// Front matter + body for a document with the required keys.
pub fn doc(id: &str, extra: &str, body: &str) -> String {
    format!("---\nid: {id}\ntitle: 文件{id}\nissuer: qzf\npublished: 2024-05-01\n{extra}---\n\n{body}\n")
}

impl Site {
    /// A site with config, organs and services, and no content yet.
    pub fn new() -> Site {
        let s = Site { dir: tempfile::tempdir().expect("tempdir") };
        s.write("gazette.yaml", CONFIG);
        s.write("content/organs.yaml", ORGANS);
        s.write("content/services.yaml", SERVICES);
        s
    }

    pub fn empty() -> Site {
        Site { dir: tempfile::tempdir().expect("tempdir") }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) -> &Site {
        self.write_bytes(rel, text.as_bytes())
    }

    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) -> &Site {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
        self
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.root().join(rel)).expect("remove");
    }

    /// `gazette build --root SITE --date 2025-01-01 ARGS…`
    pub fn build(&self, args: &[&str]) -> Run {
        let mut all = vec!["build"];
        if !args.contains(&"--date") {
            all.extend(["--date", "2025-01-01"]);
        }
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `gazette import SOURCES… EXTRA… --into SITE`; the Run's `out` is the site's content/.
    pub fn import<S: AsRef<std::ffi::OsStr>>(&self, sources: &[S], extra: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gazette"));
        cmd.arg("import").args(sources).args(extra).arg("--into").arg(self.root());
        run_gazette(cmd, self.root().join("content"))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gazette"));
        cmd.args(args).arg("--root").arg(self.root());
        run_gazette(cmd, self.root().join("public"))
    }
}

/// Run a gazette command as a user would (without `CI` set), and collect what it said.
fn run_gazette(mut cmd: Command, out: PathBuf) -> Run {
    let o = cmd.env_remove("CI").output().expect("run gazette");
    Run {
        code: o.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        out,
    }
}

impl Run {
    pub fn ok(&self) -> &Run {
        assert_eq!(self.code, 0, "build failed:\n{}", self.stderr);
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.out.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}\nstderr:\n{}", self.stderr))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.out.join(rel).exists()
    }

    /// The diagnostic line (first line) that contains `needle`.
    pub fn diag(&self, needle: &str) -> String {
        self.stderr
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no diagnostic containing {needle:?} in:\n{}", self.stderr))
            .to_string()
    }

    /// All files of the output, relative, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = walkdir(&self.out);
        v.sort();
        v
    }
}

/// The demo library (the repository's root) built into a fresh temporary folder: the
/// folder (removed when dropped) and the output in it.
pub fn built_demo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("public");
    build_into(Path::new(env!("CARGO_MANIFEST_DIR")), &out);
    (tmp, out)
}

/// `gazette build` of the site at `root` into `out` at a fixed date (2025-06-01), which
/// must succeed: for tests that look at a built site in a browser.
pub fn build_into(root: &Path, out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["build", "--date", "2025-06-01", "--root"])
        .arg(root)
        .arg("-o")
        .arg(out)
        .env_remove("CI")
        .output()
        .expect("gazette");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A site holding an N-document library generated by ../shared/bench/gen_corpus.py
/// (written from the contract, not by us). `None` when the generator is not beside the
/// checkout (allowed outside CI only).
pub fn generated_site(n: usize) -> Option<Site> {
    let gen = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_corpus.py");
    if !gen.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have ../shared beside the checkout: {} not found",
            gen.display()
        );
        eprintln!("skipping: {} not found", gen.display());
        return None;
    }
    let s = Site::empty();
    let o =
        Command::new("python3").arg(&gen).arg(n.to_string()).arg(s.root()).arg("--force").output().expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(s)
}

/// Every file of an output folder with its bytes, sorted.
pub fn snapshot(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = walkdir(out);
    files.sort();
    files.into_iter().map(|f| (f.clone(), std::fs::read(out.join(&f)).expect("read"))).collect()
}

/// The paths where two snapshots differ (missing on one side, or other bytes).
pub fn differences(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) -> Vec<String> {
    let bm: std::collections::BTreeMap<&str, &Vec<u8>> = b.iter().map(|(p, d)| (p.as_str(), d)).collect();
    let am: std::collections::BTreeMap<&str, &Vec<u8>> = a.iter().map(|(p, d)| (p.as_str(), d)).collect();
    let mut out: Vec<String> =
        a.iter().filter(|(p, d)| bm.get(p.as_str()) != Some(&d)).map(|(p, _)| p.clone()).collect();
    out.extend(b.iter().filter(|(p, _)| !am.contains_key(p.as_str())).map(|(p, _)| p.clone()));
    out
}

fn walkdir(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).expect("prefix").to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}

/// The `href`/`src` values of a page.
pub fn links(html: &str) -> Vec<String> {
    gazette::linkcheck::scan(html).0
}

/// The visible text of a page (tags removed, entities for `&<>` decoded), for asserting
/// on what a reader sees.
pub fn text(html: &str) -> String {
    let re = regex::Regex::new(r"(?s)<script.*?</script>|<style.*?</style>|<[^>]*>").expect("regex");
    re.replace_all(html, " ").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// Are the browser test tools here (Chromium, node, tests/browser/node_modules)? In CI they
/// must be (.ci/run installs them); locally a test without them skips.
pub fn browser_tools_available() -> bool {
    let ok = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/playwright-core").exists()
        && Path::new(&std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())).exists()
        && Command::new("node").arg("--version").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium, node and tests/browser/node_modules (.ci/run)"
        );
        eprintln!("skipping: browser tools not installed (apt-get install chromium; npm ci --prefix tests/browser)");
    }
    ok
}

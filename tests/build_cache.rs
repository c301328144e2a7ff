//! The incremental build cache (`.gazette-cache/`): after one edit, a second `gazette
//! build` renders only the pages the edit affects, and its output is byte-identical to a
//! clean build. Checked on a library written by ../shared/bench/gen_corpus.py.

mod common;
use common::*;
use std::path::Path;

/// `gazette build` of `site` into `out`; returns (pages rendered, pages built).
fn build(site: &Site, out: &Path) -> (usize, usize) {
    let r = site.build(&["-o", out.to_str().expect("utf-8 path")]);
    r.ok();
    let line = r.diag("built ");
    let num = |after: &str| -> usize {
        let rest = &line[line.find(after).expect("field") + after.len()..];
        rest.split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse().ok()).expect("number")
    };
    (num("("), num("built "))
}

/// Every document file of `site`, relative to its root, sorted.
fn document_files(site: &Site) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(site.root().join("content/documents"))
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.path().strip_prefix(site.root()).expect("rel").to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

/// A clean build into a fresh folder (no previous output, so nothing to reuse).
fn clean(site: &Site, name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = site.root().join(name);
    std::fs::remove_dir_all(&dir).ok();
    let (rendered, pages) = build(site, &dir);
    assert_eq!(rendered, pages, "a clean build renders every page");
    snapshot(&dir)
}

/// Assert that output `out` is what a clean build of `site` makes now ("after `step`"),
/// built into the site's folder `clean` and removed again.
fn assert_same_as_clean(site: &Site, out: &Path, step: &str) {
    let clean = clean(site, "clean");
    assert_eq!(differences(&snapshot(out), &clean), Vec::<String>::new(), "after {step}");
    std::fs::remove_dir_all(site.root().join("clean")).expect("rm clean");
}

/// When output file `rel` of `out` was last written.
fn modified(out: &Path, rel: &str) -> std::time::SystemTime {
    std::fs::metadata(out.join(rel)).and_then(|m| m.modified()).expect("output file")
}

/// Date every content file an hour back, as files are that were not saved a moment ago:
/// a build trusts (and records) a file's stamp only once it has settled (`Stamp::settled`),
/// so without this a test's first builds would read every file as new.
fn settle(site: &Site) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in walkdir::WalkDir::new(site.root().join("content")).into_iter().flatten() {
        if entry.file_type().is_file() {
            let f = std::fs::File::options().write(true).open(entry.path()).expect("open");
            f.set_modified(then).expect("set mtime");
        }
    }
}

/// The default theme's template `name`, as the binary has it built in.
fn theme_file(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates").join(name))
        .expect("template")
}

/// Override the base template that every page uses with one that says 模板已修改.
fn edit_base_template(site: &Site) {
    let base = theme_file("base.html");
    site.write("themes/default/templates/base.html", &base.replacen("</footer>", "<p>模板已修改</p></footer>", 1));
}

/// Document `rel` of `site` under the id `id`, without its 发文字号 and 索引号 (a copy
/// with them would clash with the original).
fn copy_of(site: &Site, rel: &str, id: &str) -> String {
    let text = std::fs::read_to_string(site.root().join(rel)).expect("read");
    let old = text.lines().find_map(|l| l.strip_prefix("id: ")).expect("id").to_string();
    text.replacen(&format!("id: {old}"), &format!("id: {id}"), 1)
        .lines()
        .filter(|l| !l.starts_with("doc_number:") && !l.starts_with("index_number:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A generated 300-document library, settled, built once into its `public/` (`None`:
/// see `generated_site`).
fn built_library() -> Option<(Site, std::path::PathBuf)> {
    let site = generated_site(300)?;
    settle(&site);
    let out = site.root().join("public");
    build(&site, &out);
    Some((site, out))
}

fn edit(site: &Site, rel: &str, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(site.root().join(rel)).expect("read");
    site.write(rel, &f(text));
}

#[test]
fn one_edit_renders_only_what_it_affects_and_matches_a_clean_build() {
    let Some(site) = generated_site(300) else { return };
    settle(&site);
    let out = site.root().join("public");
    let (rendered, pages) = build(&site, &out);
    assert_eq!(rendered, pages, "the first build renders everything");
    assert!(pages > 300);
    assert_eq!(build(&site, &out).0, 0, "nothing changed, nothing rendered");

    // A new paragraph in one document's body: its page, nothing else.
    let files = document_files(&site);
    let doc = &files[7];
    edit(&site, doc, |t| format!("{t}\n\n新增的一段正文，用于检验增量构建。\n"));
    let (rendered, _) = build(&site, &out);
    assert_eq!(rendered, 1, "a body edit renders its own page only");
    assert_eq!(differences(&snapshot(&out), &clean(&site, "clean1")), Vec::<String>::new());

    // A new title: the document's page, the listings and relation boxes that show it.
    edit(&site, doc, |t| t.replacen("\ntitle: ", "\ntitle: 修订后的", 1));
    let (rendered, pages) = build(&site, &out);
    assert!(rendered > 1 && rendered < pages / 2, "{rendered} of {pages} pages rendered after a title edit");
    assert_eq!(differences(&snapshot(&out), &clean(&site, "clean2")), Vec::<String>::new());

    // A page changed by hand in the output is not trusted: it is rendered again.
    let page = out.join("index.html");
    let original = std::fs::read(&page).expect("read");
    std::fs::remove_file(&page).expect("rm");
    std::fs::write(&page, b"tampered").expect("write");
    assert_eq!(build(&site, &out).0, 1);
    assert_eq!(std::fs::read(&page).expect("read"), original);

    // A template change reaches every page that uses it, and no other: the document
    // template renders the document pages again, not the listings or the home page.
    let document = theme_file("document.html");
    assert!(document.contains("{% endblock"), "document.html has blocks to edit");
    let marked = document.replacen("{% endblock", "<p>文件模板已修改</p>{% endblock", 1);
    site.write("themes/default/templates/document.html", &marked);
    let (rendered, _) = build(&site, &out);
    let document_pages = std::fs::read_dir(out.join("documents"))
        .expect("documents/")
        .flatten()
        .filter(|e| e.path().join("index.html").is_file())
        .count();
    assert_eq!(rendered, document_pages, "a document template edit renders the document pages only");
    let home = std::fs::read_to_string(out.join("index.html")).expect("home");
    assert!(!home.contains("文件模板已修改"));
    assert_eq!(differences(&snapshot(&out), &clean(&site, "clean3a")), Vec::<String>::new());

    edit_base_template(&site);
    let (rendered, pages) = build(&site, &out);
    assert!(rendered > pages * 9 / 10, "{rendered} of {pages} rendered after a template edit");
    assert!(std::fs::read_to_string(out.join("index.html")).expect("home").contains("模板已修改"));
    assert_eq!(differences(&snapshot(&out), &clean(&site, "clean3")), Vec::<String>::new());
}

#[test]
fn a_relative_output_folder_finds_its_cache_from_the_first_build_on() {
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "", "正文。"));
    let build = || {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_gazette"))
            .args(["build", "--date", "2025-01-01", "-o", "site-out"])
            .current_dir(s.root())
            .env_remove("CI")
            .output()
            .expect("run");
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    assert!(!s.root().join("site-out").exists());
    let first = build();
    assert!(!first.contains("(0 rendered"), "{first}");
    let second = build();
    assert!(second.contains("(0 rendered"), "the second build reuses every page: {second}");
}

#[test]
fn another_build_of_gazette_renders_every_page_again() {
    // A rebuilt binary may render differently (a changed filter or rule) under the same
    // version number: pages cached by one binary must never be reused by another.
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "", "正文。"));
    s.write("content/documents/b.md", &doc("b", "", "正文。"));
    let bin = s.root().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let first = bin.join("gazette-1");
    let second = bin.join("gazette-2");
    std::fs::copy(env!("CARGO_BIN_EXE_gazette"), &first).expect("copy");
    let mut bytes = std::fs::read(env!("CARGO_BIN_EXE_gazette")).expect("read");
    bytes.extend_from_slice(b"another build"); // same program, other bytes: another binary
    std::fs::write(&second, bytes).expect("write");
    std::fs::set_permissions(&second, std::fs::metadata(&first).expect("meta").permissions()).expect("chmod");
    let build = |exe: &Path| {
        let o = std::process::Command::new(exe)
            .args(["build", "--date", "2025-01-01", "--root"])
            .arg(s.root())
            .env_remove("CI")
            .output()
            .expect("run");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    build(&first);
    assert!(build(&first).contains("(0 rendered"), "the same binary reuses its pages");
    let other = build(&second);
    let rendered_all = |line: &str| {
        let l = line.lines().find(|l| l.starts_with("built ")).expect("summary");
        let n: Vec<&str> = l.split(|c: char| !c.is_ascii_digit()).filter(|x| !x.is_empty()).collect();
        n[0] == n[1]
    };
    assert!(rendered_all(&other), "another binary renders every page: {other}");
}

/// `gazette build` twice with nothing changed: the second finds every input as the first
/// left it and finishes without building, saying the same warnings and summary; any
/// change to what the output is built from, or to the output itself, builds again.
#[test]
fn unchanged_inputs_are_not_built_again() {
    let site = Site::new();
    // A warning (成文日期 after 发布日期), an embargoed document and an attachment.
    site.write("content/documents/a.md", &doc("a", "written: 2024-06-01\n", "正文[附件](files/a.txt)。"));
    site.write("content/documents/b.md", &doc("b", "", "乙").replace("published: 2024-05-01", "published: 2025-03-01"));
    site.write("content/files/a.txt", "附件");
    let first = site.build(&[]);
    first.ok();
    assert!(!first.stderr.contains("up to date"), "{}", first.stderr);
    let warning = first.diag("warning:");
    let before = snapshot(&site.root().join("public"));

    let again = site.build(&[]);
    again.ok();
    assert!(again.stderr.contains("up to date: no input changed"), "{}", again.stderr);
    assert_eq!(again.diag("warning:"), warning, "the same warnings are reported");
    assert!(again.stderr.contains("1 document(s) embargoed"), "{}", again.stderr);
    // Same pages and files, none rendered: "built 18 pages (0 rendered, 61 files, 61 unchanged)".
    let (a, b) = (first.diag("built "), again.diag("built "));
    let files = |l: &str| l.split(", ").nth(1).map(str::to_string);
    assert_eq!((a.split(" (").next(), files(&a)), (b.split(" (").next(), files(&b)));
    assert!(b.contains("(0 rendered"), "{b}");
    assert_eq!(differences(&snapshot(&site.root().join("public")), &before), Vec::<String>::new());

    // A file saved again with the same bytes (a fresh checkout, an editor's save): still
    // nothing to do.
    let text = std::fs::read_to_string(site.root().join("content/documents/a.md")).expect("read");
    std::thread::sleep(std::time::Duration::from_millis(20));
    site.write("content/documents/a.md", &text);
    assert!(site.build(&[]).ok().stderr.contains("up to date"));

    let rebuilt = |why: &str, args: &[&str]| {
        let run = site.build(args);
        run.ok();
        assert!(!run.stderr.contains("up to date"), "{why}: built again\n{}", run.stderr);
        assert!(site.build(args).ok().stderr.contains("up to date"), "{why}: then up to date");
    };
    site.write("content/documents/a.md", &text.replace("正文", "修改后的正文"));
    rebuilt("a body edit", &[]);
    assert!(site.root().join("public/documents/a/index.html").exists());
    let page = std::fs::read_to_string(site.root().join("public/documents/a/index.html")).expect("page");
    assert!(page.contains("修改后的正文"));
    site.write("content/files/a.txt", "新附件");
    rebuilt("an attachment", &[]);
    site.write("content/documents/c.md", &doc("c", "", "丙"));
    rebuilt("a new document", &[]);
    site.remove("content/documents/c.md");
    rebuilt("a removed document", &[]);
    rebuilt("another date", &["--date", "2025-06-01"]);
    rebuilt("another base_url", &["--date", "2025-06-01", "--base-url", "https://other.example.cn/"]);
    let cfg = std::fs::read_to_string(site.root().join("gazette.yaml")).expect("cfg");
    site.write("gazette.yaml", &format!("{cfg}\nminify: true\n"));
    rebuilt("gazette.yaml", &["--date", "2025-06-01", "--base-url", "https://other.example.cn/"]);
    site.write("gazette.yaml", &cfg);
    site.write("themes/default/static/extra.css", "p{}");
    rebuilt("a theme file", &[]);
    assert!(site.root().join("public/extra.css").exists() || site.root().join("public/static/extra.css").exists());

    // The output changed by hand: a page removed, a page edited. Built again, repaired.
    let out = site.root().join("public");
    let before = snapshot(&out);
    std::fs::remove_file(out.join("documents/a/index.html")).expect("rm");
    rebuilt("a page removed from the output", &[]);
    std::fs::write(out.join("index.html"), "tampered").expect("write");
    rebuilt("a page edited in the output", &[]);
    assert_eq!(differences(&snapshot(&out), &before), Vec::<String>::new());

    // A build that fails changes nothing, and after the fix the output is up to date.
    let now = std::fs::read_to_string(site.root().join("content/documents/a.md")).expect("read");
    site.write("content/documents/a.md", &now.replace("issuer: qzf", "issuer: nobody"));
    assert_eq!(site.build(&[]).code, 1);
    assert_eq!(differences(&snapshot(&out), &before), Vec::<String>::new());
    site.write("content/documents/a.md", &now);
    assert!(site.build(&[]).ok().stderr.contains("up to date"));

    // The inputs are the files the build loads: one its walk of content/ passes over
    // (.DS_Store) changes nothing; a walk that finds something wrong is a build that
    // reports it, though every file it loads is unchanged.
    site.write("content/documents/.DS_Store", "finder");
    assert!(site.build(&[]).ok().stderr.contains("up to date"));
    #[cfg(unix)]
    {
        let link = site.root().join("content/files/passwd.txt");
        std::os::unix::fs::symlink("/etc/passwd", &link).expect("symlink");
        let run = site.build(&[]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stderr.contains("content/files/passwd.txt") && run.stderr.contains("points outside the site"));
        assert_eq!(differences(&snapshot(&out), &before), Vec::<String>::new());
        std::fs::remove_file(&link).expect("rm link");
        assert!(site.build(&[]).ok().stderr.contains("up to date"));
    }

    // `gazette check` always checks.
    assert!(!site.run(&["check", "--date", "2025-01-01"]).stderr.contains("up to date"));
}

/// A file saved again within its file system's time resolution, with the same length,
/// keeps its stamp (length and modification time). The inputs record must not take the
/// stamp's word for a file modified that close to the build that read it: the change is
/// built, not reported "up to date".
#[test]
fn a_same_length_save_with_the_same_stamp_is_still_seen() {
    let site = Site::new();
    site.write("content/documents/a.md", &doc("a", "", "第一版正文。"));
    site.build(&[]).ok();
    let path = site.root().join("content/documents/a.md");
    let mtime = std::fs::metadata(&path).expect("meta").modified().expect("mtime");
    let text = std::fs::read_to_string(&path).expect("read");
    let edited = text.replace("第一版", "第二版");
    assert_eq!(edited.len(), text.len());
    std::fs::write(&path, &edited).expect("write");
    std::fs::File::options().write(true).open(&path).and_then(|f| f.set_modified(mtime)).expect("set mtime");
    let run = site.build(&[]);
    run.ok();
    assert!(!run.stderr.contains("up to date"), "{}", run.stderr);
    assert!(run.read("documents/a/index.html").contains("第二版正文"));
}

/// `gazette build` keeps a record of its search index (`.gazette-cache/search-*.bin`) and
/// indexes again only the items whose text changed, keeping the search files nothing
/// touched. Whatever the edit — a body, a title, a document added, removed or moved in
/// the order by its date, an interpretation added, a search file changed by hand in the
/// output, a damaged record, a build that fails — the output equals a clean build's.
#[test]
fn the_search_index_carried_over_matches_a_clean_build_after_every_kind_of_edit() {
    let Some((site, out)) = built_library() else { return };
    let cache = site.root().join(".gazette-cache");
    let record = || -> std::path::PathBuf {
        let mut found: Vec<_> = std::fs::read_dir(&cache)
            .expect("cache folder")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("search-")))
            .collect();
        found.sort();
        assert!(!found.is_empty(), "a build leaves a search record in .gazette-cache/");
        found[0].clone()
    };
    // The record of `public/` (clean builds leave their own, under another name).
    let ours = record();
    let same_as_clean = |step: &str| {
        let (rendered, pages) = build(&site, &out);
        assert!(rendered < pages, "{step}: the build was incremental");
        assert_same_as_clean(&site, &out, step);
    };
    let docs = document_files(&site);
    let front = |rel: &str, key: &str| -> String {
        let text = std::fs::read_to_string(site.root().join(rel)).expect("read");
        let line = text.lines().find(|l| l.starts_with(&format!("{key}: "))).expect("key").to_string();
        line[key.len() + 2..].to_string()
    };

    edit(&site, &docs[7], |t| format!("{t}\n\n搜索索引增量更新的新段落。\n"));
    same_as_clean("a body edit");
    assert!(out.join("search").is_dir());
    let texts = std::fs::read_dir(out.join("search/text")).expect("text files").flatten().count();
    let with_paragraph = std::fs::read_dir(out.join("search/text"))
        .expect("text files")
        .flatten()
        .filter(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("搜索索引增量更新的新段落")))
        .count();
    assert_eq!(with_paragraph, 1, "the edited text is in its document's text file (of {texts})");

    edit(&site, &docs[7], |t| t.replacen("\ntitle: \"", "\ntitle: \"修订后的", 1));
    same_as_clean("a title edit");

    // An expiry date: the document's result line says 已失效, its text is as it was.
    let published = front(&docs[9], "published");
    edit(&site, &docs[9], |t| {
        t.replacen(&format!("published: {published}"), &format!("published: {published}\nexpires: {published}"), 1)
    });
    same_as_clean("an expiry date");

    // A new document, dated to land in the middle of the order.
    let new_doc = copy_of(&site, &docs[3], "zz-new-0001").replacen("\ntitle: \"", "\ntitle: \"新增的", 1);
    site.write("content/documents/zz-new-0001.md", &new_doc);
    same_as_clean("a new document");

    edit(&site, &docs[11], |t| format!("{t}\n\n删除另一篇文件前的新段落。\n"));
    same_as_clean("another body edit");
    // (The new document: nothing cites it.)
    site.remove("content/documents/zz-new-0001.md");
    same_as_clean("a removed document");

    let written = front(&docs[20], "written");
    let published = front(&docs[20], "published");
    edit(&site, &docs[20], |t| t.replacen(&format!("published: {published}"), &format!("published: {written}"), 1));
    same_as_clean("a document moved in the order by its date");

    let interps = site.root().join("content/interpretations");
    let first = std::fs::read_dir(&interps).expect("interpretations").flatten().map(|e| e.path()).min().expect("one");
    let jd = std::fs::read_to_string(&first).expect("read");
    let jd_id = jd.lines().find_map(|l| l.strip_prefix("id: ")).expect("id").to_string();
    site.write(
        "content/interpretations/zz-jd-new.md",
        &jd.replacen(&format!("id: {jd_id}"), "id: zz-jd-new", 1).replacen("\ntitle: \"", "\ntitle: \"又一篇", 1),
    );
    same_as_clean("a new interpretation");
    // Its title: its row on the interpretations index (a page with its own inputs key).
    edit(&site, "content/interpretations/zz-jd-new.md", |t| {
        t.replacen("\ntitle: \"又一篇", "\ntitle: \"改了题目的又一篇", 1)
    });
    same_as_clean("an interpretation's title");

    // Search files changed by hand in the output are not trusted: written again.
    let shard =
        std::fs::read_dir(out.join("search/idx")).expect("idx").flatten().map(|e| e.path()).min().expect("shard");
    let text_file =
        std::fs::read_dir(out.join("search/text")).expect("text").flatten().map(|e| e.path()).min().expect("text");
    std::fs::write(&shard, "{}").expect("write");
    std::fs::write(&text_file, "\"tampered\"").expect("write");
    edit(&site, &docs[30], |t| format!("{t}\n\n又一个新段落。\n"));
    same_as_clean("search files changed by hand");

    // A damaged record is not read: everything is indexed again.
    let bytes = std::fs::read(&ours).expect("record");
    std::fs::write(&ours, &bytes[..bytes.len() / 2]).expect("write");
    edit(&site, &docs[31], |t| format!("{t}\n\n再一个新段落。\n"));
    same_as_clean("a damaged record");

    // A failed build leaves the record as it was, and nothing beside it.
    let before = std::fs::read(&ours).expect("record");
    edit(&site, &docs[40], |t| format!("{t}\n\n失败构建前的新段落。\n"));
    let issuer = front(&docs[40], "issuer");
    edit(&site, &docs[40], |t| t.replacen(&format!("issuer: {issuer}"), "issuer: nobody", 1));
    let failed = site.build(&["-o", out.to_str().expect("utf-8")]);
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert_eq!(std::fs::read(&ours).expect("record"), before, "a failed build keeps the record");
    let stray: Vec<_> = std::fs::read_dir(&cache)
        .expect("cache")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".new") || n.ends_with(".tmp"))
        .collect();
    assert_eq!(stray, Vec::<String>::new(), "nothing left beside the cache files");
    edit(&site, &docs[40], |t| t.replacen("issuer: nobody", &format!("issuer: {issuer}"), 1));
    same_as_clean("the fix after a failed build");
}

/// The demo library copied into a fresh site (it has every kind of page, gazette issues
/// among them).
fn demo_site() -> Site {
    let site = Site::empty();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for entry in walkdir::WalkDir::new(repo.join("content")).into_iter().flatten() {
        let rel = entry.path().strip_prefix(repo).expect("rel");
        if entry.file_type().is_file() {
            let text = std::fs::read_to_string(entry.path()).expect("read");
            site.write(&rel.to_string_lossy(), &text);
        }
    }
    site.write("gazette.yaml", &std::fs::read_to_string(repo.join("gazette.yaml")).expect("gazette.yaml"));
    site
}

#[test]
fn pages_that_show_bodies_from_the_record_match_a_clean_build() {
    let site = demo_site();
    settle(&site);
    let out = site.root().join("public");
    build(&site, &out);
    let cache = site.root().join(".gazette-cache");
    let records: Vec<String> = std::fs::read_dir(&cache)
        .expect("cache folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("bodies-"))
        .collect();
    assert!(!records.is_empty(), "a build leaves a record of its bodies");
    let same_as_clean = |step: &str| {
        let (rendered, pages) = build(&site, &out);
        assert!(rendered > 0 && rendered < pages, "{step}: {rendered} of {pages} pages rendered");
        assert_same_as_clean(&site, &out, step);
    };

    // A title in a gazette issue: the full-text page shows the bodies of the
    // issue's other documents, which this build took from the record without their HTML.
    let rel = "content/documents/2024/sjq-2024-zwgk.md";
    edit(&site, rel, |t| t.replacen("\ntitle: ", "\ntitle: 修订后的", 1));
    same_as_clean("a title edit of a document in a gazette issue");
    let full = std::fs::read_dir(out.join("gazette"))
        .expect("gazette/")
        .flatten()
        .flat_map(|year| std::fs::read_dir(year.path()).into_iter().flatten().flatten())
        .map(|e| e.path().join("all/index.html"))
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("修订后的")))
        .expect("an issue's full-text page shows the new title");
    let text = std::fs::read_to_string(full).expect("read");
    assert!(text.contains("沪交办〔2024〕323号") && text.len() > 20_000, "the other bodies are in it");

    // A template that every page uses: every page is rendered again, every body from the
    // record made again from its file (documents, interpretations, topics, pages, decisions).
    edit_base_template(&site);
    let (rendered, pages) = build(&site, &out);
    assert!(rendered > pages * 9 / 10, "{rendered} of {pages} rendered after a template edit");
    let clean = clean(&site, "clean");
    assert_eq!(differences(&snapshot(&out), &clean), Vec::<String>::new(), "after a template edit");
}

/// `gazette build` keeps what it parsed of each content file (`.gazette-cache/content-*.bin`)
/// and takes an unchanged file from there instead of reading it: with everything the
/// file's checks found, the privacy lint's findings included, which are reported once
/// the item is published even though the file was not read again.
#[test]
fn files_taken_from_the_content_record_keep_their_findings() {
    let site = Site::new();
    site.write("content/documents/a.md", &doc("a", "", "## 第一条\n\n正文。"));
    site.write("content/documents/b.md", &doc("b", "", "见[文件a](doc:a#第一条)。"));
    // Published in 2026: hidden from a build dated 2025, with a mobile number in it.
    let embargoed = doc("c", "", "联系电话：13812345678。").replace("published: 2024-05-01", "published: 2026-03-01");
    site.write("content/documents/c.md", &embargoed);
    settle(&site);
    let out = site.root().join("public");
    let run = |date: &str| site.build(&["-o", out.to_str().expect("utf-8"), "--date", date]);
    run("2025-01-01").ok();
    let record: Vec<u64> = std::fs::read_dir(site.root().join(".gazette-cache"))
        .expect("cache")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("content-"))
        .map(|e| e.metadata().expect("meta").len())
        .collect();
    assert!(record.iter().sum::<u64>() > 300, "a record of the content: {record:?}");

    // The next day's build takes every file from the record; c is now published.
    let failed = run("2026-06-01");
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(failed.stderr.contains("content/documents/c.md:"), "{}", failed.stderr);
    assert!(failed.stderr.contains("personal information in published content"), "{}", failed.stderr);
    assert!(failed.stderr.contains("138****5678"), "{}", failed.stderr);

    // Files come from the record by their stamp alone, as the inputs record trusts them.
    // A file changed behind an unchanged stamp (same length, modification time set back)
    // is caught where its text is needed again, and the build fails at that file rather
    // than publish its old metadata with its new text; saving it again mends it.
    site.remove("content/documents/c.md");
    let a = site.root().join("content/documents/a.md");
    let mtime = std::fs::metadata(&a).expect("meta").modified().expect("mtime");
    let text = std::fs::read_to_string(&a).expect("read");
    std::fs::write(&a, text.replace("正文。", "改文。")).expect("write");
    std::fs::File::options().write(true).open(&a).and_then(|f| f.set_modified(mtime)).expect("set mtime");
    let caught = run("2026-06-02");
    assert_eq!(caught.code, 1, "{}", caught.stderr);
    assert!(caught.stderr.contains("content/documents/a.md:1:1: error: the file changed"), "{}", caught.stderr);
    site.write("content/documents/a.md", &std::fs::read_to_string(&a).expect("read"));
    let mended = run("2026-06-02");
    mended.ok();
    assert!(mended.read("documents/a/index.html").contains("改文。"));
}

/// A build killed while it wrote a cache record leaves a temporary file in
/// `.gazette-cache/`; the next build that writes that record removes it.
#[test]
fn leftovers_of_killed_builds_are_removed_from_the_cache_folder() {
    let site = Site::new();
    site.write("content/documents/a.md", &doc("a", "", "正文。"));
    let out = site.root().join("public");
    let build = || site.build(&["-o", out.to_str().expect("utf-8")]).ok().code;
    build();
    let cache = site.root().join(".gazette-cache");
    let names = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&cache)
            .expect("cache")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let before = names();
    let leftovers: Vec<String> = before
        .iter()
        .filter(|n| n.starts_with("content-") || n.starts_with("bodies-") || n.starts_with("search-"))
        .map(|n| if n.starts_with("search-") { format!("{n}.4194301.new") } else { format!(".{n}-4194301.tmp") })
        .collect();
    assert_eq!(leftovers.len(), 3, "{before:?}");
    for l in &leftovers {
        std::fs::write(cache.join(l), "half written").expect("write");
    }
    site.write("content/documents/a.md", &doc("a", "", "改过的正文。"));
    build();
    let left: Vec<String> = names().into_iter().filter(|n| n.ends_with(".tmp") || n.ends_with(".new")).collect();
    assert_eq!(left, Vec::<String>::new(), "only the records themselves are left");
}

/// A CI runner checks the site out afresh (every file's modification time new) and
/// restores `.gazette-cache/` and the output: the content record still recognises every
/// file by its bytes, and only the files that changed are read and parsed.
#[test]
fn a_fresh_checkout_parses_only_the_files_whose_bytes_changed() {
    let site = Site::new();
    for id in ["a", "b", "c"] {
        site.write(&format!("content/documents/{id}.md"), &doc(id, "", "正文。"));
    }
    let out = site.root().join("public");
    let build = |date: &str| site.build(&["-o", out.to_str().expect("utf-8"), "--date", date, "--timings"]);
    let parsed =
        |run: &Run| run.stderr.lines().find(|l| l.starts_with("content files:")).unwrap_or_default().to_string();
    assert!(parsed(build("2025-01-01").ok()).starts_with("content files: 3 of 3 read and parsed"));
    // A fresh checkout: new times, same bytes (and a build date of its own, so the build
    // is not simply up to date).
    let checkout = |rel: &str| {
        let f = std::fs::File::options().write(true).open(site.root().join(rel)).expect("open");
        f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(600)).expect("set mtime");
    };
    for id in ["a", "b", "c"] {
        checkout(&format!("content/documents/{id}.md"));
    }
    let run = build("2025-01-02");
    assert!(parsed(run.ok()).starts_with("content files: 0 of 3 read and parsed"), "{}", run.stderr);
    site.write("content/documents/b.md", &doc("b", "", "改过的正文。"));
    let run = build("2025-01-03");
    assert!(parsed(run.ok()).starts_with("content files: 1 of 3 read and parsed"), "{}", run.stderr);
    assert!(run.read("documents/b/index.html").contains("改过的正文"));
}

/// The catalogue (`api/documents.*`) and the finder (`finder/`) show every published
/// document's metadata and, of its body, only its 任务分解: a body edit that leaves the
/// tasks as they were leaves those files as the last build wrote them, one that changes a
/// task makes them again, and a file changed by hand is written again.
#[test]
fn catalogue_and_finder_files_follow_metadata_and_tasks_not_bodies() {
    let site = demo_site();
    settle(&site);
    let out = site.root().join("public");
    build(&site, &out);
    let stamp = |rel: &str| modified(&out, rel);
    let watched = ["api/documents.json", "api/documents.csv", "finder/config.json"];
    let before: Vec<_> = watched.iter().map(|f| stamp(f)).collect();
    let plan = "content/documents/2018/jdq-2018-zwgk.md";

    // A paragraph that is not a task: the files stay as they were.
    std::thread::sleep(std::time::Duration::from_millis(20));
    edit(&site, plan, |t| format!("{t}\n\n本要点由区政府办公室负责解释。\n"));
    assert_eq!(build(&site, &out).0, 1, "a body edit renders its page only");
    let after: Vec<_> = watched.iter().map(|f| stamp(f)).collect();
    assert_eq!(after, before, "a body edit leaves the catalogue and the finder as they were");
    assert_same_as_clean(&site, &out, "a body edit");

    // A new task: the catalogue lists it.
    let task = "99.建立增量构建检验台账。（责任单位：区数据局）";
    edit(&site, plan, |t| t.replacen("7.制定发布", &format!("{task}\n\n7.制定发布"), 1));
    build(&site, &out);
    let json = std::fs::read_to_string(out.join("api/documents.json")).expect("catalogue");
    assert!(json.contains("建立增量构建检验台账"), "the catalogue shows the new task");
    assert_same_as_clean(&site, &out, "a new task");

    // A tag: the finder lists the document under it.
    let finder =
        || -> Vec<(String, Vec<u8>)> { snapshot(&out).into_iter().filter(|(p, _)| p.starts_with("finder/")).collect() };
    let finder_before = finder();
    edit(&site, plan, |t| t.replacen("tags: [政务公开,", "tags: [个人, 政务公开,", 1));
    build(&site, &out);
    assert_ne!(finder(), finder_before, "the finder shows the new tag");
    assert_same_as_clean(&site, &out, "a new tag");

    // Files changed by hand are written again, even when nothing they show changed.
    std::fs::write(out.join("api/documents.csv"), "tampered").expect("write");
    std::fs::remove_file(out.join("finder/config.json")).expect("rm");
    edit(&site, plan, |t| format!("{t}\n\n又一段正文。\n"));
    build(&site, &out);
    assert_same_as_clean(&site, &out, "catalogue and finder files changed by hand");
}

/// Date every folder of `out` an hour back, as folders are that no build touched lately.
fn age_folders(out: &Path) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in walkdir::WalkDir::new(out).into_iter().flatten() {
        if entry.file_type().is_dir() {
            std::fs::File::open(entry.path()).and_then(|f| f.set_modified(then)).expect("set folder time");
        }
    }
}

/// The commit finds the files to delete in the last build's record of the output, and
/// lists only the folders whose time changed since that build: files put into the
/// output by hand (into an old folder, a new folder, the top) are still removed, and
/// so are the pages of a removed document.
#[test]
fn files_added_to_the_output_by_hand_are_removed_without_walking_it() {
    let site = demo_site();
    settle(&site);
    let out = site.root().join("public");
    build(&site, &out);
    let rel = "content/documents/2024/sjq-2024-zwgk.md";
    let new_doc = std::fs::read_to_string(site.root().join(rel)).expect("read").replacen(
        "id: sjq-2024-zwgk",
        "id: zz-removed-later",
        1,
    );
    site.write("content/documents/zz-removed-later.md", &new_doc.replacen("\ntitle: ", "\ntitle: 将被删除的", 1));
    build(&site, &out);
    assert!(out.join("documents/zz-removed-later/index.html").is_file());
    // Folders whose times were recorded long after they last changed: trusted.
    age_folders(&out);
    edit(&site, "content/documents/2018/jdq-2018-zwgk.md", |t| format!("{t}\n\n第一段新正文。\n"));
    build(&site, &out);

    std::fs::write(out.join("documents/sjq-2024-zwgk/stray.txt"), "by hand").expect("write");
    std::fs::create_dir_all(out.join("documents/sjq-2024-zwgk/extra/deeper")).expect("mkdir");
    std::fs::write(out.join("documents/sjq-2024-zwgk/extra/deeper/x.html"), "by hand").expect("write");
    std::fs::write(out.join("stray.html"), "by hand").expect("write");
    site.remove("content/documents/zz-removed-later.md");
    edit(&site, "content/documents/2018/jdq-2018-zwgk.md", |t| format!("{t}\n\n第二段新正文。\n"));
    build(&site, &out);
    for gone in ["documents/sjq-2024-zwgk/stray.txt", "documents/sjq-2024-zwgk/extra", "stray.html"] {
        assert!(!out.join(gone).exists(), "{gone} was removed");
    }
    assert!(!out.join("documents/zz-removed-later").exists(), "the removed document's page is gone");
    let clean = clean(&site, "clean");
    assert_eq!(differences(&snapshot(&out), &clean), Vec::<String>::new());
}

#[test]
fn a_new_document_renders_the_pages_it_shifts_not_every_document_page() {
    let Some((site, out)) = built_library() else { return };
    let files = document_files(&site);
    let docs = files.len();
    // A copy of a document, under a new id and without its 发文字号 and 索引号, in a file
    // whose path sorts before every other: each other document's number in the build
    // moves by one. The pages that show it (listings, the documents it relates to) are
    // rendered again; the other documents' pages show nothing that moved.
    site.write("content/documents/0000-aaa-new.md", &copy_of(&site, &files[7], "aaa-new-0001"));
    let (rendered, pages) = build(&site, &out);
    assert!(
        rendered < docs / 2,
        "{rendered} of {pages} pages rendered after one document was added ({docs} documents)"
    );
    assert!(out.join("documents/aaa-new-0001/index.html").is_file());
    assert_eq!(differences(&snapshot(&out), &clean(&site, "clean")), Vec::<String>::new());
}

/// Publishing a document, the daily case, leaves the rest of the search index and the
/// finder as they were: a deploy that uploads what changed uploads its own entries, not
/// every metadata chunk of both indexes (each moved by one when the newest document took
/// the first number).
#[test]
fn publishing_the_newest_document_leaves_the_other_search_and_finder_entries_as_they_were() {
    let Some((site, out)) = built_library() else { return };
    let before = snapshot(&out);
    let files = document_files(&site);
    let tagged =
        files.iter().find(|f| std::fs::read_to_string(site.root().join(f)).is_ok_and(|t| t.contains("\ntags: [\"")));
    let tagged = tagged.expect("a tagged document in the generated library");
    // Dated the build's date (`Site::build`): the newest document published.
    let new = copy_of(&site, tagged, "zz-new-0001");
    let new: String = new
        .lines()
        .map(|l| if l.starts_with("published:") { "published: 2025-01-01".to_string() } else { l.to_string() })
        .map(|l| format!("{l}\n"))
        .collect();
    site.write("content/documents/zz-new.md", &new);
    build(&site, &out);
    assert!(out.join("documents/zz-new-0001/index.html").is_file());
    let changed = differences(&snapshot(&out), &before);
    let chunks = |prefix: &str| before.iter().filter(|(p, _)| p.starts_with(prefix)).count();
    let changed_under = |prefix: &str| -> Vec<&String> { changed.iter().filter(|p| p.starts_with(prefix)).collect() };
    // The last chunk gains the new document's line (or a chunk is added after it).
    let (search, finder) = (chunks("search/meta/"), chunks("finder/meta/"));
    assert!(search > 2 && finder > 2, "several chunks to keep ({search}, {finder})");
    let last = |dir: &str, n: usize| [format!("{dir}{}.json", n - 1), format!("{dir}{n}.json")];
    let search_meta = changed_under("search/meta/");
    assert!(search_meta.iter().all(|p| last("search/meta/", search).contains(*p)), "{search_meta:?} of {search}");
    let finder_meta = changed_under("finder/meta/");
    assert!(finder_meta.iter().all(|p| last("finder/meta/", finder).contains(*p)), "{finder_meta:?} of {finder}");
    let texts = changed_under("search/text/");
    let added = |p: &&String| !before.iter().any(|(q, _)| q == *p);
    assert!(!texts.is_empty() && texts.iter().all(added), "only the new items' texts are written: {texts:?}");
    // The finder's lists of the values it does not carry stay as they were.
    let tags = new.lines().find(|l| l.starts_with("tags:")).map_or(0, |l| l.matches('"').count() / 2);
    let lists = changed_under("finder/t/").len();
    assert!(lists > 0 && lists <= tags, "{lists} finder lists changed for {tags} tags");
    assert_same_as_clean(&site, &out, "a new newest document");
}

/// What a file gave is recorded with the registries it was checked against: removing
/// an organ from organs.yaml makes the document that names it an error, though the
/// document's bytes are the ones recorded; putting it back builds again.
#[test]
fn a_registry_edit_checks_the_unchanged_files_again() {
    let site = Site::new();
    site.write("content/documents/a.md", &doc("a", "", "正文").replace("issuer: qzf", "issuer: qfb"));
    site.write("content/documents/b.md", &doc("b", "", "乙"));
    settle(&site);
    site.build(&[]).ok();
    site.write("content/organs.yaml", "- id: qzf\n  name: 测试区人民政府\n");
    let run = site.build(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("content/documents/a.md") && run.stderr.contains("qfb"), "{}", run.stderr);
    site.write("content/organs.yaml", ORGANS);
    let again = site.build(&[]);
    again.ok();
    assert!(!again.stderr.contains("qfb"), "{}", again.stderr);
}

/// A renamed organ or service reaches every page that shows an item naming it, though the
/// pages of the items that do not name it are taken over by their inputs keys unbuilt:
/// after each edit the output is a clean build's.
#[test]
fn a_renamed_organ_or_service_reaches_every_page_that_shows_it() {
    let site = Site::new();
    let out = site.root().join("public");
    site.write("content/documents/a.md", &doc("a", "basis: [b]\n", "甲"));
    site.write("content/documents/b.md", &doc("b", "services: [sq]\n", "乙").replace("issuer: qzf", "issuer: qfb"));
    settle(&site);
    build(&site, &out);
    site.write("content/organs.yaml", &ORGANS.replace("测试区人民政府办公室", "测试区政府办公室（新）"));
    build(&site, &out);
    let a = std::fs::read_to_string(out.join("documents/a/index.html")).expect("a");
    assert!(a.contains("测试区政府办公室（新）"), "a's 政策依据 shows b's organ's new name");
    assert_same_as_clean(&site, &out, "an organ renamed");
    site.write("content/services.yaml", &SERVICES.replace("政府信息公开申请", "信息公开申请（新）"));
    build(&site, &out);
    assert_same_as_clean(&site, &out, "a service renamed");
}

/// Each Atom feed lists the newest documents of the site, an organ, a topic or a tag, and
/// the sitemaps list every page with its date: a title edit writes again the feeds that
/// list the document and leaves the other feeds and the sitemap as the last build wrote
/// them; a new publication date reaches the sitemap, and so does a new id (the same pages
/// with the same dates, one URL changed); a feed changed by hand is written again. After
/// each step the output is a clean build's.
#[test]
fn feeds_and_sitemaps_are_made_again_only_when_what_they_list_changed() {
    let Some((site, out)) = built_library() else { return };
    let stamp = |rel: &str| modified(&out, rel);
    let read = |rel: &str| std::fs::read_to_string(out.join(rel)).expect("output file");
    let doc = document_files(&site)[7].clone();
    let text = std::fs::read_to_string(site.root().join(&doc)).expect("read");
    let id = text.lines().find_map(|l| l.strip_prefix("id: ")).expect("id").to_string();
    let url = format!("/documents/{id}/");
    let feeds: Vec<String> = snapshot(&out).into_iter().map(|(p, _)| p).filter(|p| p.ends_with("feed.xml")).collect();
    let (listing, others): (Vec<&String>, Vec<&String>) = feeds.iter().partition(|f| read(f).contains(&url));
    assert!(!listing.is_empty() && others.len() > 5, "{} feeds list {url}, {} do not", listing.len(), others.len());
    let before: Vec<_> = others.iter().map(|f| stamp(f)).collect();
    let sitemap = stamp("sitemap.xml");

    std::thread::sleep(std::time::Duration::from_millis(20));
    edit(&site, &doc, |t| t.replacen("\ntitle: \"", "\ntitle: \"修订后的", 1));
    build(&site, &out);
    for f in &listing {
        assert!(read(f).contains("<title>修订后的"), "{f} shows the new title");
    }
    assert_eq!(others.iter().map(|f| stamp(f)).collect::<Vec<_>>(), before, "feeds without the document are kept");
    assert_eq!(stamp("sitemap.xml"), sitemap, "a title edit leaves the sitemap as it was");
    assert_same_as_clean(&site, &out, "a title edit");

    // A new publication date: the sitemap's lastmod.
    let published = text.lines().find_map(|l| l.strip_prefix("published: ")).expect("published").to_string();
    edit(&site, &doc, |t| t.replacen(&format!("\npublished: {published}"), "\npublished: 2024-12-30", 1));
    build(&site, &out);
    assert!(read("sitemap.xml").contains(&format!("{url}</loc><lastmod>2024-12-30</lastmod>")));
    assert_same_as_clean(&site, &out, "a new publication date");

    // A new id, of a document nothing else in content/ names: a new URL in the sitemap,
    // the old one gone.
    let content: Vec<String> = walkdir::WalkDir::new(site.root().join("content"))
        .into_iter()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect();
    let (lone, lone_id) = document_files(&site)
        .into_iter()
        .map(|f| {
            let t = std::fs::read_to_string(site.root().join(&f)).expect("read");
            (f, t.lines().find_map(|l| l.strip_prefix("id: ")).expect("id").to_string())
        })
        .find(|(_, id)| content.iter().filter(|t| t.contains(id.as_str())).count() == 1)
        .expect("a document no other file names");
    edit(&site, &lone, |t| t.replacen(&format!("\nid: {lone_id}\n"), &format!("\nid: {lone_id}-x\n"), 1));
    build(&site, &out);
    let sitemap = read("sitemap.xml");
    assert!(sitemap.contains(&format!("/documents/{lone_id}-x/</loc>")), "the new URL is listed");
    assert!(!sitemap.contains(&format!("/documents/{lone_id}/</loc>")), "the old URL is gone");
    assert_same_as_clean(&site, &out, "a new id");

    // A feed changed by hand is written again, though nothing it lists changed.
    std::fs::write(out.join(others[0]), "tampered").expect("write");
    edit(&site, &doc, |t| format!("{t}\n\n又一段正文。\n"));
    build(&site, &out);
    assert_same_as_clean(&site, &out, "a feed changed by hand");
}

/// A path that was a file in the last output and is a folder now, and back: the commit
/// clears the way (a file where a folder goes, a folder where a file goes) and the output
/// is a clean build's after each step.
#[test]
fn a_file_that_becomes_a_folder_and_back_is_committed_over_the_previous_output() {
    let site = Site::new();
    site.write("content/documents/a.md", &doc("a", "", "正文。"));
    site.write("content/files/plan", "a file at files/plan");
    let out = site.root().join("out");
    build(&site, &out);
    assert_eq!(std::fs::read_to_string(out.join("files/plan")).expect("file"), "a file at files/plan");

    site.remove("content/files/plan");
    site.write("content/files/plan/table.txt", "a file in the folder files/plan");
    build(&site, &out);
    assert!(out.join("files/plan").is_dir(), "files/plan is a folder now");
    assert_eq!(
        std::fs::read_to_string(out.join("files/plan/table.txt")).expect("file"),
        "a file in the folder files/plan"
    );
    assert_same_as_clean(&site, &out, "a file became a folder");

    std::fs::remove_dir_all(site.root().join("content/files/plan")).expect("rm");
    site.write("content/files/plan", "a file again");
    build(&site, &out);
    assert_eq!(std::fs::read_to_string(out.join("files/plan")).expect("file"), "a file again");
    assert_same_as_clean(&site, &out, "a folder became a file");
    // The commits moved every staged file out and removed their staging folders.
    let beside: Vec<String> = std::fs::read_dir(site.root())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(beside.iter().all(|n| !n.contains("gazette-tmp")), "left beside the output: {beside:?}");
}

//! Every input a fuzzer ever crashed on (`fuzz/regressions/<target>/`), replayed through the
//! same property checks the fuzz targets run (`fuzz/props.rs`). `fuzz/run.sh` runs the
//! fuzzers themselves; this keeps what they found fixed.

#[path = "../fuzz/props.rs"]
mod props;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(target);
    let mut n = 0;
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in entries {
        let path = e.expect("entry").path();
        let data = std::fs::read(&path).expect("read");
        let r = std::panic::catch_unwind(|| check(&data));
        assert!(r.is_ok(), "{} fails again", path.display());
        n += 1;
    }
    // Every target has found something; an empty folder means the inputs were lost.
    assert!(n > 0, "no regression inputs found in {}", dir.display());
}

#[test]
fn front_matter_regressions() {
    replay("front_matter", props::front_matter);
}

#[test]
fn markdown_regressions() {
    replay("markdown", props::markdown);
}

#[test]
fn importer_regressions() {
    replay("importer", props::importer);
}

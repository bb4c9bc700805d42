//! Every committed corpus file (`fuzz/corpus/<target>/`) through its target: what a fuzzing run
//! found and kept is checked on every `cargo test`, without libFuzzer.

use std::path::Path;

#[test]
fn every_corpus_file_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut files = 0;
    for (name, target) in truceline_fuzzing::TARGETS {
        let dir = root.join(name);
        let entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        assert!(!entries.is_empty(), "{name} has no corpus");
        for path in entries {
            let data = std::fs::read(&path).unwrap();
            let ok = std::panic::catch_unwind(|| target(&data));
            assert!(ok.is_ok(), "{name}: {} fails", path.display());
            files += 1;
        }
    }
    assert!(files >= truceline_fuzzing::TARGETS.len());
}

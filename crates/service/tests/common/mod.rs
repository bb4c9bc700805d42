//! What the service's tests share.

use std::path::Path;

/// The illustrative Donbas agreement of `examples/donbas`, with its geometry files.
pub fn agreement() -> truceline_agreement::Agreement {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/donbas");
    let files = truceline_agreement::MemoryFiles(
        std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.ok()?.path();
                Some((
                    p.file_name()?.to_str()?.to_string(),
                    std::fs::read_to_string(&p).ok()?,
                ))
            })
            .collect(),
    );
    let toml = std::fs::read_to_string(dir.join("agreement.toml")).unwrap();
    truceline_agreement::load("agreement.toml", &toml, &files).expect("a valid agreement")
}

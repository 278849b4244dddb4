//! The example binaries that `cargo test --workspace --all-features` builds next to the
//! test binaries.

use std::path::PathBuf;

/// `target/<profile>/examples/<name>`, which must exist.
pub fn example_binary(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> → target/<profile>/examples/<name>
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = profile_dir.join("examples").join(name);
    assert!(
        binary.exists(),
        "{} is missing: run the tests with `cargo test --workspace --all-features`, which builds the examples",
        binary.display()
    );
    binary
}

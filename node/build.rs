//! Names the commit the binary was built from, for `hanse --version`: `git describe` of the
//! source tree, or `unknown` outside a git checkout (a crate tarball, a copy without `.git`).

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["describe", "--always", "--abbrev=12"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=HANSE_COMMIT={commit}");
    // Rebuilt when HEAD moves or the index changes (a commit, a checkout, staged edits).
    for path in ["../.git/HEAD", "../.git/index"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

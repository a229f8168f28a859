//! Every fuzz target in the release test suite: its committed seeds (`fuzz/seeds/<target>`)
//! and inputs generated from a fixed seed go through the same body libFuzzer drives
//! (`fuzz/src/targets.rs`), against the demo consortium in process. CI checks the targets
//! this way instead of building them a second time with instrumentation; `fuzz/run` does
//! the long, coverage-guided runs.

// The fuzz crate's modules, compiled here as they are: one body per target, in one place.
#[allow(dead_code)]
#[path = "../../../fuzz/src/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../../../fuzz/src/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};

/// Generated inputs per target, besides its seeds.
const GENERATED: usize = 64;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files in `dir`, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// `count` inputs of 0 to 1,023 bytes from a fixed xorshift stream, so a failure replays.
fn generated_inputs(target: &str, count: usize) -> Vec<Vec<u8>> {
    let mut state = target.bytes().fold(0x9e37_79b9_7f4a_7c15_u64, |s, b| {
        (s ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let len = (next() % 1024) as usize;
            (0..len).map(|_| next() as u8).collect()
        })
        .collect()
}

#[test]
fn every_fuzz_target_replays_its_seeds_and_generated_inputs() {
    let mut declared: Vec<String> = files(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_owned()))
        .collect();
    declared.sort();
    let known: Vec<&str> = targets::TARGETS.iter().map(|(name, _)| *name).collect();
    // A target libFuzzer runs but this test does not (or the reverse) would go unchecked.
    assert_eq!(
        declared, known,
        "fuzz/fuzz_targets and targets::TARGETS differ"
    );
    assert!(
        !known.is_empty(),
        "no fuzz targets: this test would check nothing"
    );
    // The grammar-aware targets drop inputs `arbitrary` cannot shape; most must take shape.
    let shaped = generated_inputs("sparql_query", GENERATED)
        .iter()
        .filter(|input| {
            use arbitrary::{Arbitrary, Unstructured};
            sparql_smith::Query::arbitrary_take_rest(Unstructured::new(input)).is_ok()
        })
        .count();
    assert!(
        shaped >= GENERATED / 4,
        "only {shaped} generated inputs became queries"
    );
    let mut total = 0;
    for (name, body) in targets::TARGETS {
        let seeds = files(&fuzz_dir().join("seeds").join(name));
        for seed in &seeds {
            let bytes = std::fs::read(seed)
                .unwrap_or_else(|e| panic!("cannot read seed {}: {e}", seed.display()));
            eprintln!("fuzz replay: {name} {}", seed.display());
            body(&bytes);
        }
        for (index, input) in generated_inputs(name, GENERATED).iter().enumerate() {
            eprintln!("fuzz replay: {name} generated input {index}");
            body(input);
        }
        println!(
            "fuzz target {name}: {} seeds and {GENERATED} generated inputs passed",
            seeds.len()
        );
        total += seeds.len() + GENERATED;
    }
    println!(
        "fuzz targets: {} of {} replayed, {total} inputs",
        known.len(),
        known.len()
    );
}

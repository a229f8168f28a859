//! The testnet binary as an engineer runs it: `up`, `down`, and the crash-restart and
//! partition-heal scenarios, with real node processes.

use std::process::Command;

const TESTNET: &str = env!("CARGO_BIN_EXE_hanse-testnet");

fn run(args: &[&str]) -> String {
    let out = Command::new(TESTNET).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "hanse-testnet {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs `hanse-testnet scenario NAME ARGS… --dir <fresh temporary directory>`.
fn scenario(name: &str, args: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let mut all = vec!["scenario", name];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--dir", tmp.path().to_str().unwrap()]);
    run(&all)
}

fn assert_contains_all(out: &str, expected: &[&str]) {
    for expected in expected {
        assert!(out.contains(expected), "missing `{expected}` in:\n{out}");
    }
}

#[test]
fn crash_restart_loses_nothing_and_peers_catch_up() {
    let out = scenario("crash-restart", &[]);
    assert_contains_all(
        &out,
        &[
            "killed with SIGKILL after",
            "store opened without repair",
            "every acknowledged batch is stored exactly once",
            "every MQTT message the broker acknowledged is stored exactly once",
            "both peers hold node01's current catalogue",
            "scenario crash-restart: passed",
        ],
    );
}

/// The same crash through Mosquitto with four sessions sharing the subscription: messages
/// in flight to the killed node's sessions are redelivered to them, none lost or doubled.
#[test]
fn crash_restart_with_shared_mosquitto_sessions_loses_nothing() {
    if !hanse_node::test_utils::Mosquitto::available().unwrap() {
        println!("SKIPPED: mosquitto is not installed (apt-get install mosquitto)");
        return;
    }
    let out = scenario(
        "crash-restart",
        &["--broker", "mosquitto", "--mqtt-sessions", "4"],
    );
    assert_contains_all(
        &out,
        &[
            "through Mosquitto with 4 session(s)",
            "killed with SIGKILL after",
            "every MQTT message the broker acknowledged is stored exactly once",
            "scenario crash-restart: passed",
        ],
    );
}

#[test]
fn up_reports_every_node_and_down_stops_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let dir = dir.to_str().unwrap();
    let out = run(&["up", "--nodes", "3", "--dir", dir]);
    // Stop the processes even if an assertion below fails.
    struct Down<'a>(&'a str);
    impl Drop for Down<'_> {
        fn drop(&mut self) {
            let _ = Command::new(TESTNET)
                .args(["down", "--dir", self.0])
                .output();
        }
    }
    let guard = Down(dir);
    assert!(out.contains("every node holds all 3 catalogues"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("node0")).count(),
        3,
        "{out}"
    );
    assert!(out.contains("MB per node on average"), "{out}");
    let refused = Command::new(TESTNET)
        .args(["up", "--nodes", "3", "--dir", dir])
        .output()
        .unwrap();
    assert!(
        !refused.status.success(),
        "a second `up` in the same directory must refuse"
    );
    std::mem::forget(guard);
    let out = run(&["down", "--dir", dir]);
    assert!(out.contains("stopped 3 nodes"), "{out}");
}

/// Partitions by network namespaces: required where `.ci/run` found root and iproute2
/// (`HANSE_REQUIRE_NETNS`), otherwise whichever the scenario could use, said on stderr.
#[test]
fn a_healed_partition_converges_to_every_latest_catalogue() {
    let required = std::env::var_os("HANSE_REQUIRE_NETNS").is_some();
    let by = if required { "netns" } else { "auto" };
    let out = scenario(
        "partition-heal",
        &["--partition-secs", "6", "--partition-by", by],
    );
    if !out.contains("partitioned 3/3 by network namespaces") {
        eprintln!("network namespaces were not available: partitioned at the connection gate");
        assert!(
            out.contains("partitioned 3/3 at the connection gate"),
            "{out}"
        );
    }
    assert_contains_all(
        &out,
        &[
            "all 6 federated catalogues hold every member's latest version",
            "scenario partition-heal: passed",
        ],
    );
}

/// The fallback: the nodes' connection gate (`POST /api/network/block`).
#[test]
fn a_partition_at_the_connection_gate_heals_too() {
    let out = scenario(
        "partition-heal",
        &["--partition-secs", "6", "--partition-by", "gate"],
    );
    assert_contains_all(
        &out,
        &[
            "partitioned 3/3 at the connection gate",
            "all 6 federated catalogues hold every member's latest version",
            "scenario partition-heal: passed",
        ],
    );
}

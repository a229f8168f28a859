//! The web console in a real browser: Debian's chromium driven by playwright-core (npm,
//! `tests/console/`), against the in-process demo consortium (six members with data, live
//! MQTT sensors and an agreement). The browser script checks every page and runs axe-core;
//! see `tests/console/console.test.mjs`. `scripts/test-deps.sh` installs chromium and the npm
//! packages and sets `HANSE_REQUIRE_BROWSER`, with which a missing browser fails the test.

use anyhow::{Context, Result, bail};
use hanse_node::catalog::DatasetFilter;
use hanse_node::demo::consortium;
use hanse_node::demo::members::{MEMBERS, UNIVERSITY, WATER};
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> PathBuf {
    std::env::var_os("HANSE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("console")
}

/// What is missing to run the browser tests, if anything.
fn missing() -> Option<String> {
    if !chromium().exists() {
        return Some(format!("no chromium at {}", chromium().display()));
    }
    if !Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Some("no node (Node.js) on PATH".into());
    }
    for package in ["playwright-core", "axe-core"] {
        if !scripts().join("node_modules").join(package).exists() {
            return Some(format!(
                "npm package {package} not installed (cd tests/console && npm ci)"
            ));
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn console_pages_work_in_a_real_browser() -> Result<()> {
    if let Some(what) = missing() {
        if std::env::var_os("HANSE_REQUIRE_BROWSER").is_some() {
            bail!("HANSE_REQUIRE_BROWSER is set but {what}");
        }
        eprintln!(
            "SKIPPED: browser tests of the console ({what}; scripts/test-deps.sh installs it)"
        );
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let demo = consortium::start(dir.path(), "127.0.0.1:0".parse()?).await?;
    let transport = demo.nodes[0]
        .catalog()
        .federated()
        .datasets(
            &DatasetFilter {
                theme: Some("TRAN".into()),
                ..Default::default()
            }
            .compile()
            .map_err(anyhow::Error::msg)?,
        )
        .len();
    let water = demo.nodes[WATER]
        .network()
        .context("the utility has no network")?
        .local_peer_id();
    let token = demo.dirs[UNIVERSITY]
        .load_admin_token()?
        .as_str()
        .to_owned();
    let members: Vec<&str> = MEMBERS.iter().map(|m| m.organisation).collect();
    let mut command = Command::new("timeout");
    command
        .args(["600", "node", "console.test.mjs"])
        .current_dir(scripts())
        .env("HANSE_CITY", demo.nodes[0].http_url())
        .env("HANSE_RESEARCH", demo.nodes[UNIVERSITY].http_url())
        .env("HANSE_TOKEN", token)
        .env(
            "HANSE_CITY_TOKEN",
            demo.dirs[0].load_admin_token()?.as_str(),
        )
        .env(
            "HANSE_RESEARCHER_TOKEN",
            std::fs::read_to_string(&demo.researcher_token)?.trim(),
        )
        .env("HANSE_UTILITY_PEER", water.to_string())
        .env("HANSE_MEMBERS", members.join("|"))
        .env("HANSE_TRANSPORT", transport.to_string());
    let output = tokio::task::spawn_blocking(move || command.output()).await??;
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    demo.sensors.cancel();
    for node in demo.nodes {
        node.shutdown().await?;
    }
    assert!(
        output.status.success(),
        "the browser tests failed (see above)"
    );
    Ok(())
}
